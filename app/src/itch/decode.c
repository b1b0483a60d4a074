/* ITCH 5.0 decoder: bytes -> tp_itch_msg.
 *
 * Hot path (A F E C X D U P): the descriptor table below + tp_itch_decode_inline() in
 * decode_inline.h (straight-line, no per-type branch). Everything else: the field-by-field
 * switch in tp_itch_decode_cold(), which is also the reference the hot descriptors must agree
 * with (tests/test_decode.c checks every field of every type through tp_itch_decode()).
 */
#include "itch/itch.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/compiler.h"
#include "common/endian.h"
#include "itch/decode_inline.h"

const uint8_t tp_itch_size[256] = {
    ['S'] = 12, ['R'] = 39, ['H'] = 25, ['Y'] = 20, ['L'] = 26, ['V'] = 35,
    ['W'] = 12, ['K'] = 28, ['J'] = 35, ['h'] = 21, ['A'] = 36, ['F'] = 40,
    ['E'] = 31, ['C'] = 36, ['X'] = 23, ['D'] = 19, ['U'] = 35, ['P'] = 44,
    ['Q'] = 40, ['B'] = 19, ['I'] = 50, ['N'] = 20, ['O'] = 48,
};

/* Descriptor helpers. A slot a type lacks is a dummy: it reads the order ref bytes p[11..19)
 * (inside every hot type) and writes union bytes [DUMMY, DUMMY + 8), which no hot type uses
 * (the largest, 'P', ends at 40; the union is 48 bytes). Keeping the dummies off the live
 * fields matters for speed, not only correctness: if they hit u[0..8) the consumer's load of
 * the order ref would alias stores whose address is still unknown, and the CPU's memory-
 * dependence speculation could misfire. */
#define DUMMY 40
_Static_assert(DUMMY + 8 <= sizeof(((tp_itch_msg *)0)->u), "dummy slot inside the union");
_Static_assert(offsetof(tp_itch_trade, match_number) + 8 <= DUMMY, "dummy slot past 'P'");
_Static_assert(sizeof(tp_itch_add_order) <= DUMMY && sizeof(tp_itch_order_executed) <= DUMMY &&
                   sizeof(tp_itch_order_replace) <= DUMMY && sizeof(tp_itch_order_cancel) <= DUMMY,
               "dummy slot past a hot struct");
#define OFF(st, f) ((uint8_t)offsetof(st, f))
#define NO_W .w_src = 11, .w_dst = DUMMY
#define NO_S1 .s1_src = 11, .s1_dst = DUMMY
#define NO_S2 .s2_src = 11, .s2_dst = DUMMY, .s2_and = ~0u, .s2_or = 0
#define S2(src, dst) .s2_src = (src), .s2_dst = (dst), .s2_and = ~0u, .s2_or = 0
#define S2_CONST(dst, v) .s2_src = 11, .s2_dst = (dst), .s2_and = 0, .s2_or = (v)
#define NO_B .b_src = 11, .b_dst = DUMMY, .b_and = 0xff, .b_or = 0
#define B(src, dst) .b_src = (src), .b_dst = (dst), .b_and = 0xff, .b_or = 0
#define B_CONST(dst, v) .b_src = 11, .b_dst = (dst), .b_and = 0, .b_or = (v)
#define NO_A8 .a8_src = 11, .a8_dst = DUMMY
#define NO_A4 .a4_src = 11, .a4_dst = DUMMY, .a4_and = ~0u, .a4_or = 0
#define A4(src, dst) .a4_src = (src), .a4_dst = (dst), .a4_and = ~0u, .a4_or = 0
#define A4_CONST(dst, v) .a4_src = 11, .a4_dst = (dst), .a4_and = 0, .a4_or = (v)

#define ADD_COMMON(sz)                                                                     \
    .size = (sz), .hot_size = (sz), NO_W, .s1_src = 20, .s1_dst = OFF(tp_itch_add_order, shares),  \
    S2(32, OFF(tp_itch_add_order, price)), B(19, OFF(tp_itch_add_order, side)),          \
    .a8_src = 24, .a8_dst = OFF(tp_itch_add_order, stock)
#define EXEC_COMMON(sz)                                                                    \
    .size = (sz), .hot_size = (sz), .w_src = 23, .w_dst = OFF(tp_itch_order_executed, match_number), \
    .s1_src = 19, .s1_dst = OFF(tp_itch_order_executed, executed_shares), NO_A8, NO_A4

