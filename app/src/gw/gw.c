/* Order gateway core. */
#include "gw/gw.h"

#include <stdlib.h>
#include <string.h>

#include "common/huge_alloc.h"
#include "gw/hist_json.h"
#include "sim/token_ref.h"
#include "soup/rtclock.h"

static const char *const STATE_NAMES[GW_STATES] = {
    "pending_new", "open", "partial", "filled", "canceled", "replaced", "rejected",
    "risk_rejected",
};

const char *tp_gw_state_name(unsigned s)
{
    return s < GW_STATES ? STATE_NAMES[s] : "?";
}

const char *tp_gw_reason_name(unsigned r)
{
    if (r < TP_RISK_REASONS)
        return tp_risk_reason_name((tp_risk_reason)r);
    switch (r) {
    case GW_REASON_SESSION_DOWN: return "session_down";
    case GW_REASON_TABLE_FULL: return "table_full";
    case GW_REASON_BAD_STATE: return "bad_state";
    case GW_REASON_TOKENS: return "token_store";
    case GW_REASON_SESSION_LOST: return "session_lost";
    default: return "?";
    }
}

static int is_open(const gw_order *o)
{
    return o->state == GW_OPEN || o->state == GW_PARTIAL;
}

static int is_done(uint8_t s)
{
    return s == GW_FILLED || s == GW_CANCELED || s == GW_REPLACED || s == GW_REJECTED ||
           s == GW_RISK_REJECTED;
}

void tp_gw_print_order(const tp_gw *g, FILE *f, uint32_t i, const char *ev)
{
    const gw_order *o = &g->orders[i];
    int sl = 0;
    const char *sn = o->sym < g->cfg.n_symbols ? g->cfg.symbols[o->sym] : "?";
    while (sl < 8 && sn[sl] && sn[sl] != ' ')
        sl++;
    fprintf(f, "{\"ev\": \"%s\", \"token\": \"%.14s\", \"state\": \"%s\", \"sym\": \"%.*s\", "
            "\"side\": \"%c\", \"shares\": %u, \"leaves\": %u, \"filled\": %u, \"price\": %u, "
            "\"ref\": %llu, \"trigger_seq\": %llu",
            ev, o->token, tp_gw_state_name(o->state), sl, sn, o->side ? o->side : '?',
            o->shares, o->leaves, o->filled, o->price, (unsigned long long)o->ref,
            (unsigned long long)o->trigger_seq);
    if (o->state == GW_RISK_REJECTED || o->risk_reason == GW_REASON_SESSION_LOST)
        fprintf(f, ", \"reason\": \"%s\"", tp_gw_reason_name(o->risk_reason));
    if (o->exch_reason)
        fprintf(f, ", \"exch_reason\": \"%c\"", o->exch_reason);
    fputs("}\n", f);
    fflush(f);
}

static void event(tp_gw *g, uint32_t i, const char *ev)
{
    if (g->cfg.events && g->cfg.out)
        tp_gw_print_order(g, g->cfg.out, i, ev);
}

static void session_event(tp_gw *g, const char *state, uint64_t seq, int reason)
{
    if (!g->cfg.events || !g->cfg.out)
        return;
    fprintf(g->cfg.out, "{\"ev\": \"session\", \"state\": \"%s\", \"next_seq\": %llu", state,
            (unsigned long long)seq);
    if (reason)
        fprintf(g->cfg.out, ", \"reason\": \"%c\"", reason);
    fputs("}\n", g->cfg.out);
    fflush(g->cfg.out);
}

/* A space-padded session name, without the padding. */
static int sess_len(const char s[TP_SOUP_SESSION_LEN])
{
    int n = TP_SOUP_SESSION_LEN;
    while (n && s[n - 1] == ' ')
        n--;
    return n;
}

static void new_session_event(tp_gw *g, uint64_t replay_to)
{
    if (!g->cfg.events || !g->cfg.out)
        return;
    const tp_soup_client *c = &g->soup;
    fprintf(g->cfg.out, "{\"ev\": \"session\", \"state\": \"%s\", \"session\": \"%.*s\", "
            "\"previous\": \"%.*s\", \"expected_seq\": %llu, \"replay_to\": %llu}\n",
            c->sync_cause == TP_SOUP_SYNC_RESET ? "reset" : "new_session", sess_len(c->session),
            c->session, sess_len(c->prev_session), c->prev_session,
            (unsigned long long)c->prev_next_seq, (unsigned long long)replay_to);
    fflush(g->cfg.out);
}

