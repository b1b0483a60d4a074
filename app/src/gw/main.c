/* tickpath-gw: the OUCH order gateway driven by line commands on stdin (tests, operators,
 * scripts); the strategy's in-process variant is tickpath-strategy. Commands (one per line):
 *   new B|S SYMBOL SHARES PRICE [day|ioc] [TRIGGER_SEQ]   enter an order (price in dollars)
 *   replace TOKEN SHARES PRICE                            replace an open order
 *   cancel TOKEN [LEAVE]                                  cancel (down to LEAVE shares)
 *   bbo SYMBOL BID ASK                                    set the risk reference BBO
 *   kill | unkill                                         kill switch (same byte as the page)
 *   drop MS                                               cut the TCP link, reconnect after MS
 *   status | orders                                       JSON statistics / every order
 *   logout | quit
 * Every order event is a JSON line on stdout (events=1). */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/outfile.h"
#include "common/signals.h"
#include "gw/gw.h"
#include "gw/gw_config.h"
#include "soup/rtclock.h"

#define DIE(...) do { fprintf(stderr, "tickpath-gw: " __VA_ARGS__); fputc('\n', stderr); exit(2); } while (0)

static void reply_err(const char *msg, const char *arg)
{
    printf("{\"ev\": \"error\", \"msg\": \"%s%s%s\"}\n", msg, arg ? ": " : "", arg ? arg : "");
    fflush(stdout);
}

static void print_status(const tp_gw *g)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    tp_gw_write_stats(g, m);
    fclose(m);
    for (size_t i = 0; i < len; i++)
        if (buf[i] == '\n')
            buf[i] = ' ';
    printf("{\"ev\": \"status\", \"stats\": %s}\n", buf);
    fflush(stdout);
    free(buf);
}

/* stats_json written whole or not at all (PATH.tmp renamed over PATH): at exit, and on
 * SIGUSR2 while running. 0, or -1 with errno. */
static int write_stats(const tp_gw *g, const char *path)
{
    tp_out_whole w;
    FILE *f = tp_out_whole_begin(&w, path, TP_OUT_MODE);
    if (!f)
        return -1;
    tp_gw_write_stats(g, f);
    return tp_out_whole_end(&w, 1);
}