const tp_itch_desc tp_itch_desc_tab[256] = {
    /* cold types: size only (the switch decodes them) */
    ['S'] = {.size = 12}, ['R'] = {.size = 39}, ['H'] = {.size = 25}, ['Y'] = {.size = 20},
    ['L'] = {.size = 26}, ['V'] = {.size = 35}, ['W'] = {.size = 12}, ['K'] = {.size = 28},
    ['J'] = {.size = 35}, ['h'] = {.size = 21}, ['Q'] = {.size = 40}, ['B'] = {.size = 19},
    ['I'] = {.size = 50}, ['N'] = {.size = 20}, ['O'] = {.size = 48},
    /* hot types */
    ['A'] = {ADD_COMMON(36), A4_CONST(OFF(tp_itch_add_order, attribution), 0x20202020u)},
    ['F'] = {ADD_COMMON(40), A4(36, OFF(tp_itch_add_order, attribution))},
    ['P'] = {.size = 44, .hot_size = 44, .w_src = 36, .w_dst = OFF(tp_itch_trade, match_number),
             .s1_src = 20, .s1_dst = OFF(tp_itch_trade, shares), S2(32, OFF(tp_itch_trade, price)),
             B(19, OFF(tp_itch_trade, side)), .a8_src = 24, .a8_dst = OFF(tp_itch_trade, stock),
             NO_A4},
    ['E'] = {EXEC_COMMON(31), S2_CONST(OFF(tp_itch_order_executed, execution_price), 0),
             B_CONST(OFF(tp_itch_order_executed, printable), 'Y')},
    ['C'] = {EXEC_COMMON(36), S2(32, OFF(tp_itch_order_executed, execution_price)),
             B(31, OFF(tp_itch_order_executed, printable))},
    ['X'] = {.size = 23, .hot_size = 23, NO_W, .s1_src = 19,
             .s1_dst = OFF(tp_itch_order_cancel, canceled_shares), NO_S2, NO_B, NO_A8, NO_A4},
    ['D'] = {.size = 19, .hot_size = 19, NO_W, NO_S1, NO_S2, NO_B, NO_A8, NO_A4},
    ['U'] = {.size = 35, .hot_size = 35, .w_src = 19, .w_dst = OFF(tp_itch_order_replace, new_ref),
             .s1_src = 27, .s1_dst = OFF(tp_itch_order_replace, shares),
             S2(31, OFF(tp_itch_order_replace, price)), NO_B, NO_A8, NO_A4},
};

static int vbmi_ok; /* the CPU has AVX-512 VBMI (and the OS saves zmm state) */

#if TP_ITCH_HAVE_VBMI
tp_itch_perm tp_itch_perm_tab[24];
uint8_t tp_itch_perm_of[256];

/* Derive the permutation of each type from the reference decoder: probe A has byte i = i,
 * probe B byte i = i + 64 (the type byte kept); an output byte that follows the probe comes
 * from input byte (value & 63), one that does not is a constant (zero for padding: the
 * output is pre-zeroed). */
static void build_perm_tables(void)
{
    static const char types[] = "SRHYLVWKJhAFECXDUPQBINO";
    for (unsigned k = 0; k < sizeof types - 1; k++) {
        const uint8_t type = (uint8_t)types[k];
        const size_t size = tp_itch_size[type];
        uint8_t pa[64], pb[64];
        tp_itch_msg ma, mb;
        for (unsigned i = 0; i < 64; i++) {
            pa[i] = (uint8_t)i;
            pb[i] = (uint8_t)(i + 64);
        }
        pa[0] = pb[0] = type;
        memset(&ma, 0, sizeof ma);
        memset(&mb, 0, sizeof mb);
        if (tp_itch_decode_cold(pa, size, &ma) != TP_ITCH_OK ||
            tp_itch_decode_cold(pb, size, &mb) != TP_ITCH_OK)
            return; /* cannot happen; vbmi_ok stays 0 */
        tp_itch_perm *t = &tp_itch_perm_tab[k + 1];
        const uint8_t *oa = (const uint8_t *)&ma, *ob = (const uint8_t *)&mb;
        for (unsigned i = 0; i < 64; i++) {
            if (oa[i] != ob[i] || (i == 0)) {
                /* from the input (the type byte: input byte 0 in both probes) */
                const unsigned src = i == 0 ? 0 : oa[i];
                if (src >= size)
                    return; /* cannot happen (the reference reads inside size) */
                t->idx[i] = (uint8_t)src;
                t->from_in |= 1ull << i;
            } else {
                t->cst[i] = oa[i];
            }
        }
        t->load = size >= 64 ? ~0ull : (1ull << size) - 1;
        tp_itch_perm_of[type] = (uint8_t)(k + 1);
    }
    __builtin_cpu_init();
    vbmi_ok = __builtin_cpu_supports("avx512vbmi");
}
#endif

