/* Price-time priority matching engine. */
#include "sim/match.h"

#include <stdlib.h>
#include <string.h>

int me_init(me_engine *m, uint32_t max_orders, uint32_t max_levels, const me_callbacks *cb)
{
    memset(m, 0, sizeof *m);
    m->orders = calloc(max_orders, sizeof *m->orders);
    if (!m->orders)
        return -1;
    m->max_orders = max_orders;
    m->max_levels = max_levels;
    for (uint32_t i = 0; i < max_orders; i++)
        m->orders[i].next = i + 1 < max_orders ? i + 1 : ME_NIL;
    m->free_head = 0;
    m->next_ref = 1;
    m->next_match = 1;
    m->cb = *cb;
    return 0;
}

void me_free(me_engine *m)
{
    for (uint32_t b = 0; b < m->n_books; b++)
        for (int s = 0; s < 2; s++)
            free(m->books[b].side[s].lv);
    free(m->orders);
    m->orders = NULL;
}

int me_add_symbol(me_engine *m, const char *name)
{
    if (m->n_books >= ME_MAX_SYMBOLS)
        return -1;
    me_book *b = &m->books[m->n_books];
    memset(b->name, ' ', 8);
    memcpy(b->name, name, strnlen(name, 8));
    b->locate = (uint16_t)(m->n_books + 1);
    for (int s = 0; s < 2; s++) {
        b->side[s].lv = calloc(m->max_levels, sizeof(me_level));
        if (!b->side[s].lv)
            return -1;
        b->side[s].n = 0;
    }
    return (int)m->n_books++;
}

/* better(a, b): price a is more aggressive than b for this side. */
static inline int better(int side, uint32_t a, uint32_t b)
{
    return side == 0 ? a > b : a < b;
}

static inline int crosses(int side, uint32_t price, uint32_t opp_best)
{
    return side == 0 ? price >= opp_best : price <= opp_best;
}

/* Find or insert the level for price; returns its index or -1 when full. */
static int level_for(me_engine *m, me_side *s, int side, uint32_t price)
{
    /* sorted best last: scan from the top (most activity is near it) */
    int i = (int)s->n - 1;
    while (i >= 0 && better(side, s->lv[i].price, price))
        i--;
    if (i >= 0 && s->lv[i].price == price)
        return i;
    if (s->n >= m->max_levels)
        return -1;
    int pos = i + 1;
    memmove(&s->lv[pos + 1], &s->lv[pos], (s->n - (uint32_t)pos) * sizeof(me_level));
    s->lv[pos] = (me_level){.price = price, .head = ME_NIL, .tail = ME_NIL};
    s->n++;
    return pos;
}

static int level_find(const me_side *s, uint32_t price)
{
    for (int i = (int)s->n - 1; i >= 0; i--)
        if (s->lv[i].price == price)
            return i;
    return -1;
}

static void level_remove(me_side *s, int i)
{
    memmove(&s->lv[i], &s->lv[i + 1], (s->n - (uint32_t)i - 1) * sizeof(me_level));
    s->n--;
}

static void unlink_order(me_engine *m, me_level *L, uint32_t idx)
{
    me_order *o = &m->orders[idx];
    if (o->prev != ME_NIL)
        m->orders[o->prev].next = o->next;
    else
        L->head = o->next;
    if (o->next != ME_NIL)
        m->orders[o->next].prev = o->prev;
    else
        L->tail = o->prev;
}

static void free_order(me_engine *m, uint32_t idx)
{
    me_order *o = &m->orders[idx];
    o->live = 0;
    o->next = m->free_head;
    m->free_head = idx;
    m->live--;
}

static uint32_t alloc_order(me_engine *m)
{
    uint32_t idx = m->free_head;
    if (idx == ME_NIL)
        return ME_NIL;
    m->free_head = m->orders[idx].next;
    m->live++;
    return idx;
}

static void level_account(me_level *L, const me_order *o, int64_t d_shares, int d_count)
{
    L->all_shares = (uint64_t)((int64_t)L->all_shares + d_shares);
    if (!o->hidden) {
        L->shares = (uint64_t)((int64_t)L->shares + d_shares);
        L->count = (uint32_t)((int)L->count + d_count);
    }
}