static int lookup(const tp_gw *g, const char token[14])
{
    int64_t c = tp_token_counter(token);
    if (c < 0)
        return -1;
    uint64_t key = (uint64_t)c;
    uint64_t pos = tokmap_start(&g->by_counter, key);
    uint32_t idx;
    while ((idx = tokmap_next(&g->by_counter, key, &pos)) != TOKMAP_EMPTY)
        if (memcmp(g->orders[idx].token, token, 14) == 0)
            return (int)idx;
    return -1;
}

int tp_gw_find_token(const tp_gw *g, const char *token)
{
    char t[14];
    memset(t, ' ', 14);
    memcpy(t, token, strnlen(token, 14));
    return lookup(g, t);
}

int tp_gw_sym(const tp_gw *g, const char *name)
{
    char n[8];
    memset(n, ' ', 8);
    memcpy(n, name, strnlen(name, 8));
    for (uint32_t i = 0; i < g->cfg.n_symbols; i++)
        if (memcmp(g->cfg.symbols[i], n, 8) == 0)
            return (int)i;
    return -1;
}

static int sym_of_stock(const tp_gw *g, const char stock[8])
{
    for (uint32_t i = 0; i < g->cfg.n_symbols; i++)
        if (memcmp(g->cfg.symbols[i], stock, 8) == 0)
            return (int)i;
    return -1;
}

/* An order the exchange knows about but this process never sent (an earlier run of the
 * gateway today, seen in the replay after a login from sequence 1). */
static int adopt(tp_gw *g, const tp_ouch_accepted *a)
{
    if (g->n_orders >= g->cfg.max_orders)
        return -1;
    int64_t c = tp_token_counter(a->token);
    if (c < 0)
        return -1;
    uint32_t i = g->n_orders++;
    gw_order *o = &g->orders[i];
    memset(o, 0, sizeof *o);
    memcpy(o->token, a->token, 14);
    o->side = a->side;
    int s = sym_of_stock(g, a->stock);
    o->sym = s < 0 ? 0xffff : (uint16_t)s;
    o->shares = o->leaves = a->shares;
    o->price = a->price;
    o->replaces = UINT32_MAX;
    o->state = GW_PENDING_NEW;
    tokmap_put(&g->by_counter, (uint64_t)c, i);
    tp_risk_on_open(&g->risk, o->sym, o->side, o->shares);
    return (int)i;
}

/* While a new session's history is replayed, a message naming an order means that session
 * knows it. */
static inline void seen(const tp_gw *g, gw_order *o)
{
    if (TP_UNLIKELY(g->syncing))
        o->unconfirmed = 0;
}

static void close_order(tp_gw *g, gw_order *o, uint8_t state)
{
    if (o->leaves)
        tp_risk_on_release(&g->risk, o->sym, o->side, o->leaves, 1);
    else
        tp_risk_on_release(&g->risk, o->sym, o->side, 0, 1);
    o->leaves = 0;
    o->state = state;
}

