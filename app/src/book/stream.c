/* Replay pipeline: while message k is applied, the order map slot of message k+16, the order
 * of message k+8 and the level of message k+4 are being fetched from memory. */
#include "book/stream.h"

#define RING 16u /* power of two, = stage-0 distance */

uint64_t tp_book_apply_stream(tp_book *book, tp_bf_reader *r, int prefetch)
{
    const uint8_t *msg;
    size_t len;
    uint64_t n = 0;
    if (!prefetch) {
        while (tp_bf_next(r, &msg, &len)) {
            tp_book_apply(book, msg, len);
            n++;
        }
        return n;
    }
    const uint8_t *ring_msg[RING];
    size_t ring_len[RING];
    unsigned head = 0, count = 0;
    while (count < RING && tp_bf_next(r, &ring_msg[count], &ring_len[count])) {
        tp_book_prefetch(book, ring_msg[count], ring_len[count], 0);
        count++;
    }
    while (count) {
        unsigned i = head & (RING - 1);
        tp_book_apply(book, ring_msg[i], ring_len[i]);
        n++;
        head++;
        count--;
        if (tp_bf_next(r, &msg, &len)) {
            ring_msg[i] = msg; /* slot i is now the newest: head + RING - 1 */
            ring_len[i] = len;
            count++;
            tp_book_prefetch(book, msg, len, 0);
        }
        if (count > 8) {
            unsigned j = (head + 8) & (RING - 1);
            tp_book_prefetch(book, ring_msg[j], ring_len[j], 1);
        }
        if (count > 4) {
            unsigned j = (head + 4) & (RING - 1);
            tp_book_prefetch(book, ring_msg[j], ring_len[j], 2);
        }
    }
    return n;
}
