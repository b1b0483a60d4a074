/* ITCH 5.0 decoder, inline form: a table-driven, branch-light path for the order-flow types
 * and an out-of-line switch for the rest.
 *
 * Why: types arrive in random order (A ~42%, D ~42%, then U E X P C F ...), so a `switch` on
 * the type byte mispredicts about every other message (~8 ns each on the bench machine).
 * Here the eight order-flow types A F E C X D U P (~99% of a NASDAQ day) go through ONE
 * straight-line sequence: a 256-entry descriptor table indexed by the type byte gives the
 * message size and, per type, the source offset / destination offset of a fixed set of seven
 * field slots (two u64, two u32, one u8, one alpha-8, one alpha-4) plus the order reference
 * (u64 at p+11 -> u[0..8), common to all eight types). Every slot is executed for every hot
 * message; a slot a type does not have is a "dummy" that reads p[11..19) and writes union
 * bytes [40, 48), which no hot type uses. Fields the wire does not carry but the struct defines
 * ('A' attribution = 4 spaces, 'E' printable = 'Y' and execution price 0) come from an AND
 * mask of 0 and an OR constant in the descriptor. So the only branches are: length/type
 * validity (never taken on a valid stream) and hot/cold (taken for ~1% of messages).
 *
 * Safety: every slot of a type reads inside [p, p + size(type)) and the hot path is entered
 * only when len >= size(type), so it never reads past p + len (same contract as before); all
 * loads and stores are memcpy of fixed width (no unaligned casts, no aliasing UB). The other
 * 15 types, unknown types and short input take tp_itch_decode_cold() (the field-by-field
 * switch), which also produces the status codes.
 */
#ifndef TP_ITCH_DECODE_INLINE_H
#define TP_ITCH_DECODE_INLINE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/compiler.h"
#include "itch/itch.h"

/* Per-type descriptor (32 bytes; 256 entries = 8 KiB, of which the 8 hot lines are used).
 * Destination offsets are relative to tp_itch_msg.u. */
typedef struct {
    uint8_t size;          /* = tp_itch_size[type]; 0 = unknown */
    uint8_t hot_size;      /* = size for the table-path types, 0 for the others */
    uint8_t w_src, w_dst;  /* second u64 (big-endian) */
    uint8_t s1_src, s1_dst; /* first u32 (big-endian) */
    uint8_t s2_src, s2_dst; /* second u32 (big-endian), then & s2_and | s2_or */
    uint8_t b_src, b_dst;  /* u8, then & b_and | b_or */
    uint8_t b_and, b_or;
    uint8_t a8_src, a8_dst; /* 8 raw bytes (alpha) */
    uint8_t a4_src, a4_dst; /* 4 raw bytes (alpha), then & a4_and | a4_or */
    uint32_t s2_and, s2_or;
    uint32_t a4_and, a4_or;
} tp_itch_desc;

extern const tp_itch_desc tp_itch_desc_tab[256];

/* Which implementation tp_itch_decode() uses (chosen once at start-up). */
typedef enum {
    TP_ITCH_IMPL_SWITCH = 0, /* tp_itch_decode_cold(): field-by-field switch (the reference) */
    TP_ITCH_IMPL_TABLE = 1,  /* tp_itch_decode_inline(): scalar descriptor table (portable default) */
    TP_ITCH_IMPL_VBMI = 2,   /* tp_itch_decode_vbmi(): one vpermb per message (default if the CPU has it) */
} tp_itch_impl;
tp_itch_impl tp_itch_decoder(void);
const char *tp_itch_decoder_name(tp_itch_impl i);

/* The field-by-field switch: all 23 types, plus the UNKNOWN / SHORT statuses. */
tp_itch_status tp_itch_decode_cold(const uint8_t *p, size_t len, tp_itch_msg *m);

static inline uint64_t tp_ld64be(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return __builtin_bswap64(v);
}

static inline uint32_t tp_ld32be(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return __builtin_bswap32(v);
}

static inline uint16_t tp_ld16be(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return __builtin_bswap16(v);
}

