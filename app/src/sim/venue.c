/* The simulated exchange's OUCH handling and the engine -> ITCH/OUCH event translation. */
#include "sim/venue.h"

#include <stdlib.h>
#include <string.h>

#include "common/endian.h"
#include "gw/hist_json.h"
#include "itch/encode.h"
#include "ouch/ouch.h"
#include "itch/snapshot_msg.h"
#include "sim/token_ref.h"
#include "soup/rtclock.h"

static inline uint64_t ts_now(void)
{
    /* Re-stamped at send time by itch_out_flush; this is the event time for OUCH. */
    return tp_rt_since_midnight(tp_rt_now_ns());
}

static inline uint8_t itch_side(uint8_t s)
{
    return s ? 'S' : 'B';
}

static void put(venue *v, const uint8_t *m, size_t len)
{
    itch_out_put(&v->out, m, len);
}

static void ouch_send(venue *v, int user, const uint8_t *m, size_t len)
{
    if (v->soup_on)
        tp_soup_server_send(&v->soup, user, m, len, tp_rt_now_ns());
}

/* Flow bookkeeping when a flow order leaves the book. */
static void flow_gone(venue *v, const me_order *o)
{
    flow_sym *f = &v->flow[o->sym];
    uint32_t pos = o->owner_tag;
    if (pos < f->n) {
        uint32_t last = f->idx[--f->n];
        f->idx[pos] = last;
        v->me.orders[last].owner_tag = pos;
    }
}

static void cb_add(void *ctx, const me_order *o)
{
    venue *v = ctx;
    v->sym_dirty[o->sym] = 1;
    if (o->hidden || v->snapshot_feed)
        return;
    uint8_t m[TP_ITCH_MAX_MSG_LEN];
    const me_book *b = &v->me.books[o->sym];
    size_t n = tp_enc_add(m, b->locate, 0, o->ref, itch_side(o->side), o->shares,
                          (const uint8_t *)b->name, o->price, NULL);
    put(v, m, n);
}

static void cb_exec(void *ctx, const me_order *r, uint32_t q, uint64_t match, int aggr_owner,
                    uint32_t aggr_tag, uint8_t aggr_side)
{
    venue *v = ctx;
    (void)aggr_side;
    v->sym_dirty[r->sym] = 1;
    const me_book *b = &v->me.books[r->sym];
    uint8_t m[TP_ITCH_MAX_MSG_LEN];
    if (!v->snapshot_feed) {
        size_t n = r->hidden ? tp_enc_trade(m, b->locate, 0, itch_side(r->side), q,
                                            (const uint8_t *)b->name, r->price, match)
                             : tp_enc_executed(m, b->locate, 0, r->ref, q, match);
        put(v, m, n);
    }
    if (r->owner >= 0) {
        sim_order *so = &v->orders[r->owner_tag];
        so->leaves -= q;
        if (!so->leaves)
            so->state = 'D';
        tp_ouch_executed e = {.shares = q, .price = r->price, .liquidity = 'A', .match = match};
        memcpy(e.token, so->token, 14);
        uint8_t om[TP_OUCH_MAX_MSG];
        ouch_send(v, r->owner, om, tp_ouch_enc_executed(om, ts_now(), &e));
        v->ost.executed_msgs++;
    } else if (!r->live) {
        flow_gone(v, r);
    }
    if (aggr_owner >= 0 && v->n_pend < 1024) {
        v->pend[v->n_pend].order = aggr_tag;
        v->pend[v->n_pend].shares = q;
        v->pend[v->n_pend].price = r->price;
        v->pend[v->n_pend].match = match;
        v->n_pend++;
    }
}

static void cb_cancel(void *ctx, const me_order *o, uint32_t q, int deleted)
{
    venue *v = ctx;
    v->sym_dirty[o->sym] = 1;
    if (o->owner < 0 && deleted)
        flow_gone(v, o);
    if (o->hidden || v->snapshot_feed)
        return;
    uint8_t m[TP_ITCH_MAX_MSG_LEN];
    uint16_t loc = v->me.books[o->sym].locate;
    size_t n = deleted ? tp_enc_delete(m, loc, 0, o->ref) : tp_enc_cancel(m, loc, 0, o->ref, q);
    put(v, m, n);
}

