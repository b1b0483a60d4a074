/* Snapshot service for late joiners (the feed handler's client: src/fh/snapshot.c; protocol:
 * src/mold/SNAPSHOT.md).
 *
 * GLIMPSE-like, over SoupBinTCP on its own port: the client sends a Login Request (the
 * service is read-only market data: any username/password is accepted), the server answers
 * Login Accepted, then one Sequenced Data packet per ITCH message of the current book:
 * per symbol a Stock Directory 'R' and an Add Order 'A' per displayed resting order (the same
 * order reference numbers the live feed uses, in price-time order), then a 'G' message:
 * 'G' + 20 ASCII digits (right-justified) = N, the MoldUDP64 sequence number the live feed
 * must be resumed from (messages 1..N-1 are reflected in the snapshot), End of Session 'Z',
 * and the server closes the connection.
 *
 * It runs inside the exchange's single loop and never blocks it:
 * - everything is non-blocking and driven by snapshot_srv_poll() once per loop pass;
 * - the snapshot is rendered whole into the connection's preallocated buffer at the moment
 *   its login is read (so it is the book after exactly messages 1..N-1 however long the
 *   client takes to read it, while the exchange keeps trading), then drained at most
 *   pass_bytes per pass; the connection's kernel send buffer is set to pass_bytes as well;
 * - slots: max_conns connections, buffers allocated at init. A connection arriving when
 *   every slot is taken evicts the oldest one that has not sent its login (evicted); when
 *   every slot is sending a snapshot the newcomer is closed (refused_full);
 * - login deadline: a connection without a complete Login Request login_timeout_ms after
 *   its accept is closed (login_timeouts), however many bytes it trickles in;
 * - send deadline: a snapshot not wholly handed to the kernel send_timeout_ms after the login
 *   was read (a client that does not read) is dropped (send_timeouts);
 * - a book whose snapshot would not fit the buffer is refused with Login Rejected 'S'
 *   (too_large): the client falls back to re-requesting from sequence 1;
 * - anything but a Login Request first gets Login Rejected 'A' (bad_logins).
 * Dropped connections (deadlines, evictions) are reset (SO_LINGER 0); a served or rejected
 * one is closed normally after its last byte.
 */
#ifndef TP_SIM_SNAPSHOT_SRV_H
#define TP_SIM_SNAPSHOT_SRV_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/match.h"

#define SNAPSHOT_SRV_MAX_CONNS 64

typedef struct {
    char bind_addr[64];
    uint16_t port;             /* 0 = an ephemeral port (tests) */
    uint32_t max_conns;        /* 1..SNAPSHOT_SRV_MAX_CONNS */
    uint32_t login_timeout_ms; /* accept to a complete Login Request */
    uint32_t send_timeout_ms;  /* Login Request to the snapshot's last byte sent */
    size_t buf_bytes;          /* per connection: the largest snapshot served */
    size_t pass_bytes;         /* per connection per poll; also its SO_SNDBUF */
} snapshot_srv_cfg;

typedef struct {
    uint64_t accepted, served, login_timeouts, evicted, refused_full, send_timeouts, too_large,
        bad_logins,
        disconnects, /* the client closed or reset before its snapshot was sent */
        bytes;       /* handed to the kernel */
} snapshot_srv_stats;

typedef struct {
    int fd;          /* -1 = free slot */
    uint8_t sending; /* 0 = waiting for the Login Request, 1 = draining buf */
    uint8_t reject;  /* buf holds a Login Rejected, not a snapshot */
    uint16_t rx_n;
    uint8_t rx[64];
    uint8_t *buf; /* cfg.buf_bytes, allocated at init */
    size_t len, off;
    uint64_t accepted_ns, login_ns, accept_no;
} snapshot_conn;

typedef struct {
    snapshot_srv_cfg cfg;
    int lfd;
    snapshot_conn *conns; /* cfg.max_conns */
    uint8_t *bufs;
    uint64_t n_accepts;
    snapshot_srv_stats st;
} snapshot_srv;

/* What a snapshot is taken of: the book after messages 1..next_seq-1. */
typedef struct {
    const me_engine *me;
    const uint8_t *session; /* 10 bytes, space-padded */
    uint64_t next_seq;
} snapshot_src;

/* Bytes of the largest snapshot of n_symbols symbols with n_orders displayed orders. */
size_t snapshot_srv_bytes_for(uint32_t n_symbols, uint64_t n_orders);
/* The whole answer to a login (Login Accepted ... 'Z') into buf; 0 if it does not fit. */
size_t snapshot_srv_render(const snapshot_src *src, uint8_t *buf, size_t cap);

/* Allocate the slots and listen. 0, or -1 with errno (EINVAL: a bad address or limit). */
int snapshot_srv_init(snapshot_srv *s, const snapshot_srv_cfg *cfg);
/* Accept, read logins, render, drain, deadlines. Never blocks. */
void snapshot_srv_poll(snapshot_srv *s, const snapshot_src *src, uint64_t now);
/* The descriptors the loop may sleep on (at most 1 + max_conns); returns how many. */
int snapshot_srv_pollfds(const snapshot_srv *s, struct pollfd *pf, int cap);
uint16_t snapshot_srv_port(const snapshot_srv *s);
/* The stats document's "snapshot" object. */
void snapshot_srv_write_json(const snapshot_srv *s, FILE *f);
/* Close every connection and the listener, free the slots (safe on a zeroed struct with
 * lfd -1, and after a failed init). */
void snapshot_srv_close(snapshot_srv *s);

#endif
