/* ITCH 5.0 decoder: bytes -> tp_itch_msg, field by field with explicit big-endian loads. */
#include "itch/itch.h"

#include <string.h>

#include "common/compiler.h"
#include "common/endian.h"

const uint8_t tp_itch_size[256] = {
    ['S'] = 12, ['R'] = 39, ['H'] = 25, ['Y'] = 20, ['L'] = 26, ['V'] = 35,
    ['W'] = 12, ['K'] = 28, ['J'] = 35, ['h'] = 21, ['A'] = 36, ['F'] = 40,
    ['E'] = 31, ['C'] = 36, ['X'] = 23, ['D'] = 19, ['U'] = 35, ['P'] = 44,
    ['Q'] = 40, ['B'] = 19, ['I'] = 50, ['N'] = 20, ['O'] = 48,
};

#define ALPHA(dst, p, off) memcpy((dst), (p) + (off), sizeof(dst))

tp_itch_status tp_itch_decode(const uint8_t *p, size_t len, tp_itch_msg *m)
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
