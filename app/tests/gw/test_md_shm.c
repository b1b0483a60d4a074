/* The strategy's shared-memory source against a real segment made by the feed handler's own
 * writer (tp_shm_create / tp_shm_publish): events in order, lapping detected and counted
 * (never blocking the writer), and malformed / absent segments refused with a clear error. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "shm/shm.h"
#include "strategy/md_shm.h"
#include "check.h"

typedef struct {
    uint64_t n, last_seq, last_pub;
    uint16_t last_locate;
    uint32_t last_bid;
    int in_order;
} sink;

static void on_bbo(void *ctx, uint16_t locate, const tp_bbo *b, uint64_t seq, uint64_t t_pub)
{
    sink *s = ctx;
    if (s->n && seq != s->last_seq + 1)
        s->in_order = 0;
    s->n++;
    s->last_seq = seq;
    s->last_pub = t_pub;
    s->last_locate = locate;
    s->last_bid = b->bid_price;
}

static void publish(tp_shm *w, uint64_t seq, uint8_t type)
{
    tp_shm_event e;
    memset(&e, 0, sizeof e);
    e.mold_seq = seq;
    e.ts_ns = 1000 + seq;
    e.locate = 7;
    e.type = type;
    e.bid_price = (uint32_t)(1000000 + seq);
    e.ask_price = (uint32_t)(1000100 + seq);
    tp_shm_publish(w, &e);
}

/* --- a concurrent writer: the reader never sees a torn event, loses only by lapping ---- */
#define STRESS_EVENTS 300000u

typedef struct {
    uint64_t n, lost_order, torn;
    uint64_t last;
} stress_sink;

static void on_stress(void *ctx, uint16_t locate, const tp_bbo *b, uint64_t seq,
                      uint64_t t_pub)
{
    stress_sink *s = ctx;
    (void)locate;
    if (b->bid_price != (uint32_t)(1000000 + seq) || b->ask_price != (uint32_t)(1000100 + seq) ||
        t_pub != 1000 + seq)
        s->torn++;
    if (s->n && seq <= s->last)
        s->lost_order++;
    s->last = seq;
    s->n++;
}

static void *writer(void *arg)
{
    tp_shm *w = arg;
    for (uint64_t q = 1; q <= STRESS_EVENTS; q++)
        publish(w, q, TP_EV_BBO);
    return NULL;
}

static void stress(const char *name)
{
    char err[512];
    static tp_shm w;
    static md_shm m;
    CHECK(tp_shm_create(&w, name, 64, 0, 0, err, sizeof err) == 0);
    CHECK(md_shm_open(&m, name, err, sizeof err) == 0);
    stress_sink s = {0};
    pthread_t t;
    CHECK(pthread_create(&t, NULL, writer, &w) == 0);
    int done = 0;
    for (uint64_t spins = 0; spins < 4000000000ull; spins++) {
        md_shm_poll(&m, on_stress, &s, 7);
        if (!done && __atomic_load_n(&w.ring->write_idx, __ATOMIC_ACQUIRE) == STRESS_EVENTS) {
            pthread_join(t, NULL);
            done = 1;
        }
        if (done && m.r == STRESS_EVENTS)
            break;
    }
    CHECK(done);
    CHECK_EQ(m.r, STRESS_EVENTS);
    CHECK_EQ(s.torn, 0);
    CHECK_EQ(s.lost_order, 0);
    CHECK_EQ(s.n + m.st.lost, STRESS_EVENTS); /* every event either read once or counted lost */
    CHECK_EQ(s.n, m.st.bbo);
    printf("stress: read %llu, lost %llu in %llu laps, %llu retries\n", (unsigned long long)s.n,
           (unsigned long long)m.st.lost, (unsigned long long)m.st.lapped,
           (unsigned long long)m.st.retries);
    md_shm_close(&m);
    tp_shm_close(&w, 1);
}

