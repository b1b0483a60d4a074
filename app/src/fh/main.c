/* tickpath-fh: live MoldUDP64 / ITCH 5.0 feed handler (README.md). */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "book/book_json.h"
#include "common/outfile.h"
#include "common/signals.h"
#include "fh/engine.h"
#include "shm/describe.h"

void tp_engine_on_bbo(void *ctx, uint16_t locate, const tp_bbo *b);

static void usage(FILE *f)
{
    fputs("usage: tickpath-fh --config FILE [--set key=value]... [--book-json OUT]\n"
          "                   [--stats-json OUT] | --print-layout | --check-config\n"
          "Keys: see app/src/fh/README.md.\n",
          f);
}

static void *map_anon(size_t len)
{
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
                   -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static int pin(int cpu, int prio, const char *what)
{
    if (cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        int r = pthread_setaffinity_np(pthread_self(), sizeof set, &set);
        if (r) {
            fprintf(stderr, "tickpath-fh: pin %s to cpu %d: %s\n", what, cpu, strerror(r));
            return -1;
        }
    }
    if (prio > 0) {
        struct sched_param sp = {.sched_priority = prio};
        int r = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
        if (r) {
            fprintf(stderr, "tickpath-fh: SCHED_FIFO %d for %s: %s\n", prio, what, strerror(r));
            return -1;
        }
    }
    return 0;
}

/* --- run-to-completion: rx + book (+ publish) on one core ------------------------------- */

typedef struct {
    const tp_fh_config *cfg;
    tp_transport *t;
    tp_engine *e;
    uint64_t t0;          /* mono, when the loop started */
    uint64_t deadline_ns; /* mono; 0 = none */
    uint64_t end_seen_ns;
    volatile int stop;     /* set by the book stage (end of session, duration) */
    tp_spsc pkt_ring;
    volatile int rx_done;
} run_ctx;

static void write_stats_now(run_ctx *r);

static int should_stop(run_ctx *r, uint64_t now)
{
    if (tp_sig_stop)
        return 1;
    if (tp_sig_stats) {
        tp_sig_stats = 0;
        write_stats_now(r);
    }
    tp_signals_log_ignored("tickpath-fh");
    if (r->deadline_ns && now >= r->deadline_ns)
        return 1;
    tp_engine *e = r->e;
    if (r->cfg->expect_end_of_session && e->seq.ended) {
        if (tp_seq_done(&e->seq))
            return 1;
        if (!r->end_seen_ns)
            r->end_seen_ns = now;
        if (now - r->end_seen_ns > (uint64_t)r->cfg->linger_ms * 1000000ull)
            return 1; /* gave up on the last gap: reported as unrecovered */
    }
    return 0;
}

static int poll_timeout(const tp_engine *e)
{
    return (e->seq.gap_open || tp_engine_snap_fd(e) >= 0 || !e->seq.next) ? 1 : 50;
}

static void run_rtc(run_ctx *r)
{
    tp_rx_pkt pkts[TP_RX_BURST];
    tp_transport *t = r->t;
    tp_engine *e = r->e;
    uint64_t iter = 0;
    for (;;) {
        int n = t->rx(t, pkts, TP_RX_BURST, t->blocking ? poll_timeout(e) : -1);
        for (int i = 0; i < n; i++)
            tp_engine_packet(e, pkts[i].data, pkts[i].len, pkts[i].line, pkts[i].rx_ns);
        t->release(t);
        iter++;
        t->ctr->rx_polls++;
        if (!n)
            t->ctr->rx_empty_polls++;
        if (e->seq.gap_open || e->rr_count || !e->seq.next || tp_engine_snap_fd(e) >= 0 ||
            !(iter & 255) || t->blocking) {
            uint64_t now = tp_mono_ns();
            tp_engine_poll(e, now);
            if (!(iter & 255) || t->blocking) {
                e->shm->hdr->heartbeat_ns = tp_realtime_ns();
                if (should_stop(r, now))
                    return;
            }
        }
    }
}

/* --- pipeline: rx -> [ring] -> book -> [ring] -> publish, each on its own core ------------ */

#define PKT_SLOT 2048
typedef struct {
    uint64_t rx_ns;
    uint16_t len;
    uint8_t line;
    uint8_t pad_[5];
    uint8_t data[PKT_SLOT - 16];
} pkt_slot;

static void *rx_thread(void *arg)
{
    run_ctx *r = arg;
    pin(r->cfg->cpu_rx, r->cfg->rt_priority, "rx");
    tp_rx_pkt pkts[TP_RX_BURST];
    tp_transport *t = r->t;
    while (!r->stop && !tp_sig_stop) {
        int n = t->rx(t, pkts, TP_RX_BURST, t->blocking ? 10 : -1);
        for (int i = 0; i < n; i++) {
            pkt_slot *s;
            while (!(s = tp_spsc_push_slot(&r->pkt_ring)))
                t->ctr->ring_full++;
            uint16_t len = pkts[i].len < sizeof s->data ? pkts[i].len : (uint16_t)sizeof s->data;
            s->rx_ns = pkts[i].rx_ns;
            s->len = len;
            s->line = pkts[i].line;
            memcpy(s->data, pkts[i].data, len);
            tp_spsc_push_commit(&r->pkt_ring);
        }
        t->release(t);
    }
    r->rx_done = 1;
    return NULL;
}

typedef struct {
    tp_spsc *ring;
    tp_shm *shm;
    const tp_fh_config *cfg;
    volatile int *stop;
} pub_ctx;

static void *publish_thread(void *arg)
{
    pub_ctx *p = arg;
    pin(p->cfg->cpu_publish, 0, "publish");
    for (;;) {
        tp_shm_event *ev = tp_spsc_pop_slot(p->ring);
        if (!ev) {
            if (*p->stop)
                break;
            __builtin_ia32_pause();
            continue;
        }
        tp_shm_publish(p->shm, ev);
        tp_spsc_pop_commit(p->ring);
    }
    return NULL;
}

static void run_pipeline(run_ctx *r)
{
    tp_engine *e = r->e;
    pin(r->cfg->cpu_book, r->cfg->rt_priority, "book");
    uint64_t iter = 0;
    for (;;) {
        pkt_slot *s = tp_spsc_pop_slot(&r->pkt_ring);
        if (s) {
            tp_engine_packet(e, s->data, s->len, s->line, s->rx_ns);
            tp_spsc_pop_commit(&r->pkt_ring);
        }
        iter++;
        if (!s || e->seq.gap_open || !(iter & 255)) {
            uint64_t now = tp_mono_ns();
            tp_engine_poll(e, now);
            if (!(iter & 255) || !s) {
                e->shm->hdr->heartbeat_ns = tp_realtime_ns();
                if (should_stop(r, now))
                    break;
            }
        }
    }
    r->stop = 1;
}

/* --- exit statistics ---------------------------------------------------------------------- */

static void print_hist(FILE *f, const char *name, const tp_hist *h)
{
    fprintf(f, "\"%s\": {\"count\": %llu, \"min\": %llu, \"p50\": %llu, \"p90\": %llu, "
               "\"p99\": %llu, \"p999\": %llu, \"max\": %llu, \"mean\": %.1f}",
            name, (unsigned long long)h->count,
            (unsigned long long)(h->count ? h->min : 0),
            (unsigned long long)tp_hist_quantile(h, 0.50),
            (unsigned long long)tp_hist_quantile(h, 0.90),
            (unsigned long long)tp_hist_quantile(h, 0.99),
            (unsigned long long)tp_hist_quantile(h, 0.999), (unsigned long long)h->max,
            h->count ? (double)h->sum / (double)h->count : 0.0);
}

/* at_exit 0: a SIGUSR2 snapshot of a running handler. A file is written to PATH.tmp and
 * renamed over PATH, so a reader sees a whole document or the previous one. */
static int write_stats(const char *path, const tp_fh_config *c, tp_engine *e, double secs,
                       int at_exit)
{
    tp_out_whole w;
    int to_stdout = !strcmp(path, "-");
    FILE *f = to_stdout ? stdout : tp_out_whole_begin(&w, path, TP_OUT_MODE);
    if (!f) {
        fprintf(stderr, "tickpath-fh: %s.tmp: %s\n", path, strerror(errno));
        return -1;
    }
    const tp_seq *s = &e->seq;
    uint64_t unrec = s->high > s->next ? s->high - s->next : 0;
    fprintf(f, "{\"transport\": \"%s\", \"mode\": \"%s\", \"seconds\": %.3f, \"shm\": \"%s\", ",
            tp_transport_name(c->transport), c->pipeline ? "pipeline" : "rtc", secs,
            e->shm->path);
    fprintf(f, "\"at_exit\": %s, \"written_ns\": %llu, ", at_exit ? "true" : "false",
            (unsigned long long)tp_realtime_ns());
    fprintf(f, "\"feed_format\": \"%s\", \"snapshot\": {\"updates\": %llu, \"bad\": %llu}, ",
            c->feed_snapshot ? "snapshot" : "itch", (unsigned long long)e->snap_updates,
            (unsigned long long)e->snap_bad);
    fprintf(f, "\"next_seq\": %llu, \"high_seq\": %llu, \"ended\": %d, \"end_seq\": %llu, "
               "\"unrecovered\": %llu, \"complete\": %s, ",
            (unsigned long long)s->next, (unsigned long long)s->high, s->ended,
            (unsigned long long)s->end_seq, (unsigned long long)unrec,
            (s->ended && tp_seq_done(s)) ? "true" : "false");
    fprintf(f, "\"error\": \"%s\", \"counters\": {", e->last_error);
    tp_shm_print_counters(f, e->ctr);
    fprintf(f, "}, \"latency_ns\": {");
    print_hist(f, "rx_to_book", e->h_rx);
    fputs(", ", f);
    print_hist(f, "wire_to_book", e->h_wire);
    const tp_book_counters *bc = tp_book_stats(e->book);
    fprintf(f, "}, \"book\": {\"msgs\": %llu, \"unknown_order\": %llu, \"dup_order\": %llu, "
               "\"nomem\": %llu, \"live_orders\": %llu}}\n",
            (unsigned long long)bc->msgs, (unsigned long long)bc->unknown_order,
            (unsigned long long)bc->dup_order, (unsigned long long)bc->nomem,
            (unsigned long long)bc->live_orders);
    if (to_stdout)
        return fflush(f) == 0 ? 0 : -1;
    if (tp_out_whole_end(&w, 1) != 0) {
        fprintf(stderr, "tickpath-fh: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* SIGUSR2, from the book stage's housekeeping pass (the thread that owns the counters) */
static void write_stats_now(run_ctx *r)
{
    if (r->cfg->stats_json[0])
        write_stats(r->cfg->stats_json, r->cfg, r->e, (double)(tp_mono_ns() - r->t0) / 1e9, 0);
}

static int write_book(const char *path, const tp_book *book)
{
    tp_out_whole w;
    FILE *f = tp_out_whole_begin(&w, path, TP_OUT_MODE);
    if (!f) {
        fprintf(stderr, "tickpath-fh: %s.tmp: %s\n", path, strerror(errno));
        return -1;
    }
    int r = tp_book_write_json(book, f, NULL, 0);
    if (tp_out_whole_end(&w, r == 0) != 0) {
        fprintf(stderr, "tickpath-fh: cannot write %s\n", path);
        return -1;
    }
    return 0;
}

/* onload: re-exec under `onload --profile=<onload.profile>` with transport=kernel. onload looks a
 * name up in its profile directories and takes anything else as a file: the deploy role passes the
 * absolute path of the profile roles/onload installs. */
static void maybe_onload(tp_fh_config *c, int argc, char **argv)
{
    if (c->transport != TP_TR_ONLOAD)
        return;
    if (getenv("TICKPATH_FH_ONLOADED")) {
        c->transport = TP_TR_KERNEL; /* already accelerated: kernel socket API, Onload stack */
        return;
    }
    const char *onload = "/usr/bin/onload";
    if (access(onload, X_OK) != 0) {
        fprintf(stderr, "tickpath-fh: transport onload requested but onload is not installed\n");
        exit(2);
    }
    char **nargv = calloc((size_t)argc + 3, sizeof *nargv);
    if (!nargv)
        exit(1);
    nargv[0] = (char *)onload;
    static char profile[sizeof "--profile=" + sizeof c->onload_profile];
    snprintf(profile, sizeof profile, "--profile=%s", c->onload_profile);
    nargv[1] = profile;
    for (int i = 0; i < argc; i++)
        nargv[2 + i] = argv[i];
    setenv("TICKPATH_FH_ONLOADED", "1", 1);
    execv(onload, nargv);
    fprintf(stderr, "tickpath-fh: exec %s: %s\n", onload, strerror(errno));
    exit(1);
}

int main(int argc, char **argv)
{
    tp_fh_config cfg;
    tp_fh_config_defaults(&cfg);
    char err[512];
    int check_only = 0;
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},    {"set", required_argument, NULL, 's'},
        {"book-json", required_argument, NULL, 'b'}, {"stats-json", required_argument, NULL, 'j'},
        {"print-layout", no_argument, NULL, 'L'},     {"check-config", no_argument, NULL, 'C'},
        {"help", no_argument, NULL, 'h'},            {NULL, 0, NULL, 0},
    };
    int o;
    while ((o = getopt_long(argc, argv, "c:s:b:j:h", opts, NULL)) != -1) {
        switch (o) {
        case 'c':
            if (tp_fh_config_load(&cfg, optarg, err, sizeof err)) {
                fprintf(stderr, "tickpath-fh: %s\n", err);
                return 2;
            }
            break;
        case 's':
            if (tp_fh_config_set_kv(&cfg, optarg, err, sizeof err)) {
                fprintf(stderr, "tickpath-fh: --set %s\n", err);
                return 2;
            }
            break;
        case 'b':
            if (tp_fh_config_set(&cfg, "book_json", optarg, err, sizeof err)) {
                fprintf(stderr, "tickpath-fh: %s\n", err);
                return 2;
            }
            break;
        case 'j':
            if (tp_fh_config_set(&cfg, "stats_json", optarg, err, sizeof err)) {
                fprintf(stderr, "tickpath-fh: %s\n", err);
                return 2;
            }
            break;
        case 'L': tp_shm_print_layout(stdout); return 0;
        case 'C': check_only = 1; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    if (tp_fh_config_check(&cfg, err, sizeof err)) {
        fprintf(stderr, "tickpath-fh: config: %s\n", err);
        return 2;
    }
    if (cfg.transport == TP_TR_DPDK && !tp_transport_dpdk_available()) {
        fprintf(stderr, "tickpath-fh: transport dpdk requested but this build has no DPDK "
                        "(meson -Ddpdk=enabled with libdpdk-dev)\n");
        return 2;
    }
    if (check_only) {
        printf("config ok: transport=%s\n", tp_transport_name(cfg.transport));
        return 0;
    }
    maybe_onload(&cfg, argc, argv);

    tp_signals_install(0); /* common/signals.h; README "Signals" */

    tp_book_cfg bcfg = {.max_orders = cfg.book_max_orders, .max_levels = cfg.book_max_levels};
    size_t book_size = tp_book_mem_size(&bcfg);
    static tp_shm shm;
    if (tp_shm_create(&shm, cfg.shm_name, cfg.events, book_size, cfg.shm_hugepages, err,
                      sizeof err)) {
        fprintf(stderr, "tickpath-fh: shm: %s\n", err);
        return 1;
    }
    shm.hdr->transport = (uint32_t)cfg.transport;
    snprintf(shm.hdr->transport_name, sizeof shm.hdr->transport_name, "%s",
             tp_transport_name(cfg.transport));
    shm.hdr->start_realtime_ns = tp_realtime_ns();

    static tp_engine eng;
    tp_seq_slot *window = map_anon((size_t)cfg.window * sizeof(tp_seq_slot));
    tp_snapshot_client *snap = map_anon(sizeof(tp_snapshot_client));
    if (!window || !snap) {
        fprintf(stderr, "tickpath-fh: cannot allocate the reorder window\n");
        return 1;
    }
    snap->fd = -1;
    bcfg.on_bbo = tp_engine_on_bbo;
    bcfg.on_bbo_ctx = &eng;
    tp_book *book = tp_book_init_in(&bcfg, shm.book, book_size);
    if (!book) {
        fprintf(stderr, "tickpath-fh: cannot lay out the book in shared memory\n");
        return 1;
    }
    if (tp_engine_init(&eng, &cfg, &shm, book, window, snap, err, sizeof err)) {
        fprintf(stderr, "tickpath-fh: %s\n", err);
        return 1;
    }
    if (cfg.feed_snapshot &&
        !(eng.snap_books = map_anon((size_t)TP_BOOK_MAX_LOCATES * sizeof(tp_snap_levels)))) {
        fprintf(stderr, "tickpath-fh: cannot allocate the snapshot books\n");
        return 1;
    }
    tp_transport *t = NULL;
    switch (cfg.transport) {
    case TP_TR_KERNEL:
    case TP_TR_ONLOAD: t = tp_transport_kernel(&cfg, 0, shm.ctr, err, sizeof err); break;
    case TP_TR_KERNEL_BLOCKING: t = tp_transport_kernel(&cfg, 1, shm.ctr, err, sizeof err); break;
    case TP_TR_AFXDP: t = tp_transport_afxdp(&cfg, shm.ctr, err, sizeof err); break;
    case TP_TR_DPDK: t = tp_transport_dpdk(&cfg, shm.ctr, err, sizeof err); break;
    default: break;
    }
    if (!t) {
        fprintf(stderr, "tickpath-fh: transport %s: %s\n", tp_transport_name(cfg.transport), err);
        return 1;
    }
    if (t->blocking) {
        if (tp_engine_rr_fd(&eng) >= 0)
            t->watch_fd(t, tp_engine_rr_fd(&eng));
    }
    if (mlockall(MCL_CURRENT | MCL_FUTURE) != 0)
        fprintf(stderr, "tickpath-fh: mlockall: %s (continuing)\n", strerror(errno));

    static run_ctx rc;
    rc.cfg = &cfg;
    rc.t = t;
    rc.e = &eng;
    uint64_t t0 = tp_mono_ns();
    rc.t0 = t0;
    if (cfg.duration_s)
        rc.deadline_ns = t0 + (uint64_t)cfg.duration_s * 1000000000ull;
    /* a RUNNING handler always has a heartbeat: readers judge liveness by its age */
    shm.hdr->heartbeat_ns = tp_realtime_ns();
    __atomic_store_n(&shm.hdr->state, TP_STATE_RUNNING, __ATOMIC_RELEASE);
    fprintf(stderr, "tickpath-fh: %s/%s running, shm %s\n", tp_transport_name(cfg.transport),
            cfg.pipeline ? "pipeline" : "rtc", shm.path);

    int rc_exit = 0;
    if (!cfg.pipeline) {
        if (pin(cfg.cpu_rx >= 0 ? cfg.cpu_rx : cfg.cpu_book, cfg.rt_priority, "rx+book"))
            rc_exit = 1;
        else
            run_rtc(&rc);
    } else {
        uint64_t cap = cfg.ring_size;
        void *pkt_mem = map_anon(cap * PKT_SLOT);
        tp_spsc *ev_ring = map_anon(sizeof(tp_spsc));
        void *ev_mem = map_anon(cap * sizeof(tp_shm_event));
        if (!pkt_mem || !ev_ring || !ev_mem) {
            /* after RUNNING: through the exit path below (state STOPPED, stats) */
            fprintf(stderr, "tickpath-fh: cannot allocate the pipeline rings\n");
            rc_exit = 1;
            goto stopped;
        }
        tp_spsc_init(&rc.pkt_ring, pkt_mem, cap, PKT_SLOT);
        tp_spsc_init(ev_ring, ev_mem, cap, sizeof(tp_shm_event));
        eng.ev_ring = ev_ring;
        static volatile int pub_stop;
        static pub_ctx pc;
        pc.ring = ev_ring;
        pc.shm = &shm;
        pc.cfg = &cfg;
        pc.stop = &pub_stop;
        pthread_t rx_th, pub_th;
        pthread_create(&rx_th, NULL, rx_thread, &rc);
        pthread_create(&pub_th, NULL, publish_thread, &pc);
        run_pipeline(&rc);
        pthread_join(rx_th, NULL);
        pub_stop = 1;
        pthread_join(pub_th, NULL);
    }
stopped:;
    double secs = (double)(tp_mono_ns() - t0) / 1e9;
    t->close(t); /* detaches XDP programs */
    __atomic_store_n(&shm.hdr->state, TP_STATE_STOPPED, __ATOMIC_RELEASE);
    if (cfg.book_json[0] && write_book(cfg.book_json, book) != 0)
        rc_exit = 1;
    if (cfg.stats_json[0])
        write_stats(cfg.stats_json, &cfg, &eng, secs, 1);
    const tp_seq *s = &eng.seq;
    fprintf(stderr,
            "tickpath-fh: stopped after %.2f s: %llu messages (%llu recovered, %llu duplicates), "
            "%llu gaps, %llu re-requests, %llu snapshots, next_seq %llu, high_seq %llu\n",
            secs, (unsigned long long)s->c.applied, (unsigned long long)s->c.recovered,
            (unsigned long long)s->c.dup_msgs, (unsigned long long)s->c.gaps,
            (unsigned long long)eng.ctr->rerequests, (unsigned long long)eng.ctr->snapshots,
            (unsigned long long)s->next, (unsigned long long)s->high);
    tp_shm_close(&shm, 0);
    return rc_exit;
}