static void on_ouch(tp_gw *g, const uint8_t *p, size_t len, uint64_t now)
{
    tp_ouch_out m;
    if (tp_ouch_decode_out(p, len, &m) != 0) {
        g->st.bad_msgs++;
        return;
    }
    int i;
    gw_order *o;
    switch (m.type) {
    case 'S':
        return;
    case 'A':
        i = lookup(g, m.u.accepted.token);
        if (i < 0)
            i = adopt(g, &m.u.accepted);
        if (i < 0) {
            g->st.unknown_token++;
            return;
        }
        o = &g->orders[i];
        if (o->state != GW_PENDING_NEW) {
            if (o->unconfirmed && g->syncing) {
                /* held open from the previous session and known to the new one */
                o->unconfirmed = 0;
                o->ref = m.u.accepted.order_ref;
            }
            return; /* replayed twice? keep the first */
        }
        o->ref = m.u.accepted.order_ref;
        o->state = GW_OPEN;
        if (!o->t_ack) {
            o->t_ack = now;
            if (o->t_send && now >= o->t_send)
                tp_hist_add(&g->h[GW_H_SEND_ACK], now - o->t_send);
        }
        g->st.accepted++;
        event(g, (uint32_t)i, "accepted");
        return;
    case 'U': {
        i = lookup(g, m.u.accepted.token);
        int prev = lookup(g, m.u.accepted.previous);
        if (i < 0) {
            g->st.unknown_token++;
            return;
        }
        o = &g->orders[i];
        seen(g, o);
        if (o->state != GW_PENDING_NEW)
            return;
        uint32_t old_leaves = 0;
        if (prev >= 0 && !is_done(g->orders[prev].state)) {
            gw_order *po = &g->orders[prev];
            old_leaves = po->leaves;
            po->leaves = 0;
            po->state = GW_REPLACED;
            event(g, (uint32_t)prev, "replaced");
        }
        /* the replacement takes the old order's place in open orders and exposure */
        tp_risk_on_replace(&g->risk, o->sym, o->side, old_leaves, m.u.accepted.shares);
        o->ref = m.u.accepted.order_ref;
        o->leaves = o->shares = m.u.accepted.shares;
        o->state = GW_OPEN;
        o->t_ack = now;
        g->st.replaced++;
        event(g, (uint32_t)i, "accepted");
        return;
    }
    case 'E':
        i = lookup(g, m.u.executed.token);
        if (i < 0) {
            g->st.unknown_token++;
            return;
        }
        o = &g->orders[i];
        seen(g, o);
        if (is_done(o->state))
            return;
        {
            uint32_t q = m.u.executed.shares > o->leaves ? o->leaves : m.u.executed.shares;
            o->filled += q;
            o->leaves -= q;
            tp_risk_on_fill(&g->risk, o->sym, o->side, q);
        }
        g->st.executions++;
        g->st.exec_shares += m.u.executed.shares;
        if (o->leaves == 0)
            close_order(g, o, GW_FILLED);
        else
            o->state = GW_PARTIAL;
        event(g, (uint32_t)i, "executed");
        return;
    case 'C':
    case 'D':
        i = lookup(g, m.u.canceled.token);
        if (i < 0) {
            g->st.unknown_token++;
            return;
        }
        o = &g->orders[i];
        seen(g, o);
        if (is_done(o->state))
            return;
        {
            uint32_t q = m.u.canceled.decrement > o->leaves ? o->leaves : m.u.canceled.decrement;
            o->leaves -= q;
            tp_risk_on_release(&g->risk, o->sym, o->side, q, 0);
        }
        o->exch_reason = m.u.canceled.reason;
        g->st.canceled++;
        if (o->leaves == 0)
            close_order(g, o, GW_CANCELED);
        event(g, (uint32_t)i, "canceled");
        return;
    case 'J':
        i = lookup(g, m.u.tok.token);
        if (i < 0) {
            g->st.unknown_token++;
            return;
        }
        o = &g->orders[i];
        seen(g, o);
        if (is_done(o->state))
            return;
        o->exch_reason = m.u.tok.reason;
        g->st.rejected++;
        if (o->replaces != UINT32_MAX) {
            /* a rejected replace leaves the original order as it was */
            o->leaves = 0;
            o->state = GW_REJECTED;
        } else {
            close_order(g, o, GW_REJECTED);
        }
        event(g, (uint32_t)i, "rejected");
        return;
    case 'B':
        g->st.broken++;
        return;
    default:
        return;
    }
}

static void resend_pending(tp_gw *g, uint64_t now);

/* The exchange's stream restarts: every order this gateway holds at the exchange (open,
 * partial, a replace in flight) is unconfirmed until the new session's history names it.
 * Pending new orders are not: they are re-sent after the login, as on any reconnect. */
static void mark_unconfirmed(tp_gw *g)
{
    for (uint32_t i = 0; i < g->n_orders; i++) {
        gw_order *o = &g->orders[i];
        o->unconfirmed = is_open(o) || (o->state == GW_PENDING_NEW && o->replaces != UINT32_MAX);
    }
    g->syncing = 1;
}

