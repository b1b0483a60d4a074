/* libFuzzer: every ITCH decoder implementation on the same bytes, checked against each other.
 *
 * The input is read two ways: (1) whole, as one message (byte 0 = type, any length: short,
 * exact, oversized, unknown type); (2) as a stream of records, each a 2-byte big-endian length
 * and that many bytes (BinaryFILE / MoldUDP64 framing; a length running past the end takes what
 * is left, so truncated messages occur). Each message is decoded by
 *   switch      tp_itch_decode_cold()   (the reference)
 *   table       tp_itch_decode_inline()
 *   avx512vbmi  tp_itch_decode_vbmi()   (only when this CPU has AVX-512 VBMI)
 *   dispatch    tp_itch_decode()        (the run-time pick, TICKPATH_ITCH_DECODER)
 * and must give the same status and, on OK, the same value in every field of its type. Each
 * output starts from its own fill byte, so a field one path leaves unwritten is a mismatch too.
 * Checked apart from the decoders: the status follows from the spec's size of the type (table
 * below, from NASDAQ's ITCH 5.0) and the length, the header fields are the raw big-endian
 * bytes, bytes past the type's size change nothing, and one byte fewer is TP_ITCH_SHORT.
 * Every decode reads from a heap copy of exactly the message's length, so ASan reports any read
 * past p + len (the vbmi masked load included: ASan checks each lane the mask enables).
 * A mismatch prints both results' first differing field and aborts (a libFuzzer crash).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "itch/decode_inline.h"
#include "itch/itch.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef tp_itch_status (*decode_fn)(const uint8_t *p, size_t len, tp_itch_msg *m);

static tp_itch_status decode_table(const uint8_t *p, size_t len, tp_itch_msg *m)
{
    return tp_itch_decode_inline(p, len, m);
}

#if TP_ITCH_HAVE_VBMI
TP_ITCH_VBMI_TARGET static tp_itch_status decode_vbmi(const uint8_t *p, size_t len, tp_itch_msg *m)
{
    return tp_itch_decode_vbmi(p, len, m);
}
#endif

#define MAX_IMPLS 4
static struct {
    const char *name;
    decode_fn fn;
} impls[MAX_IMPLS];
static size_t n_impls;

/* ITCH 5.0 message sizes including the type byte (NASDAQ spec; deliberately not tp_itch_size). */
static uint8_t spec_size[256];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    static const struct {
        char type;
        uint8_t size;
    } spec[] = {
        {'S', 12}, {'R', 39}, {'H', 25}, {'Y', 20}, {'L', 26}, {'V', 35}, {'W', 12}, {'K', 28},
        {'J', 35}, {'h', 21}, {'A', 36}, {'F', 40}, {'E', 31}, {'C', 36}, {'X', 23}, {'D', 19},
        {'U', 35}, {'P', 44}, {'Q', 40}, {'B', 19}, {'I', 50}, {'N', 20}, {'O', 48},
    };
    for (size_t i = 0; i < sizeof spec / sizeof spec[0]; i++)
        spec_size[(uint8_t)spec[i].type] = spec[i].size;

    impls[n_impls].name = "switch";
    impls[n_impls++].fn = tp_itch_decode_cold;
    impls[n_impls].name = "table";
    impls[n_impls++].fn = decode_table;
#if TP_ITCH_HAVE_VBMI
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512vbmi")) {
        impls[n_impls].name = "avx512vbmi";
        impls[n_impls++].fn = decode_vbmi;
    }
#endif
    impls[n_impls].name = "tp_itch_decode";
    impls[n_impls++].fn = tp_itch_decode;
    fprintf(stderr, "fuzz_itch_decode: comparing");
    for (size_t i = 0; i < n_impls; i++)
        fprintf(stderr, " %s", impls[i].name);
    fprintf(stderr, " (tp_itch_decode uses %s)\n", tp_itch_decoder_name(tp_itch_decoder()));
    return 0;
}

/* Name of the first field of a->type's struct that differs between a and b, NULL if none
 * (both are OK results for the same type). */
