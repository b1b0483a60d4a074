/* Big-endian loads and stores with explicit byte access.
 *
 * ITCH, MoldUDP64 and BinaryFILE fields are big-endian and unaligned. These helpers never
 * cast a byte pointer to a wider type (that would be UB under strict aliasing/alignment);
 * gcc and clang turn the byte loads into a single load + bswap (movbe) at -O2.
 */
#ifndef TP_COMMON_ENDIAN_H
#define TP_COMMON_ENDIAN_H

#include <stdint.h>

static inline uint16_t tp_be16(const uint8_t *p)
{
    return (uint16_t)((uint16_t)p[0] << 8 | (uint16_t)p[1]);
}

static inline uint32_t tp_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static inline uint64_t tp_be48(const uint8_t *p)
{
    return (uint64_t)p[0] << 40 | (uint64_t)p[1] << 32 | (uint64_t)p[2] << 24 |
           (uint64_t)p[3] << 16 | (uint64_t)p[4] << 8 | (uint64_t)p[5];
}

static inline uint64_t tp_be64(const uint8_t *p)
{
    return (uint64_t)tp_be32(p) << 32 | (uint64_t)tp_be32(p + 4);
}

static inline void tp_put_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void tp_put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline void tp_put_be48(uint8_t *p, uint64_t v)
{
    for (int i = 5; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

static inline void tp_put_be64(uint8_t *p, uint64_t v)
{
    tp_put_be32(p, (uint32_t)(v >> 32));
    tp_put_be32(p + 4, (uint32_t)v);
}

#endif
