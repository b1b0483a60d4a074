/* Failed-login backoff table: doubling up to the cap, per source, refusals do not extend it,
 * forgetting after a quiet max_ms, and a full table replacing the entry that ends first. */
#include <stdint.h>

#include "soup/backoff.h"
#include "check.h"

#define MS 1000000ull

static void test_doubling_per_source(void)
{
    static tp_backoff b;
    tp_backoff_init(&b, 100, 1000);
    const uint32_t a = 0x7f000001u, other = 0x7f000002u;
    CHECK_EQ(tp_backoff_left(&b, a, 0), 0);
    CHECK_EQ(tp_backoff_fail(&b, a, 0), 100 * MS);
    CHECK_EQ(tp_backoff_left(&b, a, 0), 100 * MS);
    CHECK_EQ(tp_backoff_left(&b, a, 99 * MS), 1 * MS);
    CHECK_EQ(tp_backoff_left(&b, a, 100 * MS), 0);
    CHECK_EQ(tp_backoff_left(&b, other, 0), 0); /* another source is unaffected */
    /* each further failure doubles, up to the cap */
    static const uint64_t want[] = {200, 400, 800, 1000, 1000};
    uint64_t t = 100 * MS;
    for (int i = 0; i < 5; i++) {
        uint64_t d = tp_backoff_fail(&b, a, t);
        CHECK_EQ(d, want[i] * MS);
        CHECK_EQ(tp_backoff_left(&b, a, t), d);
        t += d;
    }
    /* asking (a refused login) does not extend the backoff */
    uint64_t d = tp_backoff_fail(&b, a, t);
    for (int i = 0; i < 10; i++)
        CHECK_EQ(tp_backoff_left(&b, a, t + (uint64_t)i * MS), d - (uint64_t)i * MS);
    CHECK_EQ(tp_backoff_left(&b, a, t + d), 0);
    CHECK_EQ(b.replaced, 0);
}

static void test_forgetting(void)
{
    static tp_backoff b;
    tp_backoff_init(&b, 100, 1000);
    const uint32_t a = 0x0a000001u;
    tp_backoff_fail(&b, a, 0);           /* 100 ms: until 100 ms */
    CHECK_EQ(tp_backoff_fail(&b, a, 100 * MS), 200 * MS); /* until 300 ms */
    /* still remembered just inside max_ms after the backoff ended: doubles */
    CHECK_EQ(tp_backoff_fail(&b, a, (300 + 999) * MS), 400 * MS); /* until 1699 ms */
    /* quiet for max_ms after the backoff ended: forgotten, back to the base */
    CHECK_EQ(tp_backoff_left(&b, a, (1699 + 1000) * MS), 0);
    CHECK_EQ(tp_backoff_fail(&b, a, (1699 + 1000) * MS), 100 * MS);
}

static void test_full_table(void)
{
    static tp_backoff b;
    tp_backoff_init(&b, 100, 10000);
    /* source i fails at time i ms: source 0's backoff ends first */
    for (uint32_t i = 0; i < TP_BACKOFF_SLOTS; i++)
        tp_backoff_fail(&b, 0xc0a80000u + i, (uint64_t)i * MS);
    CHECK_EQ(b.replaced, 0);
    for (uint32_t i = 0; i < TP_BACKOFF_SLOTS; i++)
        CHECK(tp_backoff_left(&b, 0xc0a80000u + i, 64 * MS) > 0);
    /* one more source: takes source 0's entry, the rest keep theirs */
    CHECK_EQ(tp_backoff_fail(&b, 0x08080808u, 64 * MS), 100 * MS);
    CHECK_EQ(b.replaced, 1);
    CHECK_EQ(tp_backoff_left(&b, 0xc0a80000u, 64 * MS), 0);
    for (uint32_t i = 1; i < TP_BACKOFF_SLOTS; i++)
        CHECK(tp_backoff_left(&b, 0xc0a80000u + i, 64 * MS) > 0);
    CHECK_EQ(tp_backoff_left(&b, 0x08080808u, 64 * MS), 100 * MS);
    /* a source already in the table is updated in place, nothing replaced */
    CHECK_EQ(tp_backoff_fail(&b, 0xc0a80005u, 200 * MS), 200 * MS);
    CHECK_EQ(b.replaced, 1);
    /* forgotten entries are free again: no replacement needed */
    uint64_t later = 200 * MS + 400 * MS + 10000 * MS;
    CHECK_EQ(tp_backoff_fail(&b, 0x01020304u, later), 100 * MS);
    CHECK_EQ(b.replaced, 1);
}

static void test_limits(void)
{
    static tp_backoff b;
    tp_backoff_init(&b, 500, 100); /* cap below the base: raised to the base */
    CHECK_EQ(tp_backoff_fail(&b, 1, 0), 500 * MS);
    CHECK_EQ(tp_backoff_fail(&b, 1, 0), 500 * MS);
    tp_backoff_init(&b, 1, 3600000); /* many failures: capped, no overflow */
    uint64_t d = 0;
    for (int i = 0; i < 1000; i++)
        d = tp_backoff_fail(&b, 2, 0);
    CHECK_EQ(d, 3600000 * MS);
    CHECK_EQ(b.e[0].fails, 1000);
}

int main(void)
{
    test_doubling_per_source();
    test_forgetting();
    test_full_table();
    test_limits();
    return tp_check_done("test_soup_backoff");
}