static void cb_replace(void *ctx, uint64_t old_ref, const me_order *o)
{
    venue *v = ctx;
    v->sym_dirty[o->sym] = 1;
    if (o->hidden || v->snapshot_feed)
        return;
    uint8_t m[TP_ITCH_MAX_MSG_LEN];
    size_t n = tp_enc_replace(m, v->me.books[o->sym].locate, 0, old_ref, o->ref, o->shares,
                              o->price);
    put(v, m, n);
}

int venue_init(venue *v, const venue_cfg *cfg)
{
    me_callbacks cb = {cb_add, cb_exec, cb_cancel, cb_replace, v};
    if (me_init(&v->me, cfg->max_orders, cfg->max_levels, &cb) != 0)
        return -1;
    v->max_orders = cfg->max_ouch_orders;
    v->orders = calloc(v->max_orders, sizeof *v->orders);
    uint64_t cap = 1;
    while (cap < (uint64_t)v->max_orders * 2)
        cap <<= 1;
    if (!v->orders || tokmap_init(&v->tokens, cap, 0) != 0)
        return -1;
    v->max_arrivals = cfg->max_arrivals;
    v->arrivals = calloc(v->max_arrivals ? v->max_arrivals : 1, sizeof *v->arrivals);
    if (!v->arrivals)
        return -1;
    tp_hist_init(&v->t2t);
    tp_hist_init(&v->t2t_app);
    tp_rng_seed(&v->rng, cfg->seed);
    v->flow_depth = cfg->flow_depth;
    v->tick = cfg->tick ? cfg->tick : 100;
    v->snapshot_feed = cfg->snapshot_feed;
    v->snapshot_depth = cfg->snapshot_depth ? cfg->snapshot_depth : 10;
    if (v->snapshot_depth > TP_SNAP_MAX_DEPTH)
        v->snapshot_depth = TP_SNAP_MAX_DEPTH;
    return 0;
}

int venue_add_symbol(venue *v, const char *name, uint32_t ref_price)
{
    int s = me_add_symbol(&v->me, name);
    if (s < 0)
        return -1;
    flow_sym *f = &v->flow[s];
    f->cap = v->flow_depth * 4 + 64;
    f->idx = calloc(f->cap, sizeof *f->idx);
    if (!f->idx)
        return -1;
    f->ref_price = f->mid = ref_price;
    return s;
}

void venue_start_of_day(venue *v)
{
    uint8_t m[TP_ITCH_MAX_MSG_LEN];
    put(v, m, tp_enc_system_event(m, 0, 'O'));
    put(v, m, tp_enc_system_event(m, 0, 'S'));
    for (uint32_t i = 0; i < v->me.n_books; i++) {
        char name[9];
        memcpy(name, v->me.books[i].name, 8);
        name[8] = 0;
        for (int k = 7; k >= 0 && name[k] == ' '; k--)
            name[k] = 0;
        put(v, m, tp_enc_stock_directory(m, v->me.books[i].locate, 0, name));
    }
    put(v, m, tp_enc_system_event(m, 0, 'Q'));
    itch_out_flush(&v->out);
    uint8_t om[TP_OUCH_MAX_MSG];
    size_t n = tp_ouch_enc_system_event(om, ts_now(), 'S');
    for (int u = 0; u < v->soup.n_users && v->soup_on; u++)
        ouch_send(v, u, om, n);
}

void venue_end_of_day(venue *v)
{
    venue_flush(v);
    uint8_t m[TP_ITCH_MAX_MSG_LEN];
    put(v, m, tp_enc_system_event(m, 0, 'M'));
    put(v, m, tp_enc_system_event(m, 0, 'E'));
    put(v, m, tp_enc_system_event(m, 0, 'C'));
    itch_out_end(&v->out);
    uint8_t om[TP_OUCH_MAX_MSG];
    size_t n = tp_ouch_enc_system_event(om, ts_now(), 'E');
    for (int u = 0; u < v->soup.n_users && v->soup_on; u++)
        ouch_send(v, u, om, n);
}

/* --- OUCH inbound ------------------------------------------------------------------- */

static uint64_t token_key(int user, const char token[14])
{
    return tokmap_hash_bytes(token, 14, (uint64_t)user * 0x9e37u + 1);
}

