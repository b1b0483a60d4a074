/* OUCH 4.2: hand-built byte vectors for every message type, encode and decode. */
#include <string.h>

#include "ouch/fields.h"
#include "ouch/ouch.h"
#include "check.h"

/* Build a vector from a layout description: fields appended in wire order. */
typedef struct {
    uint8_t b[128];
    size_t n;
} vec;

static void v_u8(vec *v, uint8_t x) { v->b[v->n++] = x; }
static void v_str(vec *v, const char *s, size_t w)
{
    size_t l = strlen(s);
    for (size_t i = 0; i < w; i++)
        v->b[v->n++] = (uint8_t)(i < l ? s[i] : ' ');
}
static void v_u32(vec *v, uint32_t x)
{
    for (int i = 3; i >= 0; i--)
        v->b[v->n++] = (uint8_t)(x >> (8 * i));
}
static void v_u64(vec *v, uint64_t x)
{
    for (int i = 7; i >= 0; i--)
        v->b[v->n++] = (uint8_t)(x >> (8 * i));
}

#define TS 0x0000123456789abcull

static void test_enter(void)
{
    vec v = {0};
    v_u8(&v, 'O'); v_str(&v, "TOK00000000001", 14); v_u8(&v, 'B'); v_u32(&v, 100);
    v_str(&v, "AAPL", 8); v_u32(&v, 1905000); v_u32(&v, 99999); v_str(&v, "TPFM", 4);
    v_u8(&v, 'Y'); v_u8(&v, 'P'); v_u8(&v, 'N'); v_u32(&v, 0); v_u8(&v, 'N'); v_u8(&v, 'R');
    CHECK_EQ(v.n, 49);
    tp_ouch_enter m;
    memcpy(m.token, "TOK00000000001", 14);
    m.side = 'B'; m.shares = 100; memcpy(m.stock, "AAPL    ", 8); m.price = 1905000;
    m.tif = 99999; memcpy(m.firm, "TPFM", 4); m.display = 'Y'; m.capacity = 'P'; m.iso = 'N';
    m.min_qty = 0; m.cross_type = 'N'; m.customer_type = 'R';
    uint8_t out[TP_OUCH_MAX_MSG];
    CHECK_EQ(tp_ouch_enc_enter(out, &m), 49);
    CHECK(memcmp(out, v.b, 49) == 0);
    tp_ouch_in in;
    CHECK(tp_ouch_decode_in(v.b, 49, &in) == 0);
    CHECK_EQ(in.type, 'O');
    CHECK(memcmp(in.u.enter.token, "TOK00000000001", 14) == 0);
    CHECK_EQ(in.u.enter.shares, 100);
    CHECK_EQ(in.u.enter.price, 1905000);
    CHECK_EQ(in.u.enter.tif, 99999);
    CHECK_EQ(in.u.enter.customer_type, 'R');
    CHECK(tp_ouch_decode_in(v.b, 48, &in) == -1);
    CHECK(tp_ouch_decode_in(v.b, 50, &in) == -1);
}

static void test_replace_cancel(void)
{
    vec v = {0};
    v_u8(&v, 'U'); v_str(&v, "OLD", 14); v_str(&v, "NEW", 14); v_u32(&v, 300);
    v_u32(&v, 1000100); v_u32(&v, 0); v_u8(&v, 'Y'); v_u8(&v, 'N'); v_u32(&v, 7);
    CHECK_EQ(v.n, 47);
    tp_ouch_replace r;
    memcpy(r.existing, "OLD           ", 14);
    memcpy(r.replacement, "NEW           ", 14);
    r.shares = 300; r.price = 1000100; r.tif = 0; r.display = 'Y'; r.iso = 'N'; r.min_qty = 7;
    uint8_t out[TP_OUCH_MAX_MSG];
    CHECK_EQ(tp_ouch_enc_replace(out, &r), 47);
    CHECK(memcmp(out, v.b, 47) == 0);
    tp_ouch_in in;
    CHECK(tp_ouch_decode_in(v.b, 47, &in) == 0);
    CHECK_EQ(in.u.replace.shares, 300);
    CHECK_EQ(in.u.replace.min_qty, 7);
    CHECK(memcmp(in.u.replace.replacement, "NEW ", 4) == 0);

    vec c = {0};
    v_u8(&c, 'X'); v_str(&c, "OLD", 14); v_u32(&c, 0);
    CHECK_EQ(c.n, 19);
    tp_ouch_cancel x;
    memcpy(x.token, "OLD           ", 14);
    x.shares = 0;
    CHECK_EQ(tp_ouch_enc_cancel(out, &x), 19);
    CHECK(memcmp(out, c.b, 19) == 0);
    CHECK(tp_ouch_decode_in(c.b, 19, &in) == 0);
    CHECK_EQ(in.type, 'X');
    /* unknown inbound type */
    c.b[0] = 'Q';
    CHECK(tp_ouch_decode_in(c.b, 19, &in) == -1);
}