static int command(tp_gw *g, char *line, uint64_t now)
{
    char *argv[8];
    int argc = 0;
    for (char *save = NULL, *t = strtok_r(line, " \t\r\n", &save); t && argc < 8;
         t = strtok_r(NULL, " \t\r\n", &save))
        argv[argc++] = t;
    if (!argc)
        return 0;
    const char *cmd = argv[0];
    tp_gw_req r;
    memset(&r, 0, sizeof r);
    int why;
    if (!strcmp(cmd, "new")) {
        uint32_t px;
        int sym;
        char *end;
        if (argc < 5 || (argv[1][0] != 'B' && argv[1][0] != 'S' && argv[1][0] != 'T' &&
                         argv[1][0] != 'E' && argv[1][0] != 'X') || argv[1][1]) {
            reply_err("usage", "new B|S SYMBOL SHARES PRICE [day|ioc] [TRIGGER_SEQ]");
            return 0;
        }
        if ((sym = tp_gw_sym(g, argv[2])) < 0) {
            /* unknown symbols still reach the risk check (reason unknown_symbol) */
            sym = 0xffff;
        }
        unsigned long sh = strtoul(argv[3], &end, 10);
        if (*end || sh > 0xffffffffu || tp_kv_parse_price(argv[4], &px) != 0) {
            reply_err("bad shares or price", argv[3]);
            return 0;
        }
        r.kind = 'O';
        r.side = (uint8_t)argv[1][0];
        r.sym = (uint16_t)sym;
        r.shares = (uint32_t)sh;
        r.price = px;
        r.ioc = argc > 5 && !strcmp(argv[5], "ioc");
        if (argc > 5 && strcmp(argv[5], "ioc") && strcmp(argv[5], "day")) {
            reply_err("time in force must be day or ioc", argv[5]);
            return 0;
        }
        r.trigger_seq = argc > 6 ? strtoull(argv[6], NULL, 10) : 0;
        r.t_strategy = now;
        if (tp_gw_submit(g, &r, now, &why) < 0 && why >= TP_RISK_REASONS)
            printf("{\"ev\": \"refused\", \"reason\": \"%s\"}\n", tp_gw_reason_name((unsigned)why));
    } else if (!strcmp(cmd, "replace") || !strcmp(cmd, "cancel")) {
        int i = argc > 1 ? tp_gw_find_token(g, argv[1]) : -1;
        if (i < 0) {
            reply_err("unknown token", argc > 1 ? argv[1] : NULL);
            return 0;
        }
        r.order = (uint32_t)i;
        if (cmd[0] == 'r') {
            uint32_t px;
            if (argc < 4 || tp_kv_parse_price(argv[3], &px) != 0) {
                reply_err("usage", "replace TOKEN SHARES PRICE");
                return 0;
            }
            r.kind = 'U';
            r.shares = (uint32_t)strtoul(argv[2], NULL, 10);
            r.price = px;
        } else {
            r.kind = 'X';
            r.shares = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 0;
        }
        r.t_strategy = now;
        if (tp_gw_submit(g, &r, now, &why) < 0 && why >= TP_RISK_REASONS)
            printf("{\"ev\": \"refused\", \"reason\": \"%s\"}\n", tp_gw_reason_name((unsigned)why));
    } else if (!strcmp(cmd, "bbo")) {
        uint32_t b, a;
        int sym = argc > 3 ? tp_gw_sym(g, argv[1]) : -1;
        if (sym < 0 || tp_kv_parse_price(argv[2], &b) || tp_kv_parse_price(argv[3], &a)) {
            reply_err("usage", "bbo SYMBOL BID ASK");
            return 0;
        }
        tp_gw_set_bbo(g, (uint32_t)sym, b, a);
        printf("{\"ev\": \"bbo\", \"sym\": \"%s\"}\n", argv[1]);
    } else if (!strcmp(cmd, "kill") || !strcmp(cmd, "unkill")) {
        tp_gw_set_kill(g, cmd[0] == 'k');
    } else if (!strcmp(cmd, "drop")) {
        tp_soup_client_drop(&g->soup, now, argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 1000);
    } else if (!strcmp(cmd, "status")) {
        print_status(g);
    } else if (!strcmp(cmd, "orders")) {
        for (uint32_t i = 0; i < g->n_orders; i++)
            tp_gw_print_order(g, stdout, i, "order");
        printf("{\"ev\": \"orders_end\", \"count\": %u}\n", g->n_orders);
    } else if (!strcmp(cmd, "logout")) {
        tp_soup_client_logout(&g->soup, now);
    } else if (!strcmp(cmd, "quit")) {
        return 1;
    } else {
        reply_err("unknown command", cmd);
    }
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    /* from the start: a signal during start-up is acted on by the loop (common/signals.h) */
    tp_signals_install(0);
    static tp_kvconf cfg;
    tp_kv_init(&cfg, TP_GW_KEYS, TP_GW_N_KEYS);
    char err[512];
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'}, {"set", required_argument, NULL, 's'},
        {"duration", required_argument, NULL, 'd'}, {"stats-json", required_argument, NULL, 'j'},
        {"print-config", no_argument, NULL, 'P'}, {"check-config", no_argument, NULL, 'C'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };
    int c, print = 0, check_only = 0;
    while ((c = getopt_long(argc, argv, "c:s:d:j:Ph", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            if (tp_kv_load(&cfg, optarg, err, sizeof err) != 0)
                DIE("%s", err);
            break;
        case 's':
            if (tp_kv_set_kv(&cfg, optarg, err, sizeof err) != 0)
                DIE("--set %s", err);
            break;
        case 'd': tp_kv_set(&cfg, "duration_s", optarg, err, sizeof err); break;
        case 'j': tp_kv_set(&cfg, "stats_json", optarg, err, sizeof err); break;
        case 'P': print = 1; break;
        case 'C': check_only = 1; break;
        case 'h':
            fputs("usage: tickpath-gw [--config FILE] [--set key=value]... [--duration S] "
                  "[--stats-json FILE] [--print-config | --check-config]\n"
                  "(commands on stdin: see src/gw/README.md; --check-config validates the keys "
                  "and exits 0/2 without connecting or reading the password)\n", stderr);
            return 0;
        default: return 2;
        }
    }
    if (print) {
        tp_kv_dump(&cfg, stdout);
        return 0;
    }
    if (optind != argc)
        DIE("unexpected argument '%s'", argv[optind]);
    static tp_gw_cfg gc;
    if (tp_gw_config_header(&cfg, "gw", err, sizeof err) != 0 ||
        tp_gw_config_build(&cfg, !check_only, &gc, err, sizeof err) != 0)
        DIE("config: %s", err);
    if (check_only) {
        char src[TP_KV_VAL + 8];
        tp_gw_config_password_source(&cfg, src, sizeof src);
        char fields[128];
        tp_gw_config_order_fields(&gc, fields, sizeof fields);
        printf("config ok: program=gw ouch=%s:%u user=%s password=%s %s\n", gc.soup.host,
               gc.soup.port, gc.soup.username, src, fields);
        return 0;
    }
    gc.out = stdout;
    uint64_t dur, spin;
    if (tp_kv_u64(&cfg, "duration_s", 86400 * 7, &dur, err, sizeof err) ||
        tp_kv_u64(&cfg, "spin", 1, &spin, err, sizeof err))
        DIE("%s", err);
    int64_t cpu, prio;
    if (tp_kv_i64(&cfg, "cpu", &cpu, err, sizeof err) ||
        tp_kv_i64(&cfg, "rt_priority", &prio, err, sizeof err))
        DIE("%s", err);
    static tp_gw g;
    if (tp_gw_init(&g, &gc, err, sizeof err) != 0)
        DIE("%s", err);
    memset(&gc.soup.password, 0, sizeof gc.soup.password);
    if (cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET((int)cpu, &set);
        sched_setaffinity(0, sizeof set, &set);
    }
    if (prio > 0) {
        struct sched_param sp = {.sched_priority = (int)prio};
        sched_setscheduler(0, SCHED_FIFO, &sp);
    }
    uint64_t t0 = tp_rt_now_ns();
    uint64_t end = dur ? t0 + dur * 1000000000ull : UINT64_MAX;
    char line[512];
    size_t have = 0;
    int stdin_open = 1, quit = 0, rc = 0;
    const char *sj = tp_kv_str(&cfg, "stats_json");
    while (!tp_sig_stop && !quit) {
        uint64_t now = tp_rt_now_ns();
        if (now >= end)
            break;
        if (tp_sig_stats) {
            tp_sig_stats = 0;
            if (*sj && write_stats(&g, sj) != 0)
                fprintf(stderr, "tickpath-gw: %s: %s\n", sj, strerror(errno));
        }
        tp_signals_log_ignored("tickpath-gw");
        tp_soup_cli_state s = tp_gw_poll(&g, now);
        if (s == TP_SOUP_CLI_REJECTED) {
            fprintf(stderr, "tickpath-gw: login rejected (reason %c)\n", g.soup.reject_reason);
            rc = 3;
            break;
        }
        if (s == TP_SOUP_CLI_ENDED && g.soup.st.logins == 0) {
            fprintf(stderr, "tickpath-gw: could not connect to %s:%u\n", gc.soup.host, gc.soup.port);
            rc = 4;
            break;
        }
        struct pollfd pf[2];
        int np = 0;
        if (stdin_open)
            pf[np++] = (struct pollfd){.fd = 0, .events = POLLIN};
        if (g.soup.io.fd >= 0)
            pf[np++] = (struct pollfd){.fd = g.soup.io.fd, .events = POLLIN};
        int k = poll(pf, (nfds_t)np, spin ? 0 : 5);
        if (k > 0 && stdin_open && (pf[0].revents & (POLLIN | POLLHUP))) {
            ssize_t n = read(0, line + have, sizeof line - 1 - have);
            if (n < 0 && errno == EINTR)
                continue; /* a signal, not the end of stdin */
            if (n <= 0) {
                stdin_open = 0;
                if (!dur)
                    quit = 1; /* stdin closed and no duration: done */
            } else {
                have += (size_t)n;
                line[have] = 0;
                char *nl;
                while (!quit && (nl = memchr(line, '\n', have))) {
                    *nl = 0;
                    size_t used = (size_t)(nl - line) + 1;
                    quit = command(&g, line, tp_rt_now_ns());
                    memmove(line, line + used, have - used);
                    have -= used;
                    line[have] = 0;
                }
                if (have == sizeof line - 1)
                    have = 0; /* overlong line: dropped */
            }
        }
    }
    /* let in-flight acknowledgements arrive, then log out */
    for (int i = 0; i < 20 && g.soup.state == TP_SOUP_CLI_UP; i++) {
        tp_gw_poll(&g, tp_rt_now_ns());
        usleep(2000);
    }
    if (g.soup.state == TP_SOUP_CLI_UP)
        tp_soup_client_logout(&g.soup, tp_rt_now_ns());
    if (*sj && write_stats(&g, sj) != 0) {
        fprintf(stderr, "tickpath-gw: %s: %s\n", sj, strerror(errno));
        rc = rc ? rc : 1;
    }
    tp_gw_free(&g);
    return rc;
}