static const char *first_diff(const tp_itch_msg *a, const tp_itch_msg *b)
{
#define F(x)                                                                                       \
    do {                                                                                           \
        if (a->x != b->x)                                                                          \
            return #x;                                                                             \
    } while (0)
#define A(x)                                                                                       \
    do {                                                                                           \
        if (memcmp(a->x, b->x, sizeof a->x) != 0)                                                  \
            return #x;                                                                             \
    } while (0)
    F(type);
    F(stock_locate);
    F(tracking_number);
    F(timestamp);
    switch (a->type) {
    case 'S':
        F(u.system_event.event_code);
        break;
    case 'R':
        A(u.stock_directory.stock);
        F(u.stock_directory.market_category);
        F(u.stock_directory.financial_status);
        F(u.stock_directory.round_lot_size);
        F(u.stock_directory.round_lots_only);
        F(u.stock_directory.issue_classification);
        A(u.stock_directory.issue_subtype);
        F(u.stock_directory.authenticity);
        F(u.stock_directory.short_sale_threshold);
        F(u.stock_directory.ipo_flag);
        F(u.stock_directory.luld_ref_price_tier);
        F(u.stock_directory.etp_flag);
        F(u.stock_directory.etp_leverage_factor);
        F(u.stock_directory.inverse_indicator);
        break;
    case 'H':
        A(u.trading_action.stock);
        F(u.trading_action.trading_state);
        F(u.trading_action.reserved);
        A(u.trading_action.reason);
        break;
    case 'Y':
        A(u.reg_sho.stock);
        F(u.reg_sho.reg_sho_action);
        break;
    case 'L':
        A(u.mp_position.mpid);
        A(u.mp_position.stock);
        F(u.mp_position.primary_market_maker);
        F(u.mp_position.market_maker_mode);
        F(u.mp_position.market_participant_state);
        break;
    case 'V':
        F(u.mwcb_decline.level1);
        F(u.mwcb_decline.level2);
        F(u.mwcb_decline.level3);
        break;
    case 'W':
        F(u.mwcb_status.breached_level);
        break;
    case 'K':
        A(u.ipo_quoting.stock);
        F(u.ipo_quoting.release_time);
        F(u.ipo_quoting.release_qualifier);
        F(u.ipo_quoting.ipo_price);
        break;
    case 'J':
        A(u.luld_collar.stock);
        F(u.luld_collar.ref_price);
        F(u.luld_collar.upper_price);
        F(u.luld_collar.lower_price);
        F(u.luld_collar.extension);
        break;
    case 'h':
        A(u.op_halt.stock);
        F(u.op_halt.market_code);
        F(u.op_halt.halt_action);
        break;
    case 'A':
    case 'F':
        F(u.add.order_ref);
        F(u.add.side);
        F(u.add.shares);
        A(u.add.stock);
        F(u.add.price);
        A(u.add.attribution);
        break;
    case 'E':
    case 'C':
        F(u.executed.order_ref);
        F(u.executed.executed_shares);
        F(u.executed.match_number);
        F(u.executed.printable);
        F(u.executed.execution_price);
        break;
    case 'X':
        F(u.cancel.order_ref);
        F(u.cancel.canceled_shares);
        break;
    case 'D':
        F(u.del.order_ref);
        break;
    case 'U':
        F(u.replace.original_ref);
        F(u.replace.new_ref);
        F(u.replace.shares);
        F(u.replace.price);
        break;
    case 'P':
        F(u.trade.order_ref);
        F(u.trade.side);
        F(u.trade.shares);
        A(u.trade.stock);
        F(u.trade.price);
        F(u.trade.match_number);
        break;
    case 'Q':
        F(u.cross_trade.shares);
        A(u.cross_trade.stock);
        F(u.cross_trade.cross_price);
        F(u.cross_trade.match_number);
        F(u.cross_trade.cross_type);
        break;
    case 'B':
        F(u.broken_trade.match_number);
        break;
    case 'I':
        F(u.noii.paired_shares);
        F(u.noii.imbalance_shares);
        F(u.noii.imbalance_direction);
        A(u.noii.stock);
        F(u.noii.far_price);
        F(u.noii.near_price);
        F(u.noii.current_ref_price);
        F(u.noii.cross_type);
        F(u.noii.price_variation_indicator);
        break;
    case 'N':
        A(u.rpii.stock);
        F(u.rpii.interest_flag);
        break;
    case 'O':
        A(u.dlcr.stock);
        F(u.dlcr.open_eligibility_status);
        F(u.dlcr.min_allowable_price);
        F(u.dlcr.max_allowable_price);
        F(u.dlcr.near_execution_price);
        F(u.dlcr.near_execution_time);
        F(u.dlcr.lower_price_range_collar);
        F(u.dlcr.upper_price_range_collar);
        break;
    default:
        return "type (OK for a type that is not ITCH 5.0)";
    }
    return NULL;
#undef F
#undef A
}

