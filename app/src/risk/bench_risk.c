/* tickpath-bench-risk: ns per tp_risk_check() over a stream of varied orders (most pass,
 * some fail different rules), with lifecycle bookkeeping as the gateway does it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/rng.h"
#include "risk/risk.h"

int main(int argc, char **argv)
{
    uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 0) : 20000000ull;
    int json = argc > 2 && strcmp(argv[2], "--json") == 0;
    if (n < 1000)
        n = 1000;
    tp_risk_limits L = {.max_order_shares = 5000, .max_notional = 5000000ull * 10000,
                        .collar_bps = 200, .max_open_orders = 1000000, .throttle_per_s = 2000000000u,
                        .throttle_burst = 2000000000u, .max_position = 1000000000};
    static tp_risk r;
    volatile uint8_t kill = 0;
    tp_risk_init(&r, &L, 16, &kill, 0);
    for (uint32_t s = 0; s < 16; s++)
        tp_risk_set_bbo(&r, s, 1000000 + s * 1000, 1000100 + s * 1000);
    enum { N = 4096 };
    static struct { uint32_t sym, shares, price; uint8_t side; } ord[N];
    tp_rng g;
    tp_rng_seed(&g, 7);
    for (int i = 0; i < N; i++) {
        ord[i].sym = tp_rng_below(&g, 16);
        ord[i].side = tp_rng_below(&g, 2) ? 'B' : 'S';
        ord[i].shares = 1 + tp_rng_below(&g, 6000);
        ord[i].price = 1000000 + ord[i].sym * 1000 + tp_rng_below(&g, 60000) - 30000;
    }
    uint64_t pass = 0, t0 = tp_now_ns(), now = t0;
    for (uint64_t i = 0; i < n; i++) {
        const typeof(ord[0]) *o = &ord[i & (N - 1)];
        now += 50;
        if (tp_risk_check(&r, o->sym, o->side, o->shares, o->price, 0, 0, now) == TP_RISK_OK) {
            pass++;
            tp_risk_on_open(&r, o->sym, o->side, o->shares);
            tp_risk_on_release(&r, o->sym, o->side, o->shares, 1);
        }
    }
    uint64_t el = tp_now_ns() - t0;
    double ns = (double)el / (double)n;
    if (json)
        printf("{\"checks\": %llu, \"passed\": %llu, \"ns_per_check\": %.2f}\n",
               (unsigned long long)n, (unsigned long long)pass, ns);
    else
        printf("risk checks %llu  passed %llu  ns/check %.2f (incl. open+release bookkeeping "
               "for passing orders)\n",
               (unsigned long long)n, (unsigned long long)pass, ns);
    return 0;
}
