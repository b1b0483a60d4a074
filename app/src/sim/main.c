/* tickpath-sim: the lab's exchange (runs on exch1). See README.md for keys and protocols. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "common/kvconf.h"
#include "common/outfile.h"
#include "common/signals.h"
#include "gw/secret_file.h"
#include "itch/snapshot_msg.h"
#include "sim/snapshot_srv.h"
#include "sim/venue.h"
#include "soup/rtclock.h"

static const tp_kv_key KEYS[] = {
    {"symbols", "AAPL:190.00,MSFT:420.00,NVDA:130.00", "NAME:REFPRICE list"},
    {"session", "TPSIM00001", "MoldUDP64 / SoupBinTCP session name (10 chars max)"},
    {"tick", "0.01", "price increment (dollars)"},
    {"line_a.addr", "239.100.1.1", "line A destination (multicast group or unicast)"},
    {"line_a.port", "26400", ""},
    {"line_a.source", "", "local address to send line A from (feed-a's address)"},
    {"line_b.addr", "239.100.2.1", "line B destination; empty = line A only"},
    {"line_b.port", "26401", ""},
    {"line_b.source", "", ""},
    {"md.heartbeat_ms", "1000", "MoldUDP64 heartbeat when idle"},
    {"rerequest.bind", "0.0.0.0", ""},
    {"rerequest.port", "26500", "0 = no re-request server"},
    {"rerequest.store_mb", "64", "retransmission store size (MiB)"},
    {"ouch.store_mb", "16", "per-user SoupBinTCP replay store (MiB)"},
    {"mlock", "0", "1 = mlockall(MCL_CURRENT | MCL_FUTURE) after start-up"},
    {"snapshot.bind", "0.0.0.0", ""},
    {"snapshot.port", "26501", "0 = no snapshot service"},
    {"snapshot.max_conns", "4", "snapshot connection slots, preallocated (1..64)"},
    {"snapshot.login_timeout_ms", "2000", "close a snapshot connection without a login this long after accept"},
    {"snapshot.send_timeout_ms", "5000", "drop a client that has not taken its whole snapshot this long after its login"},
    {"snapshot.buffer_kb", "4096", "per-slot snapshot buffer cap (KiB); a book that does not fit is refused"},
    {"snapshot.pass_kb", "64", "KiB written per snapshot connection per loop pass (also its SO_SNDBUF)"},
    {"ouch.bind", "0.0.0.0", ""},
    {"ouch.port", "26600", "0 = no order entry"},
    {"ouch.credentials", "", "file of 'username password' lines, mode 0600 (required)"},
    {"ouch.heartbeat_ms", "1000", "server heartbeat after this idle time (0 = never)"},
    {"ouch.dead_ms", "15000", "drop a client silent this long"},
    {"ouch.max_conns", "16", "connection slots, preallocated (1..256, ~1.1 MiB each)"},
    {"ouch.login_timeout_ms", "2000", "close a connection not logged in this long after accept"},
    {"ouch.login_backoff_ms", "100", "refuse a source's logins this long after a failed one"},
    {"ouch.login_backoff_max_ms", "10000", "cap of the backoff, doubling per failure"},
    {"ouch.max_orders", "1048576", "OUCH orders per day (all users)"},
    {"engine.max_orders", "1048576", "resting orders at once"},
    {"engine.max_levels", "4096", "price levels per side per symbol"},
    {"flow.rate", "1000", "background orders per second (0 = none)"},
    {"flow.seed", "1", ""},
    {"flow.depth", "40", "resting flow orders per symbol to aim for"},
    {"flow.burst_at_s", "0", "burst start, seconds after start (0 = no burst)"},
    {"flow.burst_s", "0", "burst length in seconds"},
    {"flow.burst_mult", "100", "rate multiplier during the burst"},
    {"feed.mode", "incremental", "incremental (ITCH deltas) | snapshot (full top-N per update)"},
    {"feed.snapshot_depth", "10", "levels per side in snapshot mode"},
    {"duration_s", "0", "stop after this many seconds (0 = until SIGINT/SIGTERM)"},
    {"stats_json", "", "write statistics + tick-to-trade histogram here at exit (and on SIGUSR2)"},
    {"book_json", "", "write the final displayed book here at exit"},
    {"itch_out", "", "write every published ITCH message as a BinaryFILE"},
    {"orders_csv", "", "write every inbound order's arrival time and tick-to-trade"},
    {"spin", "0", "1 = busy-poll (lowest latency, one core at 100%)"},
    {"cpu", "-1", "pin to this CPU (-1 = no)"},
    {"rt_priority", "0", "SCHED_FIFO priority (0 = SCHED_OTHER)"},
};

/* Signals: common/signals.h (SIGUSR2 = write stats_json at the next loop pass, SIGHUP
 * ignored), except SIGUSR1, the simulator's own: drop every OUCH connection (a test hook). */