__attribute__((noreturn)) static void fail(const char *what, const char *detail, const uint8_t *p,
                                           size_t len)
{
    fprintf(stderr, "fuzz_itch_decode: %s (%s); len %zu:", what, detail, len);
    for (size_t i = 0; i < len && i < 64; i++)
        fprintf(stderr, " %02x", p[i]);
    fprintf(stderr, "%s\n", len > 64 ? " ..." : "");
    abort();
}

/* Decode p[0..len) with every implementation from a heap copy of exactly len bytes; all must
 * agree. Returns the status; *out = the reference (switch) result. */
static tp_itch_status decode_all(const uint8_t *p, size_t len, tp_itch_msg *out)
{
    static const uint8_t fill[MAX_IMPLS] = {0xa5, 0x5a, 0x3c, 0xc3};
    uint8_t *copy = malloc(len);
    if (copy == NULL && len != 0)
        abort();
    if (len)
        memcpy(copy, p, len);
    tp_itch_msg m[MAX_IMPLS];
    tp_itch_status st[MAX_IMPLS];
    for (size_t i = 0; i < n_impls; i++) {
        memset(&m[i], fill[i], sizeof m[i]);
        st[i] = impls[i].fn(copy, len, &m[i]);
    }
    free(copy);
    for (size_t i = 1; i < n_impls; i++) {
        const char *field = st[i] != st[0]       ? "status"
                            : st[0] == TP_ITCH_OK ? first_diff(&m[0], &m[i])
                                                  : NULL;
        if (field) {
            char what[128];
            snprintf(what, sizeof what, "%s and %s disagree, status %d and %d", impls[0].name,
                     impls[i].name, (int)st[0], (int)st[i]);
            fail(what, field, p, len);
        }
    }
    *out = m[0];
    return st[0];
}

static void check_msg(const uint8_t *p, size_t len)
{
    tp_itch_msg m, exact;
    const tp_itch_status s = decode_all(p, len, &m);
    const size_t need = len ? spec_size[p[0]] : 0;
    const tp_itch_status want = len == 0      ? TP_ITCH_SHORT
                                : need == 0   ? TP_ITCH_UNKNOWN
                                : len < need  ? TP_ITCH_SHORT
                                              : TP_ITCH_OK;
    if (len && tp_itch_msg_size(p[0]) != need)
        fail("tp_itch_msg_size differs from the spec", "size", p, len);
    if (s != want)
        fail("status differs from the spec", s == TP_ITCH_OK ? "OK" : "not OK", p, len);
    if (s != TP_ITCH_OK)
        return;
    const uint64_t ts = (uint64_t)p[5] << 40 | (uint64_t)p[6] << 32 | (uint64_t)p[7] << 24 |
                        (uint64_t)p[8] << 16 | (uint64_t)p[9] << 8 | p[10];
    if (m.type != p[0] || m.stock_locate != (p[1] << 8 | p[2]) ||
        m.tracking_number != (p[3] << 8 | p[4]) || m.timestamp != ts)
        fail("header differs from the raw bytes", "header", p, len);
    /* bytes past the type's size are ignored; one byte fewer is short */
    if (len > need) {
        if (decode_all(p, need, &exact) != TP_ITCH_OK)
            fail("exact-size copy of an OK message is not OK", "status", p, need);
        const char *field = first_diff(&m, &exact);
        if (field)
            fail("trailing bytes changed the result", field, p, len);
    }
    if (decode_all(p, need - 1, &exact) != TP_ITCH_SHORT)
        fail("one byte fewer than the size is not SHORT", "status", p, need - 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_msg(data, size);
    size_t off = 0;
    while (size - off >= 2) {
        size_t n = (size_t)data[off] << 8 | data[off + 1];
        off += 2;
        if (n > size - off)
            n = size - off; /* truncated tail: decode what is there */
        check_msg(data + off, n);
        off += n;
    }
    return 0;
}
