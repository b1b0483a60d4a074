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
#include <unistd.h>

#include "gw/gw.h"
#include "gw/gw_config.h"
#include "ring/spsc.h"
#include "soup/rtclock.h"
#include "strategy/md_rx.h"
#include "strategy/strategy.h"

#define DIE(...) do { fprintf(stderr, "tickpath-strategy: " __VA_ARGS__); fputc('\n', stderr); exit(2); } while (0)

static volatile sig_atomic_t g_stop;
static void on_stop(int s) { (void)s; g_stop = 1; }

typedef struct {
    md_rx md;
    strategy st;
    tp_spsc ring;
    int threaded;
    tp_gw *gw;
    int spin;
    int cpu, prio;
    volatile int done;
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

static void on_bbo(void *ctx, uint16_t locate, const tp_bbo *bbo)
{
    app *a = ctx;
    tp_gw_req out[2];
    int n = strategy_on_bbo(&a->st, a->md.book, locate, bbo, a->md.cur_seq, a->md.cur_itch_ts,
                            a->md.t_rx, out);
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
    while (!g_stop && !a->done) {
        if (!md_rx_poll(&a->md) && !a->spin) {
            struct pollfd pf = {.fd = a->md.fd, .events = POLLIN};
            poll(&pf, 1, 5);
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    static tp_kvconf cfg;
    tp_kv_init(&cfg, TP_GW_KEYS, TP_GW_N_KEYS);
    tp_kv_set(&cfg, "events", "0", NULL, 0);
    char err[512];
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'}, {"set", required_argument, NULL, 's'},
        {"duration", required_argument, NULL, 'd'}, {"stats-json", required_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };
    int c;
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
        case 'h':
            fputs("usage: tickpath-strategy [--config FILE] [--set key=value]... [--duration S] "
                  "[--stats-json FILE]\n", stderr);
            return 0;
        default: return 2;
        }
    }
    static tp_gw_cfg gc;
    if (tp_gw_config_build(&cfg, &gc, err, sizeof err) != 0)
        DIE("%s", err);
    gc.out = stdout;
    static app a;
    memset(&a.st, 0, sizeof a.st);
    const char *mode = tp_kv_str(&cfg, "strategy.mode");
    if (!strcmp(mode, "take"))
        a.st.mode = STRAT_TAKE;
    else if (!strcmp(mode, "ping"))
        a.st.mode = STRAT_PING;
    else
        DIE("strategy.mode: '%s' is not take|ping", mode);
    const char *src = tp_kv_str(&cfg, "strategy.source");
    if (strcmp(src, "udp") != 0)
        DIE("strategy.source: '%s' not supported yet (udp only; shm:NAME is planned)", src);
    const char *sym = tp_kv_str(&cfg, "strategy.symbol");
    if (!*sym || strlen(sym) > 8)
        DIE("strategy.symbol: 1..8 characters");
    memset(a.st.symbol, ' ', 8);
    memcpy(a.st.symbol, sym, strlen(sym));
    a.st.locate = -1;
    uint64_t v;
#define U(k, max, dst) do { if (tp_kv_u64(&cfg, k, max, &v, err, sizeof err)) DIE("%s", err); dst = v; } while (0)
    U("strategy.size", 1000000, a.st.size);
    U("strategy.every", 1000000, a.st.every);
    U("strategy.max_orders", UINT64_MAX, a.st.max_orders);
    U("strategy.threads", 1, a.threaded);
    U("spin", 1, a.spin);
    uint64_t dur, md_port;
    U("duration_s", 86400 * 7, dur);
    U("strategy.md_port", 65535, md_port);
    if (!a.st.every)
        a.st.every = 1;
    if (tp_kv_parse_price(tp_kv_str(&cfg, "strategy.buy_below"), &a.st.buy_below) ||
        tp_kv_parse_price(tp_kv_str(&cfg, "strategy.sell_above"), &a.st.sell_above))
        DIE("strategy.buy_below / sell_above: prices in dollars");
    int64_t cpu, prio, scpu, sprio;
    if (tp_kv_i64(&cfg, "cpu", &cpu, err, sizeof err) ||
        tp_kv_i64(&cfg, "rt_priority", &prio, err, sizeof err) ||
        tp_kv_i64(&cfg, "strategy.cpu", &scpu, err, sizeof err) ||
        tp_kv_i64(&cfg, "strategy.rt_priority", &sprio, err, sizeof err))
        DIE("%s", err);
    static tp_gw g;
    if (tp_gw_init(&g, &gc, err, sizeof err) != 0)
        DIE("%s", err);
    int gsym = tp_gw_sym(&g, sym);
    if (gsym < 0)
        DIE("strategy.symbol %s is not in symbols", sym);
    a.st.sym = (uint16_t)gsym;
    a.gw = &g;
    a.cpu = (int)scpu;
    a.prio = (int)sprio;
    if (md_rx_open(&a.md, tp_kv_str(&cfg, "strategy.md_addr"), (uint16_t)md_port,
                   tp_kv_str(&cfg, "strategy.md_iface_addr"), on_bbo, &a, err, sizeof err) != 0)
        DIE("%s", err);
    static tp_gw_req slots[4096];
    tp_spsc_init(&a.ring, slots, 4096, sizeof(tp_gw_req));
    struct sigaction sa = {.sa_handler = on_stop};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    pin((int)cpu, (int)prio);
    pthread_t th;
    if (a.threaded && pthread_create(&th, NULL, strategy_thread, &a) != 0)
        DIE("pthread_create: %s", strerror(errno));
    uint64_t t0 = tp_rt_now_ns();
    uint64_t end = dur ? t0 + dur * 1000000000ull : UINT64_MAX;
    int rc = 0;
    while (!g_stop) {
        uint64_t now = tp_rt_now_ns();
        if (now >= end)
            break;
        int work = 0;
        if (a.threaded) {
            tp_gw_req *r;
            while ((r = tp_spsc_pop_slot(&a.ring))) {
                tp_gw_req copy = *r;
                tp_spsc_pop_commit(&a.ring);
                apply_req(&g, &copy);
                work = 1;
            }
        } else {
            work = md_rx_poll(&a.md) > 0;
        }
        tp_soup_cli_state s = tp_gw_poll(&g, now);
        if (s == TP_SOUP_CLI_REJECTED) {
            fprintf(stderr, "tickpath-strategy: login rejected (reason %c)\n", g.soup.reject_reason);
            rc = 3;
            break;
        }
        if (a.md.ended && !a.threaded)
            break;
        if (!work && !a.spin) {
            struct pollfd pf[2];
            int np = 0;
            if (!a.threaded)
                pf[np++] = (struct pollfd){.fd = a.md.fd, .events = POLLIN};
            if (g.soup.io.fd >= 0)
                pf[np++] = (struct pollfd){.fd = g.soup.io.fd, .events = POLLIN};
            poll(pf, (nfds_t)np, a.threaded ? 0 : 5);
            if (a.threaded)
                usleep(50);
        }
    }
    a.done = 1;
    if (a.threaded)
        pthread_join(th, NULL);
    for (int i = 0; i < 50 && g.soup.state == TP_SOUP_CLI_UP; i++) {
        tp_gw_poll(&g, tp_rt_now_ns());
        usleep(2000);
    }
    if (g.soup.state == TP_SOUP_CLI_UP)
        tp_soup_client_logout(&g.soup, tp_rt_now_ns());
    const char *sj = tp_kv_str(&cfg, "stats_json");
    if (*sj) {
        FILE *f = fopen(sj, "w");
        if (!f) {
            fprintf(stderr, "tickpath-strategy: %s: %s\n", sj, strerror(errno));
            rc = rc ? rc : 1;
        } else {
            fprintf(f, "{\"strategy\": {\"mode\": \"%s\", \"bbo_changes\": %llu, \"orders\": %llu, "
                    "\"ring_full\": %llu, \"threads\": %d, \"md\": {\"packets\": %llu, "
                    "\"messages\": %llu, \"gaps\": %llu, \"dups\": %llu, \"bad_packets\": %llu, "
                    "\"heartbeats\": %llu}},\n \"gateway\": ",
                    mode, (unsigned long long)a.st.bbo_changes, (unsigned long long)a.st.orders,
                    (unsigned long long)a.st.ring_full, a.threaded,
                    (unsigned long long)a.md.st.packets, (unsigned long long)a.md.st.messages,
                    (unsigned long long)a.md.st.gaps, (unsigned long long)a.md.st.dups,
                    (unsigned long long)a.md.st.bad_packets, (unsigned long long)a.md.st.heartbeats);
            tp_gw_write_stats(&g, f);
            fputs("}\n", f);
            fclose(f);
        }
    }
    md_rx_close(&a.md);
    tp_gw_free(&g);
    return rc;
}
