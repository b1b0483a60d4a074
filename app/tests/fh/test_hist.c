/* Histogram buckets exactly as docs/histogram.md: boundaries, clamping, quantiles. */
#include "shm/hist.h"
#include "test_util.h"

int main(void)
{
    for (uint64_t v = 0; v < 64; v++)
        CHECK_EQ(tp_hist_bucket(v), v);
    CHECK_EQ(tp_hist_bucket(64), 64);
    CHECK_EQ(tp_hist_bucket(65), 64);   /* shift 1: [64, 66) */
    CHECK_EQ(tp_hist_bucket(66), 65);
    CHECK_EQ(tp_hist_bucket(127), 95);
    CHECK_EQ(tp_hist_bucket(128), 96);  /* msb 7, shift 2 */
    CHECK_EQ(tp_hist_bucket((1ull << 36) - 1), 1023);
    CHECK_EQ(tp_hist_bucket(1ull << 36), 1023);
    CHECK_EQ(tp_hist_bucket(UINT64_MAX), 1023);
    /* every bucket covers [sub << shift, (sub + 1) << shift) and is contiguous */
    uint64_t prev_high = 63;
    for (uint32_t b = 64; b < 1024; b++) {
        uint64_t lo = prev_high + 1, hi = tp_hist_bucket_high(b);
        CHECK_EQ(tp_hist_bucket(lo), b);
        CHECK_EQ(tp_hist_bucket(hi), b);
        /* relative width at most 1/32 */
        CHECK((hi - lo + 1) * 32 <= lo);
        prev_high = hi;
    }
    CHECK_EQ(prev_high, (1ull << 36) - 1);
    tp_hist h;
    tp_hist_init(&h);
    CHECK_EQ(tp_hist_quantile(&h, 0.5), 0);
    for (uint64_t v = 1; v <= 100; v++)
        tp_hist_add(&h, v * 1000);
    tp_hist_add(&h, 1ull << 40);
    CHECK_EQ(h.count, 101);
    CHECK_EQ(h.overflow, 1);
    CHECK_EQ(h.min, 1000);
    CHECK_EQ(h.max, 1ull << 40);
    uint64_t p50 = tp_hist_quantile(&h, 0.5); /* the 51st value: 51000 */
    CHECK(p50 >= 51000 && p50 < 51000 + 51000 / 32 + 1);
    CHECK_EQ(tp_hist_quantile(&h, 1.0), (1ull << 36) - 1);
    CHECK_EQ(tp_hist_quantile(&h, 0.0), tp_hist_bucket_high(tp_hist_bucket(1000)));
    /* a quantile in the maximum's bucket reports the maximum, not the bucket's high value */
    tp_hist one;
    tp_hist_init(&one);
    tp_hist_add_n(&one, 1000, 99);
    tp_hist_add(&one, 100060348);
    CHECK(tp_hist_bucket_high(tp_hist_bucket(100060348)) > 100060348);
    CHECK_EQ(tp_hist_quantile(&one, 1.0), 100060348);
    CHECK_EQ(tp_hist_quantile(&one, 0.995), 100060348);
    CHECK_EQ(tp_hist_quantile(&one, 0.5), tp_hist_bucket_high(tp_hist_bucket(1000)));
    TEST_DONE();
}
