/* The strategy's shared-memory market-data source: a read-only view of a running tickpath-fh's
 * segment (src/shm/layout.h, LAYOUT.md). The reader consumes the BBO event ring that the feed
 * handler's publish stage writes (single writer, overwrite on wrap): it never blocks or slows
 * the writer; when it falls more than `cap` events behind it is lapped -- it counts the events
 * it lost and continues at the oldest event still in the ring. Every offset and size comes
 * from the header (checked against the file size); nothing past the header is hard-coded.
 * No allocation and no system call on the poll path.
 * Liveness: a handler killed with SIGKILL cannot mark its segment stopped, and a restarted one
 * replaces the file while this reader stays mapped on the old one. md_shm_check (called every
 * few ms by the caller, never per poll) tells that the handler is gone; md_shm_reattach maps
 * the segment of a new, running handler of the same name. */
#ifndef TP_STRATEGY_MD_SHM_H
#define TP_STRATEGY_MD_SHM_H

#include <stddef.h>
#include <stdint.h>

#include "book/book.h"
#include "shm/layout.h"

typedef struct {
    uint64_t events;    /* events consumed */
    uint64_t bbo;       /* BBO events handed to the callback */
    uint64_t trades;
    uint64_t stale;     /* 'S' markers: the feed handler's books went stale */
    uint64_t fresh;     /* 'F' markers */
    uint64_t restarts;  /* 'R' markers: the feed's stream restarted, the handler rebuilds */
    uint64_t lapped;    /* times the reader was lapped by the writer */
    uint64_t lost;      /* events overwritten before they were read */
    uint64_t retries;   /* slot changed during the copy */
} md_shm_stats;

/* Called for each BBO event: locate, the BBO, the MoldUDP64 sequence that caused it and the
 * feed handler's publish time (CLOCK_REALTIME ns, the event's ts_ns). */
typedef void (*md_shm_bbo_fn)(void *ctx, uint16_t locate, const tp_bbo *bbo, uint64_t seq,
                              uint64_t t_pub);

typedef struct {
    const uint8_t *base;
    size_t len;
    const tp_shm_header *hdr;
    const tp_shm_event_ring *ring;
    const tp_shm_event *ev;
    uint64_t cap, mask;
    uint64_t r;            /* next event index to read */
    const uint8_t *book;   /* the handler's book region (symbol names), NULL if absent */
    size_t book_len;
    int books_stale;       /* between an 'S' and the next 'F' */
    md_shm_stats st;
    char path[96];
    char name[72];         /* shm.name, for md_shm_reattach */
    uint64_t dev, ino;     /* the mapped file, to notice it was unlinked or replaced */
} md_shm;

/* A running handler writes heartbeat_ns every housekeeping pass (at least every 50 ms, with
 * or without packets); one this much older is taken for gone (hung, stopped by SIGSTOP, or
 * its pid reused). */
#define MD_SHM_HEARTBEAT_MAX_NS (2000ull * 1000000ull)

/* Attach /dev/hugepages/tickpath-NAME or /dev/shm/tickpath-NAME (the one a running handler
 * owns: valid header, the newer start time), read-only; check the header; start reading at
 * the current write index (no replay of old events). 0, or -1 with a message naming the file
 * and what is wrong (absent, not a tickpath-fh segment, wrong version, truncated, stopped). */
int md_shm_open(md_shm *m, const char *name, char *err, size_t errlen);
/* Consume up to `budget` events; BBO events go to fn. Returns events consumed. */
int md_shm_poll(md_shm *m, md_shm_bbo_fn fn, void *ctx, unsigned budget);
/* The feed handler's state (TP_STATE_*), read from the header. */
uint32_t md_shm_state(const md_shm *m);
/* Is the handler still there? now_ns: CLOCK_REALTIME. 0 = yes; 1 = gone, with the reason in
 * why: state stopped, its pid does not exist (kill(pid, 0) == ESRCH), its heartbeat is older
 * than MD_SHM_HEARTBEAT_MAX_NS, or the segment file was unlinked or replaced (st_dev/st_ino
 * of the path differ from the mapped file's). Two system calls: call it every few ms. */
int md_shm_check(const md_shm *m, uint64_t now_ns, char *why, size_t whylen);
/* Attach the segment of shm.name again (md_shm_open) if a handler is RUNNING there and
 * md_shm_check finds it live; the old mapping is dropped, the counters carry over, reading
 * starts at the new segment's write index. 0 = attached; 1 = not (yet), with why. */
int md_shm_reattach(md_shm *m, uint64_t now_ns, char *why, size_t whylen);
/* Symbol name of `locate` from the handler's book (0 if unnamed or no book region). */
int md_shm_symbol(const md_shm *m, uint16_t locate, char name[8]);
void md_shm_close(md_shm *m);

#endif