/* TICKPATH_ITCH_DECODER = auto (default: vbmi if the CPU has it, else table) | vbmi | table |
 * switch; an unusable or unknown value falls back to auto. Read once. */
static tp_itch_impl impl = TP_ITCH_IMPL_TABLE;

__attribute__((constructor(200))) static void pick_impl(void)
{
#if TP_ITCH_HAVE_VBMI
    build_perm_tables();
#endif
    const char *e = getenv("TICKPATH_ITCH_DECODER");
    impl = vbmi_ok ? TP_ITCH_IMPL_VBMI : TP_ITCH_IMPL_TABLE;
    if (e && strcmp(e, "table") == 0)
        impl = TP_ITCH_IMPL_TABLE;
    else if (e && strcmp(e, "switch") == 0)
        impl = TP_ITCH_IMPL_SWITCH;
}

tp_itch_impl tp_itch_decoder(void)
{
    return impl;
}

const char *tp_itch_decoder_name(tp_itch_impl i)
{
    return i == TP_ITCH_IMPL_VBMI ? "avx512vbmi" : i == TP_ITCH_IMPL_TABLE ? "table" : "switch";
}

#if TP_ITCH_HAVE_VBMI
TP_ITCH_VBMI_TARGET static tp_itch_status decode_vbmi_outline(const uint8_t *p, size_t len,
                                                               tp_itch_msg *m)
{
    return tp_itch_decode_vbmi(p, len, m);
}
#endif

tp_itch_status tp_itch_decode(const uint8_t *p, size_t len, tp_itch_msg *m)
{
#if TP_ITCH_HAVE_VBMI
    if (impl == TP_ITCH_IMPL_VBMI)
        return decode_vbmi_outline(p, len, m);
#endif
    if (impl == TP_ITCH_IMPL_TABLE)
        return tp_itch_decode_inline(p, len, m);
    return tp_itch_decode_cold(p, len, m);
}

#define ALPHA(dst, p, off) memcpy((dst), (p) + (off), sizeof(dst))

/* The reference decoder: all 23 types field by field. tp_itch_decode() sends only the 15 cold
 * types, unknown types and short input here; called directly it also decodes A F E C X D U P,
 * which is what the hot descriptors are checked against (exactly the same bytes per field). */
