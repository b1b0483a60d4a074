/* MoldUDP64 sequencer (see seq.h). */
#include "mold/seq.h"

#include <string.h>

int tp_seq_init(tp_seq *s, tp_seq_slot *win, uint64_t capacity, tp_seq_apply_fn apply,
                void *ctx)
{
    if (!capacity || (capacity & (capacity - 1)) || !win || !apply)
        return -1;
    memset(s, 0, sizeof *s);
    memset(win, 0, capacity * sizeof *win);
    s->win = win;
    s->mask = capacity - 1;
    s->apply = apply;
    s->ctx = ctx;
    return 0;
}

void tp_seq_reset(tp_seq *s)
{
    memset(s->win, 0, (s->mask + 1) * sizeof *s->win);
    s->next = s->high = s->win_hi = s->base = s->end_seq = 0;
    s->ended = 0;
    s->gap_open = 0;
}

static void drain(tp_seq *s)
{
    while (s->next < s->win_hi) {
        tp_seq_slot *sl = &s->win[s->next & s->mask];
        if (sl->seq != s->next)
            return;
        sl->seq = 0;
        s->c.applied++;
        s->c.recovered++;
        uint64_t q = s->next++;
        s->apply(s->ctx, q, sl->data, sl->len, 0);
    }
}

static void store(tp_seq *s, uint64_t q, const uint8_t *m, uint16_t len, int line)
{
    uint64_t anchor = s->next ? s->next : s->base;
    if (!anchor) {
        s->base = anchor = q;
    }
    if (q < anchor || q - anchor > s->mask) {
        s->c.window_overflow++;
        return;
    }
    tp_seq_slot *sl = &s->win[q & s->mask];
    if (sl->seq == q) {
        s->c.dup_msgs++;
        return;
    }
    uint16_t n = len < TP_SEQ_SLOT_DATA ? len : TP_SEQ_SLOT_DATA;
    memcpy(sl->data, m, n);
    sl->len = n;
    sl->line = (uint8_t)line;
    sl->seq = q;
    s->c.buffered++;
    if (q + 1 > s->win_hi)
        s->win_hi = q + 1;
}

void tp_seq_data(tp_seq *s, const tp_mold_pkt *pkt, int line)
{
    tp_mold_iter it;
    tp_mold_iter_init(&it, pkt);
    uint64_t q = pkt->seq;
    for (uint32_t i = 0; i < pkt->count; i++, q++) {
        uint16_t len;
        const uint8_t *m = tp_mold_iter_next(&it, &len);
        if (TP_LIKELY(q == s->next)) {
            s->c.applied++;
            s->c.live++;
            s->next++;
            s->apply(s->ctx, q, m, len, line != TP_LINE_RETRANS);
            if (TP_UNLIKELY(s->win_hi > s->next))
                drain(s);
        } else if (q < s->next) {
            s->c.dup_msgs++;
        } else {
            store(s, q, m, len, line);
        }
    }
    if (q > s->high)
        s->high = q;
}

void tp_seq_heartbeat(tp_seq *s, uint64_t seq)
{
    if (seq > s->high)
        s->high = seq;
}

void tp_seq_end(tp_seq *s, uint64_t seq)
{
    tp_seq_heartbeat(s, seq);
    s->ended = 1;
    s->end_seq = seq;
}

void tp_seq_start_at(tp_seq *s, uint64_t seq)
{
    s->next = seq ? seq : 1;
    if (s->high < s->next)
        s->high = s->next;
    drain(s);
}

int tp_seq_gap(const tp_seq *s, uint64_t *from, uint16_t *count, uint16_t max)
{
    if (!s->next || s->next >= s->high || !max)
        return 0;
    uint64_t lim = s->high;
    if (lim - s->next > max)
        lim = s->next + max;
    uint64_t q = s->next + 1;
    if (s->win_hi > s->next) {
        for (; q < lim; q++)
            if (s->win[q & s->mask].seq == q)
                break;
    } else {
        q = lim;
    }
    if (q > lim)
        q = lim;
    *from = s->next;
    *count = (uint16_t)(q - s->next);
    return 1;
}

int tp_seq_update_gap(tp_seq *s)
{
    int open = s->next && s->next < s->high;
    if (open == s->gap_open)
        return 0;
    s->gap_open = open;
    if (open) {
        s->c.gaps++;
        return 1;
    }
    return -1;
}