/* The new session's history (messages 1..N) is delivered: what it did not name is gone. */
static void close_unconfirmed(tp_gw *g)
{
    uint32_t closed = 0;
    for (uint32_t i = 0; i < g->n_orders; i++) {
        gw_order *o = &g->orders[i];
        int lost = o->unconfirmed;
        if (!lost && o->state == GW_PENDING_NEW && o->replaces != UINT32_MAX) {
            /* a replace sent during the replay for an order just closed: the exchange
             * ignores it (unknown token) */
            const gw_order *t = &g->orders[o->replaces];
            lost = t->state == GW_CANCELED && t->risk_reason == GW_REASON_SESSION_LOST;
        }
        if (!lost)
            continue;
        o->unconfirmed = 0;
        if (o->state == GW_PENDING_NEW) {
            o->leaves = 0; /* a replace never accepted holds nothing in risk */
            o->state = GW_CANCELED;
        } else {
            close_order(g, o, GW_CANCELED);
        }
        o->risk_reason = GW_REASON_SESSION_LOST;
        g->st.closed_session_lost++;
        closed++;
        event(g, i, "canceled");
    }
    g->syncing = 0;
    if (g->cfg.events && g->cfg.out) {
        fprintf(g->cfg.out, "{\"ev\": \"session\", \"state\": \"reconciled\", "
                "\"session\": \"%.*s\", \"closed\": %u}\n",
                sess_len(g->soup.session), g->soup.session, closed);
        fflush(g->cfg.out);
    }
}

static void soup_cb(void *ctx, tp_soup_event ev, uint64_t seq, const uint8_t *pl, size_t len)
{
    tp_gw *g = ctx;
    uint64_t now = tp_rt_now_ns();
    switch (ev) {
    case TP_SOUP_EV_SEQ:
        on_ouch(g, pl, len, now);
        break;
    case TP_SOUP_EV_UP:
        session_event(g, "up", seq, 0);
        resend_pending(g, now);
        break;
    case TP_SOUP_EV_DOWN:
        session_event(g, "down", seq, 0);
        break;
    case TP_SOUP_EV_REJECTED:
        session_event(g, "rejected", seq, len ? pl[0] : '?');
        break;
    case TP_SOUP_EV_END:
        session_event(g, "ended", seq, 0);
        break;
    case TP_SOUP_EV_NEW_SESSION:
        new_session_event(g, seq);
        mark_unconfirmed(g);
        break;
    case TP_SOUP_EV_SYNCED:
        close_unconfirmed(g);
        break;
    default:
        break;
    }
}

/* The firm-specific fields of every Enter / Replace, checked and written into the templates
 * once. A field left 0 takes the proprietary-firm default (TP_OUCH_FIELDS_PROP); a value the
 * OUCH 4.2 spec does not list is refused (the config reader refuses it first). */
static int make_templates(tp_gw *g, char *err, size_t errlen)
{
    static const char *const KEY[TP_OUCH_F_COUNT] = {"ouch.display", "ouch.capacity", "ouch.iso",
                                                     "ouch.cross_type", "ouch.customer_type"};
    const tp_ouch_order_fields def = TP_OUCH_FIELDS_PROP;
    tp_ouch_order_fields *f = &g->cfg.ouch;
    uint8_t *v[TP_OUCH_F_COUNT] = {&f->display, &f->capacity, &f->iso, &f->cross_type,
                                   &f->customer_type};
    for (int i = 0; i < TP_OUCH_F_COUNT; i++) {
        if (!*v[i])
            *v[i] = tp_ouch_fields_get(&def, (tp_ouch_field)i);
        if (!tp_ouch_field_ok((tp_ouch_field)i, *v[i])) {
            snprintf(err, errlen, "%s: 0x%02x is not an OUCH 4.2 %s", KEY[i], *v[i],
                     tp_ouch_field_name((tp_ouch_field)i));
            return -1;
        }
    }
    for (int i = 0; i < 4; i++)
        if (!g->cfg.firm[i])
            g->cfg.firm[i] = ' ';
    tp_ouch_enter e;
    memset(&e, 0, sizeof e);
    memcpy(e.firm, g->cfg.firm, 4);
    e.display = f->display;
    e.capacity = f->capacity;
    e.iso = f->iso;
    e.min_qty = 0;
    e.cross_type = f->cross_type;
    e.customer_type = f->customer_type;
    tp_ouch_enc_enter(g->enter_tpl, &e);
    tp_ouch_replace r;
    memset(&r, 0, sizeof r);
    r.display = f->display;
    r.iso = f->iso;
    r.min_qty = 0;
    tp_ouch_enc_replace(g->replace_tpl, &r);
    return 0;
}

