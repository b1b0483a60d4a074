/* NASDAQ BinaryFILE framing: every message is prefixed by a 2-byte big-endian length.
 *
 * The reader walks a caller-owned buffer (e.g. an mmap of a day file). It never reads past
 * the end: a length that runs past the end of the buffer is a truncated tail (counted,
 * iteration stops); a zero length is counted and skipped.
 *
 * The reader prefetches the stream TP_BF_PREFETCH_AHEAD bytes ahead of the record it returns.
 * Why: the hardware prefetchers did not keep up on the bench VM (Intel Xeon, KVM). Decoding a
 * 613 MB day from memory took 10.6-15 ns/msg against 5.6 ns/msg for the same loop in L2.
 * With a software prefetch 2 KiB ahead it took 5.8 ns/msg. 256 B ahead was too short (11.6)
 * and 1 KiB nearly enough (6.2); 2-8 KiB were equal. One prefetch per record is cheaper than
 * a branch that issues one per cache line.
 */
#ifndef TP_ITCH_BINARYFILE_H
#define TP_ITCH_BINARYFILE_H

#include <stddef.h>
#include <stdint.h>

#include "common/compiler.h"
#include "common/endian.h"

#define TP_BF_PREFETCH_AHEAD 2048u

typedef struct {
    const uint8_t *pos;
    const uint8_t *end;
    uint64_t records;        /* records returned (length >= 1) */
    uint64_t zero_length;    /* records of length 0 (skipped) */
    uint64_t truncated_tail; /* 1 if the buffer ended inside a record */
    uint64_t tail_bytes;     /* bytes left unread because of the truncated tail */
} tp_bf_reader;

void tp_bf_init(tp_bf_reader *r, const uint8_t *buf, size_t len);

/* Next message: returns 1 and sets *msg and *len, or 0 at the end of the buffer. */
static inline int tp_bf_next(tp_bf_reader *r, const uint8_t **msg, size_t *len)
{
    for (;;) {
        size_t left = (size_t)(r->end - r->pos);
        if (TP_UNLIKELY(left < 2)) {
            if (left) {
                r->truncated_tail = 1;
                r->tail_bytes = left;
                r->pos = r->end;
            }
            return 0;
        }
        size_t n = tp_be16(r->pos);
        if (TP_UNLIKELY(n > left - 2)) {
            r->truncated_tail = 1;
            r->tail_bytes = left;
            r->pos = r->end;
            return 0;
        }
        const uint8_t *m = r->pos + 2;
        r->pos = m + n;
        /* integer arithmetic: the address may lie past the buffer (a prefetch never faults) */
        __builtin_prefetch((const void *)((uintptr_t)r->pos + TP_BF_PREFETCH_AHEAD));
        if (TP_UNLIKELY(n == 0)) {
            r->zero_length++;
            continue;
        }
        r->records++;
        *msg = m;
        *len = n;
        return 1;
    }
}

/* Append one framed record to out (cap bytes); returns bytes written or 0 if it won't fit. */
size_t tp_bf_put(uint8_t *out, size_t cap, const uint8_t *msg, uint16_t len);

#endif