/* Trade the incoming order against the opposite side. */
static uint32_t match_in(me_engine *m, me_book *b, int side, uint32_t shares, uint32_t price,
                         int owner, uint32_t tag)
{
    me_side *opp = &b->side[side ^ 1];
    uint32_t done = 0;
    while (shares && opp->n) {
        me_level *L = &opp->lv[opp->n - 1];
        if (!crosses(side, price, L->price))
            break;
        while (shares && L->head != ME_NIL) {
            uint32_t ri = L->head;
            me_order *r = &m->orders[ri];
            uint32_t q = r->shares < shares ? r->shares : shares;
            r->shares -= q;
            shares -= q;
            done += q;
            level_account(L, r, -(int64_t)q, r->shares ? 0 : -1);
            m->st.execs++;
            m->st.exec_shares += q;
            uint64_t match = m->next_match++;
            if (!r->shares) {
                unlink_order(m, L, ri);
                r->live = 0; /* for the callback: fully executed */
            }
            m->cb.on_exec(m->cb.ctx, r, q, match, owner, tag, (uint8_t)side);
            if (!r->shares) {
                r->live = 1;
                free_order(m, ri);
            }
        }
        if (L->head == ME_NIL)
            level_remove(opp, (int)opp->n - 1);
    }
    return done;
}

static uint32_t rest(me_engine *m, me_book *b, uint16_t sym, int side, uint32_t shares,
                     uint32_t price, int hidden, int owner, uint32_t tag, int notify)
{
    me_side *s = &b->side[side];
    int li = level_for(m, s, side, price);
    if (li < 0)
        return ME_NIL;
    uint32_t idx = alloc_order(m);
    if (idx == ME_NIL) {
        if (s->lv[li].head == ME_NIL)
            level_remove(s, li);
        return ME_NIL;
    }
    me_order *o = &m->orders[idx];
    *o = (me_order){.ref = m->next_ref++, .shares = shares, .price = price, .prev = ME_NIL,
                    .next = ME_NIL, .owner_tag = tag, .owner = (int16_t)owner, .sym = sym,
                    .side = (uint8_t)side, .live = 1, .hidden = (uint8_t)hidden};
    me_level *L = &s->lv[li];
    o->prev = L->tail;
    if (L->tail != ME_NIL)
        m->orders[L->tail].next = idx;
    else
        L->head = idx;
    L->tail = idx;
    level_account(L, o, shares, 1);
    if (notify)
        m->cb.on_add(m->cb.ctx, o);
    return idx;
}

/* Room check before anything trades, so a full pool never leaves a half-done order. */
static int has_room(const me_engine *m, const me_book *b, int side, uint32_t price)
{
    if (m->free_head == ME_NIL)
        return 0;
    const me_side *s = &b->side[side];
    return s->n < m->max_levels || level_find(s, price) >= 0;
}

me_result me_submit(me_engine *m, uint16_t sym, uint8_t side, uint32_t shares, uint32_t price,
                    int ioc, int hidden, int owner, uint32_t tag)
{
    me_result res = {.rested = ME_NIL};
    if (sym >= m->n_books || side > 1 || !shares || !price) {
        res.full = 1;
        return res;
    }
    me_book *b = &m->books[sym];
    if (!ioc && !has_room(m, b, side, price)) {
        m->st.rejects_full++;
        res.full = 1;
        return res;
    }
    m->st.orders++;
    res.executed = match_in(m, b, side, shares, price, owner, tag);
    uint32_t left = shares - res.executed;
    if (left) {
        if (ioc)
            res.canceled = left;
        else
            res.rested = rest(m, b, sym, side, left, price, hidden, owner, tag, 1);
    }
    return res;
}

uint32_t me_cancel(me_engine *m, uint32_t idx, uint32_t leave)
{
    me_order *o = idx < m->max_orders ? &m->orders[idx] : NULL;
    if (!o || !o->live || leave >= o->shares)
        return 0;
    me_side *s = &m->books[o->sym].side[o->side];
    int li = level_find(s, o->price);
    me_level *L = &s->lv[li];
    uint32_t q = o->shares - leave;
    o->shares = leave;
    level_account(L, o, -(int64_t)q, leave ? 0 : -1);
    m->st.cancels++;
    if (!leave) {
        unlink_order(m, L, idx);
        if (L->head == ME_NIL)
            level_remove(s, li);
        o->live = 0;
        m->cb.on_cancel(m->cb.ctx, o, q, 1);
        o->live = 1;
        free_order(m, idx);
    } else {
        m->cb.on_cancel(m->cb.ctx, o, q, 0);
    }
    return q;
}

