/* Stream guard: normal A/B disorder passes untouched; a new session, a restarted sequence and
 * a far jump are each confirmed by a run of packets, and a lone bogus packet only raises a
 * suspicion that the next plain packet clears. */
#include <string.h>

#include "common/endian.h"
#include "mold/guard.h"
#include "mold/seq.h"
#include "test_util.h"

static uint8_t buf[4096]; /* up to 1300 one-byte messages */

/* A packet of session `sess`: count messages from seq (count 0 = heartbeat, 0xFFFF = end). */
static tp_mold_pkt mk(const char *sess, uint64_t seq, uint16_t count, tp_mold_kind *kind)
{
    uint8_t s[10];
    tp_mold_session_pad(s, sess);
    tp_mold_put_header(buf, s, seq, count);
    size_t len = 20;
    if (count && count != TP_MOLD_END_OF_SESSION)
        for (uint16_t i = 0; i < count; i++, len += 3) {
            tp_put_be16(buf + len, 1);
            buf[len + 2] = 'X';
        }
    tp_mold_pkt p;
    *kind = tp_mold_parse(buf, len, &p);
    return p;
}

static tp_guard_verdict feed(tp_guard *g, const char *sess, uint64_t seq, uint16_t count,
                             int line, uint64_t furthest)
{
    tp_mold_kind k;
    tp_mold_pkt p = mk(sess, seq, count, &k);
    return tp_guard_check(g, &p, k, line, furthest);
}

