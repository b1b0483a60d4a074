/* tickpath-strategy: market data -> sample strategy -> gateway -> exchange, in one process.
 * strategy.threads=1 (default): the strategy thread (receiver + book + decision, pinned to
 * strategy.cpu) hands requests to the gateway thread (pinned to cpu) through an SPSC ring
 * (src/ring/spsc.h). strategy.threads=0: one thread does both (better on a 2-vCPU VM where
 * the exchange needs the other core). Keys: src/gw/README.md. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/outfile.h"
#include "common/signals.h"
#include "gw/gw.h"
#include "gw/gw_config.h"
#include "ring/spsc.h"
#include "soup/rtclock.h"
#include "strategy/md_rx.h"
#include "strategy/md_shm.h"
#include "strategy/strategy.h"
#include "strategy/strategy_config.h"

#define DIE(...) do { fprintf(stderr, "tickpath-strategy: " __VA_ARGS__); fputc('\n', stderr); exit(2); } while (0)

/* Market data handled per loop pass, bounded so that the gateway is polled in between: BBO
 * events of the shm source, packets of the udp source. */
#define SHM_BUDGET 256
#define UDP_BUDGET 64
/* how long start-up waits for the order session before trading without it */
#define SESSION_WAIT_MS 5000
/* shm source: how often the feed handler's liveness is checked (md_shm_check: two system
 * calls), and, while it is gone, a new handler looked for */
#define MD_CHECK_NS (100ull * 1000000ull)
/* strategy thread: loop passes between two clock reads for that check (none per pass) */
#define MD_CHECK_PASSES 64

typedef struct {
    md_rx md;
    md_shm shm;
    int use_shm;
    strategy st;
    tp_spsc ring;
    int threaded;
    tp_gw *gw;
    int spin;
    int cpu, prio;
    volatile int done;
    /* shm source, written by the thread that reads the ring (md_watch) */
    int md_detached;       /* the handler is gone: no market data, no orders */
    uint64_t md_next_check;
    uint64_t md_detach, md_reattach;
} app;

static void apply_req(tp_gw *g, const tp_gw_req *r)
{
    if (r->kind == 'Q') {
        tp_gw_set_bbo(g, r->sym, r->shares, r->price);
        return;
    }
    int why;
    tp_gw_submit(g, r, tp_rt_now_ns(), &why);
}

static int book_name(const void *ctx, uint16_t locate, char name[8])
{
    return tp_book_symbol(ctx, locate, name);
}

static int shm_name(const void *ctx, uint16_t locate, char name[8])
{
    return md_shm_symbol(ctx, locate, name);
}

static void hand_over(app *a, const tp_gw_req *out, int n)
{
    for (int i = 0; i < n; i++) {
        if (!a->threaded) {
            apply_req(a->gw, &out[i]);
            continue;
        }
        tp_gw_req *slot = tp_spsc_push_slot(&a->ring);
        if (!slot) {
            a->st.ring_full++;
            continue;
        }
        *slot = out[i];
        tp_spsc_push_commit(&a->ring);
    }
}

/* the orders of one packet (udp source) or of one poll of BBO events (shm source) leave in
 * one send() when the strategy and the gateway share the thread */
static void batch_begin(void *ctx)
{
    app *a = ctx;
    if (!a->threaded)
        tp_gw_batch_begin(a->gw);
}

static void batch_end(void *ctx)
{
    app *a = ctx;
    if (!a->threaded)
        tp_gw_batch_end(a->gw);
}

/* udp source: the strategy's own book calls this after a message changed a BBO */
static void on_bbo(void *ctx, uint16_t locate, const tp_bbo *bbo)
{
    app *a = ctx;
    tp_gw_req out[2];
    int n = strategy_on_bbo(&a->st, book_name, a->md.book, locate, bbo, a->md.cur_seq,
                            a->md.cur_itch_ts, a->md.t_rx, out);
    hand_over(a, out, n);
}

/* shm source: a BBO event of the feed handler; t_rx = its publish time (no ITCH time) */
static void on_shm_bbo(void *ctx, uint16_t locate, const tp_bbo *bbo, uint64_t seq,
                       uint64_t t_pub)
{
    app *a = ctx;
    tp_gw_req out[2];
    int n = strategy_on_bbo(&a->st, shm_name, &a->shm, locate, bbo, seq, 0, t_pub, out);
    hand_over(a, out, n);
}

