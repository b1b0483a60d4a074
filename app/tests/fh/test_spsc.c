/* SPSC ring: full/empty edges, wrap-around, and a two-thread ordered transfer. */
#include <pthread.h>
#include <stdint.h>

#include "ring/spsc.h"
#include "test_util.h"

static tp_spsc r;
static uint64_t mem[1024];
#define N 2000000ull

static void *producer(void *a)
{
    (void)a;
    for (uint64_t i = 0; i < N; i++) {
        uint64_t *s;
        while (!(s = tp_spsc_push_slot(&r)))
            ;
        *s = i * 7 + 1;
        tp_spsc_push_commit(&r);
    }
    return NULL;
}

int main(void)
{
    uint64_t small[4];
    CHECK(tp_spsc_init(&r, small, 3, 8) == -1);
    CHECK(tp_spsc_init(&r, small, 4, 0) == -1);
    CHECK(tp_spsc_init(&r, small, 4, 8) == 0);
    CHECK(tp_spsc_pop_slot(&r) == NULL);
    for (int round = 0; round < 5; round++) {
        for (uint64_t i = 0; i < 4; i++) {
            uint64_t *s = tp_spsc_push_slot(&r);
            CHECK(s != NULL);
            if (s)
                *s = i + (uint64_t)round * 10;
            tp_spsc_push_commit(&r);
        }
        CHECK(tp_spsc_push_slot(&r) == NULL); /* full */
        CHECK_EQ(tp_spsc_size(&r), 4);
        for (uint64_t i = 0; i < 4; i++) {
            uint64_t *s = tp_spsc_pop_slot(&r);
            CHECK(s != NULL);
            if (s)
                CHECK_EQ(*s, i + (uint64_t)round * 10);
            tp_spsc_pop_commit(&r);
        }
        CHECK(tp_spsc_pop_slot(&r) == NULL); /* empty */
    }
    CHECK(tp_spsc_init(&r, mem, 1024, 8) == 0);
    pthread_t th;
    pthread_create(&th, NULL, producer, NULL);
    for (uint64_t i = 0; i < N;) {
        uint64_t *s = tp_spsc_pop_slot(&r);
        if (!s)
            continue;
        if (*s != i * 7 + 1) {
            CHECK_EQ(*s, i * 7 + 1);
            break;
        }
        tp_spsc_pop_commit(&r);
        i++;
    }
    pthread_join(th, NULL);
    CHECK(tp_spsc_pop_slot(&r) == NULL);
    TEST_DONE();
}