int main(void)
{
    tp_guard g;
    uint8_t want[10];
    tp_mold_session_pad(want, "S1");

    /* normal flow: A ahead of B, a duplicate, a reordered packet, re-request answers far behind */
    tp_guard_init(&g, want, 1000);
    CHECK_EQ(feed(&g, "S1", 1, 5, TP_LINE_A, 0), TP_GUARD_ACCEPT);
    CHECK_EQ(feed(&g, "S1", 6, 5, TP_LINE_A, 6), TP_GUARD_ACCEPT);
    CHECK_EQ(feed(&g, "S1", 1, 5, TP_LINE_B, 11), TP_GUARD_ACCEPT);
    CHECK_EQ(feed(&g, "S1", 6, 5, TP_LINE_B, 11), TP_GUARD_ACCEPT);
    CHECK_EQ(feed(&g, "S1", 6, 5, TP_LINE_B, 11), TP_GUARD_ACCEPT); /* duplicate */
    CHECK(!tp_guard_suspect(&g));
    CHECK_EQ(feed(&g, "S1", 16, 5, TP_LINE_A, 11), TP_GUARD_ACCEPT);
    CHECK_EQ(feed(&g, "S1", 11, 5, TP_LINE_A, 21), TP_GUARD_ACCEPT); /* reordered */
    CHECK(tp_guard_suspect(&g));
    CHECK_EQ(feed(&g, "S1", 21, 5, TP_LINE_A, 26), TP_GUARD_ACCEPT);
    CHECK(!tp_guard_suspect(&g));
    CHECK_EQ(feed(&g, "S1", 1, 5, TP_LINE_RETRANS, 26), TP_GUARD_ACCEPT);
    CHECK_EQ(feed(&g, "S1", 26, 0, TP_LINE_A, 26), TP_GUARD_ACCEPT); /* heartbeat */
    CHECK_EQ(g.c.resets + g.c.session_changes + g.c.jumps + g.c.foreign_pkts + g.c.jump_pkts, 0);

    /* the same session starts again from 1 (exchange restart): confirmed by the third
     * backward packet, from either line */
    CHECK_EQ(feed(&g, "S1", 1, 0, TP_LINE_A, 26), TP_GUARD_ACCEPT); /* heartbeat: next = 1 */
    CHECK(tp_guard_suspect(&g));
    CHECK_EQ(feed(&g, "S1", 1, 0, TP_LINE_B, 26), TP_GUARD_ACCEPT);
    CHECK_EQ(feed(&g, "S1", 1, 2, TP_LINE_A, 26), TP_GUARD_ACCEPT);
    CHECK_EQ(feed(&g, "S1", 3, 2, TP_LINE_A, 26), TP_GUARD_RESET);
    CHECK_EQ(g.c.resets, 1);
    CHECK(!tp_guard_suspect(&g));
    CHECK_EQ(feed(&g, "S1", 5, 2, TP_LINE_A, 5), TP_GUARD_ACCEPT);
    CHECK_EQ(feed(&g, "S1", 3, 2, TP_LINE_B, 7), TP_GUARD_ACCEPT); /* B's own history is new */
    CHECK(!tp_guard_suspect(&g));

    /* a lone packet of another session: dropped, suspicion cleared by the next plain one */
    CHECK_EQ(feed(&g, "OTHER", 7, 1, TP_LINE_A, 7), TP_GUARD_DROP_SESSION);
    CHECK(tp_guard_suspect(&g));
    CHECK_EQ(feed(&g, "S1", 7, 1, TP_LINE_A, 7), TP_GUARD_ACCEPT);
    CHECK(!tp_guard_suspect(&g));
    /* interleaved with the current session it never takes over */
    for (int i = 0; i < 10; i++) {
        CHECK_EQ(feed(&g, "OTHER", 100, 1, TP_LINE_A, 8), TP_GUARD_DROP_SESSION);
        CHECK_EQ(feed(&g, "OTHER", 101, 1, TP_LINE_B, 8), TP_GUARD_DROP_SESSION);
        CHECK_EQ(feed(&g, "S1", 8, 0, TP_LINE_A, 8), TP_GUARD_ACCEPT);
    }
    CHECK_EQ(g.c.session_changes, 0);
    CHECK_EQ(g.c.foreign_pkts, 21);
    /* a new session (the old one has stopped): the third packet in a row switches */
    CHECK_EQ(feed(&g, "S2", 1, 0, TP_LINE_A, 8), TP_GUARD_DROP_SESSION);
    CHECK_EQ(feed(&g, "S2", 1, 0, TP_LINE_B, 8), TP_GUARD_DROP_SESSION);
    CHECK_EQ(feed(&g, "S2", 1, 3, TP_LINE_A, 8), TP_GUARD_NEW_SESSION);
    CHECK(memcmp(g.session, "S2        ", 10) == 0);
    CHECK_EQ(g.c.session_changes, 1);
    CHECK_EQ(feed(&g, "S2", 1, 3, TP_LINE_B, 4), TP_GUARD_ACCEPT);
    /* ...and a late packet of the old session is dropped, the new one stays */
    CHECK_EQ(feed(&g, "S1", 9, 1, TP_LINE_B, 4), TP_GUARD_DROP_OLD);
    CHECK_EQ(feed(&g, "S2", 4, 1, TP_LINE_A, 4), TP_GUARD_ACCEPT);
    CHECK(memcmp(g.session, "S2        ", 10) == 0);

    /* a far jump (data, heartbeat or end of session at 2^63 / 2^64-1): dropped alone */
    CHECK_EQ(feed(&g, "S2", 1ull << 63, 1, TP_LINE_A, 5), TP_GUARD_DROP_JUMP);
    CHECK(tp_guard_suspect(&g));
    CHECK_EQ(feed(&g, "S2", 5, 1, TP_LINE_A, 5), TP_GUARD_ACCEPT);
    CHECK(!tp_guard_suspect(&g));
    CHECK_EQ(feed(&g, "S2", 1ull << 63, 0, TP_LINE_B, 6), TP_GUARD_DROP_JUMP);
    CHECK_EQ(feed(&g, "S2", UINT64_MAX, TP_MOLD_END_OF_SESSION, TP_LINE_A, 6),
             TP_GUARD_DROP_JUMP);
    CHECK_EQ(feed(&g, "S2", 6, 1, TP_LINE_A, 6), TP_GUARD_ACCEPT);
    /* within the limit is no jump */
    CHECK_EQ(feed(&g, "S2", 900, 1, TP_LINE_A, 7), TP_GUARD_ACCEPT);
    /* a run of far packets that agree with each other is the stream's real position */
    CHECK_EQ(feed(&g, "S2", 100000, 2, TP_LINE_A, 901), TP_GUARD_DROP_JUMP);
    CHECK_EQ(feed(&g, "S2", 100000, 2, TP_LINE_B, 901), TP_GUARD_DROP_JUMP);
    CHECK_EQ(feed(&g, "S2", 100002, 2, TP_LINE_A, 901), TP_GUARD_JUMP);
    CHECK_EQ(g.c.jumps, 1);
    CHECK_EQ(g.c.jump_pkts, 5);
    CHECK_EQ(feed(&g, "S2", 100004, 2, TP_LINE_A, 100004), TP_GUARD_ACCEPT);
    /* far packets that disagree with each other never confirm */
    for (uint64_t i = 0; i < 6; i++)
        CHECK_EQ(feed(&g, "S2", (i + 2) << 40, 1, TP_LINE_A, 100006), TP_GUARD_DROP_JUMP);
    CHECK_EQ(g.c.jumps, 1);

    /* lines are read from separate sockets: after a new session is confirmed on line A,
     * line B may still hold the old session's packets. They are the retired session's:
     * dropped, never a switch back. */
    tp_guard_init(&g, want, 1000);
    CHECK_EQ(feed(&g, "S1", 1, 10, TP_LINE_A, 0), TP_GUARD_ACCEPT);
    CHECK_EQ(feed(&g, "S1", 1, 5, TP_LINE_B, 11), TP_GUARD_ACCEPT);
    CHECK_EQ(feed(&g, "S2", 1, 1, TP_LINE_A, 11), TP_GUARD_DROP_SESSION);
    CHECK_EQ(feed(&g, "S2", 2, 1, TP_LINE_A, 11), TP_GUARD_DROP_SESSION);
    CHECK_EQ(feed(&g, "S2", 3, 1, TP_LINE_A, 11), TP_GUARD_NEW_SESSION);
    for (uint64_t q = 6; q < 11; q++)
        CHECK_EQ(feed(&g, "S1", q, 1, TP_LINE_B, 4), TP_GUARD_DROP_OLD);
    CHECK_EQ(g.c.old_pkts, 5);
    CHECK_EQ(g.c.session_changes, 1);
    CHECK(!tp_guard_suspect(&g));
    CHECK_EQ(feed(&g, "S2", 1, 3, TP_LINE_B, 4), TP_GUARD_ACCEPT);
    CHECK(memcmp(g.session, "S2        ", 10) == 0);

    /* the same after a reset: line B's backlog of the old stream (past its old furthest
     * point) is dropped, not taken for a jump; B's first packet of the new stream is
     * below that point and accepted; from then on B is an ordinary line again */
    tp_guard_init(&g, want, 100);
    CHECK_EQ(feed(&g, "S1", 1, 500, TP_LINE_A, 0), TP_GUARD_ACCEPT);
    CHECK_EQ(feed(&g, "S1", 1, 400, TP_LINE_B, 501), TP_GUARD_ACCEPT);
    CHECK_EQ(feed(&g, "S1", 1, 1, TP_LINE_A, 501), TP_GUARD_ACCEPT);
    CHECK_EQ(feed(&g, "S1", 2, 1, TP_LINE_A, 501), TP_GUARD_ACCEPT);
    CHECK_EQ(feed(&g, "S1", 3, 1, TP_LINE_A, 501), TP_GUARD_RESET);
    CHECK_EQ(feed(&g, "S1", 401, 50, TP_LINE_B, 4), TP_GUARD_DROP_OLD);
    CHECK_EQ(feed(&g, "S1", 451, 50, TP_LINE_B, 4), TP_GUARD_DROP_OLD);
    CHECK_EQ(feed(&g, "S1", 501, 0, TP_LINE_B, 4), TP_GUARD_DROP_OLD); /* heartbeat */
    CHECK_EQ(g.c.jump_pkts + g.c.jumps, 0);
    CHECK_EQ(feed(&g, "S1", 1, 3, TP_LINE_B, 4), TP_GUARD_ACCEPT);
    CHECK_EQ(feed(&g, "S1", 4, 3, TP_LINE_B, 4), TP_GUARD_ACCEPT);
    CHECK_EQ(g.c.resets, 1);
    CHECK(!tp_guard_suspect(&g));
    /* a line whose new stream was lost until the new stream passed the old point: taken */
    tp_guard_init(&g, want, 1000);
    CHECK_EQ(feed(&g, "S1", 1, 50, TP_LINE_A, 0), TP_GUARD_ACCEPT);
    CHECK_EQ(feed(&g, "S1", 1, 40, TP_LINE_B, 51), TP_GUARD_ACCEPT);
    for (uint64_t q = 1; q <= 3; q++)
        feed(&g, "S1", q, 1, TP_LINE_A, 51);
    CHECK_EQ(g.c.resets, 1);
    CHECK_EQ(feed(&g, "S1", 4, 60, TP_LINE_A, 4), TP_GUARD_ACCEPT); /* new stream at 64 */
    CHECK_EQ(feed(&g, "S1", 50, 5, TP_LINE_B, 64), TP_GUARD_ACCEPT);
    CHECK_EQ(g.c.old_pkts, 0);

    /* no configured session: the first one seen is taken */
    tp_guard_init(&g, NULL, 1000);
    CHECK_EQ(feed(&g, "FIRST", 50, 1, TP_LINE_A, 0), TP_GUARD_ACCEPT);
    CHECK(memcmp(g.session, "FIRST     ", 10) == 0);
    /* a late joiner's first packet may be far along: nothing known yet, no jump */
    tp_guard_init(&g, NULL, 1000);
    CHECK_EQ(feed(&g, "LATE", 1ull << 40, 1, TP_LINE_A, 0), TP_GUARD_ACCEPT);
    TEST_DONE();
}