/* --- liveness: a handler gone in each of the ways md_shm_check knows, and a reattach ------- */
static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void liveness(const char *name)
{
    char err[512], why[256];
    static tp_shm w, w2;
    static md_shm m;
    CHECK(tp_shm_create(&w, name, 64, 0, 0, err, sizeof err) == 0);
    CHECK(md_shm_open(&m, name, err, sizeof err) == 0);
    /* starting (INIT, no heartbeat yet), then running with a fresh heartbeat: live */
    CHECK_EQ(md_shm_check(&m, now_ns(), why, sizeof why), 0);
    w.hdr->heartbeat_ns = now_ns();
    __atomic_store_n(&w.hdr->state, TP_STATE_RUNNING, __ATOMIC_RELEASE);
    CHECK_EQ(md_shm_check(&m, now_ns(), why, sizeof why), 0);
    /* a heartbeat written after the caller read its clock is not "old" */
    CHECK_EQ(md_shm_check(&m, w.hdr->heartbeat_ns - 1000, why, sizeof why), 0);

    /* the heartbeat stopped */
    uint64_t hb = w.hdr->heartbeat_ns;
    CHECK_EQ(md_shm_check(&m, hb + MD_SHM_HEARTBEAT_MAX_NS + 1, why, sizeof why), 1);
    CHECK(strstr(why, "heartbeat is 2.0 s old") != NULL);
    CHECK_EQ(md_shm_check(&m, hb + MD_SHM_HEARTBEAT_MAX_NS, why, sizeof why), 0);

    /* killed: state still RUNNING, its pid gone (a child that exited and was reaped) */
    uint64_t me = w.hdr->pid;
    pid_t child = fork();
    if (child == 0)
        _exit(0);
    CHECK(child > 0 && waitpid(child, NULL, 0) == child);
    w.hdr->pid = (uint64_t)child;
    CHECK_EQ(md_shm_check(&m, now_ns(), why, sizeof why), 1);
    CHECK(strstr(why, "does not exist") != NULL);
    w.hdr->pid = me;

    /* stopped */
    __atomic_store_n(&w.hdr->state, TP_STATE_STOPPED, __ATOMIC_RELEASE);
    CHECK_EQ(md_shm_check(&m, now_ns(), why, sizeof why), 1);
    CHECK(strstr(why, "stopped") != NULL);
    __atomic_store_n(&w.hdr->state, TP_STATE_RUNNING, __ATOMIC_RELEASE);
    CHECK_EQ(md_shm_check(&m, now_ns(), why, sizeof why), 0);

    /* a new handler replaced the file: the old mapping says RUNNING, the path is another file */
    m.st.bbo = 17; /* carried over by the reattach */
    CHECK(tp_shm_create(&w2, name, 64, 0, 0, err, sizeof err) == 0);
    CHECK_EQ(md_shm_check(&m, now_ns(), why, sizeof why), 1);
    CHECK(strstr(why, "replaced") != NULL);
    /* not reattached while it starts (INIT), nor to a running segment whose pid is gone */
    CHECK_EQ(md_shm_reattach(&m, now_ns(), why, sizeof why), 1);
    CHECK(strstr(why, "still starting") != NULL);
    w2.hdr->heartbeat_ns = now_ns();
    w2.hdr->pid = (uint64_t)child;
    __atomic_store_n(&w2.hdr->state, TP_STATE_RUNNING, __ATOMIC_RELEASE);
    CHECK_EQ(md_shm_reattach(&m, now_ns(), why, sizeof why), 1);
    CHECK(strstr(why, "does not exist") != NULL);
    w2.hdr->pid = me;
    for (uint64_t q = 1; q <= 5; q++)
        publish(&w2, q, TP_EV_BBO); /* before the reattach: not replayed */
    CHECK_EQ(md_shm_reattach(&m, now_ns(), why, sizeof why), 0);
    CHECK_EQ(md_shm_check(&m, now_ns(), why, sizeof why), 0);
    CHECK_EQ(m.st.bbo, 17);
    CHECK_EQ(m.r, 5);
    sink s = {.in_order = 1};
    CHECK_EQ(md_shm_poll(&m, on_bbo, &s, 100), 0);
    publish(&w2, 6, TP_EV_BBO);
    CHECK_EQ(md_shm_poll(&m, on_bbo, &s, 100), 1);
    CHECK_EQ(s.last_seq, 6);
    CHECK_EQ(m.st.bbo, 18);

    /* the file unlinked (a handler starting again removes the old one first) */
    CHECK(unlink(w2.path) == 0);
    CHECK_EQ(md_shm_check(&m, now_ns(), why, sizeof why), 1);
    CHECK(strstr(why, "file is gone") != NULL);
    CHECK_EQ(md_shm_reattach(&m, now_ns(), why, sizeof why), 1);
    CHECK(strstr(why, "is tickpath-fh running") != NULL);
    md_shm_close(&m);
    tp_shm_close(&w, 1);
    tp_shm_close(&w2, 0);
}

