/* libFuzzer target: MoldUDP64 packet parser + stream guard + sequencer. Any input is a
 * packet; accepted packets pass the guard (sessions, resets, jumps) and go to a small
 * sequencer (window of 64), reset whenever the guard says the stream restarted, so every
 * message-block walk, guard decision and the reorder window see arbitrary sequences and
 * lengths. Must never crash or read out of bounds. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mold/guard.h"
#include "mold/mold.h"
#include "mold/seq.h"

static tp_seq_slot win[64];
static uint64_t sink;

static void apply(void *ctx, uint64_t seq, const uint8_t *m, size_t len, int live)
{
    (void)ctx;
    sink += seq + (len ? m[0] : 0) + (uint64_t)live + m[len ? len - 1 : 0];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tp_seq s;
    tp_seq_init(&s, win, 64, apply, NULL);
    tp_seq_start_at(&s, 1);
    tp_guard g;
    tp_guard_init(&g, NULL, 64);
    /* the input may hold several packets: a 2-byte length before each */
    size_t off = 0;
    int rounds = 0;
    while (off + 2 <= size && rounds++ < 64) {
        size_t n = (size_t)data[off] << 8 | data[off + 1];
        off += 2;
        if (n > size - off)
            n = size - off;
        tp_mold_pkt pkt;
        tp_mold_kind k = tp_mold_parse(data + off, n, &pkt);
        if (k <= TP_MOLD_END) {
            uint64_t far = s.high > s.next ? s.high : s.next;
            tp_guard_verdict v = tp_guard_check(&g, &pkt, k, rounds % 3, far);
            if (v == TP_GUARD_NEW_SESSION || v == TP_GUARD_RESET) {
                tp_seq_reset(&s);
                tp_seq_start_at(&s, 1);
            } else if (v == TP_GUARD_DROP_SESSION || v == TP_GUARD_DROP_JUMP) {
                k = TP_MOLD_KINDS; /* dropped */
            }
        }
        if (k == TP_MOLD_DATA) {
            /* keep sequences near the window so buffering and draining get exercised */
            pkt.seq = 1 + (pkt.seq % 128);
            tp_seq_data(&s, &pkt, rounds & 1);
        } else if (k == TP_MOLD_HEARTBEAT) {
            tp_seq_heartbeat(&s, 1 + pkt.seq % 256);
        } else if (k == TP_MOLD_END) {
            tp_seq_end(&s, 1 + pkt.seq % 256);
        }
        uint64_t from;
        uint16_t cnt;
        tp_seq_update_gap(&s);
        if (tp_seq_gap(&s, &from, &cnt, 100))
            sink += from + cnt;
        off += n;
    }
    return 0;
}