/* Market data available now: handled (> 0) or none (0). */
static int md_poll(app *a)
{
    int n;
    uint64_t restarts = a->use_shm ? a->shm.st.restarts : a->md.restarts;
    if (a->use_shm) {
        if (a->md_detached)
            return 0;
        batch_begin(a);
        n = md_shm_poll(&a->shm, on_shm_bbo, a, SHM_BUDGET);
        batch_end(a);
    } else {
        n = md_rx_poll(&a->md, UDP_BUDGET);
    }
    /* the market-data stream restarted (exchange restart): stock locates are the new
     * stream's, so the symbol is looked up again */
    if ((a->use_shm ? a->shm.st.restarts : a->md.restarts) != restarts)
        a->st.locate = -1;
    return n;
}

/* shm source, every MD_CHECK_NS: is the feed handler still there (md_shm_check)? When it
 * is gone the strategy detaches: it reads nothing and so decides nothing -- no order on the
 * last BBO it saw, as with stale books -- until a new handler runs on shm.name; then it
 * reattaches, reading from the new segment's current event, and resolves its symbol's locate
 * again from the new handler's book. Called only by the thread that reads the ring. */
static void md_watch(app *a, uint64_t now)
{
    if (now < a->md_next_check)
        return;
    a->md_next_check = now + MD_CHECK_NS;
    char why[256];
    if (!a->md_detached) {
        if (md_shm_check(&a->shm, now, why, sizeof why) == 0)
            return;
        a->md_detached = 1;
        a->md_detach++;
        fprintf(stderr, "tickpath-strategy: feed handler gone: %s; detached, not trading until "
                        "a feed handler runs on shm.name=%s again\n", why, a->shm.name);
        return;
    }
    if (md_shm_reattach(&a->shm, now, why, sizeof why) != 0)
        return;
    a->md_detached = 0;
    a->md_reattach++;
    a->st.locate = -1;
    a->st.last_bid = a->st.last_ask = 0;
    fprintf(stderr, "tickpath-strategy: reattached to %s (feed handler pid %llu)\n", a->shm.path,
            (unsigned long long)a->shm.hdr->pid);
}

/* The exchange refused the login (bad credentials): terminal, exit status 3. */
static int login_rejected(const tp_gw *g)
{
    fprintf(stderr, "tickpath-strategy: login rejected (reason %c)\n", g->soup.reject_reason);
    return 3;
}

static void pin(int cpu, int prio)
{
    if (cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        pthread_setaffinity_np(pthread_self(), sizeof set, &set);
    }
    if (prio > 0) {
        struct sched_param sp = {.sched_priority = prio};
        pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
    }
}

static void *strategy_thread(void *arg)
{
    app *a = arg;
    pin(a->cpu, a->prio);
    unsigned pass = 0;
    while (!tp_sig_stop && !a->done) {
        if (a->use_shm && ++pass % MD_CHECK_PASSES == 0)
            md_watch(a, tp_rt_now_ns());
        if (!md_poll(a) && !a->spin) {
            if (a->use_shm) {
                usleep(20); /* nothing to wait on: the ring has no file descriptor */
            } else {
                struct pollfd pf = {.fd = a->md.fd, .events = POLLIN};
                poll(&pf, 1, 5);
            }
        }
    }
    return NULL;
}

typedef struct {
    const char *mode;
    uint64_t loop_faults, lock_ms;
    int at_exit; /* 0: a SIGUSR2 snapshot while running */
} stats_meta;

/* stats_json, written whole or not at all (PATH.tmp renamed over PATH): at exit and on
 * SIGUSR2. 0, or -1 with errno. */
