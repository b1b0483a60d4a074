/* NASDAQ OUCH 4.2 order-entry messages: layout constants, structs, encoders, decoders.
 *
 * Inbound (client -> exchange, carried in SoupBinTCP 'U'): Enter 'O' 49, Replace 'U' 47,
 * Cancel 'X' 19. Outbound (exchange -> client, in SoupBinTCP 'S', Timestamp u64 ns since
 * midnight right after the type): System Event 'S' 10, Accepted 'A' 66, Replaced 'U' 80,
 * Canceled 'C' 28, AIQ Canceled 'D' 37, Executed 'E' 40, Broken Trade 'B' 32, Price
 * Correction 'K' 36, Rejected 'J' 24, Cancel Pending 'P' 23, Cancel Reject 'I' 23.
 * Integers big-endian; alpha fields left-justified, space-padded (raw here, not NUL-ended).
 * Price u32 with 4 implied decimals. Decoders demand the exact size of the type.
 */
#ifndef TP_OUCH_OUCH_H
#define TP_OUCH_OUCH_H

#include <stddef.h>
#include <stdint.h>

#define TP_OUCH_TOKEN_LEN 14
#define TP_OUCH_MAX_MSG 80

/* Message sizes (including the type byte). */
#define TP_OUCH_ENTER_LEN 49
#define TP_OUCH_REPLACE_LEN 47
#define TP_OUCH_CANCEL_LEN 19
#define TP_OUCH_SYSTEM_EVENT_LEN 10
#define TP_OUCH_ACCEPTED_LEN 66
#define TP_OUCH_REPLACED_LEN 80
#define TP_OUCH_CANCELED_LEN 28
#define TP_OUCH_AIQ_CANCELED_LEN 37
#define TP_OUCH_EXECUTED_LEN 40
#define TP_OUCH_BROKEN_LEN 32
#define TP_OUCH_PRICE_CORR_LEN 36
#define TP_OUCH_REJECTED_LEN 24
#define TP_OUCH_CANCEL_PENDING_LEN 23
#define TP_OUCH_CANCEL_REJECT_LEN 23

#define TP_OUCH_TIF_IOC 0u
#define TP_OUCH_TIF_MARKET_HOURS 99998u
#define TP_OUCH_TIF_SYSTEM_HOURS 99999u
#define TP_OUCH_MAX_PRICE 1999999900u /* $199,999.99: the highest price OUCH 4.2 accepts */

/* Canceled reasons. */
#define TP_OUCH_CXL_USER 'U'
#define TP_OUCH_CXL_IOC 'I'
#define TP_OUCH_CXL_TIMEOUT 'T'
#define TP_OUCH_CXL_SUPERVISORY 'S'
#define TP_OUCH_CXL_SYSTEM 'Z'
#define TP_OUCH_CXL_CLOSED 'E'
/* Rejected reasons. */
#define TP_OUCH_REJ_HALTED 'H'
#define TP_OUCH_REJ_SIZE 'Z'      /* shares exceed the safety threshold */
#define TP_OUCH_REJ_STOCK 'S'     /* invalid stock */
#define TP_OUCH_REJ_DISPLAY 'D'
#define TP_OUCH_REJ_CLOSED 'C'
#define TP_OUCH_REJ_FIRM 'L'
#define TP_OUCH_REJ_PRICE 'X'
#define TP_OUCH_REJ_MINQTY 'N'
#define TP_OUCH_REJ_OTHER 'O'
#define TP_OUCH_REJ_SIDE 'i'      /* not in the 4.2 spec list: used by tickpath for a bad side */
#define TP_OUCH_REJ_REJECT_ALL 'a'

typedef struct { /* 'O' */
    char token[TP_OUCH_TOKEN_LEN];
    uint8_t side; /* B, S (sell long), T (short), E (short exempt) */
    uint32_t shares;
    char stock[8];
    uint32_t price;
    uint32_t tif;
    char firm[4];
    uint8_t display, capacity, iso;
    uint32_t min_qty;
    uint8_t cross_type, customer_type;
} tp_ouch_enter;

typedef struct { /* 'U' inbound */
    char existing[TP_OUCH_TOKEN_LEN];
    char replacement[TP_OUCH_TOKEN_LEN];
    uint32_t shares, price, tif;
    uint8_t display, iso;
    uint32_t min_qty;
} tp_ouch_replace;

typedef struct { /* 'X' */
    char token[TP_OUCH_TOKEN_LEN];
    uint32_t shares; /* shares to leave open: 0 = cancel all */
} tp_ouch_cancel;