static tp_ouch_accepted sample_acc(void)
{
    tp_ouch_accepted a;
    memset(&a, 0, sizeof a);
    memcpy(a.token, "NEW           ", 14);
    a.side = 'S'; a.shares = 200; memcpy(a.stock, "MSFT    ", 8); a.price = 4200000;
    a.tif = 99999; memcpy(a.firm, "TPFM", 4); a.display = 'Y'; a.order_ref = 0x0102030405060708ull;
    a.capacity = 'A'; a.iso = 'N'; a.min_qty = 0; a.cross_type = 'N'; a.order_state = 'L';
    a.bbo_weight = ' ';
    memcpy(a.previous, "OLD           ", 14);
    return a;
}

static void acc_vec(vec *v, uint8_t type)
{
    v_u8(v, type); v_u64(v, TS); v_str(v, "NEW", 14); v_u8(v, 'S'); v_u32(v, 200);
    v_str(v, "MSFT", 8); v_u32(v, 4200000); v_u32(v, 99999); v_str(v, "TPFM", 4); v_u8(v, 'Y');
    v_u64(v, 0x0102030405060708ull); v_u8(v, 'A'); v_u8(v, 'N'); v_u32(v, 0); v_u8(v, 'N');
    v_u8(v, 'L');
}

static void test_accepted_replaced(void)
{
    tp_ouch_accepted a = sample_acc();
    uint8_t out[TP_OUCH_MAX_MSG];
    vec v = {0};
    acc_vec(&v, 'A');
    v_u8(&v, ' ');
    CHECK_EQ(v.n, 66);
    CHECK_EQ(tp_ouch_enc_accepted(out, TS, &a), 66);
    CHECK(memcmp(out, v.b, 66) == 0);
    tp_ouch_out o;
    CHECK(tp_ouch_decode_out(v.b, 66, &o) == 0);
    CHECK_EQ(o.type, 'A');
    CHECK_EQ(o.timestamp, TS);
    CHECK_EQ(o.u.accepted.order_ref, 0x0102030405060708ull);
    CHECK_EQ(o.u.accepted.order_state, 'L');
    CHECK_EQ(o.u.accepted.price, 4200000);

    vec r = {0};
    acc_vec(&r, 'U');
    v_str(&r, "OLD", 14);
    v_u8(&r, ' ');
    CHECK_EQ(r.n, 80);
    CHECK_EQ(tp_ouch_enc_replaced(out, TS, &a), 80);
    CHECK(memcmp(out, r.b, 80) == 0);
    CHECK(tp_ouch_decode_out(r.b, 80, &o) == 0);
    CHECK(memcmp(o.u.accepted.previous, "OLD ", 4) == 0);
    CHECK_EQ(o.u.accepted.shares, 200);
    CHECK(tp_ouch_decode_out(r.b, 66, &o) == -1);
}