static int write_stats(const app *a, const tp_gw *g, const char *path, const stats_meta *sm)
{
    tp_out_whole w;
    FILE *f = tp_out_whole_begin(&w, path, TP_OUT_MODE);
    if (!f)
        return -1;
    fprintf(f, "{\"strategy\": {\"mode\": \"%s\", \"bbo_changes\": %llu, \"orders\": %llu, "
            "\"ring_full\": %llu, \"threads\": %d, \"md\": {\"packets\": %llu, "
            "\"messages\": %llu, \"gaps\": %llu, \"dups\": %llu, \"bad_packets\": %llu, "
            "\"heartbeats\": %llu, \"wrong_session\": %llu, \"seq_jumps\": %llu, "
            "\"session_changes\": %llu, \"seq_resets\": %llu}, \"source\": \"%s\", "
            "\"shm\": {\"events\": %llu, "
            "\"bbo\": %llu, \"trades\": %llu, \"stale\": %llu, \"fresh\": %llu, "
            "\"restarts\": %llu, \"lapped\": %llu, \"lost\": %llu, \"retries\": %llu}, "
            "\"md_detach\": %llu, \"md_reattach\": %llu, \"md_detached\": %s, "
            "\"loop_page_faults\": %llu, \"mlock_ms\": %llu, \"at_exit\": %s, "
            "\"written_ns\": %llu},\n \"gateway\": ",
            sm->mode, (unsigned long long)a->st.bbo_changes, (unsigned long long)a->st.orders,
            (unsigned long long)a->st.ring_full, a->threaded,
            (unsigned long long)a->md.st.packets, (unsigned long long)a->md.st.messages,
            (unsigned long long)a->md.st.gaps, (unsigned long long)a->md.st.dups,
            (unsigned long long)a->md.st.bad_packets, (unsigned long long)a->md.st.heartbeats,
            (unsigned long long)a->md.st.wrong_session, (unsigned long long)a->md.st.seq_jumps,
            (unsigned long long)a->md.st.session_changes, (unsigned long long)a->md.st.seq_resets,
            a->use_shm ? "shm" : "udp", (unsigned long long)a->shm.st.events,
            (unsigned long long)a->shm.st.bbo, (unsigned long long)a->shm.st.trades,
            (unsigned long long)a->shm.st.stale, (unsigned long long)a->shm.st.fresh,
            (unsigned long long)a->shm.st.restarts, (unsigned long long)a->shm.st.lapped, (unsigned long long)a->shm.st.lost,
            (unsigned long long)a->shm.st.retries, (unsigned long long)a->md_detach,
            (unsigned long long)a->md_reattach, a->md_detached ? "true" : "false",
            (unsigned long long)sm->loop_faults, (unsigned long long)sm->lock_ms,
            sm->at_exit ? "true" : "false", (unsigned long long)tp_rt_now_ns());
    tp_gw_write_stats(g, f);
    fputs("}\n", f);
    return tp_out_whole_end(&w, 1);
}

static uint64_t faults_since(const struct rusage *ru0)
{
    struct rusage ru1;
    getrusage(RUSAGE_SELF, &ru1);
    return (uint64_t)(ru1.ru_minflt - ru0->ru_minflt + ru1.ru_majflt - ru0->ru_majflt);
}

static int symbol_index(const tp_gw_cfg *gc, const char *sym)
{
    char padded[8];
    memset(padded, ' ', 8);
    memcpy(padded, sym, strlen(sym));
    for (uint32_t i = 0; i < gc->n_symbols; i++)
        if (!memcmp(gc->symbols[i], padded, 8))
            return (int)i;
    return -1;
}

