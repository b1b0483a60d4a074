/* The feed handler's book stage: MoldUDP64 parse + session check + A/B sequencer + book +
 * latency histograms + BBO/trade events + gap recovery (re-request, snapshot). One thread
 * owns an engine; nothing here allocates after tp_engine_init(). */
#ifndef TP_FH_ENGINE_H
#define TP_FH_ENGINE_H

#include <netinet/in.h>
#include <stdint.h>
#include <time.h>

#include "book/book.h"
#include "itch/itch.h"
#include "fh/config.h"
#include "itch/snapshot_msg.h"
#include "fh/transport.h"
#include "mold/guard.h"
#include "mold/mold.h"
#include "mold/seq.h"
#include "ring/spsc.h"
#include "shm/shm.h"

typedef enum { SNAP_IDLE = 0, SNAP_CONNECTING, SNAP_RECEIVING, SNAP_FAILED } tp_snap_state;

typedef struct {
    int fd;
    tp_snap_state state;
    uint64_t started_ns;
    uint64_t msgs;
    uint32_t have;
    uint8_t buf[1 << 16];
} tp_snapshot_client;

typedef struct tp_engine tp_engine;
struct tp_engine {
    const tp_fh_config *cfg;
    tp_shm *shm;
    tp_shm_counters *ctr;
    tp_book *book;
    tp_seq seq;
    tp_hist *h_rx, *h_wire;
    tp_guard guard;   /* which packets belong to the stream being applied (session, resets,
                         jumps); guard.session is the session requests and logins name */
    int stale;
    uint64_t stale_since;
    /* per-packet context for the apply callback */
    uint64_t cur_seq;
    uint32_t cur_live;
    uint32_t n_stamps;
    uint64_t stamps[256];
    uint64_t applied_ns[256]; /* CLOCK_REALTIME when stamps[i]'s message was applied */
    /* events go either straight to shm (rtc) or through a ring to the publish stage */
    tp_spsc *ev_ring;
    /* re-request */
    int rr_fd;
    struct sockaddr_in rr_addr;
    uint64_t rr_from;
    uint16_t rr_count;
    uint64_t rr_sent_ns, rr_last_ns, gap_since_ns;
    uint64_t rr_timeout_ns; /* grows while requests go unanswered, back to the configured
                               timeout once the gap moves */
    uint8_t rr_buf[2048];
    /* snapshot */
    struct sockaddr_in snap_addr;
    tp_snapshot_client *snap;
    /* feed.format=snapshot: each symbol's last full top-N snapshot (TP_BOOK_MAX_LOCATES
     * entries, allocated before start); the counters are engine-local (stats file only). */
    tp_snap_levels *snap_books;
    uint64_t snap_updates, snap_bad;
    int snap_pending;
    uint64_t snap_resume;
    int snap_failed;
    /* mid-session resynchronisation by snapshot: when a gap outlives snapshot.gap_ms or a
     * confirmed sequence jump; a failed snapshot is retried after a doubling backoff */
    uint64_t snap_retry_ns;   /* mono: no snapshot before this */
    uint64_t snap_backoff_ns;
    uint64_t snapshot_failures, resyncs;
    char last_error[256];
};

int tp_engine_init(tp_engine *e, const tp_fh_config *cfg, tp_shm *shm, tp_book *book,
                   tp_seq_slot *window, tp_snapshot_client *snap, char *err, size_t errlen);
/* One UDP payload from a feed line (or a re-request answer, line TP_LINE_RETRANS). */
void tp_engine_packet(tp_engine *e, const uint8_t *p, size_t len, int line, uint64_t rx_ns);
/* Timers, re-requests, snapshot progress; call often (cheap when nothing is pending). */
void tp_engine_poll(tp_engine *e, uint64_t mono_ns);
/* Sockets a blocking transport should also wake up for (-1 when absent). */
int tp_engine_rr_fd(const tp_engine *e);
int tp_engine_snap_fd(const tp_engine *e);

void tp_engine_emit(tp_engine *e, const tp_shm_event *ev);

/* snapshot.c */
int tp_snapshot_start(tp_engine *e, uint64_t mono_ns);
/* Abandon a snapshot in progress (the stream it was for has ended). */
void tp_snapshot_abort(tp_engine *e);
/* engine.c: a snapshot failed (backoff before the next), or completed (backoff reset). */
void tp_engine_snapshot_failed(tp_engine *e, uint64_t mono_ns);
void tp_engine_snapshot_done(tp_engine *e);
void tp_snapshot_poll(tp_engine *e, uint64_t mono_ns);

static inline uint64_t tp_realtime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline uint64_t tp_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#endif