static void test_small_outbound(void)
{
    uint8_t out[TP_OUCH_MAX_MSG];
    tp_ouch_out o;
    vec v;

    v = (vec){0};
    v_u8(&v, 'S'); v_u64(&v, TS); v_u8(&v, 'S');
    CHECK_EQ(tp_ouch_enc_system_event(out, TS, 'S'), 10);
    CHECK(memcmp(out, v.b, 10) == 0);
    CHECK(tp_ouch_decode_out(v.b, 10, &o) == 0 && o.u.event == 'S');

    v = (vec){0};
    v_u8(&v, 'C'); v_u64(&v, TS); v_str(&v, "T1", 14); v_u32(&v, 50); v_u8(&v, 'U');
    tp_ouch_canceled c = {.decrement = 50, .reason = 'U'};
    memcpy(c.token, "T1            ", 14);
    CHECK_EQ(tp_ouch_enc_canceled(out, TS, &c), 28);
    CHECK(memcmp(out, v.b, 28) == 0);
    CHECK(tp_ouch_decode_out(v.b, 28, &o) == 0 && o.u.canceled.decrement == 50 &&
          o.u.canceled.reason == 'U');

    v = (vec){0};
    v_u8(&v, 'D'); v_u64(&v, TS); v_str(&v, "T1", 14); v_u32(&v, 50); v_u8(&v, 'Q');
    v_u32(&v, 25); v_u32(&v, 1000000); v_u8(&v, 'R');
    c.reason = 'Q'; c.qty_prevented = 25; c.exec_price = 1000000; c.liquidity = 'R';
    CHECK_EQ(tp_ouch_enc_aiq_canceled(out, TS, &c), 37);
    CHECK(memcmp(out, v.b, 37) == 0);
    CHECK(tp_ouch_decode_out(v.b, 37, &o) == 0 && o.u.canceled.qty_prevented == 25);

    v = (vec){0};
    v_u8(&v, 'E'); v_u64(&v, TS); v_str(&v, "T1", 14); v_u32(&v, 10); v_u32(&v, 1234500);
    v_u8(&v, 'A'); v_u64(&v, 777);
    tp_ouch_executed e = {.shares = 10, .price = 1234500, .liquidity = 'A', .match = 777};
    memcpy(e.token, "T1            ", 14);
    CHECK_EQ(tp_ouch_enc_executed(out, TS, &e), 40);
    CHECK(memcmp(out, v.b, 40) == 0);
    CHECK(tp_ouch_decode_out(v.b, 40, &o) == 0 && o.u.executed.match == 777 &&
          o.u.executed.price == 1234500);

    v = (vec){0};
    v_u8(&v, 'B'); v_u64(&v, TS); v_str(&v, "T1", 14); v_u64(&v, 777); v_u8(&v, 'E');
    tp_ouch_broken b = {.match = 777, .reason = 'E'};
    memcpy(b.token, "T1            ", 14);
    CHECK_EQ(tp_ouch_enc_broken(out, TS, &b), 32);
    CHECK(memcmp(out, v.b, 32) == 0);
    CHECK(tp_ouch_decode_out(v.b, 32, &o) == 0 && o.u.broken.reason == 'E');

    v = (vec){0};
    v_u8(&v, 'K'); v_u64(&v, TS); v_str(&v, "T1", 14); v_u64(&v, 777); v_u32(&v, 999);
    v_u8(&v, 'E');
    b.price = 999;
    CHECK_EQ(tp_ouch_enc_price_correction(out, TS, &b), 36);
    CHECK(memcmp(out, v.b, 36) == 0);
    CHECK(tp_ouch_decode_out(v.b, 36, &o) == 0 && o.u.broken.price == 999);

    v = (vec){0};
    v_u8(&v, 'J'); v_u64(&v, TS); v_str(&v, "T1", 14); v_u8(&v, 'X');
    CHECK_EQ(tp_ouch_enc_rejected(out, TS, "T1            ", 'X'), 24);
    CHECK(memcmp(out, v.b, 24) == 0);
    CHECK(tp_ouch_decode_out(v.b, 24, &o) == 0 && o.u.tok.reason == 'X');

    v = (vec){0};
    v_u8(&v, 'P'); v_u64(&v, TS); v_str(&v, "T1", 14);
    CHECK_EQ(tp_ouch_enc_cancel_pending(out, TS, "T1            "), 23);
    CHECK(memcmp(out, v.b, 23) == 0);
    CHECK(tp_ouch_decode_out(v.b, 23, &o) == 0 && o.type == 'P');
    v.b[0] = 'I';
    CHECK_EQ(tp_ouch_enc_cancel_reject(out, TS, "T1            "), 23);
    CHECK(memcmp(out, v.b, 23) == 0);
    CHECK(tp_ouch_decode_out(v.b, 23, &o) == 0 && o.type == 'I');

    /* unknown and empty */
    v.b[0] = 'z';
    CHECK(tp_ouch_decode_out(v.b, 23, &o) == -1);
    CHECK(tp_ouch_decode_out(v.b, 0, &o) == -1);
}

/* Enter/Replace from a template: the same bytes as the whole-message encoders, and the
 * per-order writes leave the template's firm-specific bytes alone. */
