/* BinaryFILE framing: normal records, zero lengths, truncated tails, writer round trip. */
#include "check.h"
#include "itch/binaryfile.h"

int main(void)
{
    uint8_t buf[64] = {0, 3, 'a', 'b', 'c', 0, 0, 0, 1, 'x', 0, 5, 'y'};
    tp_bf_reader r;
    const uint8_t *m;
    size_t n;
    tp_bf_init(&r, buf, 13);
    CHECK(tp_bf_next(&r, &m, &n));
    CHECK_EQ(n, 3);
    CHECK(memcmp(m, "abc", 3) == 0);
    CHECK(tp_bf_next(&r, &m, &n)); /* the zero-length record is skipped */
    CHECK_EQ(n, 1);
    CHECK_EQ(m[0], 'x');
    CHECK(!tp_bf_next(&r, &m, &n)); /* {0,5,'y'}: runs past the end */
    CHECK_EQ(r.records, 2);
    CHECK_EQ(r.zero_length, 1);
    CHECK_EQ(r.truncated_tail, 1);
    CHECK_EQ(r.tail_bytes, 3);
    CHECK(!tp_bf_next(&r, &m, &n));

    /* a single dangling byte */
    tp_bf_init(&r, buf, 1);
    CHECK(!tp_bf_next(&r, &m, &n));
    CHECK_EQ(r.truncated_tail, 1);
    CHECK_EQ(r.tail_bytes, 1);

    /* empty buffer */
    tp_bf_init(&r, buf, 0);
    CHECK(!tp_bf_next(&r, &m, &n));
    CHECK_EQ(r.truncated_tail, 0);

    /* writer */
    uint8_t out[8];
    CHECK_EQ(tp_bf_put(out, sizeof out, (const uint8_t *)"hello", 5), 7);
    CHECK_EQ(out[0], 0);
    CHECK_EQ(out[1], 5);
    CHECK(memcmp(out + 2, "hello", 5) == 0);
    CHECK_EQ(tp_bf_put(out, 6, (const uint8_t *)"hello", 5), 0);
    /* 65535-byte record */
    static uint8_t huge[65537];
    huge[0] = 0xff;
    huge[1] = 0xff;
    tp_bf_init(&r, huge, sizeof huge);
    CHECK(tp_bf_next(&r, &m, &n));
    CHECK_EQ(n, 65535);
    CHECK(!tp_bf_next(&r, &m, &n));
    CHECK_EQ(r.truncated_tail, 0);
    return tp_test_done("test_binaryfile");
}