static uint32_t find_token(const venue *v, int user, const char token[14])
{
    uint64_t key = token_key(user, token);
    uint64_t pos = tokmap_start(&v->tokens, key);
    uint32_t idx;
    while ((idx = tokmap_next(&v->tokens, key, &pos)) != TOKMAP_EMPTY) {
        const sim_order *o = &v->orders[idx];
        if (o->user == user && memcmp(o->token, token, 14) == 0)
            return idx;
    }
    return TOKMAP_EMPTY;
}

static int find_sym(const venue *v, const char stock[8])
{
    for (uint32_t i = 0; i < v->me.n_books; i++)
        if (memcmp(v->me.books[i].name, stock, 8) == 0)
            return (int)i;
    return -1;
}

/* Tick-to-trade of an inbound Enter/Replace whose token names its trigger packet. Wire to
 * wire: the kernel's receive stamp of the order's segment minus the kernel's transmit stamp
 * of the packet, both where the bytes cross this host's stack, as a tap between the two hosts
 * would see them (the simulator's own send path and poll loop are the exchange's latency, not
 * the trader's). A missing stamp falls back to the program's own time, which only adds. The
 * program-to-program figure (before sendto -> after recv) is kept as t2t_app. */
static void record_arrival(venue *v, int user, uint8_t type, const char token[14],
                           uint64_t read_ns, uint64_t rx_kernel_ns)
{
    int64_t trig = tp_token_trigger(token);
    uint64_t arrival = rx_kernel_ns ? rx_kernel_ns : read_ns;
    uint64_t t2t = 0, t2t_app = 0;
    if (rx_kernel_ns)
        v->ost.rx_stamped++;
    else
        v->ost.rx_unstamped++;
    if (trig > 0) {
        uint64_t sent = itch_out_sent_ns(&v->out, (uint64_t)trig);
        uint64_t wire = itch_out_wire_ns(&v->out, (uint64_t)trig);
        if (sent && wire && read_ns >= sent && arrival >= wire) {
            t2t = arrival - wire;
            t2t_app = read_ns - sent;
            tp_hist_add(&v->t2t, t2t);
            tp_hist_add(&v->t2t_app, t2t_app);
            v->ost.t2t_matched++;
        } else {
            v->ost.t2t_unmatched++;
        }
    } else {
        v->ost.t2t_no_trigger++;
    }
    if (v->n_arrivals < v->max_arrivals) {
        sim_arrival *a = &v->arrivals[v->n_arrivals++];
        int64_t c = tp_token_counter(token);
        a->token = c < 0 ? 0 : (uint64_t)c;
        a->arrival_ns = arrival;
        a->read_ns = read_ns;
        a->trigger_seq = trig > 0 ? (uint64_t)trig : 0;
        a->t2t_ns = t2t;
        a->t2t_app_ns = t2t_app;
        a->user = (int16_t)user;
        a->type = type;
    } else {
        v->ost.arrivals_dropped++;
    }
}

static void reject(venue *v, int user, const char token[14], uint8_t reason)
{
    uint8_t om[TP_OUCH_MAX_MSG];
    ouch_send(v, user, om, tp_ouch_enc_rejected(om, ts_now(), token, reason));
    v->ost.rejected++;
}

static void send_pending(venue *v, int user)
{
    uint8_t om[TP_OUCH_MAX_MSG];
    for (uint32_t i = 0; i < v->n_pend; i++) {
        sim_order *so = &v->orders[v->pend[i].order];
        so->leaves -= v->pend[i].shares;
        tp_ouch_executed e = {.shares = v->pend[i].shares, .price = v->pend[i].price,
                              .liquidity = 'R', .match = v->pend[i].match};
        memcpy(e.token, so->token, 14);
        ouch_send(v, user, om, tp_ouch_enc_executed(om, ts_now(), &e));
        v->ost.executed_msgs++;
    }
    v->n_pend = 0;
}

