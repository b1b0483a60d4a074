/* ITCH 5.0 encoding helpers (generator, fuzz seeds). Each writes one message into p (at
 * least TP_ITCH_MAX_MSG_LEN bytes) and returns its length. */
#ifndef TP_ITCH_ENCODE_H
#define TP_ITCH_ENCODE_H

#include <stdint.h>
#include <string.h>

#include "common/endian.h"
#include "itch/itch.h"

static inline void tp_enc_header(uint8_t *p, uint8_t type, uint16_t locate, uint16_t tracking,
                                 uint64_t ts)
{
    memset(p, 0, tp_itch_msg_size(type) ? tp_itch_msg_size(type) : TP_ITCH_HEADER_LEN);
    p[0] = type;
    tp_put_be16(p + 1, locate);
    tp_put_be16(p + 3, tracking);
    tp_put_be48(p + 5, ts);
}

/* 8-byte alpha field, space padded. */
static inline void tp_enc_alpha(uint8_t *p, const char *s, size_t width)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < width; i++)
        p[i] = (uint8_t)(i < n ? s[i] : ' ');
}

static inline size_t tp_enc_system_event(uint8_t *p, uint64_t ts, uint8_t code)
{
    tp_enc_header(p, 'S', 0, 0, ts);
    p[11] = code;
    return 12;
}

static inline size_t tp_enc_stock_directory(uint8_t *p, uint16_t locate, uint64_t ts,
                                            const char *stock)
{
    tp_enc_header(p, 'R', locate, 0, ts);
    tp_enc_alpha(p + 11, stock, 8);
    p[19] = 'Q';        /* market category: NASDAQ Global Select */
    p[20] = 'N';        /* financial status: normal */
    tp_put_be32(p + 21, 100);
    p[25] = 'N';
    p[26] = 'C';        /* common stock */
    p[27] = 'Z';
    p[28] = ' ';
    p[29] = 'P';        /* live/production */
    p[30] = 'N';
    p[31] = 'N';
    p[32] = '1';
    p[33] = 'N';
    tp_put_be32(p + 34, 0);
    p[38] = 'N';
    return 39;
}

static inline size_t tp_enc_add(uint8_t *p, uint16_t locate, uint64_t ts, uint64_t ref,
                                uint8_t side, uint32_t shares, const uint8_t stock[8],
                                uint32_t price, const char *mpid)
{
    tp_enc_header(p, mpid ? 'F' : 'A', locate, 0, ts);
    tp_put_be64(p + 11, ref);
    p[19] = side;
    tp_put_be32(p + 20, shares);
    memcpy(p + 24, stock, 8);
    tp_put_be32(p + 32, price);
    if (!mpid)
        return 36;
    tp_enc_alpha(p + 36, mpid, 4);
    return 40;
}

static inline size_t tp_enc_executed(uint8_t *p, uint16_t locate, uint64_t ts, uint64_t ref,
                                     uint32_t shares, uint64_t match)
{
    tp_enc_header(p, 'E', locate, 0, ts);
    tp_put_be64(p + 11, ref);
    tp_put_be32(p + 19, shares);
    tp_put_be64(p + 23, match);
    return 31;
}

static inline size_t tp_enc_executed_price(uint8_t *p, uint16_t locate, uint64_t ts,
                                           uint64_t ref, uint32_t shares, uint64_t match,
                                           uint8_t printable, uint32_t price)
{
    tp_enc_header(p, 'C', locate, 0, ts);
    tp_put_be64(p + 11, ref);
    tp_put_be32(p + 19, shares);
    tp_put_be64(p + 23, match);
    p[31] = printable;
    tp_put_be32(p + 32, price);
    return 36;
}

static inline size_t tp_enc_cancel(uint8_t *p, uint16_t locate, uint64_t ts, uint64_t ref,
                                   uint32_t shares)
{
    tp_enc_header(p, 'X', locate, 0, ts);
    tp_put_be64(p + 11, ref);
    tp_put_be32(p + 19, shares);
    return 23;
}

static inline size_t tp_enc_delete(uint8_t *p, uint16_t locate, uint64_t ts, uint64_t ref)
{
    tp_enc_header(p, 'D', locate, 0, ts);
    tp_put_be64(p + 11, ref);
    return 19;
}

static inline size_t tp_enc_replace(uint8_t *p, uint16_t locate, uint64_t ts, uint64_t old_ref,
                                    uint64_t new_ref, uint32_t shares, uint32_t price)
{
    tp_enc_header(p, 'U', locate, 0, ts);
    tp_put_be64(p + 11, old_ref);
    tp_put_be64(p + 19, new_ref);
    tp_put_be32(p + 27, shares);
    tp_put_be32(p + 31, price);
    return 35;
}

static inline size_t tp_enc_trade(uint8_t *p, uint16_t locate, uint64_t ts, uint8_t side,
                                  uint32_t shares, const uint8_t stock[8], uint32_t price,
                                  uint64_t match)
{
    tp_enc_header(p, 'P', locate, 0, ts);
    tp_put_be64(p + 11, 0);
    p[19] = side;
    tp_put_be32(p + 20, shares);
    memcpy(p + 24, stock, 8);
    tp_put_be32(p + 32, price);
    tp_put_be64(p + 36, match);
    return 44;
}

#endif
