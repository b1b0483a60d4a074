/* The signal policy every tickpath C program follows (each program's README, and the
 * supervisor `tickpath run`, which forwards SIGHUP, SIGUSR1 and SIGUSR2 to its child):
 *   SIGINT, SIGTERM  stop: leave the loop, write the exit outputs (stats file), exit 0
 *   SIGUSR2          write the stats file now and keep running
 *   SIGHUP, SIGUSR1  ignored (no reload: a config change needs a restart); the first of each
 *                    is logged. A program with its own SIGUSR1 action installs it itself.
 *   SIGPIPE          ignored (a peer that went away is an error return, not a death)
 * The handlers only set flags (async-signal-safe); the program's loop acts on them. SIGHUP and
 * the SIGUSRs restart interrupted system calls (SA_RESTART) so that they change nothing but the
 * flags; SIGINT and SIGTERM interrupt a sleep so that the stop is prompt. Header-only: one
 * instance of the flags per program. */
#ifndef TP_COMMON_SIGNALS_H
#define TP_COMMON_SIGNALS_H

#include <signal.h>
#include <stdio.h>

static volatile sig_atomic_t tp_sig_stop;  /* SIGINT / SIGTERM */
static volatile sig_atomic_t tp_sig_stats; /* SIGUSR2: cleared by the loop when it wrote */
static volatile sig_atomic_t tp_sig_hup, tp_sig_usr1; /* ignored: 1 once seen */

static void tp_sig_on(int sig)
{
    switch (sig) {
    case SIGINT:
    case SIGTERM: tp_sig_stop = 1; break;
    case SIGUSR2: tp_sig_stats = 1; break;
    case SIGHUP: tp_sig_hup = 1; break;
    case SIGUSR1: tp_sig_usr1 = 1; break;
    default: break;
    }
}

/* Install the policy; own_usr1: the program installs its own SIGUSR1 action. Install it
 * before anything slow so that a signal during start-up is acted on by the loop instead of
 * killing the process. */
static inline void tp_signals_install(int own_usr1)
{
    struct sigaction sa = {.sa_handler = tp_sig_on};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR2, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    if (!own_usr1)
        sigaction(SIGUSR1, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* From the loop (not per packet): log the first SIGHUP / SIGUSR1, once each. */
static inline void tp_signals_log_ignored(const char *prog)
{
    static int logged_hup, logged_usr1;
    if (tp_sig_hup && !logged_hup) {
        logged_hup = 1;
        fprintf(stderr, "%s: SIGHUP ignored (no reload: restart the program to apply a new "
                        "config)\n", prog);
    }
    if (tp_sig_usr1 && !logged_usr1) {
        logged_usr1 = 1;
        fprintf(stderr, "%s: SIGUSR1 ignored\n", prog);
    }
}

#endif
