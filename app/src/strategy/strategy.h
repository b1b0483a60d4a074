/* The sample strategy (an example to copy, not alpha). On each BBO change of its symbol:
 *   take: buy `size` IOC at the ask when ask < buy_below; sell IOC at the bid when
 *         bid > sell_above (thresholds in 1/10000 USD; 0 = off).
 *   ping: every `every`-th BBO change, an IOC buy at the bid (it does not cross, so it is
 *         canceled by the exchange: a pure tick-to-trade probe that leaves no position).
 * Each order names the MoldUDP64 sequence of the message that triggered it (token layout:
 * src/sim/token_ref.h) and carries the rx/book/strategy timestamps. */
#ifndef TP_STRATEGY_STRATEGY_H
#define TP_STRATEGY_STRATEGY_H

#include <stdint.h>

#include "book/book.h"
#include "gw/gw.h"

typedef enum { STRAT_TAKE = 0, STRAT_PING = 1 } strat_mode;

typedef struct {
    strat_mode mode;
    char symbol[8];
    uint16_t sym;          /* the gateway's symbol index */
    uint32_t size;
    uint32_t buy_below, sell_above;
    uint32_t every;
    uint64_t max_orders;
    int locate;            /* resolved from the book's stock directory; -1 until seen */
    uint64_t bbo_changes, orders, ring_full;
    uint32_t last_bid, last_ask;
} strategy;

/* The 8-byte space-padded symbol name of `locate` (1), or 0 while it has none: the strategy's
 * own book (udp source) or the feed handler's (shm source). Only called until the strategy's
 * symbol is found. */
typedef int (*strategy_name_fn)(const void *ctx, uint16_t locate, char name[8]);

/* Called on a BBO change of `locate`. Writes up to 2 requests (a 'Q' reference-BBO update
 * and maybe an order) into out; returns how many. t_rx: when the market data arrived (udp:
 * after recv(); shm: the feed handler's publish time of the event); itch_ts: 0 if unknown. */
int strategy_on_bbo(strategy *s, strategy_name_fn name_of, const void *name_ctx,
                    uint16_t locate, const tp_bbo *bbo, uint64_t seq, uint64_t itch_ts,
                    uint64_t t_rx, tp_gw_req out[2]);

#endif
