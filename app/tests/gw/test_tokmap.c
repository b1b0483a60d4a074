/* tokmap: both placements find every key, the sequential one puts key k in slot k (so a run
 * of counters fills neighbouring slots), colliding keys probe on, and a 3/4-full map refuses. */
#include "sim/tokmap.h"

#include "check.h"

static void fill_and_find(unsigned flags)
{
    tokmap m;
    CHECK(tokmap_init(&m, 1024, flags) == 0);
    uint64_t base = 5000; /* a restarted gateway's counters start past 1 */
    for (uint32_t i = 0; i < 768; i++)
        CHECK(tokmap_put(&m, base + i, i) == 0);
    CHECK(tokmap_put(&m, base + 768, 768) == -1); /* 3/4 full */
    for (uint32_t i = 0; i < 768; i++) {
        uint64_t pos = tokmap_start(&m, base + i);
        CHECK_EQ(tokmap_next(&m, base + i, &pos), i);
    }
    uint64_t pos = tokmap_start(&m, 1);
    CHECK_EQ(tokmap_next(&m, 1, &pos), TOKMAP_EMPTY);
    tokmap_free(&m);
}

static void sequential_slots(void)
{
    tokmap m;
    CHECK(tokmap_init(&m, 64, TOKMAP_SEQUENTIAL | TOKMAP_HUGE_PAGES) == 0);
    for (uint64_t k = 100; k < 140; k++) {
        CHECK_EQ(tokmap_start(&m, k), k & 63);
        CHECK(tokmap_put(&m, k, (uint32_t)(k * 2)) == 0);
        CHECK_EQ(m.keys[k & 63], k);
    }
    /* 164 wraps onto 100's slot: it probes past the occupied run and is still found */
    CHECK(tokmap_put(&m, 164, 7) == 0);
    uint64_t pos = tokmap_start(&m, 164);
    CHECK_EQ(tokmap_next(&m, 164, &pos), 7);
    pos = tokmap_start(&m, 100);
    CHECK_EQ(tokmap_next(&m, 100, &pos), 200);
    tokmap_free(&m);
}

int main(void)
{
    fill_and_find(0);
    fill_and_find(TOKMAP_SEQUENTIAL);
    fill_and_find(TOKMAP_SEQUENTIAL | TOKMAP_HUGE_PAGES);
    sequential_slots();
    return tp_check_done("test_tokmap");
}