/* Same contract as tp_itch_decode() (itch.h). */
static inline tp_itch_status tp_itch_decode_inline(const uint8_t *p, size_t len, tp_itch_msg *m)
{
    if (TP_UNLIKELY(len == 0))
        return TP_ITCH_SHORT;
    const tp_itch_desc *d = &tp_itch_desc_tab[p[0]];
    /* cold type (hot_size 0 -> SIZE_MAX) or fewer bytes than the type needs */
    if (TP_UNLIKELY((size_t)d->hot_size - 1 >= len))
        return tp_itch_decode_cold(p, len, m);

    /* common header: type, locate, then tracking(2)+timestamp(6) as one 8-byte load */
    const uint64_t tt = tp_ld64be(p + 3);
    m->type = p[0];
    m->stock_locate = tp_ld16be(p + 1);
    m->tracking_number = (uint16_t)(tt >> 48);
    m->timestamp = tt & 0xffffffffffffull;

    unsigned char *u = (unsigned char *)&m->u;
    const uint64_t w = tp_ld64be(p + d->w_src);
    const uint32_t s1 = tp_ld32be(p + d->s1_src);
    const uint32_t s2 = (tp_ld32be(p + d->s2_src) & d->s2_and) | d->s2_or;
    const uint8_t b = (uint8_t)((p[d->b_src] & d->b_and) | d->b_or);
    uint64_t a8;
    memcpy(&a8, p + d->a8_src, 8);
    uint32_t a4;
    memcpy(&a4, p + d->a4_src, 4);
    a4 = (a4 & d->a4_and) | d->a4_or;
    const uint64_t ref = tp_ld64be(p + 11);

    memcpy(u + d->w_dst, &w, 8);
    memcpy(u + d->s1_dst, &s1, 4);
    memcpy(u + d->s2_dst, &s2, 4);
    u[d->b_dst] = b;
    memcpy(u + d->a8_dst, &a8, 8);
    memcpy(u + d->a4_dst, &a4, 4);
    memcpy(u, &ref, 8);
    return TP_ITCH_OK;
}

/* ---- AVX-512 VBMI path (x86-64, picked at run time) -------------------------------------
 * Every field of every ITCH type is a byte move (big-endian integers are byte reversals,
 * alpha fields straight copies, the 48-bit timestamp zero-extended), so the whole decoded
 * tp_itch_msg (exactly 64 bytes) is ONE permutation of the message bytes merged with a
 * per-type constant: out = k_in ? in[idx[i]] : cst[i]  (vpermb with merge-masking). All 23
 * types take the same four instructions; no per-type branch at all. The input is a masked
 * load of exactly size(type) bytes (masked-out bytes are neither read nor fault), so it never
 * reads past p + len either. The tables are derived at start-up from tp_itch_decode_cold()
 * itself (probe messages whose byte i holds i), so both paths agree byte for byte on every
 * field; padding bytes come out 0. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define TP_ITCH_HAVE_VBMI 1
#include <immintrin.h>

#define TP_ITCH_VBMI_TARGET __attribute__((target("avx512f,avx512bw,avx512vbmi")))

typedef struct {
    uint8_t idx[64];  /* source byte of each output byte (when taken from the input) */
    uint8_t cst[64];  /* constant bytes (type, 'A' attribution, 'E' printable, zeros) */
    uint64_t from_in; /* bit i: output byte i comes from the input */
    uint64_t load;    /* bits [0, size): the bytes to load */
} __attribute__((aligned(64))) tp_itch_perm;

extern tp_itch_perm tp_itch_perm_tab[24]; /* [0] unused */
extern uint8_t tp_itch_perm_of[256];      /* type -> perm_tab index, 0 = unknown */


TP_ITCH_VBMI_TARGET
static inline tp_itch_status tp_itch_decode_vbmi(const uint8_t *p, size_t len, tp_itch_msg *m)
{
    _Static_assert(sizeof(tp_itch_msg) == 64, "tp_itch_msg must be one 64-byte vector");
    if (TP_UNLIKELY(len == 0))
        return TP_ITCH_SHORT;
    const uint8_t type = p[0];
    if (TP_UNLIKELY((size_t)tp_itch_size[type] - 1 >= len)) /* unknown or short */
        return tp_itch_decode_cold(p, len, m);
    const tp_itch_perm *t = &tp_itch_perm_tab[tp_itch_perm_of[type]];
    const __m512i in = _mm512_maskz_loadu_epi8((__mmask64)t->load, p);
    const __m512i idx = _mm512_load_si512((const void *)t->idx);
    const __m512i cst = _mm512_load_si512((const void *)t->cst);
    _mm512_storeu_si512((void *)m, _mm512_mask_permutexvar_epi8(cst, (__mmask64)t->from_in, idx, in));
    return TP_ITCH_OK;
}
#else
#define TP_ITCH_HAVE_VBMI 0
#endif

#endif
