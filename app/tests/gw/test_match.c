/* Matching engine: price-time priority, partial fills, IOC, cancel, replace, full pool. */
#include <string.h>

#include "sim/match.h"
#include "check.h"

typedef struct {
    int adds, execs, cancels, deletes, replaces;
    uint64_t exec_ref[16];
    uint32_t exec_q[16];
} log_t;

static void on_add(void *c, const me_order *o) { (void)o; ((log_t *)c)->adds++; }
static void on_exec(void *c, const me_order *r, uint32_t q, uint64_t m, int ao, uint32_t at, uint8_t as)
{
    (void)m; (void)ao; (void)at; (void)as;
    log_t *l = c;
    if (l->execs < 16) {
        l->exec_ref[l->execs] = r->ref;
        l->exec_q[l->execs] = q;
    }
    l->execs++;
}
static void on_cancel(void *c, const me_order *o, uint32_t q, int d)
{
    (void)o; (void)q;
    log_t *l = c;
    l->cancels++;
    l->deletes += d;
}
static void on_replace(void *c, uint64_t old, const me_order *o) { (void)old; (void)o; ((log_t *)c)->replaces++; }

int main(void)
{
    static me_engine m;
    log_t L = {0};
    me_callbacks cb = {on_add, on_exec, on_cancel, on_replace, &L};
    CHECK(me_init(&m, 8, 4, &cb) == 0);
    CHECK(me_add_symbol(&m, "AAPL") == 0);
    /* two asks at 100.00 (time priority a1 then a2), one at 100.01 */
    me_result a1 = me_submit(&m, 0, 1, 100, 1000000, 0, 0, -1, 0);
    me_result a2 = me_submit(&m, 0, 1, 200, 1000000, 0, 0, -1, 0);
    me_result a3 = me_submit(&m, 0, 1, 300, 1000100, 0, 0, -1, 0);
    CHECK(a1.rested != ME_NIL && a2.rested != ME_NIL && a3.rested != ME_NIL);
    CHECK_EQ(L.adds, 3);
    uint64_t r1 = me_get(&m, a1.rested)->ref, r2 = me_get(&m, a2.rested)->ref;
    /* buy 150 @ 100.00: a1 fully (100), a2 partially (50) */
    me_result b = me_submit(&m, 0, 0, 150, 1000000, 0, 0, -1, 0);
    CHECK_EQ(b.executed, 150);
    CHECK(b.rested == ME_NIL);
    CHECK_EQ(L.execs, 2);
    CHECK_EQ(L.exec_ref[0], r1);
    CHECK_EQ(L.exec_q[0], 100);
    CHECK_EQ(L.exec_ref[1], r2);
    CHECK_EQ(L.exec_q[1], 50);
    CHECK(me_get(&m, a1.rested) == NULL);
    CHECK_EQ(me_get(&m, a2.rested)->shares, 150);
    uint32_t bid, ask;
    uint64_t bs, as;
    me_bbo(&m, 0, &bid, &bs, &ask, &as);
    CHECK(bid == 0 && ask == 1000000 && as == 150);
    /* IOC buy 500 @ 100.01 sweeps 150 + 300, remainder 50 canceled, nothing rests */
    me_result ioc = me_submit(&m, 0, 0, 500, 1000100, 1, 0, -1, 0);
    CHECK_EQ(ioc.executed, 450);
    CHECK_EQ(ioc.canceled, 50);
    CHECK(ioc.rested == ME_NIL);
    me_bbo(&m, 0, &bid, &bs, &ask, &as);
    CHECK(ask == 0);
    /* limit buy that does not cross rests; partial cancel then full cancel */
    me_result bb = me_submit(&m, 0, 0, 300, 990000, 0, 0, -1, 0);
    CHECK(bb.rested != ME_NIL);
    CHECK_EQ(me_cancel(&m, bb.rested, 100), 200);
    CHECK_EQ(me_get(&m, bb.rested)->shares, 100);
    /* replace down in size at the same price keeps... a new ref (ITCH U) */
    uint64_t old = me_get(&m, bb.rested)->ref;
    me_result rp = me_replace(&m, bb.rested, 80, 990100, 0);
    CHECK(rp.rested != ME_NIL && !rp.full);
    CHECK(me_get(&m, rp.rested)->ref != old);
    CHECK_EQ(L.replaces, 1);
    me_bbo(&m, 0, &bid, &bs, &ask, &as);
    CHECK(bid == 990100 && bs == 80);
    /* replace that crosses: an ask at 99.00 then the bid replaced up to 99.00 */
    me_result s = me_submit(&m, 0, 1, 50, 990200, 0, 0, -1, 0);
    CHECK(s.rested != ME_NIL);
    me_result rx = me_replace(&m, rp.rested, 80, 990200, 0);
    CHECK_EQ(rx.executed, 50);
    CHECK(rx.rested != ME_NIL);
    CHECK_EQ(me_get(&m, rx.rested)->shares, 30);
    CHECK_EQ(me_cancel(&m, rx.rested, 0), 30);
    /* pool and level limits: 4 levels per side, 8 orders */
    int rested = 0, full = 0;
    for (uint32_t i = 0; i < 6; i++) {
        me_result r = me_submit(&m, 0, 0, 10, 900000 + i * 100, 0, 0, -1, 0);
        rested += r.rested != ME_NIL;
        full += r.full;
    }
    CHECK_EQ(rested, 4);
    CHECK_EQ(full, 2);
    CHECK_EQ(m.st.rejects_full, 2);
    /* hidden order: trades but is not displayed */
    me_result h = me_submit(&m, 0, 1, 40, 1100000, 0, 1, -1, 0);
    CHECK(h.rested != ME_NIL);
    me_bbo(&m, 0, &bid, &bs, &ask, &as);
    CHECK(ask == 0);
    me_free(&m);
    return tp_check_done("test_match");
}
