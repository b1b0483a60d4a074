/* Order book scenarios: adds, partial/full executes, execute with price, partial cancels,
 * deletes (incl. the last order of a level), replaces (level moves, priority loss), BBO
 * events only on top-of-book changes, FIFO order, malformed input, pool exhaustion. */
#include <stdlib.h>

#include "book/book.h"
#include "book_msgs.h"
#include "check.h"

static int bbo_calls;
static tp_bbo last_bbo;
static uint16_t last_loc;

static void on_bbo(void *ctx, uint16_t loc, const tp_bbo *q)
{
    (void)ctx;
    bbo_calls++;
    last_loc = loc;
    last_bbo = *q;
}

static tp_level_info lvl(tp_book *b, uint16_t loc, int side, size_t i)
{
    tp_level_info L = {0, 0, 0};
    CHECK(tp_book_level(b, loc, side, i, &L));
    return L;
}

int main(void)
{
    tp_book_cfg cfg = {.max_orders = 1024, .max_levels = 256, .on_bbo = on_bbo};
    tp_book *b = tp_book_init(&cfg);
    CHECK(b != NULL);
    if (!b)
        return 1;
    const tp_book_counters *c = tp_book_stats(b);

    CHECK_EQ(m_dir(b, 5, "AAPL"), TP_APPLY_NOT_BOOK);
    char name[8];
    CHECK(tp_book_symbol(b, 5, name));
    CHECK(memcmp(name, "AAPL    ", 8) == 0);

    /* first bid: BBO */
    CHECK_EQ(m_add(b, 5, 1, 'B', 100, 1000000), TP_APPLY_BBO);
    CHECK_EQ(bbo_calls, 1);
    CHECK_EQ(last_loc, 5);
    CHECK_EQ(last_bbo.bid_price, 1000000);
    CHECK_EQ(last_bbo.bid_shares, 100);
    CHECK_EQ(last_bbo.ask_shares, 0);
    /* second order at the top level: size changes -> BBO */
    CHECK_EQ(m_add(b, 5, 2, 'B', 200, 1000000), TP_APPLY_BBO);
    CHECK_EQ(last_bbo.bid_shares, 300);
    CHECK_EQ(last_bbo.bid_orders, 2);
    /* below the top: no BBO event */
    int calls = bbo_calls;
    CHECK_EQ(m_add(b, 5, 3, 'B', 50, 990000), TP_APPLY_OK);
    CHECK_EQ(m_addf(b, 5, 4, 'B', 70, 980000), TP_APPLY_OK);
    CHECK_EQ(bbo_calls, calls);
    /* asks */
    CHECK_EQ(m_add(b, 5, 10, 'S', 100, 1010000), TP_APPLY_BBO);
    CHECK_EQ(m_add(b, 5, 11, 'S', 100, 1020000), TP_APPLY_OK);
    CHECK_EQ(m_add(b, 5, 12, 'S', 300, 1005000), TP_APPLY_BBO); /* new best ask */
    CHECK_EQ(last_bbo.ask_price, 1005000);
    CHECK_EQ(last_bbo.ask_shares, 300);
    CHECK_EQ(tp_book_depth(b, 5, TP_BID), 3);
    CHECK_EQ(tp_book_depth(b, 5, TP_ASK), 3);
    CHECK_EQ(lvl(b, 5, TP_ASK, 0).price, 1005000);
    CHECK_EQ(lvl(b, 5, TP_ASK, 1).price, 1010000);
    CHECK_EQ(lvl(b, 5, TP_ASK, 2).price, 1020000);
    CHECK_EQ(lvl(b, 5, TP_BID, 2).price, 980000);

    /* FIFO within a level */
    uint64_t refs[4];
    CHECK_EQ(tp_book_level_orders(b, 5, TP_BID, 0, refs, 4), 2);
    CHECK_EQ(refs[0], 1);
    CHECK_EQ(refs[1], 2);

    /* partial execute on the top: BBO */
    CHECK_EQ(m_exec(b, 1, 40), TP_APPLY_BBO);
    CHECK_EQ(lvl(b, 5, TP_BID, 0).shares, 260);
    tp_order_info oi;
    CHECK(tp_book_find_order(b, 1, &oi));
    CHECK_EQ(oi.shares, 60);
    /* execute the rest: order gone, level keeps order 2 */
    CHECK_EQ(m_exec(b, 1, 60), TP_APPLY_BBO);
    CHECK(!tp_book_find_order(b, 1, &oi));
    CHECK_EQ(lvl(b, 5, TP_BID, 0).orders, 1);
    CHECK_EQ(lvl(b, 5, TP_BID, 0).shares, 200);
    /* over-execution is clamped: the order leaves */
    CHECK_EQ(m_exec(b, 4, 1000), TP_APPLY_OK); /* 980000 was not the top */
    CHECK_EQ(tp_book_depth(b, 5, TP_BID), 2);

    /* execute with price (the price does not move the order) */
    CHECK_EQ(m_execp(b, 12, 100, 1004900), TP_APPLY_BBO);
    CHECK_EQ(lvl(b, 5, TP_ASK, 0).price, 1005000);
    CHECK_EQ(lvl(b, 5, TP_ASK, 0).shares, 200);

    /* partial cancel below the top: no BBO */
    calls = bbo_calls;
    CHECK_EQ(m_cancel(b, 11, 30), TP_APPLY_OK);
    CHECK_EQ(lvl(b, 5, TP_ASK, 2).shares, 70);
    CHECK_EQ(bbo_calls, calls);
    /* cancel of zero shares: no change */
    CHECK_EQ(m_cancel(b, 11, 0), TP_APPLY_NOT_BOOK);
    /* cancel everything that is left: the order leaves */
    CHECK_EQ(m_cancel(b, 11, 70), TP_APPLY_OK);
    CHECK_EQ(tp_book_depth(b, 5, TP_ASK), 2);

    /* delete the last order at the best ask level: the next level becomes best */
    CHECK_EQ(m_del(b, 12), TP_APPLY_BBO);
    CHECK_EQ(tp_book_depth(b, 5, TP_ASK), 1);
    CHECK_EQ(last_bbo.ask_price, 1010000);
    CHECK_EQ(last_bbo.ask_shares, 100);

    /* replace to another level: keeps side and stock, loses priority */
    CHECK_EQ(m_add(b, 5, 20, 'B', 10, 990000), TP_APPLY_OK); /* behind order 3 */
    CHECK_EQ(m_replace(b, 3, 30, 50, 990000), TP_APPLY_OK);   /* same level, same size */
    CHECK_EQ(tp_book_level_orders(b, 5, TP_BID, 1, refs, 4), 2);
    CHECK_EQ(refs[0], 20);
    CHECK_EQ(refs[1], 30);
    CHECK_EQ(m_replace(b, 30, 31, 500, 1000000), TP_APPLY_BBO); /* joins the top level */
    CHECK(tp_book_find_order(b, 31, &oi));
    CHECK_EQ(oi.side, TP_BID);
    CHECK_EQ(oi.locate, 5);
    CHECK_EQ(oi.price, 1000000);
    CHECK(!tp_book_find_order(b, 30, &oi));
    CHECK_EQ(lvl(b, 5, TP_BID, 0).shares, 700);
    CHECK_EQ(lvl(b, 5, TP_BID, 1).shares, 10);
    CHECK_EQ(tp_book_level_orders(b, 5, TP_BID, 0, refs, 4), 2);
    CHECK_EQ(refs[0], 2);
    CHECK_EQ(refs[1], 31);
    /* replace that empties a level and creates a new best */
    CHECK_EQ(m_replace(b, 20, 21, 5, 1001000), TP_APPLY_BBO);
    CHECK_EQ(tp_book_depth(b, 5, TP_BID), 2);
    CHECK_EQ(lvl(b, 5, TP_BID, 0).price, 1001000);
    /* replace of the top order to the same price and size: top unchanged -> no BBO */
    calls = bbo_calls;
    CHECK_EQ(m_replace(b, 21, 22, 5, 1001000), TP_APPLY_OK);
    CHECK_EQ(bbo_calls, calls);
    /* replace keeping the ref */
    CHECK_EQ(m_replace(b, 22, 22, 6, 1001000), TP_APPLY_BBO);
    CHECK(tp_book_find_order(b, 22, &oi));
    CHECK_EQ(oi.shares, 6);

    /* errors never change the book */
    uint64_t live = c->live_orders;
    CHECK_EQ(m_del(b, 999), TP_APPLY_UNKNOWN_ORDER);
    CHECK_EQ(m_exec(b, 999, 1), TP_APPLY_UNKNOWN_ORDER);
    CHECK_EQ(m_replace(b, 999, 1000, 1, 1), TP_APPLY_UNKNOWN_ORDER);
    CHECK_EQ(m_add(b, 5, 2, 'B', 1, 1), TP_APPLY_DUP_ORDER);
    CHECK_EQ(m_replace(b, 2, 31, 1, 1), TP_APPLY_DUP_ORDER);
    CHECK_EQ(m_add(b, 5, 500, 'Z', 1, 1), TP_APPLY_BAD_FIELD);
    CHECK_EQ(m_add(b, 5, 501, 'B', 0, 1), TP_APPLY_BAD_FIELD);
    CHECK_EQ(m_replace(b, 2, 502, 0, 1), TP_APPLY_BAD_FIELD);
    CHECK_EQ(c->live_orders, live);
    CHECK_EQ(c->unknown_order, 3);
    CHECK_EQ(c->dup_order, 2);
    CHECK_EQ(c->bad_field, 3);
    uint8_t junk[40] = {'Z', 0, 1};
    CHECK_EQ(tp_book_apply(b, junk, sizeof junk), TP_APPLY_UNKNOWN_TYPE);
    junk[0] = 'A';
    CHECK_EQ(tp_book_apply(b, junk, 35), TP_APPLY_SHORT);
    CHECK_EQ(tp_book_apply(b, junk, 0), TP_APPLY_SHORT);
    CHECK_EQ(c->unknown_type, 1);
    CHECK_EQ(c->short_msg, 2);
    /* a longer message is applied, extra bytes ignored */
    uint8_t longer[48] = {0};
    put_hdr(longer, 'D', 5, 0, 9);
    put_n(longer, 11, 8, 2);
    CHECK_EQ(tp_book_apply(b, longer, sizeof longer), TP_APPLY_OK);
    CHECK_EQ(c->long_msg, 1);
    CHECK_EQ(tp_book_depth(b, 5, TP_BID), 2);

    /* add without 'R' names the locate from the message */
    CHECK_EQ(m_add(b, 77, 700, 'S', 1, 5), TP_APPLY_BBO);
    CHECK(tp_book_symbol(b, 77, name));
    CHECK(memcmp(name, "SYM     ", 8) == 0);
    CHECK_EQ(tp_book_next_symbol(b, 0), 5);
    CHECK_EQ(tp_book_next_symbol(b, 6), 77);
    CHECK_EQ(tp_book_next_symbol(b, 78), -1);

    /* order pool exhaustion: NOMEM, counted, no crash; freed orders are reused */
    tp_book_clear(b);
    CHECK_EQ(c->live_orders, 0);
    CHECK_EQ(tp_book_depth(b, 5, TP_BID), 0);
    int nomem = 0;
    for (uint64_t r = 1; r <= 1100; r++)
        nomem += m_add(b, 1, r, 'B', 1, (uint32_t)(r % 200 + 1)) == TP_APPLY_NOMEM;
    CHECK_EQ(nomem, 1100 - 1024);
    CHECK_EQ(c->nomem, 76);
    CHECK_EQ(m_del(b, 1), TP_APPLY_OK);
    CHECK_EQ(m_add(b, 1, 5000, 'B', 1, 1), TP_APPLY_OK);
    /* level pool exhaustion */
    tp_book_clear(b);
    nomem = 0;
    for (uint64_t r = 1; r <= 300; r++)
        nomem += m_add(b, 2, r, 'S', 1, (uint32_t)r) == TP_APPLY_NOMEM;
    CHECK_EQ(nomem, 300 - 256);

    /* a book in a caller-given region, then attached */
    tp_book_cfg small = {.max_orders = 64, .max_levels = 16};
    size_t sz = tp_book_mem_size(&small);
    void *region = aligned_alloc(64, (sz + 63) / 64 * 64);
    tp_book *b2 = tp_book_init_in(&small, region, sz);
    CHECK(b2 != NULL);
    if (b2) {
        CHECK_EQ(m_add(b2, 3, 1, 'B', 10, 100), TP_APPLY_BBO);
        tp_book *b3 = tp_book_attach(region);
        tp_bbo q;
        tp_book_bbo(b3, 3, &q);
        CHECK_EQ(q.bid_price, 100);
        CHECK_EQ(q.bid_shares, 10);
    }
    CHECK(tp_book_init_in(&small, region, sz - 1) == NULL);
    free(region);
    tp_book_free(b);
    return tp_test_done("test_book");
}
