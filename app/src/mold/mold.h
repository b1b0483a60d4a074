/* MoldUDP64 downstream packets and re-request packets.
 *
 * Downstream packet: Session(10 ASCII) SequenceNumber(u64 BE, sequence of the first message)
 * MessageCount(u16 BE), then MessageCount blocks of Length(u16 BE) + message bytes.
 * MessageCount 0 is a heartbeat (SequenceNumber = next expected), 0xFFFF ends the session.
 * Re-request (client -> server): Session(10) SequenceNumber(u64) MessageCount(u16).
 *
 * tp_mold_parse() validates the whole packet before anything is applied: a packet is either
 * entirely well-formed or rejected with a reason (never partially applied, never read past
 * len). Strictness is deliberate: the copy on the other line or a re-request repairs it.
 */
#ifndef TP_MOLD_MOLD_H
#define TP_MOLD_MOLD_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/compiler.h"
#include "common/endian.h"

#define TP_MOLD_HDR_LEN 20
#define TP_MOLD_SESSION_LEN 10
#define TP_MOLD_REQ_LEN 20
#define TP_MOLD_END_OF_SESSION 0xFFFFu

typedef enum {
    TP_MOLD_DATA = 0,      /* count >= 1 well-formed message blocks */
    TP_MOLD_HEARTBEAT = 1, /* count 0 */
    TP_MOLD_END = 2,       /* count 0xFFFF */
    TP_MOLD_BAD_SHORT = 3, /* fewer than 20 bytes */
    TP_MOLD_BAD_COUNT = 4, /* the packet ends (on a block boundary) before count blocks */
    TP_MOLD_BAD_LEN = 5,   /* a block length of 0, a block running past the end, a torn
                              length field, or bytes left after the last block */
    TP_MOLD_KINDS = 6,
} tp_mold_kind;

typedef struct {
    const uint8_t *session; /* 10 bytes inside the packet */
    uint64_t seq;
    uint16_t count;
    const uint8_t *blocks;  /* first Length field */
    const uint8_t *end;
} tp_mold_pkt;

const char *tp_mold_kind_name(tp_mold_kind k);

tp_mold_kind tp_mold_parse(const uint8_t *p, size_t len, tp_mold_pkt *out);

/* Iterate the message blocks of a packet that tp_mold_parse() accepted as TP_MOLD_DATA. */
typedef struct {
    const uint8_t *pos;
} tp_mold_iter;

static inline void tp_mold_iter_init(tp_mold_iter *it, const tp_mold_pkt *pkt)
{
    it->pos = pkt->blocks;
}

/* Only valid for exactly pkt->count calls after a successful parse. */
static inline const uint8_t *tp_mold_iter_next(tp_mold_iter *it, uint16_t *len)
{
    uint16_t n = tp_be16(it->pos);
    const uint8_t *m = it->pos + 2;
    it->pos = m + n;
    *len = n;
    return m;
}

static inline void tp_mold_put_header(uint8_t *p, const uint8_t session[TP_MOLD_SESSION_LEN],
                                      uint64_t seq, uint16_t count)
{
    memcpy(p, session, TP_MOLD_SESSION_LEN);
    tp_put_be64(p + 10, seq);
    tp_put_be16(p + 18, count);
}

/* A re-request packet is laid out like a downstream header. */
static inline void tp_mold_put_request(uint8_t p[TP_MOLD_REQ_LEN],
                                       const uint8_t session[TP_MOLD_SESSION_LEN], uint64_t seq,
                                       uint16_t count)
{
    tp_mold_put_header(p, session, seq, count);
}

/* Returns 0 and fills seq/count, or -1 when the request is not exactly 20 bytes. */
static inline int tp_mold_parse_request(const uint8_t *p, size_t len, const uint8_t **session,
                                        uint64_t *seq, uint16_t *count)
{
    if (len != TP_MOLD_REQ_LEN)
        return -1;
    *session = p;
    *seq = tp_be64(p + 10);
    *count = tp_be16(p + 18);
    return 0;
}

/* Copy a session string (NUL-terminated, at most 10 chars) into a space-padded field. */
static inline void tp_mold_session_pad(uint8_t out[TP_MOLD_SESSION_LEN], const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < TP_MOLD_SESSION_LEN; i++)
        out[i] = (uint8_t)(i < n ? s[i] : ' ');
}

#endif