me_result me_replace(me_engine *m, uint32_t idx, uint32_t shares, uint32_t price, uint32_t tag)
{
    me_result res = {.rested = ME_NIL};
    me_order *o = idx < m->max_orders ? &m->orders[idx] : NULL;
    if (!o || !o->live || !shares || !price) {
        res.full = 1;
        return res;
    }
    me_book *b = &m->books[o->sym];
    int side = o->side;
    me_side *opp = &b->side[side ^ 1];
    int cross = opp->n && crosses(side, price, opp->lv[opp->n - 1].price);
    if (!cross && price != o->price && !has_room(m, b, side, price)) {
        res.full = 1;
        return res;
    }
    m->st.replaces++;
    uint64_t old_ref = o->ref;
    uint16_t sym = o->sym;
    int owner = o->owner, hidden = o->hidden;
    if (cross) {
        /* The old order leaves the book (ITCH D), the replacement trades as a new order. */
        me_cancel(m, idx, 0);
        res.executed = match_in(m, b, side, shares, price, owner, tag);
        if (shares > res.executed)
            res.rested = rest(m, b, sym, side, shares - res.executed, price, hidden, owner, tag, 1);
        return res;
    }
    /* Remove the old order silently and add the new one at the back of its level: the venue
     * publishes one ITCH 'U' (new ref) for both. */
    me_side *s = &b->side[side];
    int li = level_find(s, o->price);
    me_level *L = &s->lv[li];
    level_account(L, o, -(int64_t)o->shares, -1);
    unlink_order(m, L, idx);
    if (L->head == ME_NIL)
        level_remove(s, li);
    free_order(m, idx);
    res.rested = rest(m, b, sym, side, shares, price, hidden, owner, tag, 0);
    if (res.rested != ME_NIL)
        m->cb.on_replace(m->cb.ctx, old_ref, &m->orders[res.rested]);
    return res;
}

void me_bbo(const me_engine *m, uint16_t sym, uint32_t *bid, uint64_t *bid_sh, uint32_t *ask,
            uint64_t *ask_sh)
{
    const me_book *b = &m->books[sym];
    const me_side *s0 = &b->side[0], *s1 = &b->side[1];
    /* best displayed level (hidden-only levels are skipped) */
    *bid = 0;
    *bid_sh = 0;
    for (int i = (int)s0->n - 1; i >= 0; i--)
        if (s0->lv[i].shares) {
            *bid = s0->lv[i].price;
            *bid_sh = s0->lv[i].shares;
            break;
        }
    *ask = 0;
    *ask_sh = 0;
    for (int i = (int)s1->n - 1; i >= 0; i--)
        if (s1->lv[i].shares) {
            *ask = s1->lv[i].price;
            *ask_sh = s1->lv[i].shares;
            break;
        }
}

int me_write_json(const me_engine *m, FILE *f)
{
    fputc('{', f);
    for (uint32_t bi = 0; bi < m->n_books; bi++) {
        const me_book *b = &m->books[bi];
        size_t n = 8;
        while (n && b->name[n - 1] == ' ')
            n--;
        fprintf(f, "%s\"%.*s\": {", bi ? ", " : "", (int)n, b->name);
        for (int side = 0; side < 2; side++) {
            const me_side *s = &b->side[side];
            fprintf(f, "%s\"%s\": [", side ? ", " : "", side ? "asks" : "bids");
            int first = 1;
            for (int i = (int)s->n - 1; i >= 0; i--) {
                if (!s->lv[i].shares)
                    continue;
                fprintf(f, "%s[%u, %llu]", first ? "" : ", ", s->lv[i].price,
                        (unsigned long long)s->lv[i].shares);
                first = 0;
            }
            fputc(']', f);
        }
        fputc('}', f);
    }
    fputs("}\n", f);
    return ferror(f) ? -1 : 0;
}
