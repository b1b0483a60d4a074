/* MoldUDP64 stream guard: does a packet belong to the stream the receiver is applying?
 *
 * A MoldUDP64 session's sequence numbers start at 1 and only grow. Three things break that
 * promise in practice, and a receiver that trusts every header then freezes its book while
 * calling it fresh:
 *   - a new session (the exchange restarted under a new session name);
 *   - a sequence reset (the exchange restarted under the same name, counting from 1 again);
 *   - a sequence far ahead of anything seen (a corrupt or hostile header, say seq 2^63).
 * The guard tells these apart from the normal disorder of two lines (one line behind the
 * other, a packet reordered or duplicated on a line) without buffering anything:
 *   - a packet of another session is dropped; the other session replaces the current one once
 *     TP_GUARD_CONFIRM packets of it arrive with no packet of the current session in between;
 *   - a line that delivers TP_GUARD_CONFIRM packets in a row ending before its own furthest
 *     point has restarted its sequence (each line by itself only moves forward; lines are
 *     compared only with themselves, so line B trailing line A is not a reset);
 *   - a sequence more than `jump_limit` past the furthest known one is dropped; only
 *     TP_GUARD_CONFIRM such packets in a row, each within `jump_limit` of the first, make it
 *     the new furthest point.
 * Each line is read from its own socket or queue, so when the stream restarts, another line
 * may still hold packets of the old stream that were sent before the restart and are read
 * after it was confirmed. They must not look like a restart back or a jump:
 *   - the session left behind is retired: its packets are dropped (old_pkts), never a candidate;
 *   - after a reset confirmed on one line, every other line's old furthest point is kept: its
 *     packets at or past it are the old stream's backlog and dropped, until the line delivers
 *     one below it (the new stream) or the new stream itself gets that far.
 * While a suspicion is open the caller should treat its books as stale; any plain packet of
 * the current stream clears it. One bogus packet therefore costs one packet of staleness,
 * never a frozen or corrupted book. Nothing here allocates, blocks or reads the clock. */
#ifndef TP_MOLD_GUARD_H
#define TP_MOLD_GUARD_H

#include <stdint.h>

#include "mold/mold.h"

#define TP_GUARD_CONFIRM 3u
#define TP_GUARD_LINES 2 /* A and B; re-request answers and snapshots are not checked */

typedef enum {
    TP_GUARD_ACCEPT = 0,      /* the current stream: apply it */
    TP_GUARD_DROP_SESSION,    /* another session, not confirmed (yet): drop */
    TP_GUARD_DROP_JUMP,       /* too far ahead, not confirmed (yet): drop */
    TP_GUARD_NEW_SESSION,     /* confirmed: the stream is a new session; reset, then apply */
    TP_GUARD_RESET,           /* confirmed: same session, sequence restarted; reset, then apply */
    TP_GUARD_JUMP,            /* confirmed: the stream really is that far ahead; apply */
    TP_GUARD_DROP_OLD,        /* the old stream's backlog on a line after a restart: drop */
} tp_guard_verdict;

typedef struct {
    uint64_t foreign_pkts;  /* packets of another session dropped */
    uint64_t backward_pkts; /* packets ending before their line's furthest point */
    uint64_t jump_pkts;     /* packets dropped as too far ahead */
    uint64_t session_changes;
    uint64_t resets;
    uint64_t jumps;         /* confirmed jumps */
    uint64_t old_pkts;      /* the old stream's packets read after its restart was confirmed */
} tp_guard_counters;

typedef struct {
    uint8_t session[TP_MOLD_SESSION_LEN];
    int known;
    uint64_t jump_limit;
    uint8_t cand[TP_MOLD_SESSION_LEN]; /* other session being confirmed */
    uint32_t cand_n;
    uint64_t line_hi[TP_GUARD_LINES];  /* per line: one past the furthest sequence seen */
    uint32_t back_n[TP_GUARD_LINES];   /* per line: backward packets in a row */
    uint64_t jump_first;               /* first packet of the jump being confirmed */
    uint32_t jump_n;
    uint8_t retired[TP_MOLD_SESSION_LEN]; /* the session a NEW_SESSION left behind */
    int retired_known;
    uint64_t retired_hi[TP_GUARD_LINES];  /* per line, after a RESET on another line: the old
                                             stream's furthest point on it (0 = none) */
    tp_guard_counters c;
} tp_guard;

/* session: the expected session (10 bytes, space-padded) or NULL to take the first seen.
 * jump_limit: how far past the furthest known sequence a packet may start (>= 1). */
void tp_guard_init(tp_guard *g, const uint8_t *session, uint64_t jump_limit);

/* Classify one well-formed packet (kind DATA, HEARTBEAT or END) received on `line`
 * (TP_LINE_*). furthest: one past the highest sequence the receiver knows of (0 if none).
 * On NEW_SESSION and RESET the guard has already forgotten the old stream (the caller resets
 * its own state, then applies the packet); on NEW_SESSION g->session is the new name. */
tp_guard_verdict tp_guard_check(tp_guard *g, const tp_mold_pkt *pkt, tp_mold_kind kind,
                                int line, uint64_t furthest);

/* 1 while some packet has raised a suspicion that no plain packet has cleared yet. */
static inline int tp_guard_suspect(const tp_guard *g)
{
    return g->cand_n || g->jump_n || g->back_n[0] || g->back_n[1];
}

/* Forget the per-line positions and open suspicions (the caller restarted its stream). */
void tp_guard_forget(tp_guard *g);

const char *tp_guard_verdict_name(tp_guard_verdict v);

#endif
