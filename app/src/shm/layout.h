/* Shared-memory layout of a running feed handler (/dev/shm/tickpath-<name>, or a hugetlbfs
 * file when hugepages are available). Documented with offsets in LAYOUT.md; every region
 * starts on a 4096-byte boundary and the header carries every offset and size, so a reader
 * must use the header, never hard-coded offsets past it. Little-endian host order.
 * Bump TP_SHM_VERSION on any incompatible change. */
#ifndef TP_SHM_LAYOUT_H
#define TP_SHM_LAYOUT_H

#include <stdint.h>

#include "common/compiler.h"
#include "shm/hist.h"

#define TP_SHM_MAGIC 0x314d485348465054ull /* "TPFHSHM1" read as little-endian u64 */
#define TP_SHM_VERSION 1u

enum {
    TP_TR_KERNEL = 0,
    TP_TR_KERNEL_BLOCKING = 1,
    TP_TR_AFXDP = 2,
    TP_TR_DPDK = 3,
    TP_TR_ONLOAD = 4,
    TP_TR_COUNT = 5,
};

/* Histogram kinds, one pair per transport: hist index = transport * TP_HK_COUNT + kind. */
enum {
    TP_HK_RX_TO_BOOK = 0,   /* rx timestamp (kernel SO_TIMESTAMPING software stamp; for
                               afxdp/dpdk the poll loop's clock read when the frame is
                               seen) -> the message applied to the book */
    TP_HK_WIRE_TO_BOOK = 1, /* ITCH timestamp stamped by tickpath-pub --stamp at send time
                               (CLOCK_REALTIME ns since midnight) -> applied (wire-to-app) */
    TP_HK_COUNT = 2,
};

enum { TP_STATE_INIT = 0, TP_STATE_RUNNING = 1, TP_STATE_STOPPED = 2 };

typedef struct {
    uint64_t magic;
    uint32_t version;
    uint32_t header_size;
    uint64_t total_size;
    uint64_t counters_off, counters_size;
    uint64_t hist_off, hist_count, hist_size;
    uint64_t events_off, events_cap, event_size;
    uint64_t bbo_off, bbo_count, bbo_size;
    uint64_t book_off, book_size; /* tp_book region (tp_book_attach), 0 when absent */
    uint32_t transport;           /* TP_TR_* */
    uint32_t state;               /* TP_STATE_*, written last at start and at stop */
    uint64_t pid;
    uint64_t start_realtime_ns;
    char session[16];             /* NUL-padded */
    char transport_name[16];
    uint64_t heartbeat_ns;        /* CLOCK_REALTIME of the handler's last housekeeping pass */
} tp_shm_header;

/* Every counter is a u64 written by one thread (relaxed stores). */
typedef struct {
    uint64_t packets[4];        /* accepted MoldUDP64 packets per source: A, B, retrans, snapshot */
    uint64_t bytes;             /* UDP payload bytes received */
    uint64_t messages;          /* messages applied to the book (live + recovered) */
    uint64_t live;              /* applied straight from a packet */
    uint64_t recovered;         /* applied after a gap closed (window drain) */
    uint64_t duplicates;        /* messages already applied or buffered (the other line's copy) */
    uint64_t buffered;          /* messages stored in the reorder window */
    uint64_t drops;             /* messages dropped: beyond the reorder window */
    uint64_t gaps;              /* gaps opened */
    uint64_t gaps_closed;
    uint64_t rerequests;        /* re-request packets sent */
    uint64_t rerequested_msgs;  /* messages asked for */
    uint64_t snapshots;         /* snapshot recoveries completed */
    uint64_t snapshot_msgs;     /* messages applied from snapshots */
    uint64_t stale_books;       /* times the books went stale (a gap opened) */
    uint64_t stale_ns;          /* total time stale */
    uint64_t stale;             /* 1 while a gap is open or a snapshot is running */
    uint64_t heartbeats;
    uint64_t end_of_session;
    uint64_t wrong_session;     /* packets of another session dropped (not confirmed) */
    uint64_t malformed[6];      /* index = tp_mold_kind: 3 short_header, 4 count_past_end,
                                   5 bad_length (0..2 unused) */
    uint64_t frame_malformed[8]; /* index = tp_frame_kind (afxdp/dpdk): 1 short, 2 not_ipv4,
                                    3 bad_ihl, 4 bad_ip_len, 5 fragment, 6 not_udp,
                                    7 bad_udp_len */
    uint64_t not_feed_port;     /* frames for other UDP ports (afxdp/dpdk) */
    uint64_t book_errors;       /* tp_book_apply results >= TP_APPLY_ERRORS */
    uint64_t bbo_events;        /* BBO events published */
    uint64_t trade_events;
    uint64_t events_suppressed; /* BBO changes not published because the books were stale */
    uint64_t ring_full;         /* pipeline: times a stage waited on a full ring */
    uint64_t next_seq;          /* next sequence to apply */
    uint64_t high_seq;          /* one past the highest sequence known to exist */
    uint64_t last_rx_ns[2];     /* CLOCK_REALTIME of the last packet on line A / B */
    uint64_t rx_polls;          /* transport polls (spinning transports) */
    uint64_t rx_empty_polls;
    uint64_t session_changes;   /* a new MoldUDP64 session confirmed: books rebuilt */
    uint64_t seq_resets;        /* the session's sequence restarted: books rebuilt */
    uint64_t seq_jumps;         /* packets dropped as too far ahead of the known sequence */
    uint64_t seq_jumps_confirmed; /* runs of such packets taken as the stream's position */
    uint64_t backward_packets;  /* packets behind their own line's furthest point */
    uint64_t resyncs;           /* mid-session snapshots (a gap outlived snapshot.gap_ms,
                                   or a confirmed jump) */
    uint64_t snapshot_failures; /* snapshots that failed (retried after a backoff) */
    uint64_t old_stream_packets; /* the old stream's packets read after its restart (dropped) */
    uint64_t reserved[8];
} tp_shm_counters;

