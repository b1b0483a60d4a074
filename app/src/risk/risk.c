/* Pre-trade risk checks. */
#include "risk/risk.h"

#include <string.h>

#define TOKEN 1000000000ull

const char *tp_risk_reason_name(tp_risk_reason r)
{
    static const char *const names[TP_RISK_REASONS] = {
        "ok",           "kill_switch",  "bad_order",    "unknown_symbol",
        "order_size",   "notional",     "price_collar", "no_reference",
        "open_orders",  "position",     "throttle",     "min_price",
    };
    return (unsigned)r < TP_RISK_REASONS ? names[r] : "?";
}

void tp_risk_init(tp_risk *r, const tp_risk_limits *lim, uint32_t n_symbols,
                  const volatile uint8_t *kill, uint64_t now_ns)
{
    memset(r, 0, sizeof *r);
    r->lim = *lim;
    r->n_symbols = n_symbols > TP_RISK_MAX_SYMBOLS ? TP_RISK_MAX_SYMBOLS : n_symbols;
    r->kill = kill;
    uint32_t burst = lim->throttle_burst ? lim->throttle_burst : lim->throttle_per_s;
    r->bucket_cap = (uint64_t)burst * TOKEN;
    r->tokens = r->bucket_cap;
    r->last_ns = now_ns;
}

static inline int is_buy(uint8_t side)
{
    return side == 'B';
}

static inline tp_risk_reason fail(tp_risk *r, tp_risk_reason why)
{
    r->rejects[why]++;
    return why;
}

tp_risk_reason tp_risk_check(tp_risk *r, uint32_t sym, uint8_t side, uint32_t shares,
                             uint32_t price, uint32_t old_open, int is_replace, uint64_t now_ns)
{
    const tp_risk_limits *L = &r->lim;
    r->checks++;
    if (TP_UNLIKELY(tp_risk_killed(r)))
        return fail(r, TP_RISK_KILL_SWITCH);
    if (TP_UNLIKELY(shares == 0 || price == 0 ||
                    (side != 'B' && side != 'S' && side != 'T' && side != 'E')))
        return fail(r, TP_RISK_BAD_ORDER);
    if (TP_UNLIKELY(sym >= r->n_symbols))
        return fail(r, TP_RISK_UNKNOWN_SYMBOL);
    if (price < L->min_price)
        return fail(r, TP_RISK_MIN_PRICE);
    if (L->max_order_shares && shares > L->max_order_shares)
        return fail(r, TP_RISK_ORDER_SIZE);
    if (L->max_notional && (uint64_t)price * shares > L->max_notional)
        return fail(r, TP_RISK_NOTIONAL);
    const tp_risk_symbol *s = &r->sym[sym];
    if (L->collar_bps) {
        uint64_t ref;
        if (s->bid && s->ask)
            ref = ((uint64_t)s->bid + s->ask) / 2;
        else
            ref = s->bid ? s->bid : s->ask;
        if (!ref)
            return fail(r, TP_RISK_NO_REFERENCE);
        uint64_t diff = price > ref ? price - ref : ref - price;
        if (diff * 10000u > ref * L->collar_bps)
            return fail(r, TP_RISK_PRICE_COLLAR);
    }
    if (L->max_open_orders && !is_replace && r->open_orders >= L->max_open_orders)
        return fail(r, TP_RISK_OPEN_ORDERS);
    if (L->max_position) {
        int64_t after;
        if (is_buy(side))
            after = s->position + s->open_buy - (int64_t)old_open + (int64_t)shares;
        else
            after = s->open_sell - (int64_t)old_open + (int64_t)shares - s->position;
        if (after > L->max_position)
            return fail(r, TP_RISK_POSITION);
    }
    if (L->throttle_per_s) {
        uint64_t dt = now_ns > r->last_ns ? now_ns - r->last_ns : 0;
        r->last_ns = now_ns > r->last_ns ? now_ns : r->last_ns;
        uint64_t max_dt = r->bucket_cap / L->throttle_per_s + 1; /* avoids overflow */
        if (dt > max_dt)
            dt = max_dt;
        uint64_t t = r->tokens + dt * L->throttle_per_s;
        r->tokens = t > r->bucket_cap ? r->bucket_cap : t;
        if (r->tokens < TOKEN)
            return fail(r, TP_RISK_THROTTLE);
        r->tokens -= TOKEN;
    }
    return TP_RISK_OK;
}

void tp_risk_on_open(tp_risk *r, uint32_t sym, uint8_t side, uint32_t shares)
{
    if (sym >= r->n_symbols)
        return;
    r->open_orders++;
    if (is_buy(side))
        r->sym[sym].open_buy += shares;
    else
        r->sym[sym].open_sell += shares;
}

void tp_risk_on_fill(tp_risk *r, uint32_t sym, uint8_t side, uint32_t shares)
{
    if (sym >= r->n_symbols)
        return;
    tp_risk_symbol *s = &r->sym[sym];
    if (is_buy(side)) {
        s->position += shares;
        s->open_buy -= shares;
    } else {
        s->position -= shares;
        s->open_sell -= shares;
    }
}

void tp_risk_on_release(tp_risk *r, uint32_t sym, uint8_t side, uint32_t shares, int closed)
{
    if (sym >= r->n_symbols)
        return;
    if (is_buy(side))
        r->sym[sym].open_buy -= shares;
    else
        r->sym[sym].open_sell -= shares;
    if (closed && r->open_orders)
        r->open_orders--;
}

void tp_risk_on_replace(tp_risk *r, uint32_t sym, uint8_t side, uint32_t old_open,
                        uint32_t new_shares)
{
    if (sym >= r->n_symbols)
        return;
    int64_t d = (int64_t)new_shares - (int64_t)old_open;
    if (is_buy(side))
        r->sym[sym].open_buy += d;
    else
        r->sym[sym].open_sell += d;
}