static void fill_accepted(const venue *v, const sim_order *so, tp_ouch_accepted *a)
{
    memset(a, 0, sizeof *a);
    memcpy(a->token, so->token, 14);
    a->side = so->side;
    a->shares = so->leaves;
    memcpy(a->stock, v->me.books[so->sym].name, 8);
    memcpy(a->firm, so->firm, 4);
    a->tif = so->tif;
    a->display = so->display;
    a->order_ref = so->ref;
    a->capacity = so->capacity;
    a->iso = so->iso;
    a->cross_type = so->cross_type;
    a->order_state = 'L';
    a->bbo_weight = ' ';
}

/* The Enter Order's firm-specific fields against the OUCH 4.2 spec's values (ouch/fields.h):
 * 0, or the Rejected reason, the first failing field counted. Display: 'D' (Invalid Display
 * Type); ISO, Cross Type, Customer Type: 'O' (Other; the spec names no reason for them).
 * Capacity never rejects: the spec takes a value other than A, P, R as O (*capacity). */
static uint8_t check_fields(venue *v, const tp_ouch_enter *e, uint8_t *capacity)
{
    venue_field_stats *f = &v->fields;
    static const tp_ouch_field CHECKED[] = {TP_OUCH_F_DISPLAY, TP_OUCH_F_ISO, TP_OUCH_F_CROSS_TYPE,
                                            TP_OUCH_F_CUSTOMER_TYPE};
    const uint8_t got[] = {e->display, e->iso, e->cross_type, e->customer_type};
    for (size_t i = 0; i < sizeof got; i++)
        if (!tp_ouch_field_ok(CHECKED[i], got[i])) {
            f->rejected[CHECKED[i]]++;
            return CHECKED[i] == TP_OUCH_F_DISPLAY ? TP_OUCH_REJ_DISPLAY : TP_OUCH_REJ_OTHER;
        }
    *capacity = e->capacity;
    if (!tp_ouch_field_ok(TP_OUCH_F_CAPACITY, e->capacity)) {
        *capacity = 'O';
        f->capacity_converted++;
    }
    return 0;
}

static void count_fields(venue *v, const tp_ouch_enter *e)
{
    uint64_t (*c)[256] = v->fields.enter;
    c[TP_OUCH_F_DISPLAY][e->display]++;
    c[TP_OUCH_F_CAPACITY][e->capacity]++;
    c[TP_OUCH_F_ISO][e->iso]++;
    c[TP_OUCH_F_CROSS_TYPE][e->cross_type]++;
    c[TP_OUCH_F_CUSTOMER_TYPE][e->customer_type]++;
}

static void on_enter(venue *v, int user, const tp_ouch_enter *e)
{
    v->ost.enter++;
    count_fields(v, e);
    if (find_token(v, user, e->token) != TOKMAP_EMPTY) {
        v->ost.dup_tokens++; /* OUCH: a resent token is ignored (idempotent) */
        return;
    }
    int sym = find_sym(v, e->stock);
    uint8_t reason = 0, capacity = 0;
    if (sym < 0)
        reason = TP_OUCH_REJ_STOCK;
    else if (e->side != 'B' && e->side != 'S' && e->side != 'T' && e->side != 'E')
        reason = TP_OUCH_REJ_SIDE;
    else if (e->shares == 0 || e->shares > 1000000)
        reason = TP_OUCH_REJ_SIZE;
    else if (e->price == 0 || e->price > TP_OUCH_MAX_PRICE || e->price % v->tick)
        reason = TP_OUCH_REJ_PRICE;
    else
        reason = check_fields(v, e, &capacity);
    if (!reason && v->n_orders >= v->max_orders)
        reason = TP_OUCH_REJ_OTHER;
    if (reason) {
        reject(v, user, e->token, reason);
        return;
    }
    uint32_t oi = v->n_orders++;
    sim_order *so = &v->orders[oi];
    memset(so, 0, sizeof *so);
    memcpy(so->token, e->token, 14);
    so->user = (int16_t)user;
    so->sym = (uint16_t)sym;
    so->side = e->side;
    so->state = 'L';
    so->display = e->display; /* hidden in the engine: 'N' only (no pegs, no crosses here) */
    so->capacity = capacity;
    so->iso = e->iso;
    so->cross_type = e->cross_type;
    so->leaves = e->shares;
    so->tif = e->tif;
    memcpy(so->firm, e->firm, 4);
    so->me_idx = ME_NIL;
    tokmap_put(&v->tokens, token_key(user, e->token), oi);
    int ioc = e->tif == TP_OUCH_TIF_IOC;
    /* Accepted goes out before any execution: the ref the engine is about to assign. */
    so->ref = v->me.next_ref;
    tp_ouch_accepted a;
    fill_accepted(v, so, &a);
    a.price = e->price;
    uint8_t om[TP_OUCH_MAX_MSG];
    ouch_send(v, user, om, tp_ouch_enc_accepted(om, ts_now(), &a));
    v->ost.accepted++;
    v->n_pend = 0;
    me_result r = me_submit(&v->me, (uint16_t)sym, e->side == 'B' ? 0 : 1, e->shares, e->price,
                            ioc, so->display == 'N', user, oi);
    send_pending(v, user);
    if (r.rested == ME_NIL)
        v->me.next_ref++; /* the ref named in Accepted is burnt */
    so->me_idx = r.rested;
    if (r.full || r.canceled) {
        uint32_t left = r.full ? e->shares : r.canceled;
        tp_ouch_canceled c = {.decrement = left, .reason = r.full ? TP_OUCH_CXL_SYSTEM
                                                                  : TP_OUCH_CXL_IOC};
        memcpy(c.token, so->token, 14);
        so->leaves -= left;
        ouch_send(v, user, om, tp_ouch_enc_canceled(om, ts_now(), &c));
        v->ost.canceled_msgs++;
        v->ost.ioc_canceled += !r.full;
    }
    if (!so->leaves)
        so->state = 'D';
}