int tp_gw_init(tp_gw *g, const tp_gw_cfg *cfg, char *err, size_t errlen)
{
    memset(g, 0, sizeof *g);
    g->cfg = *cfg;
    if (!g->cfg.max_orders)
        g->cfg.max_orders = 1u << 20;
    if (make_templates(g, err, errlen) != 0)
        return -1;
    /* huge pages: the table is locked at start (mlockall) and a new 4 KiB page every 34 orders
     * was a stall of ~100 us now and then on this VM (common/huge_alloc.h) */
    g->orders = tp_huge_alloc((size_t)g->cfg.max_orders * sizeof *g->orders);
    uint64_t cap = 1;
    while (cap < (uint64_t)g->cfg.max_orders * 2)
        cap <<= 1;
    if (!g->orders || tokmap_init(&g->by_counter, cap, TOKMAP_SEQUENTIAL | TOKMAP_HUGE_PAGES) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (tp_token_store_open(&g->tokens, cfg->token_file, 4096, err, errlen) != 0)
        return -1;
    g->ctl = tp_gw_ctl_open(cfg->control_file, err, errlen);
    if (!g->ctl)
        return -1;
    tp_risk_init(&g->risk, &cfg->risk, cfg->n_symbols, &g->ctl->kill, tp_rt_now_ns());
    for (int i = 0; i < GW_H_COUNT; i++)
        tp_hist_init(&g->h[i]);
    if (tp_soup_client_init(&g->soup, &cfg->soup, soup_cb, g) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

void tp_gw_free(tp_gw *g)
{
    tp_soup_client_free(&g->soup);
    tokmap_free(&g->by_counter);
    tp_huge_free(g->orders, (size_t)g->cfg.max_orders * sizeof *g->orders);
    g->orders = NULL;
}

static int send_enter(tp_gw *g, gw_order *o, uint64_t now)
{
    tp_ouch_enter e; /* the per-order fields; the rest comes from the template */
    memcpy(e.token, o->token, 14);
    e.side = o->side;
    e.shares = o->shares;
    memcpy(e.stock, g->cfg.symbols[o->sym], 8);
    e.price = o->price;
    e.tif = o->ioc ? TP_OUCH_TIF_IOC : TP_OUCH_TIF_SYSTEM_HOURS;
    uint8_t buf[TP_OUCH_MAX_MSG];
    size_t n = tp_ouch_enc_enter_tpl(buf, g->enter_tpl, &e);
    return tp_soup_client_send(&g->soup, buf, n, now);
}

static void resend_pending(tp_gw *g, uint64_t now)
{
    for (uint32_t i = 0; i < g->n_orders; i++) {
        gw_order *o = &g->orders[i];
        if (o->state == GW_PENDING_NEW && o->t_send && o->replaces == UINT32_MAX) {
            if (send_enter(g, o, now) == 0)
                g->st.resent++;
        }
    }
}

static uint32_t new_order(tp_gw *g, const tp_gw_req *r, uint64_t counter)
{
    uint32_t i = g->n_orders++;
    gw_order *o = &g->orders[i];
    memset(o, 0, sizeof *o);
    tp_token_make(o->token, counter, r->trigger_seq);
    o->side = r->side;
    o->ioc = r->ioc;
    o->sym = r->sym;
    o->shares = o->leaves = r->shares;
    o->price = r->price;
    o->replaces = UINT32_MAX;
    o->trigger_seq = r->trigger_seq;
    o->t_rx = r->t_rx;
    o->t_book = r->t_book;
    o->t_strategy = r->t_strategy;
    o->t_itch = r->t_itch;
    tokmap_put(&g->by_counter, counter, i);
    return i;
}

static void stage_hists(tp_gw *g, const gw_order *o)
{
    if (o->t_rx && o->t_book >= o->t_rx)
        tp_hist_add(&g->h[GW_H_RX_BOOK], o->t_book - o->t_rx);
    if (o->t_book && o->t_strategy >= o->t_book)
        tp_hist_add(&g->h[GW_H_BOOK_STRAT], o->t_strategy - o->t_book);
    if (o->t_strategy && o->t_risk >= o->t_strategy)
        tp_hist_add(&g->h[GW_H_STRAT_RISK], o->t_risk - o->t_strategy);
    if (o->t_risk && o->t_send >= o->t_risk)
        tp_hist_add(&g->h[GW_H_RISK_SEND], o->t_send - o->t_risk);
    if (o->t_rx && o->t_send >= o->t_rx)
        tp_hist_add(&g->h[GW_H_RX_SEND], o->t_send - o->t_rx);
    if (o->t_itch && o->t_rx) {
        uint64_t rx = tp_rt_since_midnight(o->t_rx);
        if (rx >= o->t_itch)
            tp_hist_add(&g->h[GW_H_WIRE_RX], rx - o->t_itch);
    }
}

/* Order i left (rc 0) or the session went down under it (rc != 0: the order stays
 * pending_new and is re-sent with the same token after the next login). */
static void on_sent(tp_gw *g, uint32_t i, uint64_t t_send, int rc)
{
    gw_order *o = &g->orders[i];
    o->t_send = t_send;
    stage_hists(g, o);
    if (rc != 0)
        g->st.refused[GW_REASON_SESSION_DOWN]++;
    event(g, i, "sent");
}

int64_t tp_gw_submit(tp_gw *g, const tp_gw_req *r, uint64_t now, int *why)
{
    *why = 0;
    g->st.submitted++;
    if (r->kind == 'X') {
        if (r->order >= g->n_orders || !is_open(&g->orders[r->order])) {
            g->st.refused[*why = GW_REASON_BAD_STATE]++;
            return -1;
        }
        gw_order *o = &g->orders[r->order];
        if (g->soup.state != TP_SOUP_CLI_UP) {
            g->st.refused[*why = GW_REASON_SESSION_DOWN]++;
            return -1;
        }
        tp_ouch_cancel x;
        memcpy(x.token, o->token, 14);
        x.shares = r->shares;
        uint8_t buf[TP_OUCH_MAX_MSG];
        size_t n = tp_ouch_enc_cancel(buf, &x);
        if (tp_soup_client_send(&g->soup, buf, n, now) != 0) {
            g->st.refused[*why = GW_REASON_SESSION_DOWN]++;
            return -1;
        }
        o->cancel_sent = 1;
        g->st.sent++;
        return r->order;
    }
    if (g->n_orders >= g->cfg.max_orders) {
        g->st.refused[*why = GW_REASON_TABLE_FULL]++;
        return -1;
    }
    gw_order *old = NULL;
    if (r->kind == 'U') {
        if (r->order >= g->n_orders || !is_open(&g->orders[r->order])) {
            g->st.refused[*why = GW_REASON_BAD_STATE]++;
            return -1;
        }
        old = &g->orders[r->order];
    }
    uint16_t sym = old ? old->sym : r->sym;
    uint8_t side = old ? old->side : r->side;
    tp_risk_reason rr = tp_risk_check(&g->risk, sym, side, r->shares, r->price,
                                      old ? old->leaves : 0, old != NULL, now);
    uint64_t t_risk = tp_rt_now_ns();
    if (rr != TP_RISK_OK) {
        /* recorded (visible in status/events), but nothing leaves the gateway */
        uint32_t i = g->n_orders++;
        gw_order *o = &g->orders[i];
        memset(o, 0, sizeof *o);
        memcpy(o->token, "--------------", 14);
        o->side = side;
        o->sym = sym;
        o->shares = r->shares;
        o->price = r->price;
        o->state = GW_RISK_REJECTED;
        o->risk_reason = (uint8_t)rr;
        o->replaces = UINT32_MAX;
        o->trigger_seq = r->trigger_seq;
        *why = (int)rr;
        event(g, i, "risk_rejected");
        return -1;
    }
    if (g->soup.state != TP_SOUP_CLI_UP) {
        g->st.refused[*why = GW_REASON_SESSION_DOWN]++;
        return -1;
    }
    uint64_t counter = tp_token_store_next(&g->tokens);
    if (!counter) {
        g->st.refused[*why = GW_REASON_TOKENS]++;
        return -1;
    }
    tp_gw_req rq = *r;
    rq.sym = sym;
    rq.side = side;
    if (old)
        rq.ioc = old->ioc;
    uint32_t i = new_order(g, &rq, counter);
    gw_order *o = &g->orders[i];
    o->t_risk = t_risk;
    int rc;
    uint8_t buf[TP_OUCH_MAX_MSG];
    if (old) {
        o->replaces = r->order;
        tp_ouch_replace u;
        memcpy(u.existing, old->token, 14);
        memcpy(u.replacement, o->token, 14);
        u.shares = r->shares;
        u.price = r->price;
        u.tif = old->ioc ? TP_OUCH_TIF_IOC : TP_OUCH_TIF_SYSTEM_HOURS;
        rc = tp_soup_client_send(&g->soup, buf, tp_ouch_enc_replace_tpl(buf, g->replace_tpl, &u),
                                 now);
    } else {
        tp_risk_on_open(&g->risk, sym, side, r->shares);
        rc = send_enter(g, o, now);
    }
    g->st.sent++;
    if (g->batching && rc == 0) {
        g->batch[g->batch_n++] = i; /* stamped and reported when the batch is sent */
        if (g->batch_n == TP_GW_BATCH_MAX) {
            tp_gw_batch_end(g);
            tp_gw_batch_begin(g);
        }
        return i;
    }
    on_sent(g, i, tp_rt_now_ns(), rc);
    return i;
}

void tp_gw_batch_begin(tp_gw *g)
{
    g->batching = 1;
    g->batch_n = 0;
    tp_soup_client_cork(&g->soup);
}

void tp_gw_batch_end(tp_gw *g)
{
    g->batching = 0;
    int rc = tp_soup_client_uncork(&g->soup, tp_rt_now_ns());
    if (!g->batch_n)
        return;
    uint64_t t_send = tp_rt_now_ns();
    g->st.batches++;
    g->st.batched_orders += g->batch_n;
    for (uint32_t k = 0; k < g->batch_n; k++)
        on_sent(g, g->batch[k], t_send, rc);
    g->batch_n = 0;
}

tp_soup_cli_state tp_gw_poll(tp_gw *g, uint64_t now)
{
    tp_soup_cli_state s = tp_soup_client_poll(&g->soup, now);
    int k = tp_risk_killed(&g->risk);
    if (k && !g->killed && s == TP_SOUP_CLI_UP) {
        /* kill switch: cancel everything open; new orders are blocked by the risk check */
        for (uint32_t i = 0; i < g->n_orders; i++) {
            gw_order *o = &g->orders[i];
            if ((is_open(o) || o->state == GW_PENDING_NEW) && o->t_send && !o->cancel_sent) {
                tp_ouch_cancel x;
                memcpy(x.token, o->token, 14);
                x.shares = 0;
                uint8_t buf[TP_OUCH_MAX_MSG];
                if (tp_soup_client_send(&g->soup, buf, tp_ouch_enc_cancel(buf, &x), now) == 0) {
                    o->cancel_sent = 1;
                    g->st.kill_cancels++;
                }
            }
        }
        g->ctl->kills++;
        g->killed = 1;
        if (g->cfg.events && g->cfg.out) {
            fprintf(g->cfg.out, "{\"ev\": \"kill\", \"state\": \"engaged\", \"cancels\": %llu}\n",
                    (unsigned long long)g->st.kill_cancels);
            fflush(g->cfg.out);
        }
    } else if (!k && g->killed) {
        g->killed = 0;
        if (g->cfg.events && g->cfg.out) {
            fputs("{\"ev\": \"kill\", \"state\": \"cleared\"}\n", g->cfg.out);
            fflush(g->cfg.out);
        }
    }
    return s;
}

void tp_gw_set_kill(tp_gw *g, int on)
{
    __atomic_store_n(&g->ctl->kill, (uint8_t)(on ? 1 : 0), __ATOMIC_RELAXED);
}

void tp_gw_write_stats(const tp_gw *g, FILE *f)
{
    static const char *const HN[GW_H_COUNT] = {"wire_to_rx", "rx_to_book", "book_to_strategy",
                                               "strategy_to_risk", "risk_to_send",
                                               "rx_to_send", "send_to_ack"};
    const tp_gw_stats *s = &g->st;
    const tp_soup_client_stats *c = &g->soup.st;
    uint32_t by_state[GW_STATES] = {0};
    for (uint32_t i = 0; i < g->n_orders; i++)
        if (g->orders[i].state < GW_STATES)
            by_state[g->orders[i].state]++;
    fprintf(f, "{\"program\": \"tickpath-gw\", \"session\": {\"state\": \"%s\", \"next_seq\": %llu, "
            "\"connects\": %llu, \"connect_failures\": %llu, \"logins\": %llu, \"rejects\": %llu, "
            "\"dead_links\": %llu, \"disconnects\": %llu, \"hb_tx\": %llu, \"hb_rx\": %llu, "
            "\"seq_msgs\": %llu, \"framing_errors\": %llu, \"drops\": %llu, "
            "\"session\": \"%.*s\", \"session_changes\": %llu, \"resets\": %llu, "
            "\"ends\": %llu, \"syncing\": %s},\n",
            tp_soup_cli_state_name(g->soup.state), (unsigned long long)g->soup.next_seq,
            (unsigned long long)c->connects, (unsigned long long)c->connect_failures,
            (unsigned long long)c->logins, (unsigned long long)c->rejects,
            (unsigned long long)c->dead_links, (unsigned long long)c->disconnects,
            (unsigned long long)c->hb_tx, (unsigned long long)c->hb_rx,
            (unsigned long long)c->seq_msgs, (unsigned long long)c->framing_errors,
            (unsigned long long)c->drops, sess_len(g->soup.session), g->soup.session,
            (unsigned long long)c->session_changes, (unsigned long long)c->resets,
            (unsigned long long)c->ends, g->syncing ? "true" : "false");
    fprintf(f, " \"orders\": {\"submitted\": %llu, \"sent\": %llu, \"resent\": %llu, "
            "\"accepted\": %llu, \"rejected\": %llu, \"executions\": %llu, \"exec_shares\": %llu, "
            "\"canceled\": %llu, \"replaced\": %llu, \"broken\": %llu, \"unknown_token\": %llu, "
            "\"bad_msgs\": %llu, \"kill_cancels\": %llu, \"table\": %u, \"token_next\": %llu, "
            "\"batches\": %llu, \"batched_orders\": %llu, \"closed_session_lost\": %llu, "
            "\"by_state\": {",
            (unsigned long long)s->submitted, (unsigned long long)s->sent,
            (unsigned long long)s->resent, (unsigned long long)s->accepted,
            (unsigned long long)s->rejected, (unsigned long long)s->executions,
            (unsigned long long)s->exec_shares, (unsigned long long)s->canceled,
            (unsigned long long)s->replaced, (unsigned long long)s->broken,
            (unsigned long long)s->unknown_token, (unsigned long long)s->bad_msgs,
            (unsigned long long)s->kill_cancels, g->n_orders,
            (unsigned long long)g->tokens.next, (unsigned long long)s->batches,
            (unsigned long long)s->batched_orders, (unsigned long long)s->closed_session_lost);
    for (int i = 0; i < GW_STATES; i++)
        fprintf(f, "%s\"%s\": %u", i ? ", " : "", STATE_NAMES[i], by_state[i]);
    fputs("}},\n \"risk\": {\"checks\": ", f);
    fprintf(f, "%llu, \"open_orders\": %u, \"killed\": %d, \"rejects\": {",
            (unsigned long long)g->risk.checks, g->risk.open_orders, tp_risk_killed(&g->risk));
    for (int i = 1; i < TP_RISK_REASONS; i++)
        fprintf(f, "%s\"%s\": %llu", i > 1 ? ", " : "", tp_risk_reason_name((tp_risk_reason)i),
                (unsigned long long)g->risk.rejects[i]);
    fputs("}, \"positions\": {", f);
    for (uint32_t i = 0; i < g->cfg.n_symbols; i++) {
        size_t n = 8;
        while (n && g->cfg.symbols[i][n - 1] == ' ')
            n--;
        fprintf(f, "%s\"%.*s\": {\"position\": %lld, \"open_buy\": %lld, \"open_sell\": %lld}",
                i ? ", " : "", (int)n, g->cfg.symbols[i], (long long)g->risk.sym[i].position,
                (long long)g->risk.sym[i].open_buy, (long long)g->risk.sym[i].open_sell);
    }
    fputs("}},\n \"refused\": {", f);
    for (int i = TP_RISK_REASONS; i < GW_REASONS; i++)
        fprintf(f, "%s\"%s\": %llu", i > TP_RISK_REASONS ? ", " : "", tp_gw_reason_name((unsigned)i),
                (unsigned long long)s->refused[i]);
    fputs("},\n \"stages_ns\": {", f);
    for (int i = 0; i < GW_H_COUNT; i++) {
        fprintf(f, "%s\"%s\": ", i ? ",\n  " : "", HN[i]);
        tp_hist_write_json(f, &g->h[i]);
    }
    fputs("}}\n", f);
}
