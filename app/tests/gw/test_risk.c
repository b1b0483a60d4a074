/* Pre-trade risk rules: each rule rejects with its reason and is counted. */
#include <string.h>

#include "risk/risk.h"
#include "check.h"

int main(void)
{
    tp_risk_limits L = {
        .max_order_shares = 1000, .max_notional = 1000000ull * 10000, /* $1M */
        .collar_bps = 500, .max_open_orders = 3, .throttle_per_s = 5, .throttle_burst = 5,
        .max_position = 1500,
    };
    static tp_risk r;
    volatile uint8_t kill = 0;
    uint64_t t = 1000000000ull;
    tp_risk_init(&r, &L, 2, &kill, t);
    CHECK_EQ(tp_risk_check(&r, 0, 'B', 100, 1000000, 0, 0, t), TP_RISK_NO_REFERENCE);
    tp_risk_set_bbo(&r, 0, 990000, 1010000); /* mid $100 */
    CHECK_EQ(tp_risk_check(&r, 0, 'B', 100, 1000000, 0, 0, t), TP_RISK_OK);
    CHECK_EQ(tp_risk_check(&r, 0, 'B', 0, 1000000, 0, 0, t), TP_RISK_BAD_ORDER);
    CHECK_EQ(tp_risk_check(&r, 0, 'Q', 10, 1000000, 0, 0, t), TP_RISK_BAD_ORDER);
    CHECK_EQ(tp_risk_check(&r, 5, 'B', 10, 1000000, 0, 0, t), TP_RISK_UNKNOWN_SYMBOL);
    CHECK_EQ(tp_risk_check(&r, 0, 'B', 1001, 1000000, 0, 0, t), TP_RISK_ORDER_SIZE);
    L.max_order_shares = 0;
    r.lim.max_order_shares = 0;
    /* 20000 shares x $100 = $2M > $1M (size rule off to reach notional) */
    CHECK_EQ(tp_risk_check(&r, 0, 'B', 20000, 1000000, 0, 0, t), TP_RISK_NOTIONAL);
    r.lim.max_order_shares = 1000;
    CHECK_EQ(tp_risk_check(&r, 0, 'B', 10, 1050001, 0, 0, t), TP_RISK_PRICE_COLLAR);
    CHECK_EQ(tp_risk_check(&r, 0, 'S', 10, 949999, 0, 0, t), TP_RISK_PRICE_COLLAR);
    CHECK_EQ(tp_risk_check(&r, 0, 'S', 10, 950000, 0, 0, t), TP_RISK_OK);
    /* position with open exposure: 1000 filled + 400 open buy; a 200 buy would make 1600 */
    tp_risk_on_open(&r, 0, 'B', 1000);
    tp_risk_on_fill(&r, 0, 'B', 1000);
    tp_risk_on_release(&r, 0, 'B', 0, 1);
    tp_risk_on_open(&r, 0, 'B', 400);
    t += 2000000000ull; /* refill */
    CHECK_EQ(tp_risk_check(&r, 0, 'B', 200, 1000000, 0, 0, t), TP_RISK_POSITION);
    CHECK_EQ(tp_risk_check(&r, 0, 'B', 100, 1000000, 0, 0, t), TP_RISK_OK);
    /* sells reduce a long: 1000 long, selling 1000 is fine, 2600 is not (1600 short) */
    CHECK_EQ(tp_risk_check(&r, 0, 'S', 1000, 1000000, 0, 0, t), TP_RISK_OK);
    r.lim.max_order_shares = 0;
    r.lim.max_notional = 0;
    CHECK_EQ(tp_risk_check(&r, 0, 'S', 2600, 1000000, 0, 0, t), TP_RISK_POSITION);
    /* replace: releases the old open shares */
    CHECK_EQ(tp_risk_check(&r, 0, 'B', 500, 1000000, 400, 1, t), TP_RISK_OK);
    r.lim.max_order_shares = 1000;
    /* open orders: 1 open now; open two more -> 3 = max */
    tp_risk_on_open(&r, 1, 'S', 1);
    tp_risk_on_open(&r, 1, 'S', 1);
    tp_risk_set_bbo(&r, 1, 500000, 0);
    t += 2000000000ull;
    CHECK_EQ(tp_risk_check(&r, 1, 'S', 1, 500000, 0, 0, t), TP_RISK_OPEN_ORDERS);
    CHECK_EQ(tp_risk_check(&r, 1, 'S', 1, 500000, 1, 1, t), TP_RISK_OK); /* replace ok */
    tp_risk_on_release(&r, 1, 'S', 1, 1);
    /* throttle: bucket 5 (1 used just above), 4 more pass, then reject, then refill */
    int ok = 0, thr = 0;
    for (int i = 0; i < 10; i++) {
        tp_risk_reason why = tp_risk_check(&r, 1, 'S', 1, 500000, 0, 0, t);
        ok += why == TP_RISK_OK;
        thr += why == TP_RISK_THROTTLE;
    }
    CHECK_EQ(ok, 4);
    CHECK_EQ(thr, 6);
    t += 200000000ull; /* 0.2 s at 5/s = 1 token */
    CHECK_EQ(tp_risk_check(&r, 1, 'S', 1, 500000, 0, 0, t), TP_RISK_OK);
    CHECK_EQ(tp_risk_check(&r, 1, 'S', 1, 500000, 0, 0, t), TP_RISK_THROTTLE);
    /* kill switch wins over everything */
    kill = 1;
    t += 2000000000ull;
    CHECK_EQ(tp_risk_check(&r, 0, 'B', 1, 1000000, 0, 0, t), TP_RISK_KILL_SWITCH);
    kill = 0;
    CHECK_EQ(tp_risk_check(&r, 0, 'B', 1, 1000000, 0, 0, t), TP_RISK_OK);
    /* counters */
    CHECK_EQ(r.rejects[TP_RISK_KILL_SWITCH], 1);
    CHECK_EQ(r.rejects[TP_RISK_PRICE_COLLAR], 2);
    CHECK_EQ(r.rejects[TP_RISK_THROTTLE], 7);
    CHECK_EQ(r.rejects[TP_RISK_POSITION], 2);
    CHECK_EQ(r.rejects[TP_RISK_BAD_ORDER], 2);
    CHECK(strcmp(tp_risk_reason_name(TP_RISK_THROTTLE), "throttle") == 0);
    /* price floor: below min_price is its own reason, checked before size/notional/collar;
     * exactly min_price passes */
    r.lim.min_price = 1000000; /* $100.0000 */
    t += 2000000000ull;
    CHECK_EQ(tp_risk_check(&r, 0, 'B', 5000, 999999, 0, 0, t), TP_RISK_MIN_PRICE);
    CHECK_EQ(tp_risk_check(&r, 0, 'B', 1, 1000000, 0, 0, t), TP_RISK_OK);
    CHECK_EQ(r.rejects[TP_RISK_MIN_PRICE], 1);
    CHECK(strcmp(tp_risk_reason_name(TP_RISK_MIN_PRICE), "min_price") == 0);
    return tp_check_done("test_risk");
}