static void on_cancel(venue *v, int user, const tp_ouch_cancel *x)
{
    v->ost.cancel++;
    uint32_t oi = find_token(v, user, x->token);
    if (oi == TOKMAP_EMPTY || v->orders[oi].state != 'L') {
        v->ost.unknown_token++; /* OUCH ignores a cancel of an unknown or dead order */
        return;
    }
    sim_order *so = &v->orders[oi];
    if (x->shares >= so->leaves)
        return;
    uint32_t q = me_cancel(&v->me, so->me_idx, x->shares);
    so->leaves -= q;
    if (!so->leaves) {
        so->state = 'D';
        so->me_idx = ME_NIL;
    }
    tp_ouch_canceled c = {.decrement = q, .reason = TP_OUCH_CXL_USER};
    memcpy(c.token, so->token, 14);
    uint8_t om[TP_OUCH_MAX_MSG];
    ouch_send(v, user, om, tp_ouch_enc_canceled(om, ts_now(), &c));
    v->ost.canceled_msgs++;
}

static void on_replace(venue *v, int user, const tp_ouch_replace *r)
{
    v->ost.replace++;
    v->fields.replace_display[r->display]++;
    v->fields.replace_iso[r->iso]++;
    uint32_t oi = find_token(v, user, r->existing);
    if (oi == TOKMAP_EMPTY || v->orders[oi].state != 'L') {
        v->ost.unknown_token++;
        return;
    }
    if (find_token(v, user, r->replacement) != TOKMAP_EMPTY) {
        v->ost.dup_tokens++;
        return;
    }
    sim_order *old = &v->orders[oi];
    if (r->shares == 0 || r->shares > 1000000 || r->price == 0 || r->price % v->tick ||
        r->price > TP_OUCH_MAX_PRICE || v->n_orders >= v->max_orders) {
        reject(v, user, r->replacement, r->shares == 0 || r->shares > 1000000
                                            ? TP_OUCH_REJ_SIZE : TP_OUCH_REJ_PRICE);
        return;
    }
    /* the Replace's own Display and ISO, as on an Enter (check_fields) */
    if (!tp_ouch_field_ok(TP_OUCH_F_DISPLAY, r->display) ||
        !tp_ouch_field_ok(TP_OUCH_F_ISO, r->iso)) {
        int display = !tp_ouch_field_ok(TP_OUCH_F_DISPLAY, r->display);
        v->fields.rejected[display ? TP_OUCH_F_DISPLAY : TP_OUCH_F_ISO]++;
        reject(v, user, r->replacement, display ? TP_OUCH_REJ_DISPLAY : TP_OUCH_REJ_OTHER);
        return;
    }
    uint32_t ni = v->n_orders++;
    sim_order *so = &v->orders[ni];
    *so = *old;
    old = &v->orders[oi];
    memcpy(so->token, r->replacement, 14);
    so->leaves = r->shares;
    so->tif = r->tif;
    /* echoed in Replaced; the engine keeps the order displayed or hidden as it was entered */
    so->display = r->display;
    so->iso = r->iso;
    tokmap_put(&v->tokens, token_key(user, r->replacement), ni);
    so->ref = v->me.next_ref;
    tp_ouch_accepted a;
    fill_accepted(v, so, &a);
    a.price = r->price;
    memcpy(a.previous, old->token, 14);
    uint8_t om[TP_OUCH_MAX_MSG];
    ouch_send(v, user, om, tp_ouch_enc_replaced(om, ts_now(), &a));
    v->ost.replaced_msgs++;
    old->state = 'D';
    old->leaves = 0;
    v->n_pend = 0;
    me_result res = me_replace(&v->me, old->me_idx, r->shares, r->price, ni);
    old->me_idx = ME_NIL;
    send_pending(v, user);
    if (res.rested == ME_NIL)
        v->me.next_ref++;
    so->me_idx = res.rested;
    if (res.full) {
        tp_ouch_canceled c = {.decrement = so->leaves, .reason = TP_OUCH_CXL_SYSTEM};
        memcpy(c.token, so->token, 14);
        so->leaves = 0;
        ouch_send(v, user, om, tp_ouch_enc_canceled(om, ts_now(), &c));
        v->ost.canceled_msgs++;
    }
    if (!so->leaves)
        so->state = 'D';
}