static volatile sig_atomic_t g_drop;
static void on_usr1(int s) { (void)s; g_drop = 1; }

static void usage(void)
{
    fputs("usage: tickpath-sim [--config FILE] [--set key=value]... [--duration S]\n"
          "       [--stats-json FILE] [--book-json FILE] [--itch-out FILE] [--orders-csv FILE]\n"
          "       [--snapshot-feed] [--burst] [--print-config]\n"
          "keys: see src/sim/README.md (or --print-config)\n", stderr);
}

static snapshot_srv snap; /* lfd -1 until snapshot.port opens it */

/* stats_json written whole or not at all: PATH.tmp, then rename() over PATH, so a reader (the
 * latency smoke test polling for a snapshot) never sees a half-written file. */
static int write_stats(venue *v, const char *path, uint64_t t0, uint64_t now, int at_exit)
{
    tp_out_whole w;
    FILE *f = tp_out_whole_begin(&w, path, TP_OUT_MODE);
    if (!f)
        return -1;
    venue_stats_meta m = {.started_ns = t0, .written_ns = now, .at_exit = at_exit,
                          .snapshot = &snap};
    int r = venue_write_stats(v, f, &m);
    return tp_out_whole_end(&w, r == 0);
}

#define DIE(...) do { fprintf(stderr, "tickpath-sim: " __VA_ARGS__); fputc('\n', stderr); exit(2); } while (0)

static uint64_t U(const tp_kvconf *c, const char *k, uint64_t max)
{
    char err[256];
    uint64_t v;
    if (tp_kv_u64(c, k, max, &v, err, sizeof err) != 0)
        DIE("%s", err);
    return v;
}

/* An integer in min..max, or exit 2 naming the key and the range. */
static uint64_t U_IN(const tp_kvconf *c, const char *k, uint64_t min, uint64_t max)
{
    char err[256];
    uint64_t v;
    if (tp_kv_u64(c, k, max, &v, err, sizeof err) != 0 || v < min)
        DIE("%s: '%s' is not an integer in %llu..%llu", k, tp_kv_str(c, k),
            (unsigned long long)min, (unsigned long long)max);
    return v;
}

