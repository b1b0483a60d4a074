/* NASDAQ TotalView-ITCH 5.0 messages: type codes, sizes, decoded structs, decoder API.
 *
 * Every message starts with the 11-byte common header: Type(1) StockLocate(2)
 * TrackingNumber(2) Timestamp(6, ns since midnight). All integers are big-endian; alpha
 * fields are left-justified and space-padded (kept raw here, not NUL-terminated).
 * Prices are u32 with 4 implied decimals, except MWCB levels (u64, 8 decimals).
 */
#ifndef TP_ITCH_ITCH_H
#define TP_ITCH_ITCH_H

#include <stddef.h>
#include <stdint.h>

#define TP_ITCH_HEADER_LEN 11
#define TP_ITCH_MAX_MSG_LEN 50 /* 'I' NOII is the largest 5.0 message */

/* Size in bytes (including the type byte) of each known message type; 0 = unknown. */
extern const uint8_t tp_itch_size[256];

static inline size_t tp_itch_msg_size(uint8_t type)
{
    return tp_itch_size[type];
}

typedef enum {
    TP_ITCH_OK = 0,
    TP_ITCH_UNKNOWN = 1, /* type not in ITCH 5.0: skip it by its length */
    TP_ITCH_SHORT = 2,   /* fewer bytes than the type needs (truncated/garbage) */
} tp_itch_status;

typedef struct { uint8_t event_code; } tp_itch_system_event; /* 'S' */

typedef struct { /* 'R' */
    char stock[8];
    uint8_t market_category;
    uint8_t financial_status;
    uint32_t round_lot_size;
    uint8_t round_lots_only;
    uint8_t issue_classification;
    char issue_subtype[2];
    uint8_t authenticity;
    uint8_t short_sale_threshold;
    uint8_t ipo_flag;
    uint8_t luld_ref_price_tier;
    uint8_t etp_flag;
    uint32_t etp_leverage_factor;
    uint8_t inverse_indicator;
} tp_itch_stock_directory;

typedef struct { /* 'H' */
    char stock[8];
    uint8_t trading_state;
    uint8_t reserved;
    char reason[4];
} tp_itch_trading_action;

typedef struct { char stock[8]; uint8_t reg_sho_action; } tp_itch_reg_sho; /* 'Y' */

typedef struct { /* 'L' */
    char mpid[4];
    char stock[8];
    uint8_t primary_market_maker;
    uint8_t market_maker_mode;
    uint8_t market_participant_state;
} tp_itch_mp_position;

typedef struct { uint64_t level1, level2, level3; } tp_itch_mwcb_decline; /* 'V' (8 decimals) */

typedef struct { uint8_t breached_level; } tp_itch_mwcb_status; /* 'W' */

typedef struct { /* 'K' */
    char stock[8];
    uint32_t release_time;
    uint8_t release_qualifier;
    uint32_t ipo_price;
} tp_itch_ipo_quoting;

typedef struct { /* 'J' */
    char stock[8];
    uint32_t ref_price;
    uint32_t upper_price;
    uint32_t lower_price;
    uint32_t extension;
} tp_itch_luld_collar;

typedef struct { char stock[8]; uint8_t market_code; uint8_t halt_action; } tp_itch_op_halt; /* 'h' */

typedef struct { /* 'A' and 'F' (attribution all spaces for 'A') */
    uint64_t order_ref;
    uint8_t side;
    uint32_t shares;
    char stock[8];
    uint32_t price;
    char attribution[4];
} tp_itch_add_order;

typedef struct { /* 'E' and 'C' (printable/price only for 'C') */
    uint64_t order_ref;
    uint32_t executed_shares;
    uint64_t match_number;
    uint8_t printable;
    uint32_t execution_price;
} tp_itch_order_executed;

typedef struct { uint64_t order_ref; uint32_t canceled_shares; } tp_itch_order_cancel; /* 'X' */

typedef struct { uint64_t order_ref; } tp_itch_order_delete; /* 'D' */

typedef struct { /* 'U' */
    uint64_t original_ref;
    uint64_t new_ref;
    uint32_t shares;
    uint32_t price;
} tp_itch_order_replace;

typedef struct { /* 'P' */
    uint64_t order_ref;
    uint8_t side;
    uint32_t shares;
    char stock[8];
    uint32_t price;
    uint64_t match_number;
} tp_itch_trade;

typedef struct { /* 'Q' */
    uint64_t shares;
    char stock[8];
    uint32_t cross_price;
    uint64_t match_number;
    uint8_t cross_type;
} tp_itch_cross_trade;

typedef struct { uint64_t match_number; } tp_itch_broken_trade; /* 'B' */

typedef struct { /* 'I' */
    uint64_t paired_shares;
    uint64_t imbalance_shares;
    uint8_t imbalance_direction;
    char stock[8];
    uint32_t far_price;
    uint32_t near_price;
    uint32_t current_ref_price;
    uint8_t cross_type;
    uint8_t price_variation_indicator;
} tp_itch_noii;

typedef struct { char stock[8]; uint8_t interest_flag; } tp_itch_rpii; /* 'N' */

typedef struct { /* 'O' */
    char stock[8];
    uint8_t open_eligibility_status;
    uint32_t min_allowable_price;
    uint32_t max_allowable_price;
    uint32_t near_execution_price;
    uint64_t near_execution_time;
    uint32_t lower_price_range_collar;
    uint32_t upper_price_range_collar;
} tp_itch_dlcr;

typedef struct {
    uint8_t type;
    uint16_t stock_locate;
    uint16_t tracking_number;
    uint64_t timestamp; /* ns since midnight (48 bits on the wire) */
    union {
        tp_itch_system_event system_event;
        tp_itch_stock_directory stock_directory;
        tp_itch_trading_action trading_action;
        tp_itch_reg_sho reg_sho;
        tp_itch_mp_position mp_position;
        tp_itch_mwcb_decline mwcb_decline;
        tp_itch_mwcb_status mwcb_status;
        tp_itch_ipo_quoting ipo_quoting;
        tp_itch_luld_collar luld_collar;
        tp_itch_op_halt op_halt;
        tp_itch_add_order add;
        tp_itch_order_executed executed;
        tp_itch_order_cancel cancel;
        tp_itch_order_delete del;
        tp_itch_order_replace replace;
        tp_itch_trade trade;
        tp_itch_cross_trade cross_trade;
        tp_itch_broken_trade broken_trade;
        tp_itch_noii noii;
        tp_itch_rpii rpii;
        tp_itch_dlcr dlcr;
    } u;
} tp_itch_msg;

/* Decode one message (p[0] is the type byte, len bytes readable). Extra bytes beyond the
 * type's size are ignored (forward compatibility). Never reads past p + len. */
tp_itch_status tp_itch_decode(const uint8_t *p, size_t len, tp_itch_msg *out);

#endif