static void test_templates(void)
{
    tp_ouch_enter fixed;
    memset(&fixed, 0, sizeof fixed);
    memcpy(fixed.firm, "ABCD", 4);
    fixed.display = 'A'; fixed.capacity = 'P'; fixed.iso = 'y'; fixed.min_qty = 0;
    fixed.cross_type = 'E'; fixed.customer_type = 'N';
    uint8_t tpl[TP_OUCH_ENTER_LEN];
    CHECK_EQ(tp_ouch_enc_enter(tpl, &fixed), 49);

    tp_ouch_enter m = fixed; /* the whole message, for the reference encoder */
    memcpy(m.token, "TOK00000000007", 14);
    m.side = 'S'; m.shares = 300; memcpy(m.stock, "MSFT    ", 8); m.price = 4200100; m.tif = 0;
    uint8_t want[TP_OUCH_MAX_MSG], got[TP_OUCH_MAX_MSG];
    tp_ouch_enc_enter(want, &m);
    tp_ouch_enter per; /* only the per-order fields set: the others must not be read */
    memset(&per, 0x5a, sizeof per);
    memcpy(per.token, m.token, 14);
    per.side = m.side; per.shares = m.shares; memcpy(per.stock, m.stock, 8);
    per.price = m.price; per.tif = m.tif;
    memset(got, 0xee, sizeof got);
    CHECK_EQ(tp_ouch_enc_enter_tpl(got, tpl, &per), 49);
    CHECK(memcmp(got, want, 49) == 0);
    CHECK(memcmp(got + 36, "ABCDAPy\0\0\0\0EN", 13) == 0); /* Firm .. Customer Type */
    CHECK_EQ(got[49], 0xee);

    tp_ouch_replace rf;
    memset(&rf, 0, sizeof rf);
    rf.display = 'N'; rf.iso = 'Y'; rf.min_qty = 0;
    uint8_t rtpl[TP_OUCH_REPLACE_LEN];
    CHECK_EQ(tp_ouch_enc_replace(rtpl, &rf), 47);
    tp_ouch_replace r = rf;
    memcpy(r.existing, "OLD00000000001", 14);
    memcpy(r.replacement, "NEW00000000002", 14);
    r.shares = 500; r.price = 1890500; r.tif = 99999;
    tp_ouch_enc_replace(want, &r);
    tp_ouch_replace rp;
    memset(&rp, 0x5a, sizeof rp);
    memcpy(rp.existing, r.existing, 14);
    memcpy(rp.replacement, r.replacement, 14);
    rp.shares = r.shares; rp.price = r.price; rp.tif = r.tif;
    memset(got, 0xee, sizeof got);
    CHECK_EQ(tp_ouch_enc_replace_tpl(got, rtpl, &rp), 47);
    CHECK(memcmp(got, want, 47) == 0);
    CHECK(got[41] == 'N' && got[42] == 'Y'); /* Display, ISO */
    CHECK_EQ(got[47], 0xee);
}

/* The value lists of the Enter Order's firm-specific fields, as the OUCH 4.2 spec gives
 * them (ouch/fields.h names the sources). */
static void test_field_values(void)
{
    static const struct {
        tp_ouch_field f;
        const char *values;
    } SPEC[] = {
        {TP_OUCH_F_DISPLAY, "AYNPIMWLOTQmn"},
        {TP_OUCH_F_CAPACITY, "APRO"},
        {TP_OUCH_F_ISO, "YNy"},
        {TP_OUCH_F_CROSS_TYPE, "NOCHSRE"},
        {TP_OUCH_F_CUSTOMER_TYPE, "RN "},
    };
    for (size_t i = 0; i < sizeof SPEC / sizeof SPEC[0]; i++) {
        CHECK(strcmp(tp_ouch_field_values(SPEC[i].f), SPEC[i].values) == 0);
        int n = 0;
        for (int b = 0; b < 256; b++) {
            int listed = b && strchr(SPEC[i].values, b) != NULL;
            CHECK_EQ(tp_ouch_field_ok(SPEC[i].f, (uint8_t)b), listed);
            if (listed) {
                n++;
                const char *m = tp_ouch_field_meaning(SPEC[i].f, (uint8_t)b);
                CHECK(m != NULL && *m);
            }
        }
        CHECK_EQ(n, strlen(SPEC[i].values));
    }
    CHECK(strcmp(tp_ouch_field_meaning(TP_OUCH_F_CUSTOMER_TYPE, 'N'),
                 "not a retail designated order") == 0);
    CHECK(strcmp(tp_ouch_field_meaning(TP_OUCH_F_CAPACITY, 'P'), "principal") == 0);
    CHECK(strcmp(tp_ouch_field_name(TP_OUCH_F_ISO), "Intermarket Sweep Eligibility") == 0);
    /* the proprietary-firm default: displayed, principal, no sweep, continuous, not retail */
    const tp_ouch_order_fields prop = TP_OUCH_FIELDS_PROP;
    CHECK(prop.display == 'Y' && prop.capacity == 'P' && prop.iso == 'N' &&
          prop.cross_type == 'N' && prop.customer_type == 'N');
    for (int i = 0; i < TP_OUCH_F_COUNT; i++)
        CHECK(tp_ouch_field_ok((tp_ouch_field)i, tp_ouch_fields_get(&prop, (tp_ouch_field)i)));
}

int main(void)
{
    test_templates();
    test_field_values();
    test_enter();
    test_replace_cancel();
    test_accepted_replaced();
    test_small_outbound();
    return tp_check_done("test_ouch");
}
