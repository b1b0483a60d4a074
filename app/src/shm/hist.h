/* Log-linear latency histogram, exactly as docs/histogram.md specifies (1024 buckets,
 * relative error <= 1/32, values >= 2^36 ns clamped into bucket 1023 and counted in overflow).
 * Single writer; readers in other processes see monotonically growing counts. */
#ifndef TP_SHM_HIST_H
#define TP_SHM_HIST_H

#include <stdint.h>

#include "common/compiler.h"

#define TP_HIST_BUCKETS 1024
#define TP_HIST_MAX_EXP 36

typedef struct {
    uint64_t count;
    uint64_t sum;
    uint64_t min;
    uint64_t max;
    uint64_t overflow;
    uint64_t reserved[3];
    uint64_t buckets[TP_HIST_BUCKETS];
} TP_ALIGNED_CL tp_hist;
_Static_assert(sizeof(tp_hist) == 8 * 8 + 8 * TP_HIST_BUCKETS, "docs/histogram.md layout");

static inline uint32_t tp_hist_bucket(uint64_t v)
{
    if (v < 64)
        return (uint32_t)v;
    if (v >> TP_HIST_MAX_EXP)
        return TP_HIST_BUCKETS - 1;
    uint32_t msb = 63u - (uint32_t)__builtin_clzll(v);
    uint32_t shift = msb - 5;
    uint32_t sub = (uint32_t)(v >> shift);
    return 64 + (shift - 1) * 32 + (sub - 32);
}

/* Upper bound minus one of a bucket: the value a percentile reports. */
static inline uint64_t tp_hist_bucket_high(uint32_t b)
{
    if (b < 64)
        return b;
    uint32_t shift = (b - 64) / 32 + 1;
    uint64_t sub = (b - 64) % 32 + 32;
    return ((sub + 1) << shift) - 1;
}

static inline void tp_hist_init(tp_hist *h)
{
    __builtin_memset(h, 0, sizeof *h);
    h->min = UINT64_MAX;
}

/* Record n values equal to v. */
static inline void tp_hist_add_n(tp_hist *h, uint64_t v, uint64_t n)
{
    h->buckets[tp_hist_bucket(v)] += n;
    h->overflow += (v >> TP_HIST_MAX_EXP) ? n : 0;
    h->count += n;
    h->sum += v * n;
    if (v < h->min)
        h->min = v;
    if (v > h->max)
        h->max = v;
}

static inline void tp_hist_add(tp_hist *h, uint64_t v)
{
    tp_hist_add_n(h, v, 1);
}

static inline uint64_t tp_hist_cap(const tp_hist *h, uint64_t v)
{
    return v < h->max ? v : h->max;
}

/* q in [0, 1]: the reported value of the q-quantile, nearest rank (the ceil(q * count)-th
 * smallest value, at least the first), 0 when empty. Reported as the bucket's high value capped
 * at the recorded maximum (docs/histogram.md), the same number tickpath.histogram computes
 * from the shared-memory copy. */
static inline uint64_t tp_hist_quantile(const tp_hist *h, double q)
{
    if (!h->count)
        return 0;
    /* the same rank as tickpath.histogram: ceil(q * count - 1e-9), so a product that lands a
     * rounding error above a whole number (0.07 * 100 = 7.000000000000001) is that number */
    double want = q * (double)h->count - 1e-9;
    uint64_t r = want > 0 ? (uint64_t)want : 0;
    if ((double)r < want)
        r++;
    if (r == 0)
        r = 1;
    if (r > h->count)
        r = h->count;
    uint64_t rank = r - 1;
    uint64_t seen = 0;
    for (uint32_t b = 0; b < TP_HIST_BUCKETS; b++) {
        seen += h->buckets[b];
        if (seen > rank)
            return tp_hist_cap(h, tp_hist_bucket_high(b));
    }
    return tp_hist_cap(h, tp_hist_bucket_high(TP_HIST_BUCKETS - 1));
}

#endif
