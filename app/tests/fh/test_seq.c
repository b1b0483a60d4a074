/* Sequencer: in-order, A/B duplicates, gaps filled out of order, window overflow, heartbeat
 * tail loss, end of session, late start. A random A/B/loss/reorder schedule must deliver
 * every message exactly once and in order. */
#include <stdlib.h>
#include <string.h>

#include "common/endian.h"
#include "common/rng.h"
#include "mold/seq.h"
#include "test_util.h"

#define MAXM 20000
static uint64_t got[MAXM + 8];
static uint64_t ngot;
static int order_ok = 1;
static tp_seq_slot win[1024];

static void apply(void *ctx, uint64_t seq, const uint8_t *m, size_t len, int live)
{
    (void)ctx;
    (void)live;
    if (len != 8 || tp_be64(m) != seq * 3)
        order_ok = 0;
    if (ngot < MAXM + 8)
        got[ngot] = seq;
    if (ngot && got[ngot - 1] + 1 != seq)
        order_ok = 0;
    ngot++;
}

/* Packet of messages [seq, seq + n): each message is the 8-byte big-endian seq * 3. */
static void pkt(tp_seq *s, uint64_t seq, uint16_t n, int line)
{
    static uint8_t buf[4096];
    uint8_t sess[10];
    tp_mold_session_pad(sess, "T");
    tp_mold_put_header(buf, sess, seq, n);
    size_t off = 20;
    for (uint16_t i = 0; i < n; i++) {
        tp_put_be16(buf + off, 8);
        tp_put_be64(buf + off + 2, (seq + i) * 3);
        off += 10;
    }
    tp_mold_pkt p;
    if (tp_mold_parse(buf, off, &p) == TP_MOLD_DATA)
        tp_seq_data(s, &p, line);
}

int main(void)
{
    tp_seq s;
    CHECK(tp_seq_init(&s, win, 1000, apply, NULL) == -1);
    CHECK(tp_seq_init(&s, win, 1024, apply, NULL) == 0);
    tp_seq_start_at(&s, 1);
    pkt(&s, 1, 5, TP_LINE_A);
    pkt(&s, 1, 5, TP_LINE_B); /* B copy: duplicates */
    CHECK_EQ(ngot, 5);
    CHECK_EQ(s.c.dup_msgs, 5);
    pkt(&s, 9, 3, TP_LINE_A); /* gap 6..8 */
    CHECK_EQ(tp_seq_update_gap(&s), 1);
    uint64_t from;
    uint16_t cnt;
    CHECK(tp_seq_gap(&s, &from, &cnt, 100));
    CHECK_EQ(from, 6);
    CHECK_EQ(cnt, 3);
    CHECK(tp_seq_gap(&s, &from, &cnt, 2));
    CHECK_EQ(cnt, 2);
    pkt(&s, 7, 1, TP_LINE_B);
    CHECK_EQ(ngot, 5);
    pkt(&s, 6, 3, TP_LINE_RETRANS); /* 6, 8 apply; 7 is a duplicate of the buffered one */
    CHECK_EQ(ngot, 11);
    CHECK_EQ(s.next, 12);
    CHECK_EQ(tp_seq_update_gap(&s), -1);
    CHECK_EQ(s.c.recovered, 4); /* 7 (buffered), 9, 10, 11 */
    /* partial overlap: packet 10..14 applies only 12..14 */
    pkt(&s, 10, 5, TP_LINE_B);
    CHECK_EQ(s.next, 15);
    /* tail loss seen through a heartbeat */
    tp_seq_heartbeat(&s, 18);
    CHECK_EQ(tp_seq_update_gap(&s), 1);
    CHECK(tp_seq_gap(&s, &from, &cnt, 100));
    CHECK_EQ(from, 15);
    CHECK_EQ(cnt, 3);
    pkt(&s, 15, 3, TP_LINE_RETRANS);
    CHECK_EQ(tp_seq_update_gap(&s), -1);
    /* beyond the window: dropped and counted, re-requested later */
    pkt(&s, 18 + 5000, 1, TP_LINE_A);
    CHECK_EQ(s.c.window_overflow, 1);
    tp_seq_end(&s, 18);
    CHECK(!tp_seq_done(&s) || s.next >= 18);
    CHECK(order_ok);

    /* random schedule: 2 lines, 5% loss each, reordering by swapping, retrans on demand */
    ngot = 0;
    order_ok = 1;
    CHECK(tp_seq_init(&s, win, 1024, apply, NULL) == 0);
    tp_seq_start_at(&s, 1);
    tp_rng r;
    tp_rng_seed(&r, 7);
    uint64_t seq = 1;
    while (seq <= MAXM) {
        uint16_t n = (uint16_t)(1 + tp_rng_below(&r, 8));
        if (seq + n - 1 > MAXM)
            n = (uint16_t)(MAXM - seq + 1);
        for (int line = 0; line < 2; line++)
            if (tp_rng_below(&r, 100) >= 5)
                pkt(&s, seq, n, line);
        seq += n;
        if (tp_rng_below(&r, 10) == 0 && tp_seq_gap(&s, &from, &cnt, 50))
            pkt(&s, from, cnt, TP_LINE_RETRANS);
    }
    tp_seq_end(&s, MAXM + 1);
    for (int k = 0; k < 10000 && !tp_seq_done(&s); k++)
        if (tp_seq_gap(&s, &from, &cnt, 50))
            pkt(&s, from, cnt, TP_LINE_RETRANS);
    CHECK(tp_seq_done(&s));
    CHECK_EQ(ngot, MAXM);
    CHECK(order_ok);

    /* late start: buffered before the start point is known, then resume at 100 */
    ngot = 0;
    order_ok = 1;
    CHECK(tp_seq_init(&s, win, 1024, apply, NULL) == 0);
    pkt(&s, 105, 5, TP_LINE_A); /* next unknown: buffered */
    pkt(&s, 98, 5, TP_LINE_A);  /* before the anchor: dropped */
    CHECK_EQ(ngot, 0);
    tp_seq_start_at(&s, 100);
    CHECK_EQ(ngot, 0);
    pkt(&s, 100, 5, TP_LINE_RETRANS);
    CHECK_EQ(ngot, 10);
    CHECK_EQ(s.next, 110);
    CHECK(order_ok);
    TEST_DONE();
}