int main(int argc, char **argv)
{
    /* from the start: a snapshot asked for during start-up is written at the first loop pass
     * (SIGUSR2's default action would kill the process); a SIGUSR1 before the OUCH listener
     * exists drops nothing */
    tp_signals_install(1);
    struct sigaction su1 = {.sa_handler = on_usr1, .sa_flags = SA_RESTART};
    sigaction(SIGUSR1, &su1, NULL);
    static tp_kvconf cfg;
    tp_kv_init(&cfg, KEYS, sizeof KEYS / sizeof KEYS[0]);
    char err[512];
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'}, {"set", required_argument, NULL, 's'},
        {"duration", required_argument, NULL, 'd'}, {"stats-json", required_argument, NULL, 'j'},
        {"book-json", required_argument, NULL, 'b'}, {"itch-out", required_argument, NULL, 'i'},
        {"orders-csv", required_argument, NULL, 'o'}, {"snapshot-feed", no_argument, NULL, 'S'},
        {"burst", no_argument, NULL, 'B'}, {"print-config", no_argument, NULL, 'P'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };
    int c, print = 0;
    while ((c = getopt_long(argc, argv, "c:s:d:j:b:i:o:SBPh", opts, NULL)) != -1) {
        const char *k = NULL;
        switch (c) {
        case 'c':
            if (tp_kv_load(&cfg, optarg, err, sizeof err) != 0)
                DIE("%s", err);
            continue;
        case 's':
            if (tp_kv_set_kv(&cfg, optarg, err, sizeof err) != 0)
                DIE("--set %s", err);
            continue;
        case 'd': k = "duration_s"; break;
        case 'j': k = "stats_json"; break;
        case 'b': k = "book_json"; break;
        case 'i': k = "itch_out"; break;
        case 'o': k = "orders_csv"; break;
        case 'S': tp_kv_set(&cfg, "feed.mode", "snapshot", err, sizeof err); continue;
        case 'B':
            /* the burst scenario: 100x for 5 s, starting 2 s in (override with --set) */
            if (!strcmp(tp_kv_str(&cfg, "flow.burst_at_s"), "0"))
                tp_kv_set(&cfg, "flow.burst_at_s", "2", err, sizeof err);
            if (!strcmp(tp_kv_str(&cfg, "flow.burst_s"), "0"))
                tp_kv_set(&cfg, "flow.burst_s", "5", err, sizeof err);
            continue;
        case 'P': print = 1; continue;
        case 'h': usage(); return 0;
        default: usage(); return 2;
        }
        if (tp_kv_set(&cfg, k, optarg, err, sizeof err) != 0)
            DIE("%s", err);
    }
    if (optind != argc) {
        usage();
        return 2;
    }
    if (print) {
        tp_kv_dump(&cfg, stdout);
        return 0;
    }

    /* --- validate everything before anything starts --- */
    uint32_t tick;
    if (tp_kv_parse_price(tp_kv_str(&cfg, "tick"), &tick) != 0 || !tick)
        DIE("tick: '%s' is not a price", tp_kv_str(&cfg, "tick"));
    const char *mode = tp_kv_str(&cfg, "feed.mode");
    if (strcmp(mode, "incremental") && strcmp(mode, "snapshot"))
        DIE("feed.mode: '%s' is not incremental|snapshot", mode);
    if (strlen(tp_kv_str(&cfg, "session")) > 10)
        DIE("session: at most 10 characters");
    uint16_t ouch_port = (uint16_t)U(&cfg, "ouch.port", 65535);
    uint32_t max_conns = (uint32_t)U_IN(&cfg, "ouch.max_conns", 1, TP_SOUP_SRV_MAX_CONNS);
    uint32_t login_timeout_ms = (uint32_t)U_IN(&cfg, "ouch.login_timeout_ms", 1, 3600000);
    uint32_t backoff_ms = (uint32_t)U_IN(&cfg, "ouch.login_backoff_ms", 1, 3600000);
    uint32_t backoff_max_ms = (uint32_t)U_IN(&cfg, "ouch.login_backoff_max_ms", 1, 3600000);
    if (backoff_max_ms < backoff_ms)
        DIE("ouch.login_backoff_max_ms: %u is below ouch.login_backoff_ms (%u)", backoff_max_ms,
            backoff_ms);
    snapshot_srv_cfg snc = {
        .max_conns = (uint32_t)U_IN(&cfg, "snapshot.max_conns", 1, SNAPSHOT_SRV_MAX_CONNS),
        .login_timeout_ms = (uint32_t)U_IN(&cfg, "snapshot.login_timeout_ms", 1, 3600000),
        .send_timeout_ms = (uint32_t)U_IN(&cfg, "snapshot.send_timeout_ms", 1, 3600000),
        .buf_bytes = (size_t)U_IN(&cfg, "snapshot.buffer_kb", 1, 1048576) << 10,
        .pass_bytes = (size_t)U_IN(&cfg, "snapshot.pass_kb", 1, 65536) << 10,
    };
    static tp_soup_cred creds[TP_SOUP_SRV_MAX_USERS];
    int n_creds = 0;
    if (ouch_port) {
        const char *cp = tp_kv_str(&cfg, "ouch.credentials");
        if (!*cp)
            cp = getenv("TICKPATH_SIM_CREDENTIALS");
        if (!cp || tp_secret_file_check(cp, err, sizeof err) != 0)
            DIE("ouch.credentials: %s", cp ? err : "not set (nor TICKPATH_SIM_CREDENTIALS)");
        if (tp_soup_load_creds(cp, creds, TP_SOUP_SRV_MAX_USERS, &n_creds, err, sizeof err) != 0)
            DIE("%s", err);
    }
    venue_cfg vc = {
        .max_orders = (uint32_t)U(&cfg, "engine.max_orders", 1u << 26),
        .max_levels = (uint32_t)U(&cfg, "engine.max_levels", 1u << 20),
        .max_ouch_orders = (uint32_t)U(&cfg, "ouch.max_orders", 1u << 26),
        .max_arrivals = U(&cfg, "ouch.max_orders", 1u << 26),
        .flow_depth = (uint32_t)U(&cfg, "flow.depth", 100000),
        .seed = U(&cfg, "flow.seed", UINT64_MAX),
        .tick = tick,
        .snapshot_feed = !strcmp(mode, "snapshot"),
        .snapshot_depth = (uint32_t)U(&cfg, "feed.snapshot_depth", TP_SNAP_MAX_DEPTH),
    };
    if (vc.max_orders < 16 || vc.max_levels < 4 || vc.snapshot_depth < 1)
        DIE("engine.max_orders >= 16, engine.max_levels >= 4, feed.snapshot_depth >= 1");
    static venue v;
    if (venue_init(&v, &vc) != 0)
        DIE("out of memory");
    /* symbols */
    char sy[TP_KV_VAL];
    snprintf(sy, sizeof sy, "%s", tp_kv_str(&cfg, "symbols"));
    for (char *save = NULL, *t = strtok_r(sy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        char *colon = strchr(t, ':');
        uint32_t px;
        if (!colon || colon == t || colon - t > 8 || tp_kv_parse_price(colon + 1, &px) != 0 ||
            px < 100 * tick || px % tick)
            DIE("symbols: '%s' is not NAME:PRICE (name <= 8 chars, price a multiple of tick)", t);
        *colon = 0;
        if (venue_add_symbol(&v, t, px) < 0)
            DIE("symbols: too many (max %d)", ME_MAX_SYMBOLS);
    }
    if (!v.me.n_books)
        DIE("symbols: none");
    itch_out_cfg oc = {0};
    const char *pre[2] = {"line_a", "line_b"};
    for (int i = 0; i < 2; i++) {
        char k[32];
        snprintf(k, sizeof k, "%s.addr", pre[i]);
        const char *a = tp_kv_str(&cfg, k);
        if (!*a)
            continue;
        snprintf(oc.addr[oc.n_lines], 64, "%s", a);
        snprintf(k, sizeof k, "%s.port", pre[i]);
        oc.port[oc.n_lines] = (uint16_t)U(&cfg, k, 65535);
        snprintf(k, sizeof k, "%s.source", pre[i]);
        snprintf(oc.source[oc.n_lines], 64, "%s", tp_kv_str(&cfg, k));
        oc.n_lines++;
    }
    if (!oc.n_lines)
        DIE("line_a.addr: required");
    snprintf(oc.session, sizeof oc.session, "%s", tp_kv_str(&cfg, "session"));
    oc.store_bytes = (size_t)U(&cfg, "rerequest.store_mb", 65536) << 20;
    oc.store_msgs = oc.store_bytes / 24;
    oc.itch_out = *tp_kv_str(&cfg, "itch_out") ? tp_kv_str(&cfg, "itch_out") : NULL;
    snprintf(oc.rr_bind, sizeof oc.rr_bind, "%s", tp_kv_str(&cfg, "rerequest.bind"));
    oc.rr_port = (uint16_t)U(&cfg, "rerequest.port", 65535);
    if (itch_out_init(&v.out, &oc, err, sizeof err) != 0)
        DIE("%s", err);
    snap.lfd = -1;
    uint16_t snap_port = (uint16_t)U(&cfg, "snapshot.port", 65535);
    snprintf(snc.bind_addr, sizeof snc.bind_addr, "%s", tp_kv_str(&cfg, "snapshot.bind"));
    snc.port = snap_port;
    /* no bigger than the largest book the engine can hold */
    size_t snap_most = snapshot_srv_bytes_for(v.me.n_books, vc.max_orders);
    if (snc.buf_bytes > snap_most)
        snc.buf_bytes = snap_most;
    if (snap_port && snapshot_srv_init(&snap, &snc) != 0)
        DIE("snapshot service %s:%u: %s", snc.bind_addr, snap_port, strerror(errno));
    if (ouch_port) {
        tp_soup_server_cfg sc = {0};
        snprintf(sc.bind_addr, sizeof sc.bind_addr, "%s", tp_kv_str(&cfg, "ouch.bind"));
        sc.port = ouch_port;
        snprintf(sc.session, sizeof sc.session, "%s", tp_kv_str(&cfg, "session"));
        sc.hb_ms = (uint32_t)U(&cfg, "ouch.heartbeat_ms", 3600000);
        sc.dead_ms = (uint32_t)U(&cfg, "ouch.dead_ms", 3600000);
        sc.max_conns = max_conns;
        sc.login_timeout_ms = login_timeout_ms;
        sc.backoff_ms = backoff_ms;
        sc.backoff_max_ms = backoff_max_ms;
        sc.max_payload = 256;
        sc.store_bytes = (size_t)U(&cfg, "ouch.store_mb", 4096) << 20;
        sc.store_msgs = sc.store_bytes / 32;
        tp_soup_server_cb cb = {venue_on_ouch, NULL, NULL, &v};
        if (tp_soup_server_init(&v.soup, &sc, creds, n_creds, &cb) != 0)
            DIE("OUCH listener %s:%u: %s", sc.bind_addr, sc.port, strerror(errno));
        v.soup_on = 1;
        memset(creds, 0, sizeof creds);
    }
    uint64_t rate = U(&cfg, "flow.rate", 100000000);
    uint64_t burst_at = U(&cfg, "flow.burst_at_s", 86400), burst_s = U(&cfg, "flow.burst_s", 86400);
    uint64_t burst_mult = U(&cfg, "flow.burst_mult", 100000);
    uint64_t duration = U(&cfg, "duration_s", 86400 * 7);
    uint64_t hb_ns = U(&cfg, "md.heartbeat_ms", 3600000) * 1000000ull;
    int spin = (int)U(&cfg, "spin", 1);
    int64_t cpu, prio;
    if (tp_kv_i64(&cfg, "cpu", &cpu, err, sizeof err) || tp_kv_i64(&cfg, "rt_priority", &prio, err, sizeof err))
        DIE("%s", err);
    if (cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET((int)cpu, &set);
        if (sched_setaffinity(0, sizeof set, &set) != 0)
            DIE("cpu %lld: %s", (long long)cpu, strerror(errno));
    }
    if (prio > 0) {
        struct sched_param sp = {.sched_priority = (int)prio};
        if (sched_setscheduler(0, SCHED_FIFO, &sp) != 0)
            fprintf(stderr, "tickpath-sim: SCHED_FIFO %lld: %s (continuing)\n", (long long)prio,
                    strerror(errno));
    }
    if (U(&cfg, "mlock", 1))
        mlockall(MCL_CURRENT | MCL_FUTURE);

    venue_start_of_day(&v);
    fprintf(stderr, "tickpath-sim: %u symbols, %d lines, OUCH port %u (%d users), feed %s, flow %llu/s\n",
            v.me.n_books, oc.n_lines, ouch_port, n_creds, mode, (unsigned long long)rate);
    fprintf(stdout, "ready ouch_port=%u\n", ouch_port ? tp_soup_server_port(&v.soup) : 0);
    fflush(stdout);

    uint64_t t0 = tp_rt_now_ns(), last = t0;
    uint64_t end = duration ? t0 + duration * 1000000000ull : UINT64_MAX;
    double credit = 0;
    while (!tp_sig_stop) {
        uint64_t now = tp_rt_now_ns();
        if (now >= end)
            break;
        tp_signals_log_ignored("tickpath-sim");
        if (g_drop) {
            g_drop = 0;
            if (v.soup_on)
                tp_soup_server_drop_all(&v.soup);
        }
        if (tp_sig_stats) {
            tp_sig_stats = 0;
            const char *sp = tp_kv_str(&cfg, "stats_json");
            if (*sp && write_stats(&v, sp, t0, now, 0) != 0)
                fprintf(stderr, "tickpath-sim: snapshot %s: %s\n", sp, strerror(errno));
        }
        if (v.soup_on)
            tp_soup_server_poll(&v.soup, now);
        double el = (double)(now - t0) / 1e9;
        double r = (double)rate;
        if (burst_s && el >= (double)burst_at && el < (double)(burst_at + burst_s))
            r *= (double)burst_mult;
        credit += r * (double)(now - last) / 1e9;
        last = now;
        uint32_t n = credit > 20000 ? 20000 : (uint32_t)credit;
        if (n) {
            venue_flow(&v, n);
            credit -= n;
        }
        venue_flush(&v);
        itch_out_serve_rerequests(&v.out);
        itch_out_idle(&v.out, now, hb_ns);
        snapshot_srv_poll(&snap, &(snapshot_src){&v.me, v.out.session, v.out.next_seq}, now);
        if (!spin) {
            struct pollfd pf[TP_SOUP_SRV_MAX_CONNS + 3 + SNAPSHOT_SRV_MAX_CONNS];
            int np = 0;
            if (v.soup_on) {
                pf[np++] = (struct pollfd){.fd = v.soup.lfd, .events = POLLIN};
                for (int i = 0; i < v.soup.n_conns; i++)
                    if (v.soup.conns[i].io.fd >= 0)
                        pf[np++] = (struct pollfd){.fd = v.soup.conns[i].io.fd, .events = POLLIN};
            }
            if (v.out.rr_fd >= 0)
                pf[np++] = (struct pollfd){.fd = v.out.rr_fd, .events = POLLIN};
            np += snapshot_srv_pollfds(&snap, pf + np, (int)(sizeof pf / sizeof pf[0]) - np);
            /* sleep until the next flow action is due (at most 1 ms) */
            double wait_ns = r > 0 ? (1.0 - credit) / r * 1e9 : 1e6;
            if (wait_ns > 1e6)
                wait_ns = 1e6;
            if (wait_ns < 0)
                wait_ns = 0;
            struct timespec ts = {0, (long)wait_ns};
            ppoll(pf, (nfds_t)np, &ts, NULL);
        }
    }
    uint64_t t_end = tp_rt_now_ns();
    venue_end_of_day(&v);
    if (v.soup_on) {
        for (int i = 0; i < 20; i++) { /* let queued OUCH messages drain */
            tp_soup_server_poll(&v.soup, tp_rt_now_ns());
            struct timespec ts = {0, 1000000};
            nanosleep(&ts, NULL);
        }
        tp_soup_server_end(&v.soup, tp_rt_now_ns());
    }
    int rc = 0;
    const char *p;
    if (*(p = tp_kv_str(&cfg, "stats_json"))) {
        if (write_stats(&v, p, t0, t_end, 1) != 0) {
            fprintf(stderr, "tickpath-sim: %s: %s\n", p, strerror(errno));
            rc = 1;
        }
    }
    if (*(p = tp_kv_str(&cfg, "book_json"))) {
        FILE *f = tp_out_fopen(p, TP_OUT_MODE);
        if (!f || me_write_json(&v.me, f) != 0 || fclose(f) != 0) {
            fprintf(stderr, "tickpath-sim: %s: %s\n", p, strerror(errno));
            rc = 1;
        }
    }
    if (*(p = tp_kv_str(&cfg, "orders_csv"))) {
        FILE *f = tp_out_fopen(p, TP_OUT_MODE);
        if (!f || venue_write_arrivals_csv(&v, f) != 0 || fclose(f) != 0) {
            fprintf(stderr, "tickpath-sim: %s: %s\n", p, strerror(errno));
            rc = 1;
        }
    }
    fprintf(stderr, "tickpath-sim: %.1f s, %llu ITCH messages in %llu packets, %llu OUCH orders, "
            "tick-to-trade n=%llu p50=%llu ns p99=%llu ns\n",
            (double)(t_end - t0) / 1e9, (unsigned long long)v.out.st.messages,
            (unsigned long long)v.out.st.packets, (unsigned long long)v.ost.enter,
            (unsigned long long)v.t2t.count, (unsigned long long)tp_hist_quantile(&v.t2t, 0.5),
            (unsigned long long)tp_hist_quantile(&v.t2t, 0.99));
    itch_out_close(&v.out);
    snapshot_srv_close(&snap);
    if (v.soup_on)
        tp_soup_server_free(&v.soup);
    return rc;
}
