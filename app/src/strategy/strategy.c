#include "strategy/strategy.h"

#include <string.h>

#include "soup/rtclock.h"

int strategy_on_bbo(strategy *s, strategy_name_fn name_of, const void *name_ctx,
                    uint16_t locate, const tp_bbo *bbo, uint64_t seq, uint64_t itch_ts,
                    uint64_t t_rx, tp_gw_req out[2])
{
    if (s->locate < 0) {
        char name[8];
        if (!name_of(name_ctx, locate, name) || memcmp(name, s->symbol, 8) != 0)
            return 0;
        s->locate = locate;
    } else if (locate != (uint16_t)s->locate) {
        return 0;
    }
    uint64_t t_book = tp_rt_now_ns();
    s->bbo_changes++;
    int n = 0;
    if (bbo->bid_price != s->last_bid || bbo->ask_price != s->last_ask) {
        memset(&out[n], 0, sizeof out[n]);
        out[n].kind = 'Q';
        out[n].sym = s->sym;
        out[n].shares = bbo->bid_price;
        out[n].price = bbo->ask_price;
        n++;
        s->last_bid = bbo->bid_price;
        s->last_ask = bbo->ask_price;
    }
    if (s->orders >= s->max_orders)
        return n;
    uint8_t side = 0;
    uint32_t px = 0;
    if (s->mode == STRAT_TAKE) {
        if (s->buy_below && bbo->ask_price && bbo->ask_price < s->buy_below) {
            side = 'B';
            px = bbo->ask_price;
        } else if (s->sell_above && bbo->bid_price > s->sell_above) {
            side = 'S';
            px = bbo->bid_price;
        }
    } else if (bbo->bid_price && s->bbo_changes % s->every == 0) {
        side = 'B';
        px = bbo->bid_price;
    }
    if (!side)
        return n;
    tp_gw_req *r = &out[n++];
    memset(r, 0, sizeof *r);
    r->kind = 'O';
    r->side = side;
    r->ioc = 1;
    r->sym = s->sym;
    r->shares = s->size;
    r->price = px;
    r->trigger_seq = seq;
    r->t_itch = itch_ts;
    r->t_rx = t_rx;
    r->t_book = t_book;
    r->t_strategy = tp_rt_now_ns();
    s->orders++;
    return n;
}
