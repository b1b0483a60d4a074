/* tickpath-bench-ring: one-way hop latency of the SPSC ring between two pinned threads.
 * The producer writes the TSC into a slot; the consumer subtracts it from its own TSC read on
 * pop. Messages are paced (one in flight at a time) so the number is a
 * hop latency, not a throughput: `ring_hop_ns` sends each message 1 us after the previous one
 * was consumed (the consumer is idle-spinning when it arrives, the market-data case), and
 * `ring_hop_b2b_ns` right after (the consumer is still leaving pop_commit, so the index and slot
 * lines are contended: ~2x slower on the Intel VM measured). Usage: tickpath-bench-ring [N] [cpu_producer cpu_consumer]
 * Prints a table (ns): p50 p90 p99 p99.9 max, the throughput of an unpaced run, and the
 * round trip through a second (echo) ring, whose half is a one-way hop on one clock. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "ring/spsc.h"
#include "shm/hist.h"

typedef struct {
    uint64_t t;
    uint64_t i;
    uint8_t pad[48];
} slot;

/* Every variable one side writes sits on its own cache line: `consumed` (written by the
 * consumer per message) sharing a line with `paced`/`n_msgs` (read by the producer per message)
 * made every hop pay an extra line transfer and capped the unpaced run at ~1 M/s. */
static tp_spsc ring, back;
static TP_ALIGNED_CL volatile int go;
static TP_ALIGNED_CL uint64_t n_msgs = 1000000;
static int cpu_p = 0, cpu_c = 1;
static int paced = 1, pingpong;
static uint64_t gap_tsc; /* paced: idle time between a message consumed and the next send */
static TP_ALIGNED_CL volatile uint64_t consumed;
static TP_ALIGNED_CL tp_hist hist;
static tp_hist rtt;

static inline uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The hop is stamped with the TSC (invariant, synchronised across vCPUs here: clocksource tsc),
 * converted to ns with a calibration against CLOCK_MONOTONIC: a clock_gettime() pair would
 * add ~40 ns to every sample. */
static double tsc_per_ns = 1.0;

static inline uint64_t tsc(void)
{
    return __builtin_ia32_rdtsc();
}

static void calibrate(void)
{
    uint64_t t0 = now_ns(), c0 = tsc();
    while (now_ns() - t0 < 50000000)
        ;
    uint64_t t1 = now_ns(), c1 = tsc();
    tsc_per_ns = (double)(c1 - c0) / (double)(t1 - t0);
}

static void pin(int cpu)
{
    cpu_set_t s;
    CPU_ZERO(&s);
    CPU_SET(cpu, &s);
    pthread_setaffinity_np(pthread_self(), sizeof s, &s);
}

static void *consumer(void *arg)
{
    (void)arg;
    pin(cpu_c);
    while (!go)
        ;
    const uint64_t n = n_msgs;
    if (pingpong) { /* echo each slot back on the second ring */
        for (uint64_t k = 0; k < n;) {
            slot *s = tp_spsc_pop_slot(&ring);
            if (!s)
                continue;
            slot *b;
            while (!(b = tp_spsc_push_slot(&back)))
                ;
            b->t = s->t;
            b->i = s->i;
            tp_spsc_pop_commit(&ring);
            tp_spsc_push_commit(&back);
            k++;
        }
        return NULL;
    }
    for (uint64_t k = 0; k < n;) {
        slot *s = tp_spsc_pop_slot(&ring);
        if (!s)
            continue;
        uint64_t t = tsc();
        if (paced)
            tp_hist_add(&hist, t > s->t ? (uint64_t)((double)(t - s->t) / tsc_per_ns) : 0);
        if (s->i != k) {
            fprintf(stderr, "order broken: got %llu want %llu\n", (unsigned long long)s->i,
                    (unsigned long long)k);
            exit(1);
        }
        tp_spsc_pop_commit(&ring);
        k++;
        if (paced)
            __atomic_store_n(&consumed, k, __ATOMIC_RELEASE);
    }
    return NULL;
}

/* Round trip through two rings (producer -> consumer -> producer), one clock: rtt/2 is a
 * one-way hop that needs no cross-vCPU clock agreement. */