int main(int argc, char **argv)
{
    /* from the start: a signal during start-up is acted on by the loop (common/signals.h) */
    tp_signals_install(0);
    static tp_kv_key keys[TP_KV_MAX];
    static tp_kvconf cfg;
    tp_kv_init(&cfg, keys, strategy_config_keys(keys, TP_KV_MAX));
    tp_kv_set(&cfg, "events", "0", NULL, 0);
    char err[512];
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'}, {"set", required_argument, NULL, 's'},
        {"duration", required_argument, NULL, 'd'}, {"stats-json", required_argument, NULL, 'j'},
        {"check-config", no_argument, NULL, 'C'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c, check_only = 0;
    while ((c = getopt_long(argc, argv, "c:s:d:j:h", opts, NULL)) != -1) {
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
        case 'C': check_only = 1; break;
        case 'h':
            fputs("usage: tickpath-strategy [--config FILE] [--set key=value]... [--duration S] "
                  "[--stats-json FILE] [--check-config]\n(--check-config validates the keys and "
                  "exits 0/2 without connecting, attaching or reading the password)\n", stderr);
            return 0;
        default: return 2;
        }
    }
    if (optind != argc)
        DIE("unexpected argument '%s'", argv[optind]);
    static tp_gw_cfg gc;
    static strategy_cfg sc;
    if (tp_gw_config_header(&cfg, "strategy", err, sizeof err) != 0 ||
        strategy_config_parse(&cfg, &sc, err, sizeof err) != 0 ||
        tp_gw_config_build(&cfg, !check_only, &gc, err, sizeof err) != 0)
        DIE("config: %s", err);
    int gsym = symbol_index(&gc, sc.symbol);
    if (gsym < 0)
        DIE("config: strategy.symbol: %s is not in symbols", sc.symbol);
    if (check_only) {
        char src[TP_KV_VAL + 8];
        tp_gw_config_password_source(&cfg, src, sizeof src);
        char fields[128];
        tp_gw_config_order_fields(&gc, fields, sizeof fields);
        printf("config ok: program=strategy mode=%s source=%s symbol=%s threads=%d ouch=%s:%u "
               "user=%s password=%s %s\n", tp_kv_str(&cfg, "strategy.mode"),
               tp_kv_str(&cfg, "strategy.source"), sc.symbol, sc.threads, gc.soup.host,
               gc.soup.port, gc.soup.username, src, fields);
        return 0;
    }
    gc.out = stdout;
    static app a;
    memset(&a.st, 0, sizeof a.st);
    const char *mode = tp_kv_str(&cfg, "strategy.mode");
    a.st.mode = sc.mode;
    memset(a.st.symbol, ' ', 8);
    memcpy(a.st.symbol, sc.symbol, strlen(sc.symbol));
    a.st.locate = -1;
    a.st.size = sc.size;
    a.st.every = sc.every;
    a.st.max_orders = sc.max_orders;
    a.st.buy_below = sc.buy_below_e4;
    a.st.sell_above = sc.sell_above_e4;
    a.threaded = sc.threads;
    a.cpu = sc.cpu;
    a.prio = sc.rt_priority;
    uint64_t dur, spin;
    int64_t cpu, prio;
    if (tp_kv_u64(&cfg, "duration_s", 86400 * 7, &dur, err, sizeof err) ||
        tp_kv_u64(&cfg, "spin", 1, &spin, err, sizeof err) ||
        tp_kv_i64(&cfg, "cpu", &cpu, err, sizeof err) ||
        tp_kv_i64(&cfg, "rt_priority", &prio, err, sizeof err))
        DIE("%s", err);
    a.spin = (int)spin;
    static tp_gw g;
    if (tp_gw_init(&g, &gc, err, sizeof err) != 0)
        DIE("%s", err);
    memset(&gc.soup.password, 0, sizeof gc.soup.password);
    a.st.sym = (uint16_t)gsym;
    a.gw = &g;
    a.md.fd = -1;
    a.use_shm = sc.source == STRAT_SRC_SHM;
    if (a.use_shm) {
        if (md_shm_open(&a.shm, sc.shm_name, err, sizeof err) != 0)
            DIE("strategy.source=shm: %s", err);
    } else if (md_rx_open(&a.md, sc.md_addr, sc.md_port, sc.md_iface_addr, on_bbo, &a, err,
                          sizeof err) != 0) {
        DIE("%s", err);
    }
    a.md.pkt_begin = batch_begin;
    a.md.pkt_end = batch_end;
    a.md.pkt_ctx = &a;
    /* the strategy -> gateway ring: allocated once here, never on the hot path */
    tp_gw_req *slots = calloc(sc.ring_size, sizeof *slots);
    if (!slots || tp_spsc_init(&a.ring, slots, sc.ring_size, sizeof(tp_gw_req)) != 0)
        DIE("ring.size %u: cannot allocate the strategy -> gateway ring", sc.ring_size);
    pin((int)cpu, (int)prio);
    /* No page fault on the hot path: the book, the gateway's tables and buffers and the ring
     * are faulted in and locked now, after they were allocated (so that their huge-page advice
     * holds; common/huge_alloc.h) and before market data is received (so that no packet
     * waits for it). A first touch in the loop cost 50-130 us on this VM. Without
     * RLIMIT_MEMLOCK the run goes on, with faults (stats: strategy.loop_page_faults). */
    uint64_t t_lock = tp_rt_now_ns();
    if (mlockall(MCL_CURRENT | MCL_FUTURE) != 0)
        fprintf(stderr, "tickpath-strategy: mlockall: %s (continuing)\n", strerror(errno));
    uint64_t lock_ms = (tp_rt_now_ns() - t_lock) / 1000000u;
    /* Log in before reading market data: a decision taken while the session is still coming
     * up could only be refused. After SESSION_WAIT_MS the loop starts anyway (the gateway
     * keeps reconnecting; orders are refused as session_down until it is up). */
    uint64_t wait_end = tp_rt_now_ns() + SESSION_WAIT_MS * 1000000ull;
    for (;;) {
        uint64_t now = tp_rt_now_ns();
        tp_soup_cli_state s = tp_gw_poll(&g, now);
        /* a rejection is terminal: the loop below reports it, with the stats */
        if (s == TP_SOUP_CLI_UP || s == TP_SOUP_CLI_REJECTED)
            break;
        if (now >= wait_end || tp_sig_stop) {
            fprintf(stderr, "tickpath-strategy: order session not up after %d ms; trading "
                            "starts without it (orders are refused until it is)\n", SESSION_WAIT_MS);
            break;
        }
        usleep(1000);
    }
    if (!a.use_shm && md_rx_start(&a.md, err, sizeof err) != 0)
        DIE("%s", err);
    pthread_t th;
    if (a.threaded && pthread_create(&th, NULL, strategy_thread, &a) != 0)
        DIE("pthread_create: %s", strerror(errno));
    /* counted from here: the strategy thread's stack was faulted in (locked) by its creation */
    struct rusage ru0;
    getrusage(RUSAGE_SELF, &ru0);
    uint64_t t0 = tp_rt_now_ns();
    uint64_t end = dur ? t0 + dur * 1000000000ull : UINT64_MAX;
    int rc = 0;
    const char *sj = tp_kv_str(&cfg, "stats_json");
    stats_meta sm = {.mode = mode, .lock_ms = lock_ms};
    while (!tp_sig_stop) {
        uint64_t now = tp_rt_now_ns();
        if (now >= end)
            break;
        if (tp_sig_stats) {
            tp_sig_stats = 0;
            sm.loop_faults = faults_since(&ru0);
            if (*sj && write_stats(&a, &g, sj, &sm) != 0)
                fprintf(stderr, "tickpath-strategy: %s: %s\n", sj, strerror(errno));
        }
        tp_signals_log_ignored("tickpath-strategy");
        int work = 0;
        if (a.threaded) {
            tp_gw_req *r;
            while ((r = tp_spsc_pop_slot(&a.ring))) {
                if (!work)
                    tp_gw_batch_begin(&g); /* what the ring holds now leaves in one send() */
                tp_gw_req copy = *r;
                tp_spsc_pop_commit(&a.ring);
                apply_req(&g, &copy);
                work = 1;
            }
            if (work)
                tp_gw_batch_end(&g);
        } else {
            work = md_poll(&a) > 0;
            if (a.use_shm)
                md_watch(&a, now);
        }
        tp_soup_cli_state s = tp_gw_poll(&g, now);
        if (s == TP_SOUP_CLI_REJECTED) {
            rc = login_rejected(&g);
            break;
        }
        if (a.md.ended && !a.threaded)
            break;
        if (!work && !a.spin) {
            struct pollfd pf[2];
            int np = 0;
            int wait_fd = !a.threaded && !a.use_shm;
            if (wait_fd)
                pf[np++] = (struct pollfd){.fd = a.md.fd, .events = POLLIN};
            if (g.soup.io.fd >= 0)
                pf[np++] = (struct pollfd){.fd = g.soup.io.fd, .events = POLLIN};
            poll(pf, (nfds_t)np, wait_fd ? 5 : 0);
            if (!wait_fd)
                usleep(a.threaded ? 50 : 20);
        }
    }
    a.done = 1;
    if (a.threaded)
        pthread_join(th, NULL);
    sm.loop_faults = faults_since(&ru0);
    for (int i = 0; i < 50 && g.soup.state == TP_SOUP_CLI_UP; i++) {
        tp_gw_poll(&g, tp_rt_now_ns());
        usleep(2000);
    }
    if (g.soup.state == TP_SOUP_CLI_UP)
        tp_soup_client_logout(&g.soup, tp_rt_now_ns());
    sm.at_exit = 1;
    if (*sj && write_stats(&a, &g, sj, &sm) != 0) {
        fprintf(stderr, "tickpath-strategy: %s: %s\n", sj, strerror(errno));
        rc = rc ? rc : 1;
    }
    md_rx_close(&a.md);
    if (a.use_shm)
        md_shm_close(&a.shm);
    tp_gw_free(&g);
    free(slots);
    return rc;
}