typedef struct { /* 'A' Accepted and 'U' Replaced (previous only for 'U') */
    char token[TP_OUCH_TOKEN_LEN];
    uint8_t side;
    uint32_t shares;
    char stock[8];
    uint32_t price, tif;
    char firm[4];
    uint8_t display;
    uint64_t order_ref;
    uint8_t capacity, iso;
    uint32_t min_qty;
    uint8_t cross_type, order_state, bbo_weight;
    char previous[TP_OUCH_TOKEN_LEN];
} tp_ouch_accepted;

typedef struct { /* 'C' Canceled and 'D' AIQ Canceled */
    char token[TP_OUCH_TOKEN_LEN];
    uint32_t decrement;
    uint8_t reason;
    uint32_t qty_prevented, exec_price; /* AIQ only */
    uint8_t liquidity;                  /* AIQ only */
} tp_ouch_canceled;

typedef struct { /* 'E' */
    char token[TP_OUCH_TOKEN_LEN];
    uint32_t shares, price;
    uint8_t liquidity; /* A added, R removed */
    uint64_t match;
} tp_ouch_executed;

typedef struct { /* 'B' Broken Trade and 'K' Price Correction (price only for 'K') */
    char token[TP_OUCH_TOKEN_LEN];
    uint64_t match;
    uint32_t price;
    uint8_t reason;
} tp_ouch_broken;

typedef struct { /* 'J', 'P', 'I' (reason only for 'J') */
    char token[TP_OUCH_TOKEN_LEN];
    uint8_t reason;
} tp_ouch_token_msg;

typedef struct {
    uint8_t type;
    union {
        tp_ouch_enter enter;
        tp_ouch_replace replace;
        tp_ouch_cancel cancel;
    } u;
} tp_ouch_in;

typedef struct {
    uint8_t type;
    uint64_t timestamp;
    union {
        uint8_t event; /* 'S': S start of day, E end of day */
        tp_ouch_accepted accepted;
        tp_ouch_canceled canceled;
        tp_ouch_executed executed;
        tp_ouch_broken broken;
        tp_ouch_token_msg tok;
    } u;
} tp_ouch_out;

/* Exact size of an inbound / outbound type, 0 if unknown. */
size_t tp_ouch_in_size(uint8_t type);
size_t tp_ouch_out_size(uint8_t type);

/* Decoders: 0, or -1 (unknown type or wrong length). Never read past p + len. */
int tp_ouch_decode_in(const uint8_t *p, size_t len, tp_ouch_in *out);
int tp_ouch_decode_out(const uint8_t *p, size_t len, tp_ouch_out *out);

/* Encoders: write into p (>= TP_OUCH_MAX_MSG bytes) and return the message size. */
size_t tp_ouch_enc_enter(uint8_t *p, const tp_ouch_enter *m);
size_t tp_ouch_enc_replace(uint8_t *p, const tp_ouch_replace *m);
size_t tp_ouch_enc_cancel(uint8_t *p, const tp_ouch_cancel *m);
/* Enter/Replace from a template: tpl is a whole message made once with tp_ouch_enc_enter /
 * _replace (the firm-specific fields: Firm, Display, Capacity, ISO, MinimumQuantity, Cross
 * Type, Customer Type); these copy it and write the per-order fields of m over it (Enter:
 * token, side, shares, stock, price, TIF; Replace: both tokens, shares, price, TIF). m's
 * other fields are not read. */
size_t tp_ouch_enc_enter_tpl(uint8_t *p, const uint8_t tpl[TP_OUCH_ENTER_LEN],
                             const tp_ouch_enter *m);
size_t tp_ouch_enc_replace_tpl(uint8_t *p, const uint8_t tpl[TP_OUCH_REPLACE_LEN],
                               const tp_ouch_replace *m);
size_t tp_ouch_enc_system_event(uint8_t *p, uint64_t ts, uint8_t event);
size_t tp_ouch_enc_accepted(uint8_t *p, uint64_t ts, const tp_ouch_accepted *m);
size_t tp_ouch_enc_replaced(uint8_t *p, uint64_t ts, const tp_ouch_accepted *m);
size_t tp_ouch_enc_canceled(uint8_t *p, uint64_t ts, const tp_ouch_canceled *m);
size_t tp_ouch_enc_aiq_canceled(uint8_t *p, uint64_t ts, const tp_ouch_canceled *m);
size_t tp_ouch_enc_executed(uint8_t *p, uint64_t ts, const tp_ouch_executed *m);
size_t tp_ouch_enc_broken(uint8_t *p, uint64_t ts, const tp_ouch_broken *m);
size_t tp_ouch_enc_price_correction(uint8_t *p, uint64_t ts, const tp_ouch_broken *m);
size_t tp_ouch_enc_rejected(uint8_t *p, uint64_t ts, const char token[14], uint8_t reason);
size_t tp_ouch_enc_cancel_pending(uint8_t *p, uint64_t ts, const char token[14]);
size_t tp_ouch_enc_cancel_reject(uint8_t *p, uint64_t ts, const char token[14]);

#endif