void venue_on_ouch(void *ctx, int user, const uint8_t *msg, size_t len, uint64_t rx_ns,
                   uint64_t rx_kernel_ns)
{
    venue *v = ctx;
    tp_ouch_in in;
    if (tp_ouch_decode_in(msg, len, &in) != 0) {
        v->ost.bad_msgs++;
        return;
    }
    switch (in.type) {
    case 'O':
        record_arrival(v, user, 'O', in.u.enter.token, rx_ns, rx_kernel_ns);
        on_enter(v, user, &in.u.enter);
        break;
    case 'U':
        record_arrival(v, user, 'U', in.u.replace.replacement, rx_ns, rx_kernel_ns);
        on_replace(v, user, &in.u.replace);
        break;
    default:
        on_cancel(v, user, &in.u.cancel);
        break;
    }
}

/* --- snapshot feed + flush ----------------------------------------------------------- */

static void publish_snapshot(venue *v, uint32_t sym)
{
    uint8_t m[TP_SNAP_MAX_LEN];
    const me_book *b = &v->me.books[sym];
    tp_snap_levels lv;
    memset(&lv, 0, sizeof lv);
    lv.depth = v->snapshot_depth;
    for (int side = 0; side < 2; side++) {
        const me_side *s = &b->side[side];
        uint32_t k = 0;
        for (int i = (int)s->n - 1; i >= 0 && k < lv.depth; i--) {
            if (!s->lv[i].shares)
                continue;
            lv.price[side][k] = s->lv[i].price;
            lv.shares[side][k] = s->lv[i].shares > 0xffffffffu ? 0xffffffffu
                                                               : (uint32_t)s->lv[i].shares;
            k++;
        }
    }
    size_t n = tp_snap_encode(m, b->locate, 0, b->name, &lv);
    put(v, m, n);
}

void venue_flush(venue *v)
{
    if (v->snapshot_feed)
        for (uint32_t s = 0; s < v->me.n_books; s++)
            if (v->sym_dirty[s])
                publish_snapshot(v, s);
    memset(v->sym_dirty, 0, sizeof v->sym_dirty);
    itch_out_flush(&v->out);
}

/* {"Y": 3, ...}: the byte values seen, a printable one as itself, any other as "0xNN". */
static void write_values(FILE *f, const uint64_t c[256])
{
    int first = 1;
    fputc('{', f);
    for (int b = 0; b < 256; b++) {
        if (!c[b])
            continue;
        fputs(first ? "" : ", ", f);
        first = 0;
        if (b >= 0x20 && b < 0x7f && b != '"' && b != '\\')
            fprintf(f, "\"%c\": %llu", b, (unsigned long long)c[b]);
        else
            fprintf(f, "\"0x%02x\": %llu", b, (unsigned long long)c[b]);
    }
    fputc('}', f);
}