/* Event ring: single writer, any number of readers, overwrite on wrap (cap is a power of
 * two). Writer, for event w: slot = events[w % cap]; slot.idx = 0; (release fence) write the
 * fields; slot.idx = w + 1 (release); write_idx = w + 1 (release).
 * Reader, for read index r < write_idx: s1 = slot.idx (acquire); s1 == 0 or s1 < r + 1: being
 * written, retry; s1 > r + 1: overwritten (the reader was lapped: count the loss, continue
 * at write_idx - cap); else copy the slot, re-read slot.idx: changed -> lapped during the
 * copy, retry as above. */
typedef struct {
    uint64_t write_idx; /* events written so far */
    uint64_t cap;
    uint64_t event_size;
    uint64_t reserved[5];
} tp_shm_event_ring;

/* RESTART: the feed's stream restarted (new session or sequence reset); the books were
 * cleared and are rebuilt from the new stream (readers drop what they derived from the old
 * one, e.g. stock locates). Always inside a stale period. */
enum { TP_EV_BBO = 'Q', TP_EV_TRADE = 'T', TP_EV_STALE = 'S', TP_EV_FRESH = 'F',
       TP_EV_RESTART = 'R' };

typedef struct {
    uint64_t idx;        /* 1 + the event's index once written; 0 while being written */
    uint64_t mold_seq;   /* sequence of the message that caused it */
    uint64_t ts_ns;      /* CLOCK_REALTIME when published */
    uint16_t locate;
    uint8_t type;        /* TP_EV_* */
    uint8_t side;        /* trades: 'B'/'S' of the resting order when known, else ' ' */
    uint32_t bid_price;  /* trades: price */
    uint32_t ask_price;
    uint32_t bid_orders;
    uint64_t bid_shares; /* trades: shares */
    uint64_t ask_shares;
    uint32_t ask_orders;
    uint32_t pad_;
} TP_ALIGNED_CL tp_shm_event;
_Static_assert(sizeof(tp_shm_event) == 64, "one line per event");

/* BBO table, one entry per stock locate, seqlock: writer increments seq (odd), writes,
 * increments (even); a reader retries while seq is odd or changed. */
typedef struct {
    uint32_t seq;
    uint32_t stale;      /* 1 while the books are stale */
    uint64_t mold_seq;
    uint32_t bid_price;
    uint32_t ask_price;
    uint64_t bid_shares;
    uint64_t ask_shares;
    uint32_t bid_orders;
    uint32_t ask_orders;
    uint64_t updates;
    uint64_t pad_;
} TP_ALIGNED_CL tp_shm_bbo;
_Static_assert(sizeof(tp_shm_bbo) == 64, "one line per symbol");

#define TP_SHM_BBO_COUNT 65536u

#endif
