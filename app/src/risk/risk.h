/* Pre-trade risk checks, run on every order before any byte of it leaves the gateway.
 *
 * Rules, in the order they are checked (the first failing one is the reason):
 *   kill switch engaged; malformed order (0 shares, 0 price, bad side, unknown symbol);
 *   price below the floor (min_price); max order size (shares); max notional (price x shares); price collar (|price - ref| vs
 *   collar_bps of ref, ref = BBO mid, or the one side present; no BBO = reject when a collar
 *   is set); max open orders; max position per symbol counting open exposure (a buy is
 *   checked as position + open buys + shares <= max, a sell as open sells + shares - position
 *   <= max); per-second throttle (token bucket: rate per second, burst tokens). The token is
 *   only consumed by an order that passes every other rule.
 * Every reject is counted per reason. One thread owns a tp_risk; the kill flag may be
 * written by anyone (another process through shared memory): it is read with an atomic load.
 * No allocation, no syscalls: tp_risk_check() is a handful of compares (bench: ~10-20 ns).
 */
#ifndef TP_RISK_RISK_H
#define TP_RISK_RISK_H

#include <stdint.h>

#include "common/compiler.h"

#define TP_RISK_MAX_SYMBOLS 64

typedef enum {
    TP_RISK_OK = 0,
    TP_RISK_KILL_SWITCH,
    TP_RISK_BAD_ORDER,
    TP_RISK_UNKNOWN_SYMBOL,
    TP_RISK_ORDER_SIZE,
    TP_RISK_NOTIONAL,
    TP_RISK_PRICE_COLLAR,
    TP_RISK_NO_REFERENCE,
    TP_RISK_OPEN_ORDERS,
    TP_RISK_POSITION,
    TP_RISK_THROTTLE,
    TP_RISK_MIN_PRICE, /* appended: reason codes are stable; checked right after bad_order */
    TP_RISK_REASONS,
} tp_risk_reason;

typedef struct {
    uint32_t max_order_shares; /* 0 = no limit */
    uint64_t max_notional;     /* price units (1/10000 USD) x shares; 0 = no limit */
    uint32_t min_price;        /* 1/10000 USD: a lower limit price is rejected; 0 = no floor */
    uint32_t collar_bps;       /* 0 = no collar */
    uint32_t max_open_orders;  /* 0 = no limit */
    uint32_t throttle_per_s;   /* 0 = no throttle */
    uint32_t throttle_burst;   /* bucket size (0 = throttle_per_s) */
    int64_t max_position;      /* shares, absolute, per symbol; 0 = no limit */
} tp_risk_limits;

typedef struct {
    int64_t position;       /* filled buys - filled sells */
    int64_t open_buy;       /* shares of open buy orders */
    int64_t open_sell;
    uint32_t bid, ask;      /* reference BBO (0 = side empty) */
} TP_ALIGNED_CL tp_risk_symbol;

typedef struct {
    tp_risk_limits lim;
    const volatile uint8_t *kill; /* nonzero = kill switch engaged; may be NULL */
    uint64_t tokens;              /* token bucket, in 1e-9 tokens */
    uint64_t bucket_cap;
    uint64_t last_ns;
    uint32_t open_orders;
    uint32_t n_symbols;
    uint64_t checks;
    uint64_t rejects[TP_RISK_REASONS];
    tp_risk_symbol sym[TP_RISK_MAX_SYMBOLS];
} tp_risk;

void tp_risk_init(tp_risk *r, const tp_risk_limits *lim, uint32_t n_symbols,
                  const volatile uint8_t *kill, uint64_t now_ns);
const char *tp_risk_reason_name(tp_risk_reason r);

static inline void tp_risk_set_bbo(tp_risk *r, uint32_t sym, uint32_t bid, uint32_t ask)
{
    if (sym < r->n_symbols) {
        r->sym[sym].bid = bid;
        r->sym[sym].ask = ask;
    }
}

static inline int tp_risk_killed(const tp_risk *r)
{
    return r->kill && __atomic_load_n(r->kill, __ATOMIC_RELAXED) != 0;
}

/* side: 'B' buy, 'S'/'T'/'E' sell. old_open: for a replace, the open shares of the order
 * being replaced (they are released when the replacement takes its place; not counted as a
 * new open order), 0 for a new order. */
tp_risk_reason tp_risk_check(tp_risk *r, uint32_t sym, uint8_t side, uint32_t shares,
                             uint32_t price, uint32_t old_open, int is_replace, uint64_t now_ns);

/* Bookkeeping from the order lifecycle. */
void tp_risk_on_open(tp_risk *r, uint32_t sym, uint8_t side, uint32_t shares);
void tp_risk_on_fill(tp_risk *r, uint32_t sym, uint8_t side, uint32_t shares);
/* Open shares released (cancel, reduce, reject); closed = the order is done. */
void tp_risk_on_release(tp_risk *r, uint32_t sym, uint8_t side, uint32_t shares, int closed);
/* Replace accepted: old order's open shares become new_shares. */
void tp_risk_on_replace(tp_risk *r, uint32_t sym, uint8_t side, uint32_t old_open,
                        uint32_t new_shares);

#endif