static void write_field_stats(const venue_field_stats *fs, FILE *f)
{
    static const char *const KEY[TP_OUCH_F_COUNT] = {"display", "capacity", "iso", "cross_type",
                                                     "customer_type"};
    fputs(" \"ouch_fields\": {\"enter\": {", f);
    for (int i = 0; i < TP_OUCH_F_COUNT; i++) {
        fprintf(f, "%s\"%s\": ", i ? ", " : "", KEY[i]);
        write_values(f, fs->enter[i]);
    }
    fputs("},\n  \"replace\": {\"display\": ", f);
    write_values(f, fs->replace_display);
    fputs(", \"iso\": ", f);
    write_values(f, fs->replace_iso);
    fprintf(f, "},\n  \"rejected\": {\"display\": %llu, \"iso\": %llu, \"cross_type\": %llu, "
            "\"customer_type\": %llu}, \"capacity_converted\": %llu},\n",
            (unsigned long long)fs->rejected[TP_OUCH_F_DISPLAY],
            (unsigned long long)fs->rejected[TP_OUCH_F_ISO],
            (unsigned long long)fs->rejected[TP_OUCH_F_CROSS_TYPE],
            (unsigned long long)fs->rejected[TP_OUCH_F_CUSTOMER_TYPE],
            (unsigned long long)fs->capacity_converted);
}

