/* Property test: random message streams (valid and invalid, tiny ref space so refs collide)
 * keep the book equal to a naive model (a flat array of orders, levels recomputed by brute
 * force), including the FIFO order inside each level and every BBO-change flag. */
#include <stdlib.h>

#include "book/book.h"
#include "book_msgs.h"
#include "check.h"
#include "common/rng.h"

#define MAXN 600
#define NLOC 4
#define NREF 700

typedef struct {
    uint64_t ref, seq;
    uint32_t shares, price;
    uint16_t loc;
    int side;
} morder;

static morder orders[MAXN];
static int norders;
static uint64_t seq;

static int find(uint64_t ref)
{
    for (int i = 0; i < norders; i++)
        if (orders[i].ref == ref)
            return i;
    return -1;
}

static void drop(int i)
{
    orders[i] = orders[--norders];
}

/* best level of loc/side: price and total shares (shares 0 = empty) */
static void top(uint16_t loc, int side, uint32_t *price, uint64_t *shares)
{
    int have = 0;
    *price = 0;
    *shares = 0;
    for (int i = 0; i < norders; i++) {
        const morder *o = &orders[i];
        if (o->loc != loc || o->side != side)
            continue;
        int better = !have || (side == TP_BID ? o->price > *price : o->price < *price);
        if (better) {
            *price = o->price;
            *shares = 0;
            have = 1;
        }
        if (o->price == *price)
            *shares += o->shares;
    }
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static void compare(tp_book *b)
{
    for (uint16_t loc = 1; loc <= NLOC; loc++) {
        for (int side = 0; side < 2; side++) {
            uint32_t prices[MAXN];
            int np = 0;
            for (int i = 0; i < norders; i++)
                if (orders[i].loc == loc && orders[i].side == side) {
                    int dup = 0;
                    for (int k = 0; k < np; k++)
                        dup |= prices[k] == orders[i].price;
                    if (!dup)
                        prices[np++] = orders[i].price;
                }
            qsort(prices, (size_t)np, sizeof prices[0], cmp_u32);
            CHECK_EQ(tp_book_depth(b, loc, side), np);
            for (int k = 0; k < np; k++) {
                uint32_t px = side == TP_BID ? prices[np - 1 - k] : prices[k];
                uint64_t sh = 0;
                uint32_t cnt = 0;
                /* expected FIFO: orders at px sorted by seq */
                uint64_t exp[MAXN], got[MAXN];
                for (int i = 0; i < norders; i++)
                    if (orders[i].loc == loc && orders[i].side == side && orders[i].price == px) {
                        sh += orders[i].shares;
                        uint32_t j = cnt++;
                        while (j > 0 && orders[(int)exp[j - 1] >> 0].seq > orders[i].seq) {
                            exp[j] = exp[j - 1];
                            j--;
                        }
                        exp[j] = (uint64_t)i;
                    }
                tp_level_info L;
                CHECK(tp_book_level(b, loc, side, (size_t)k, &L));
                CHECK_EQ(L.price, px);
                CHECK_EQ(L.shares, sh);
                CHECK_EQ(L.orders, cnt);
                CHECK_EQ(tp_book_level_orders(b, loc, side, (size_t)k, got, MAXN), cnt);
                for (uint32_t j = 0; j < cnt; j++)
                    CHECK_EQ(got[j], orders[exp[j]].ref);
            }
        }
    }
}

int main(int argc, char **argv)
{
    uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 0) : 12345;
    int steps = argc > 2 ? atoi(argv[2]) : 200000;
    tp_rng r;
    tp_rng_seed(&r, seed);
    tp_book_cfg cfg = {.max_orders = 4096, .max_levels = 4096};
    tp_book *b = tp_book_init(&cfg);
    CHECK(b != NULL);
    if (!b)
        return 1;
    int bbo_mismatch = 0;
    for (int step = 0; step < steps && tp_failures < 20; step++) {
        uint16_t loc = (uint16_t)(1 + tp_rng_below(&r, NLOC));
        uint64_t ref = tp_rng_below(&r, NREF);
        uint32_t px = 1000 + 10 * tp_rng_below(&r, 12); /* few levels: collisions */
        uint32_t sh = tp_rng_below(&r, 8) * 50;        /* sometimes 0 */
        int side = (int)tp_rng_below(&r, 2);
        uint32_t op = tp_rng_below(&r, 100);
        int i = find(ref);
        int tside = i >= 0 ? orders[i].side : side;
        uint16_t tloc = i >= 0 ? orders[i].loc : loc;
        uint32_t bp0, bp1;
        uint64_t bs0, bs1;
        top(tloc, tside, &bp0, &bs0);
        tp_apply_status st, want;
        if (op < 40 && norders < MAXN - 1) {
            char sc = tp_rng_below(&r, 50) == 0 ? 'X' : (side ? 'S' : 'B');
            st = (op & 1) ? m_add(b, loc, ref, sc, sh, px) : m_addf(b, loc, ref, sc, sh, px);
            if (sc == 'X' || sh == 0) {
                want = TP_APPLY_BAD_FIELD;
            } else if (i >= 0) {
                want = TP_APPLY_DUP_ORDER;
            } else {
                orders[norders++] = (morder){ref, seq++, sh, px, loc, side};
                want = TP_APPLY_OK;
            }
        } else if (op < 60) {
            st = m_del(b, ref);
            want = i < 0 ? TP_APPLY_UNKNOWN_ORDER : TP_APPLY_OK;
            if (i >= 0)
                drop(i);
        } else if (op < 80) {
            int kind = (int)tp_rng_below(&r, 3);
            st = kind == 0 ? m_exec(b, ref, sh) : kind == 1 ? m_execp(b, ref, sh, px)
                                                             : m_cancel(b, ref, sh);
            if (i < 0) {
                want = TP_APPLY_UNKNOWN_ORDER;
            } else if (sh == 0 && orders[i].shares > 0) {
                want = TP_APPLY_NOT_BOOK;
            } else {
                want = TP_APPLY_OK;
                if (sh >= orders[i].shares)
                    drop(i);
                else
                    orders[i].shares -= sh;
            }
        } else {
            uint64_t nref = tp_rng_below(&r, 4) == 0 ? ref : tp_rng_below(&r, NREF);
            int j = find(nref);
            st = m_replace(b, ref, nref, sh, px);
            if (i < 0) {
                want = TP_APPLY_UNKNOWN_ORDER;
            } else if (sh == 0) {
                want = TP_APPLY_BAD_FIELD;
            } else if (nref != ref && j >= 0) {
                want = TP_APPLY_DUP_ORDER;
            } else {
                orders[i].ref = nref;
                orders[i].shares = sh;
                orders[i].price = px;
                orders[i].seq = seq++;
                want = TP_APPLY_OK;
            }
        }
        top(tloc, tside, &bp1, &bs1);
        if (want == TP_APPLY_OK && (bp0 != bp1 || bs0 != bs1))
            want = TP_APPLY_BBO;
        if (st != want) {
            bbo_mismatch++;
            fprintf(stderr, "step %d op %u: status %d, want %d\n", step, op, st, want);
        }
        CHECK_EQ(st, want);
        if (step % 97 == 0)
            compare(b);
    }
    compare(b);
    CHECK_EQ(tp_book_stats(b)->live_orders, norders);
    tp_book_free(b);
    (void)bbo_mismatch;
    return tp_test_done("test_book_random");
}
