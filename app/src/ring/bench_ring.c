/* tickpath-bench-ring: one-way hop latency of the SPSC ring between two pinned threads.
 * The producer writes the TSC into a slot; the consumer reads the slot, fences, and subtracts
 * it from its own TSC. Messages are paced (one in flight at a time) so the number is a hop
 * latency, not a throughput: `ring_hop_ns` sends each message 1 us after the previous one was
 * consumed (the consumer is idle-spinning when it arrives, the market-data case), and
 * `ring_hop_b2b_ns` right after. Usage: tickpath-bench-ring [N] [cpu_producer cpu_consumer]
 * Prints a table (ns): p50 p90 p99 p99.9 max, the throughput of an unpaced run, the round trip
 * through a second (echo) ring (its half is a one-way hop on one clock), and the coherence
 * floor between the two CPUs (`line_1_ns`, `line_2_ns`: see run_line). */
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
        const uint64_t sent = s->t;
        /* lfence: the stamp is taken once the payload has been read. Without it the CPU may
         * run rdtsc before the loads that found the message complete: a minimal loop whose
         * spin count the branch predictor could learn then "measured" 50-60 ns for a hop
         * that takes 130-160 ns with the fence. */
        __builtin_ia32_lfence();
        uint64_t t = tsc();
        if (paced)
            tp_hist_add(&hist, t > sent ? (uint64_t)((double)(t - sent) / tsc_per_ns) : 0);
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

/* The coherence floor between the two CPUs: one hand-off of a cache line, timed on one clock
 * (round trip / 2). "1 line": both sides write the same line, so each reader writes the line
 * it just fetched (it migrates with ownership). "2 lines": each side writes its own line and
 * only reads the other one. That is the pattern of every SPSC ring (the consumer never writes
 * the slot or index it reads), so the writer first invalidates the reader's copy, then the
 * reader fetches the line again. A ring hop cannot beat the "2 lines" figure. */
static TP_ALIGNED_CL volatile uint64_t line_a;
static TP_ALIGNED_CL volatile uint64_t line_b;
static int two_lines;

static void *line_echo(void *arg)
{
    (void)arg;
    pin(cpu_c);
    for (uint64_t i = 1; i <= n_msgs; i++) {
        if (two_lines) {
            while (line_a != i)
                ;
            line_b = i;
        } else {
            while (line_a != 2 * i - 1)
                ;
            line_a = 2 * i;
        }
    }
    return NULL;
}

static void run_line(int two, tp_hist *h)
{
    line_a = line_b = 0;
    two_lines = two;
    pthread_t th;
    pthread_create(&th, NULL, line_echo, NULL);
    pin(cpu_p);
    for (uint64_t i = 1; i <= n_msgs; i++) {
        uint64_t t0 = tsc();
        if (two) {
            line_a = i;
            while (line_b != i)
                ;
        } else {
            line_a = 2 * i - 1;
            while (line_a != 2 * i)
                ;
        }
        tp_hist_add(h, (uint64_t)((double)(tsc() - t0) / tsc_per_ns / 2.0));
    }
    pthread_join(th, NULL);
}

static void print_row(const char *name, const tp_hist *h, const char *last)
{
    printf("%-16s %10llu %8llu %8llu %8llu %8llu %10llu %12s\n", name,
           (unsigned long long)h->count, (unsigned long long)tp_hist_quantile(h, 0.5),
           (unsigned long long)tp_hist_quantile(h, 0.9),
           (unsigned long long)tp_hist_quantile(h, 0.99),
           (unsigned long long)tp_hist_quantile(h, 0.999), (unsigned long long)h->max, last);
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
    static tp_hist line1, line2;
    tp_hist_init(&line1);
    tp_hist_init(&line2);
    run_line(0, &line1);
    run_line(1, &line2);
    printf("%-16s %10s %8s %8s %8s %8s %10s %12s\n", "bench", "count", "p50", "p90", "p99",
           "p99.9", "max", "unpaced/s");
    char unpaced[32];
    snprintf(unpaced, sizeof unpaced, "%.0f", (double)n_msgs / secs);
    print_row("ring_hop_ns", &hist, unpaced);
    print_row("ring_hop_b2b_ns", &b2b, "-");
    print_row("ring_rtt_ns", &rtt, "-");
    print_row("line_1_ns", &line1, "-");
    print_row("line_2_ns", &line2, "-");
    printf("ring one-way = rtt/2: p50 %llu ns\n",
           (unsigned long long)tp_hist_quantile(&rtt, 0.5) / 2);
    return 0;
}
