/* MoldUDP64 sequencer: A/B arbitration, duplicate suppression, bounded reorder window.
 *
 * Messages are identified by their MoldUDP64 sequence number; whichever line (A, B, or a
 * re-request answer) delivers a sequence first wins and every later copy is a duplicate.
 * A message at the expected sequence is applied straight from the packet (no copy). A message
 * ahead of it (a gap) is copied into a preallocated window slot indexed by seq & mask (one
 * cache line per message, tagged with its full sequence) and applied, in order, as soon as
 * the gap before it is filled. Messages further ahead than the window are dropped and counted
 * (a later re-request or snapshot brings them back). Nothing here allocates or blocks.
 *
 * `high` is one past the highest sequence known to exist (from data, heartbeats and the end
 * of session), so a gap is open whenever next < high: that is also how tail loss is noticed.
 */
#ifndef TP_MOLD_SEQ_H
#define TP_MOLD_SEQ_H

#include <stddef.h>
#include <stdint.h>

#include "common/compiler.h"
#include "mold/mold.h"

#define TP_SEQ_SLOT_DATA 52 /* >= the largest ITCH 5.0 message (50); longer ones are cut:
                               the book ignores bytes past a known type's size and skips
                               unknown types, so the cut never changes the book */

typedef struct {
    uint64_t seq; /* 0 = empty (MoldUDP64 sequences start at 1) */
    uint16_t len;
    uint8_t line;
    uint8_t pad_;
    uint8_t data[TP_SEQ_SLOT_DATA];
} tp_seq_slot;
_Static_assert(sizeof(tp_seq_slot) == 64, "one cache line per buffered message");

enum { TP_LINE_A = 0, TP_LINE_B = 1, TP_LINE_RETRANS = 2, TP_LINE_SNAPSHOT = 3, TP_LINES = 4 };

/* live: 1 when applied straight from a packet at the expected sequence, 0 when drained
 * from the window (recovered). */
typedef void (*tp_seq_apply_fn)(void *ctx, uint64_t seq, const uint8_t *msg, size_t len,
                                int live);

typedef struct {
    uint64_t applied;       /* messages handed to apply (live + recovered) */
    uint64_t live;
    uint64_t recovered;     /* applied from the window after a gap closed */
    uint64_t dup_msgs;      /* copies of already-applied or already-buffered sequences */
    uint64_t buffered;      /* messages stored in the window */
    uint64_t window_overflow; /* dropped: too far ahead of the window */
    uint64_t gaps;          /* times a gap opened (next < high after being closed) */
} tp_seq_counters;

typedef struct {
    TP_ALIGNED_CL uint64_t next; /* next sequence to apply; 0 = not known yet */
    uint64_t high;               /* one past the highest sequence known to exist */
    uint64_t win_hi;             /* one past the highest sequence stored in the window */
    uint64_t base;               /* window anchor while next is unknown (snapshot) */
    uint64_t end_seq;            /* from the end-of-session packet */
    int ended;
    int gap_open;
    tp_seq_slot *win;
    uint64_t mask;
    tp_seq_apply_fn apply;
    void *ctx;
    tp_seq_counters c;
} tp_seq;

/* win: capacity slots (power of two), zeroed by init. */
int tp_seq_init(tp_seq *s, tp_seq_slot *win, uint64_t capacity, tp_seq_apply_fn apply,
                void *ctx);

/* Forget the stream: position, known high, end of session and every buffered message
 * (counters are kept). For a new session or a restarted sequence. */
void tp_seq_reset(tp_seq *s);

/* Feed the messages of one accepted data packet. */
void tp_seq_data(tp_seq *s, const tp_mold_pkt *pkt, int line);
/* Heartbeat or end of session: seq is the next sequence the server will send. */
void tp_seq_heartbeat(tp_seq *s, uint64_t seq);
void tp_seq_end(tp_seq *s, uint64_t seq);
/* Start applying at seq (first packet policy, or the sequence a snapshot resumes from):
 * everything buffered from seq on is drained. */
void tp_seq_start_at(tp_seq *s, uint64_t seq);
/* 1 and the first missing range (count capped at max) when a gap is open, else 0. */
int tp_seq_gap(const tp_seq *s, uint64_t *from, uint16_t *count, uint16_t max);
/* Recompute gap_open; returns 1 when a gap opened, -1 when it closed, 0 otherwise. */
int tp_seq_update_gap(tp_seq *s);

static inline int tp_seq_done(const tp_seq *s)
{
    return s->ended && s->next && s->next >= s->end_seq;
}

#endif
