/* Background order flow: a seeded random generator of adds, cancels and aggressive IOC
 * orders around a random-walk mid price per symbol (the "rest of the market"). */
#include "sim/venue.h"

void venue_flow(venue *v, uint32_t n)
{
    uint32_t tick = v->tick;
    for (uint32_t k = 0; k < n; k++) {
        uint32_t sym = tp_rng_below(&v->rng, v->me.n_books);
        flow_sym *f = &v->flow[sym];
        uint32_t r = tp_rng_below(&v->rng, 100);
        v->fst.actions++;
        /* mid random walk, one tick at a time, kept within +-10% of the reference */
        if (r < 5) {
            int up = tp_rng_below(&v->rng, 2);
            if (up && f->mid < f->ref_price + f->ref_price / 10)
                f->mid += tick;
            else if (!up && f->mid > f->ref_price - f->ref_price / 10 && f->mid > 20 * tick)
                f->mid -= tick;
        }
        int want_cancel = f->n > v->flow_depth ? r < 70 : r < 25;
        if (want_cancel && f->n) {
            uint32_t pos = tp_rng_below(&v->rng, f->n);
            me_cancel(&v->me, f->idx[pos], 0);
            v->fst.cancels++;
            continue;
        }
        uint8_t side = (uint8_t)tp_rng_below(&v->rng, 2);
        uint32_t shares = 100 * (1 + tp_rng_below(&v->rng, 5));
        if (r >= 88) {
            /* aggressive IOC: take some of the best opposite level(s) */
            uint32_t bid, ask;
            uint64_t bs, as;
            me_bbo(&v->me, (uint16_t)sym, &bid, &bs, &ask, &as);
            uint32_t px = side == 0 ? (ask ? ask : f->mid + tick) : (bid ? bid : f->mid - tick);
            me_submit(&v->me, (uint16_t)sym, side, shares, px, 1, 0, -1, 0);
            v->fst.aggressive++;
            continue;
        }
        if (f->n >= f->cap)
            continue;
        uint32_t off = (1 + tp_rng_below(&v->rng, 10)) * tick;
        uint32_t px = side == 0 ? f->mid - off : f->mid + off;
        me_result res = me_submit(&v->me, (uint16_t)sym, side, shares, px, 0, 0, -1, f->n);
        if (res.rested != ME_NIL) {
            f->idx[f->n] = res.rested;
            v->me.orders[res.rested].owner_tag = f->n;
            f->n++;
        }
        v->fst.adds++;
    }
}
