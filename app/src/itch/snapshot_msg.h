/* The "traditional" full-snapshot feed message (tickpath-sim --snapshot-feed), for the
 * two-stack comparison: instead of ITCH deltas, every book change of a symbol republishes
 * its whole top N, the way snapshot-style feeds do. It travels in the same MoldUDP64
 * packets as ITCH (System Event and Stock Directory messages are still sent).
 *
 * Type 'b' (not an ITCH 5.0 type: ITCH decoders skip it by length), big-endian:
 *   offset 0  Type 'b'            (1)
 *          1  StockLocate         (2)
 *          3  TrackingNumber      (2, 0)
 *          5  Timestamp           (6, ns since midnight; the send time)
 *         11  Stock               (8, space padded)
 *         19  Depth N             (1, levels per side, 1..32)
 *         20  N bid levels, best first: Price u32 (4 decimals), Shares u32  (8 each)
 *     20+8N   N ask levels, best first: Price u32, Shares u32
 * Total 20 + 16 N bytes (180 for N = 10). Empty levels are price 0, shares 0.
 */
#ifndef TP_ITCH_SNAPSHOT_MSG_H
#define TP_ITCH_SNAPSHOT_MSG_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/endian.h"

#define TP_SNAP_TYPE 'b'
#define TP_SNAP_MAX_DEPTH 32
#define TP_SNAP_MAX_LEN (20 + 16 * TP_SNAP_MAX_DEPTH)

typedef struct {
    uint32_t depth;
    uint32_t price[2][TP_SNAP_MAX_DEPTH]; /* [0] bids, [1] asks; best first */
    uint32_t shares[2][TP_SNAP_MAX_DEPTH];
} tp_snap_levels;

static inline size_t tp_snap_encode(uint8_t *p, uint16_t locate, uint64_t ts, const char stock[8],
                                    const tp_snap_levels *lv)
{
    p[0] = TP_SNAP_TYPE;
    tp_put_be16(p + 1, locate);
    tp_put_be16(p + 3, 0);
    tp_put_be48(p + 5, ts);
    memcpy(p + 11, stock, 8);
    p[19] = (uint8_t)lv->depth;
    uint8_t *q = p + 20;
    for (int side = 0; side < 2; side++)
        for (uint32_t i = 0; i < lv->depth; i++, q += 8) {
            tp_put_be32(q, lv->price[side][i]);
            tp_put_be32(q + 4, lv->shares[side][i]);
        }
    return 20 + 16 * (size_t)lv->depth;
}

/* 0, or -1 when len does not match the depth it announces. */
static inline int tp_snap_decode(const uint8_t *p, size_t len, uint16_t *locate,
                                 tp_snap_levels *lv)
{
    if (len < 20 || p[0] != TP_SNAP_TYPE || p[19] == 0 || p[19] > TP_SNAP_MAX_DEPTH ||
        len != 20 + 16 * (size_t)p[19])
        return -1;
    *locate = tp_be16(p + 1);
    lv->depth = p[19];
    const uint8_t *q = p + 20;
    for (int side = 0; side < 2; side++)
        for (uint32_t i = 0; i < lv->depth; i++, q += 8) {
            lv->price[side][i] = tp_be32(q);
            lv->shares[side][i] = tp_be32(q + 4);
        }
    return 0;
}

#endif
