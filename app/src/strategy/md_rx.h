/* The sample strategy's own market-data receiver: one UDP socket (line A; multicast join
 * when the address is a group), MoldUDP64 parse (src/mold), an embedded full-depth book
 * (src/book) and a BBO callback. It does no gap recovery (it counts gaps and carries on):
 * the feed handler (tickpath-fh) is the component that recovers; this receiver exists so
 * the strategy runs without it. The stream guard (src/mold/guard.h) keeps an exchange
 * restart (new session, or the sequence from 1 again) from freezing the book: the book is
 * cleared and rebuilt from the new stream, and `restarts` tells the strategy to forget what
 * it derived from the old one (e.g. its symbol's stock locate). */
#ifndef TP_STRATEGY_MD_RX_H
#define TP_STRATEGY_MD_RX_H

#include <netinet/in.h>
#include <stdint.h>

#include "book/book.h"
#include "mold/guard.h"

typedef struct {
    uint64_t packets, messages, gaps, dups, bad_packets, heartbeats, end_of_session;
    uint64_t wrong_session;   /* packets of another session dropped (not confirmed) */
    uint64_t seq_jumps;       /* packets dropped as too far ahead */
    uint64_t session_changes, seq_resets; /* restarts: the book was cleared */
} md_rx_stats;

#define MD_RX_JUMP_LIMIT (1u << 20) /* messages past the furthest sequence seen */

typedef struct {
    int fd;
    tp_book *book;
    struct in_addr addr, iface_addr; /* set by md_rx_open, joined by md_rx_start */
    uint16_t port;
    uint64_t next_seq;
    uint64_t cur_seq;     /* sequence of the message being applied (for the BBO callback) */
    uint64_t cur_itch_ts; /* its ITCH timestamp */
    uint64_t t_rx;        /* CLOCK_REALTIME right after recv() of the current packet */
    int ended;
    uint64_t restarts;    /* times the stream restarted (book cleared) */
    tp_guard guard;
    /* optional: called around the messages of each data packet (the strategy batches the
     * orders one packet triggers into one send: tp_gw_batch_begin / _end) */
    void (*pkt_begin)(void *ctx);
    void (*pkt_end)(void *ctx);
    void *pkt_ctx;
    md_rx_stats st;
    uint8_t buf[2048];
} md_rx;

/* addr: group or local address; iface_addr: interface for the join. on_bbo: called by the
 * book after a message changed a symbol's BBO (ctx = cb_ctx). Allocates the book and checks
 * the addresses; nothing is received before md_rx_start (the program locks its memory in
 * between, so no packet waits for that). */
int md_rx_open(md_rx *m, const char *addr, uint16_t port, const char *iface_addr,
               tp_bbo_fn on_bbo, void *cb_ctx, char *err, size_t errlen);
/* Bind the socket (and join the group). */
int md_rx_start(md_rx *m, char *err, size_t errlen);
/* Receive and apply what is available, at most `budget` packets (non-blocking), so that a
 * backlog (e.g. queued while the program started) does not keep the caller's loop from its
 * other work (the order session's login and heartbeats). Returns packets handled. */
int md_rx_poll(md_rx *m, int budget);
void md_rx_close(md_rx *m);

#endif