static void run_pingpong(void)
{
    static slot mem[1024] TP_ALIGNED_CL, mem2[1024] TP_ALIGNED_CL;
    tp_spsc_init(&ring, mem, 1024, sizeof(slot));
    tp_spsc_init(&back, mem2, 1024, sizeof(slot));
    go = 0;
    pingpong = 1;
    pthread_t th;
    pthread_create(&th, NULL, consumer, NULL);
    pin(cpu_p);
    go = 1;
    const uint64_t n = n_msgs;
    for (uint64_t i = 0; i < n; i++) {
        slot *s;
        while (!(s = tp_spsc_push_slot(&ring)))
            ;
        s->i = i;
        uint64_t t0 = tsc();
        s->t = t0;
        tp_spsc_push_commit(&ring);
        slot *b;
        while (!(b = tp_spsc_pop_slot(&back)))
            ;
        uint64_t t1 = tsc();
        if (b->i != i) {
            fprintf(stderr, "order broken on the echo ring\n");
            exit(1);
        }
        tp_spsc_pop_commit(&back);
        tp_hist_add(&rtt, (uint64_t)((double)(t1 - t0) / tsc_per_ns));
    }
    pthread_join(th, NULL);
    pingpong = 0;
}

static double run(void)
{
    static slot mem[1024] TP_ALIGNED_CL;
    tp_spsc_init(&ring, mem, 1024, sizeof(slot));
    consumed = 0;
    go = 0;
    pthread_t th;
    pthread_create(&th, NULL, consumer, NULL);
    pin(cpu_p);
    go = 1;
    uint64_t t0 = now_ns();
    const uint64_t n = n_msgs;
    for (uint64_t i = 0; i < n; i++) {
        slot *s;
        while (!(s = tp_spsc_push_slot(&ring)))
            ;
        s->i = i;
        s->t = tsc();
        tp_spsc_push_commit(&ring);
        if (paced) {
            while (__atomic_load_n(&consumed, __ATOMIC_ACQUIRE) <= i)
                ;
            for (uint64_t until = tsc() + gap_tsc; gap_tsc && tsc() < until;)
                ;
        }
    }
    pthread_join(th, NULL);
    return (double)(now_ns() - t0) / 1e9;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        n_msgs = strtoull(argv[1], NULL, 0);
    if (argc > 3) {
        cpu_p = atoi(argv[2]);
        cpu_c = atoi(argv[3]);
    }
    if (!n_msgs)
        n_msgs = 1;
    mlockall(MCL_CURRENT | MCL_FUTURE);
    tp_hist_init(&hist);
    calibrate();
    paced = 1;
    gap_tsc = 0;
    run();
    static tp_hist b2b;
    b2b = hist;
    tp_hist_init(&hist);
    gap_tsc = (uint64_t)(1000.0 * tsc_per_ns);
    run();
    paced = 0;
    double secs = run();
    tp_hist_init(&rtt);
    run_pingpong();
    printf("%-16s %10s %8s %8s %8s %8s %10s %12s\n", "bench", "count", "p50", "p90", "p99",
           "p99.9", "max", "unpaced/s");
    printf("%-16s %10llu %8llu %8llu %8llu %8llu %10llu %12.0f\n", "ring_hop_ns",
           (unsigned long long)hist.count, (unsigned long long)tp_hist_quantile(&hist, 0.5),
           (unsigned long long)tp_hist_quantile(&hist, 0.9),
           (unsigned long long)tp_hist_quantile(&hist, 0.99),
           (unsigned long long)tp_hist_quantile(&hist, 0.999), (unsigned long long)hist.max,
           (double)n_msgs / secs);
    printf("%-16s %10llu %8llu %8llu %8llu %8llu %10llu %12s\n", "ring_hop_b2b_ns",
           (unsigned long long)b2b.count, (unsigned long long)tp_hist_quantile(&b2b, 0.5),
           (unsigned long long)tp_hist_quantile(&b2b, 0.9),
           (unsigned long long)tp_hist_quantile(&b2b, 0.99),
           (unsigned long long)tp_hist_quantile(&b2b, 0.999), (unsigned long long)b2b.max, "-");
    printf("%-16s %10llu %8llu %8llu %8llu %8llu %10llu %12s\n", "ring_rtt_ns",
           (unsigned long long)rtt.count, (unsigned long long)tp_hist_quantile(&rtt, 0.5),
           (unsigned long long)tp_hist_quantile(&rtt, 0.9),
           (unsigned long long)tp_hist_quantile(&rtt, 0.99),
           (unsigned long long)tp_hist_quantile(&rtt, 0.999), (unsigned long long)rtt.max, "-");
    printf("ring one-way = rtt/2: p50 %llu ns\n",
           (unsigned long long)tp_hist_quantile(&rtt, 0.5) / 2);
    return 0;
}