int main(void)
{
    char name[64], err[512], path[128];
    snprintf(name, sizeof name, "test-md-shm-%d", (int)getpid());
    snprintf(path, sizeof path, "/dev/shm/tickpath-%s", name);
    static md_shm m;
    /* absent */
    CHECK(md_shm_open(&m, name, err, sizeof err) != 0);
    CHECK(strstr(err, "is tickpath-fh running") != NULL);

    static tp_shm w;
    CHECK(tp_shm_create(&w, name, 64, 0, 0, err, sizeof err) == 0);
    publish(&w, 1, TP_EV_BBO); /* before the reader attaches: not replayed */
    CHECK(md_shm_open(&m, name, err, sizeof err) == 0);
    sink s = {.in_order = 1};
    CHECK_EQ(md_shm_poll(&m, on_bbo, &s, 1000), 0);

    /* in order, trades and stale/fresh markers counted, not handed to the strategy */
    for (uint64_t q = 2; q <= 41; q++)
        publish(&w, q, TP_EV_BBO);
    publish(&w, 42, TP_EV_TRADE);
    publish(&w, 43, TP_EV_STALE);
    CHECK_EQ(md_shm_poll(&m, on_bbo, &s, 10), 10); /* bounded by the budget */
    CHECK_EQ(md_shm_poll(&m, on_bbo, &s, 1000), 32);
    CHECK_EQ(s.n, 40);
    CHECK(s.in_order);
    CHECK_EQ(s.last_seq, 41);
    CHECK_EQ(s.last_pub, 1041);
    CHECK_EQ(s.last_locate, 7);
    CHECK_EQ(s.last_bid, 1000041);
    CHECK_EQ(m.st.trades, 1);
    CHECK_EQ(m.st.stale, 1);
    CHECK(m.books_stale);
    CHECK_EQ(m.st.lapped, 0);
    publish(&w, 44, TP_EV_FRESH);
    CHECK_EQ(md_shm_poll(&m, on_bbo, &s, 1000), 1);
    CHECK(!m.books_stale);

    /* the writer laps the reader: 64 slots, 200 events unread -> the oldest 136 are lost,
     * the reader continues at write_idx - cap and reads the 64 still there, in order */
    uint64_t before = s.n;
    for (uint64_t q = 1000; q < 1200; q++)
        publish(&w, q, TP_EV_BBO);
    s.in_order = 1;
    s.n = 0;
    CHECK_EQ(md_shm_poll(&m, on_bbo, &s, 1000), 64);
    CHECK_EQ(m.st.lapped, 1);
    CHECK_EQ(m.st.lost, 136);
    CHECK_EQ(s.n, 64);
    CHECK(s.in_order);
    CHECK_EQ(s.last_seq, 1199);
    (void)before;

    /* lapped by exactly one event (slot r holds r + 64) -> skip to the oldest still there */
    publish(&w, 2000, TP_EV_BBO);                  /* index r (unread) */
    uint64_t r = m.r;
    for (uint64_t q = 2001; q < 2001 + 64; q++)    /* overwrites slot r with r + 64 */
        publish(&w, q, TP_EV_BBO);
    s.n = 0;
    md_shm_poll(&m, on_bbo, &s, 1000);
    CHECK_EQ(m.st.lapped, 2);
    CHECK_EQ(m.st.lost, 136 + 1);
    CHECK_EQ(m.r, r + 65);
    CHECK_EQ(s.n, 64);

    /* the handler stops: the state is visible to the reader */
    __atomic_store_n(&w.hdr->state, TP_STATE_STOPPED, __ATOMIC_RELEASE);
    CHECK_EQ(md_shm_state(&m), TP_STATE_STOPPED);
    md_shm_close(&m);
    CHECK(md_shm_open(&m, name, err, sizeof err) != 0);
    CHECK(strstr(err, "feed handler has stopped") != NULL);
    __atomic_store_n(&w.hdr->state, TP_STATE_RUNNING, __ATOMIC_RELEASE);

    /* malformed: a bad magic, then a truncated file */
    uint64_t magic = w.hdr->magic;
    w.hdr->magic = 0x1234;
    CHECK(md_shm_open(&m, name, err, sizeof err) != 0);
    CHECK(strstr(err, "bad magic") != NULL);
    w.hdr->magic = magic;
    w.hdr->events_cap = 1ull << 30; /* a ring that cannot fit the file */
    CHECK(md_shm_open(&m, name, err, sizeof err) != 0);
    CHECK(strstr(err, "event ring does not fit") != NULL);
    w.hdr->events_cap = 64;
    CHECK(md_shm_open(&m, name, err, sizeof err) == 0);
    md_shm_close(&m);
    CHECK(truncate(path, 8192) == 0);
    CHECK(md_shm_open(&m, name, err, sizeof err) != 0);
    CHECK(strstr(err, "does not match the file") != NULL);
    tp_shm_close(&w, 1);
    stress(name);
    liveness(name);
    return tp_check_done("test_md_shm");
}
