/* MoldUDP64 packet validation: good packets, heartbeats, end of session, every malformed
 * class, and exhaustive truncation of a good packet (never accepted, never out of bounds). */
#include <string.h>

#include "common/endian.h"
#include "mold/mold.h"
#include "test_util.h"

static size_t make(uint8_t *p, uint16_t count, const uint16_t *lens, uint16_t nblocks)
{
    uint8_t s[10];
    tp_mold_session_pad(s, "SESS1");
    tp_mold_put_header(p, s, 42, count);
    size_t off = 20;
    for (uint16_t i = 0; i < nblocks; i++) {
        tp_put_be16(p + off, lens[i]);
        memset(p + off + 2, 'A' + i, lens[i]);
        off += 2u + lens[i];
    }
    return off;
}

int main(void)
{
    uint8_t p[2048];
    tp_mold_pkt pkt;
    uint16_t lens[3] = {12, 36, 19};
    size_t n = make(p, 3, lens, 3);
    CHECK_EQ(tp_mold_parse(p, n, &pkt), TP_MOLD_DATA);
    CHECK_EQ(pkt.seq, 42);
    CHECK_EQ(pkt.count, 3);
    CHECK(!memcmp(pkt.session, "SESS1     ", 10));
    tp_mold_iter it;
    tp_mold_iter_init(&it, &pkt);
    for (int i = 0; i < 3; i++) {
        uint16_t l;
        const uint8_t *m = tp_mold_iter_next(&it, &l);
        CHECK_EQ(l, lens[i]);
        CHECK_EQ(m[0], 'A' + i);
    }
    /* every truncation is rejected with a malformed reason */
    for (size_t cut = 0; cut < n; cut++) {
        tp_mold_kind k = tp_mold_parse(p, cut, &pkt);
        CHECK(k >= TP_MOLD_BAD_SHORT);
        if (cut < 20)
            CHECK_EQ(k, TP_MOLD_BAD_SHORT);
    }
    /* count past end: 4 announced, 3 present */
    n = make(p, 4, lens, 3);
    CHECK_EQ(tp_mold_parse(p, n, &pkt), TP_MOLD_BAD_COUNT);
    /* trailing bytes after the last block */
    n = make(p, 2, lens, 3);
    CHECK_EQ(tp_mold_parse(p, n, &pkt), TP_MOLD_BAD_LEN);
    /* zero-length block */
    uint16_t z[2] = {12, 0};
    n = make(p, 2, z, 2);
    CHECK_EQ(tp_mold_parse(p, n, &pkt), TP_MOLD_BAD_LEN);
    /* block length past the end */
    n = make(p, 1, lens, 1);
    tp_put_be16(p + 20, 500);
    CHECK_EQ(tp_mold_parse(p, n, &pkt), TP_MOLD_BAD_LEN);
    /* heartbeat and end of session (header only, trailing bytes ignored) */
    n = make(p, 0, lens, 0);
    CHECK_EQ(tp_mold_parse(p, n, &pkt), TP_MOLD_HEARTBEAT);
    CHECK_EQ(tp_mold_parse(p, 19, &pkt), TP_MOLD_BAD_SHORT);
    n = make(p, 0xFFFF, lens, 0);
    CHECK_EQ(tp_mold_parse(p, n, &pkt), TP_MOLD_END);
    /* re-request round trip */
    uint8_t req[20], s[10];
    tp_mold_session_pad(s, "X");
    tp_mold_put_request(req, s, 123456789012ull, 77);
    const uint8_t *rs;
    uint64_t seq;
    uint16_t cnt;
    CHECK_EQ(tp_mold_parse_request(req, 20, &rs, &seq, &cnt), 0);
    CHECK_EQ(seq, 123456789012ull);
    CHECK_EQ(cnt, 77);
    CHECK_EQ(tp_mold_parse_request(req, 19, &rs, &seq, &cnt), -1);
    CHECK_EQ(tp_mold_parse_request(req, 21, &rs, &seq, &cnt), -1);
    TEST_DONE();
}