tp_itch_status tp_itch_decode_cold(const uint8_t *p, size_t len, tp_itch_msg *m)
{
    if (TP_UNLIKELY(len == 0))
        return TP_ITCH_SHORT;
    const uint8_t type = p[0];
    const size_t need = tp_itch_size[type];
    if (TP_UNLIKELY(need == 0))
        return TP_ITCH_UNKNOWN;
    if (TP_UNLIKELY(len < need))
        return TP_ITCH_SHORT;

    m->type = type;
    m->stock_locate = tp_be16(p + 1);
    m->tracking_number = tp_be16(p + 3);
    m->timestamp = tp_be48(p + 5);

    switch (type) {
    case 'S':
        m->u.system_event.event_code = p[11];
        break;
    case 'R': {
        tp_itch_stock_directory *r = &m->u.stock_directory;
        ALPHA(r->stock, p, 11);
        r->market_category = p[19];
        r->financial_status = p[20];
        r->round_lot_size = tp_be32(p + 21);
        r->round_lots_only = p[25];
        r->issue_classification = p[26];
        ALPHA(r->issue_subtype, p, 27);
        r->authenticity = p[29];
        r->short_sale_threshold = p[30];
        r->ipo_flag = p[31];
        r->luld_ref_price_tier = p[32];
        r->etp_flag = p[33];
        r->etp_leverage_factor = tp_be32(p + 34);
        r->inverse_indicator = p[38];
        break;
    }
    case 'H':
        ALPHA(m->u.trading_action.stock, p, 11);
        m->u.trading_action.trading_state = p[19];
        m->u.trading_action.reserved = p[20];
        ALPHA(m->u.trading_action.reason, p, 21);
        break;
    case 'Y':
        ALPHA(m->u.reg_sho.stock, p, 11);
        m->u.reg_sho.reg_sho_action = p[19];
        break;
    case 'L':
        ALPHA(m->u.mp_position.mpid, p, 11);
        ALPHA(m->u.mp_position.stock, p, 15);
        m->u.mp_position.primary_market_maker = p[23];
        m->u.mp_position.market_maker_mode = p[24];
        m->u.mp_position.market_participant_state = p[25];
        break;
    case 'V':
        m->u.mwcb_decline.level1 = tp_be64(p + 11);
        m->u.mwcb_decline.level2 = tp_be64(p + 19);
        m->u.mwcb_decline.level3 = tp_be64(p + 27);
        break;
    case 'W':
        m->u.mwcb_status.breached_level = p[11];
        break;
    case 'K':
        ALPHA(m->u.ipo_quoting.stock, p, 11);
        m->u.ipo_quoting.release_time = tp_be32(p + 19);
        m->u.ipo_quoting.release_qualifier = p[23];
        m->u.ipo_quoting.ipo_price = tp_be32(p + 24);
        break;
    case 'J':
        ALPHA(m->u.luld_collar.stock, p, 11);
        m->u.luld_collar.ref_price = tp_be32(p + 19);
        m->u.luld_collar.upper_price = tp_be32(p + 23);
        m->u.luld_collar.lower_price = tp_be32(p + 27);
        m->u.luld_collar.extension = tp_be32(p + 31);
        break;
    case 'h':
        ALPHA(m->u.op_halt.stock, p, 11);
        m->u.op_halt.market_code = p[19];
        m->u.op_halt.halt_action = p[20];
        break;
    case 'A':
    case 'F':
        m->u.add.order_ref = tp_be64(p + 11);
        m->u.add.side = p[19];
        m->u.add.shares = tp_be32(p + 20);
        ALPHA(m->u.add.stock, p, 24);
        m->u.add.price = tp_be32(p + 32);
        if (type == 'F')
            ALPHA(m->u.add.attribution, p, 36);
        else
            memset(m->u.add.attribution, ' ', sizeof m->u.add.attribution);
        break;
    case 'E':
    case 'C':
        m->u.executed.order_ref = tp_be64(p + 11);
        m->u.executed.executed_shares = tp_be32(p + 19);
        m->u.executed.match_number = tp_be64(p + 23);
        if (type == 'C') {
            m->u.executed.printable = p[31];
            m->u.executed.execution_price = tp_be32(p + 32);
        } else {
            m->u.executed.printable = 'Y';
            m->u.executed.execution_price = 0;
        }
        break;
    case 'X':
        m->u.cancel.order_ref = tp_be64(p + 11);
        m->u.cancel.canceled_shares = tp_be32(p + 19);
        break;
    case 'D':
        m->u.del.order_ref = tp_be64(p + 11);
        break;
    case 'U':
        m->u.replace.original_ref = tp_be64(p + 11);
        m->u.replace.new_ref = tp_be64(p + 19);
        m->u.replace.shares = tp_be32(p + 27);
        m->u.replace.price = tp_be32(p + 31);
        break;
    case 'P':
        m->u.trade.order_ref = tp_be64(p + 11);
        m->u.trade.side = p[19];
        m->u.trade.shares = tp_be32(p + 20);
        ALPHA(m->u.trade.stock, p, 24);
        m->u.trade.price = tp_be32(p + 32);
        m->u.trade.match_number = tp_be64(p + 36);
        break;
    case 'Q':
        m->u.cross_trade.shares = tp_be64(p + 11);
        ALPHA(m->u.cross_trade.stock, p, 19);
        m->u.cross_trade.cross_price = tp_be32(p + 27);
        m->u.cross_trade.match_number = tp_be64(p + 31);
        m->u.cross_trade.cross_type = p[39];
        break;
    case 'B':
        m->u.broken_trade.match_number = tp_be64(p + 11);
        break;
    case 'I':
        m->u.noii.paired_shares = tp_be64(p + 11);
        m->u.noii.imbalance_shares = tp_be64(p + 19);
        m->u.noii.imbalance_direction = p[27];
        ALPHA(m->u.noii.stock, p, 28);
        m->u.noii.far_price = tp_be32(p + 36);
        m->u.noii.near_price = tp_be32(p + 40);
        m->u.noii.current_ref_price = tp_be32(p + 44);
        m->u.noii.cross_type = p[48];
        m->u.noii.price_variation_indicator = p[49];
        break;
    case 'N':
        ALPHA(m->u.rpii.stock, p, 11);
        m->u.rpii.interest_flag = p[19];
        break;
    case 'O':
        ALPHA(m->u.dlcr.stock, p, 11);
        m->u.dlcr.open_eligibility_status = p[19];
        m->u.dlcr.min_allowable_price = tp_be32(p + 20);
        m->u.dlcr.max_allowable_price = tp_be32(p + 24);
        m->u.dlcr.near_execution_price = tp_be32(p + 28);
        m->u.dlcr.near_execution_time = tp_be64(p + 32);
        m->u.dlcr.lower_price_range_collar = tp_be32(p + 40);
        m->u.dlcr.upper_price_range_collar = tp_be32(p + 44);
        break;
    default:
        return TP_ITCH_UNKNOWN; /* unreachable: size table and switch list the same types */
    }
    return TP_ITCH_OK;
}