int venue_write_stats(venue *v, FILE *f, const venue_stats_meta *m)
{
    double seconds = (double)(m->written_ns - m->started_ns) / 1e9;
    const itch_out_stats *is = &v->out.st;
    const venue_ouch_stats *o = &v->ost;
    const tp_soup_server_stats *ss = &v->soup.st;
    fprintf(f, "{\"program\": \"tickpath-sim\", \"seconds\": %.3f, \"clock\": \"CLOCK_REALTIME\",\n",
            seconds);
    fprintf(f, " \"started_ns\": %llu, \"written_ns\": %llu, \"at_exit\": %s,\n",
            (unsigned long long)m->started_ns, (unsigned long long)m->written_ns,
            m->at_exit ? "true" : "false");
    fprintf(f, " \"feed\": {\"mode\": \"%s\", \"packets\": %llu, \"messages\": %llu, \"bytes\": %llu, "
            "\"heartbeats\": %llu, \"rerequests\": %llu, \"retransmitted\": %llu, "
            "\"bad_requests\": %llu, \"store_full\": %llu, \"send_errors\": %llu, "
            "\"tx_stamped\": %llu, \"tx_unstamped\": %llu, \"next_seq\": %llu},\n",
            v->snapshot_feed ? "snapshot" : "incremental", (unsigned long long)is->packets,
            (unsigned long long)is->messages, (unsigned long long)is->bytes,
            (unsigned long long)is->heartbeats, (unsigned long long)is->rerequests,
            (unsigned long long)is->retrans_msgs, (unsigned long long)is->bad_requests,
            (unsigned long long)is->store_full, (unsigned long long)is->send_errors,
            (unsigned long long)is->tx_stamped, (unsigned long long)is->tx_unstamped,
            (unsigned long long)v->out.next_seq);
    fprintf(f, " \"ouch\": {\"enter\": %llu, \"replace\": %llu, \"cancel\": %llu, \"bad_msgs\": %llu, "
            "\"dup_tokens\": %llu, \"unknown_token\": %llu, \"accepted\": %llu, \"rejected\": %llu, "
            "\"executed\": %llu, \"canceled\": %llu, \"replaced\": %llu, \"ioc_canceled\": %llu, "
            "\"orders\": %u},\n",
            (unsigned long long)o->enter, (unsigned long long)o->replace,
            (unsigned long long)o->cancel, (unsigned long long)o->bad_msgs,
            (unsigned long long)o->dup_tokens, (unsigned long long)o->unknown_token,
            (unsigned long long)o->accepted, (unsigned long long)o->rejected,
            (unsigned long long)o->executed_msgs, (unsigned long long)o->canceled_msgs,
            (unsigned long long)o->replaced_msgs, (unsigned long long)o->ioc_canceled,
            v->n_orders);
    write_field_stats(&v->fields, f);
    fprintf(f, " \"soup\": {\"accepts\": %llu, \"logins\": %llu, \"login_rejects\": %llu, "
            "\"logouts\": %llu, \"dead_links\": %llu, \"framing_errors\": %llu, \"kicked\": %llu, "
            "\"hb_tx\": %llu, \"hb_rx\": %llu, \"unseq_rx\": %llu, \"seq_tx\": %llu, "
            "\"replayed\": %llu, \"login_timeouts\": %llu, \"evicted_unauthenticated\": %llu, "
            "\"refused_full\": %llu, \"login_failures\": %llu, \"login_backoff_refusals\": %llu, "
            "\"backoff_replaced\": %llu},\n",
            (unsigned long long)ss->accepts, (unsigned long long)ss->logins,
            (unsigned long long)ss->login_rejects, (unsigned long long)ss->logouts,
            (unsigned long long)ss->dead_links, (unsigned long long)ss->framing_errors,
            (unsigned long long)ss->kicked, (unsigned long long)ss->hb_tx,
            (unsigned long long)ss->hb_rx, (unsigned long long)ss->unseq_rx,
            (unsigned long long)ss->seq_tx, (unsigned long long)ss->replayed,
            (unsigned long long)ss->login_timeouts,
            (unsigned long long)ss->evicted_unauthenticated,
            (unsigned long long)ss->refused_full, (unsigned long long)ss->login_failures,
            (unsigned long long)ss->login_backoff_refusals,
            (unsigned long long)v->soup.backoff.replaced);
    if (m->snapshot) {
        fputs(" \"snapshot\": ", f);
        snapshot_srv_write_json(m->snapshot, f);
        fputs(",\n", f);
    }
    fprintf(f, " \"engine\": {\"orders\": %llu, \"execs\": %llu, \"exec_shares\": %llu, "
            "\"cancels\": %llu, \"replaces\": %llu, \"rejects_full\": %llu, \"live\": %u},\n",
            (unsigned long long)v->me.st.orders, (unsigned long long)v->me.st.execs,
            (unsigned long long)v->me.st.exec_shares, (unsigned long long)v->me.st.cancels,
            (unsigned long long)v->me.st.replaces, (unsigned long long)v->me.st.rejects_full,
            v->me.live);
    fprintf(f, " \"flow\": {\"actions\": %llu, \"adds\": %llu, \"cancels\": %llu, "
            "\"aggressive\": %llu},\n",
            (unsigned long long)v->fst.actions, (unsigned long long)v->fst.adds,
            (unsigned long long)v->fst.cancels, (unsigned long long)v->fst.aggressive);
    fprintf(f, " \"tick_to_trade\": {\"stamps\": \"kernel\", \"matched\": %llu, \"unmatched\": %llu, "
            "\"no_trigger\": %llu, \"rx_stamped\": %llu, \"rx_unstamped\": %llu, \"hist\": ",
            (unsigned long long)o->t2t_matched, (unsigned long long)o->t2t_unmatched,
            (unsigned long long)o->t2t_no_trigger, (unsigned long long)o->rx_stamped,
            (unsigned long long)o->rx_unstamped);
    tp_hist_write_json(f, &v->t2t);
    fputs("},\n \"tick_to_trade_app\": {\"stamps\": \"program\", \"hist\": ", f);
    tp_hist_write_json(f, &v->t2t_app);
    fputs("}}\n", f);
    return ferror(f) ? -1 : 0;
}

int venue_write_arrivals_csv(const venue *v, FILE *f)
{
    fputs("type,user,token_counter,arrival_ns,read_ns,trigger_seq,tick_to_trade_ns,"
          "tick_to_trade_app_ns\n", f);
    for (uint64_t i = 0; i < v->n_arrivals; i++) {
        const sim_arrival *a = &v->arrivals[i];
        fprintf(f, "%c,%d,%llu,%llu,%llu,%llu,%llu,%llu\n", a->type, a->user,
                (unsigned long long)a->token, (unsigned long long)a->arrival_ns,
                (unsigned long long)a->read_ns, (unsigned long long)a->trigger_seq,
                (unsigned long long)a->t2t_ns, (unsigned long long)a->t2t_app_ns);
    }
    return ferror(f) ? -1 : 0;
}
