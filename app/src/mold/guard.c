/* MoldUDP64 stream guard (see guard.h). */
#include "mold/guard.h"

#include <string.h>

#include "mold/seq.h"

_Static_assert(TP_LINE_A == 0 && TP_LINE_B == 1 && TP_GUARD_LINES == 2,
               "the guard indexes its per-line state by TP_LINE_A / TP_LINE_B");

void tp_guard_init(tp_guard *g, const uint8_t *session, uint64_t jump_limit)
{
    memset(g, 0, sizeof *g);
    g->jump_limit = jump_limit ? jump_limit : 1;
    if (session) {
        memcpy(g->session, session, TP_MOLD_SESSION_LEN);
        g->known = 1;
    }
}

void tp_guard_forget(tp_guard *g)
{
    g->cand_n = 0;
    g->jump_n = 0;
    g->jump_first = 0;
    for (int i = 0; i < TP_GUARD_LINES; i++) {
        g->line_hi[i] = 0;
        g->back_n[i] = 0;
        g->retired_hi[i] = 0;
    }
}

static void clear_back(tp_guard *g)
{
    for (int i = 0; i < TP_GUARD_LINES; i++)
        g->back_n[i] = 0;
}

/* One past the last sequence the packet speaks for: the end of its messages for data, the
 * next sequence for a heartbeat or an end of session. */
static uint64_t pkt_end(const tp_mold_pkt *pkt, tp_mold_kind kind)
{
    uint64_t end = pkt->seq;
    if (kind == TP_MOLD_DATA)
        end = pkt->seq + pkt->count < pkt->seq ? UINT64_MAX : pkt->seq + pkt->count;
    return end;
}

static void advance(tp_guard *g, int line, uint64_t end)
{
    if (line < TP_GUARD_LINES && end > g->line_hi[line])
        g->line_hi[line] = end;
}

tp_guard_verdict tp_guard_check(tp_guard *g, const tp_mold_pkt *pkt, tp_mold_kind kind,
                                int line, uint64_t furthest)
{
    if (!g->known) {
        memcpy(g->session, pkt->session, TP_MOLD_SESSION_LEN);
        g->known = 1;
    }
    uint64_t end = pkt_end(pkt, kind);
    uint64_t ref = furthest; /* the furthest point of the stream being applied */
    for (int i = 0; i < TP_GUARD_LINES; i++)
        if (g->line_hi[i] > ref)
            ref = g->line_hi[i];
    int current = memcmp(pkt->session, g->session, TP_MOLD_SESSION_LEN) == 0;
    if (!current && g->retired_known &&
        memcmp(pkt->session, g->retired, TP_MOLD_SESSION_LEN) == 0) {
        g->c.old_pkts++;
        return TP_GUARD_DROP_OLD;
    }
    if (current && line < TP_GUARD_LINES && g->retired_hi[line]) {
        /* after a reset seen on another line: this line's old backlog, or the new stream? */
        if (ref >= g->retired_hi[line] || pkt->seq < g->retired_hi[line]) {
            g->retired_hi[line] = 0; /* the new stream has reached it, or this is the new one */
        } else {
            g->c.old_pkts++;
            return TP_GUARD_DROP_OLD;
        }
    }
    if (!current) {
        if (g->cand_n && memcmp(pkt->session, g->cand, TP_MOLD_SESSION_LEN) == 0) {
            g->cand_n++;
        } else {
            memcpy(g->cand, pkt->session, TP_MOLD_SESSION_LEN);
            g->cand_n = 1;
        }
        if (g->cand_n < TP_GUARD_CONFIRM) {
            g->c.foreign_pkts++;
            return TP_GUARD_DROP_SESSION;
        }
        memcpy(g->retired, g->session, TP_MOLD_SESSION_LEN);
        g->retired_known = 1;
        memcpy(g->session, g->cand, TP_MOLD_SESSION_LEN);
        tp_guard_forget(g);
        advance(g, line, end);
        g->c.session_changes++;
        return TP_GUARD_NEW_SESSION;
    }
    g->cand_n = 0;

    if (line < TP_GUARD_LINES && end < g->line_hi[line]) {
        /* Behind this line's own furthest point: a reordered or repeated packet, or the
         * first packets of a restarted sequence. Applied either way (the sequencer drops
         * what it already has); a restart is confirmed by a run of them and then everything
         * applied since is wiped by the caller's reset. */
        g->c.backward_pkts++;
        if (++g->back_n[line] < TP_GUARD_CONFIRM)
            return TP_GUARD_ACCEPT;
        uint64_t old_hi[TP_GUARD_LINES];
        for (int i = 0; i < TP_GUARD_LINES; i++)
            old_hi[i] = i == line ? 0 : g->line_hi[i];
        tp_guard_forget(g);
        for (int i = 0; i < TP_GUARD_LINES; i++)
            g->retired_hi[i] = old_hi[i];
        advance(g, line, end);
        g->c.resets++;
        return TP_GUARD_RESET;
    }

    if (ref && pkt->seq > ref && pkt->seq - ref > g->jump_limit) {
        int same_run = g->jump_n && pkt->seq >= g->jump_first &&
                       pkt->seq - g->jump_first <= g->jump_limit;
        if (!same_run) {
            g->jump_first = pkt->seq;
            g->jump_n = 0;
        }
        if (++g->jump_n < TP_GUARD_CONFIRM) {
            g->c.jump_pkts++;
            return TP_GUARD_DROP_JUMP;
        }
        g->jump_n = 0;
        clear_back(g);
        advance(g, line, end);
        g->c.jumps++;
        return TP_GUARD_JUMP;
    }

    g->jump_n = 0;
    clear_back(g);
    advance(g, line, end);
    return TP_GUARD_ACCEPT;
}

const char *tp_guard_verdict_name(tp_guard_verdict v)
{
    switch (v) {
    case TP_GUARD_ACCEPT: return "accept";
    case TP_GUARD_DROP_SESSION: return "drop_session";
    case TP_GUARD_DROP_JUMP: return "drop_jump";
    case TP_GUARD_NEW_SESSION: return "new_session";
    case TP_GUARD_RESET: return "reset";
    case TP_GUARD_JUMP: return "jump";
    case TP_GUARD_DROP_OLD: return "drop_old";
    }
    return "?";
}
