/* SoupBinTCP 3.0 server: listening socket, connections, per-user sessions with replay.
 *
 * Connection states: AWAIT_LOGIN --good 'L'--> UP --(logout, EOF, framing error, dead link,
 * kicked by a newer login of the same user)--> closed. A bad username/password gets Login
 * Rejected 'A'; a requested session other than blank or the current one gets 'S'. The
 * requested sequence picks where the stream restarts: 0 = from now, n = replay from n (1 =
 * from the start); anything beyond the end means from now. Sequenced messages go through the
 * user's store, so a user logged out or disconnected misses nothing: a re-login asking for
 * its next sequence gets every message after it, once, in order.
 * Server heartbeats after hb_ms idle; a connection silent for dead_ms is closed.
 *
 * Hostile or broken clients cannot hold the door shut:
 * - login deadline: a connection without an accepted Login Request login_timeout_ms after
 *   its accept is closed (login_timeouts), however many bytes it trickles in;
 * - slots: max_conns connections, preallocated at init. A connection arriving when all are
 *   taken evicts the oldest one that has not logged in (evicted_unauthenticated); only when
 *   every slot holds a logged-in session is the newcomer refused (refused_full);
 * - failed logins: a bad username/password (login_failures) starts a backoff for its IPv4
 *   source (soup/backoff.h: backoff_ms doubling up to backoff_max_ms). A Login Request from
 *   a source in backoff is refused unchecked: the connection is closed without an answer
 *   (login_backoff_refusals), since clients take Login Rejected as final and a close as
 *   transient. Other sources are unaffected.
 */
#ifndef TP_SOUP_SERVER_H
#define TP_SOUP_SERVER_H

#include <stdint.h>

#include "soup/backoff.h"
#include "soup/io.h"
#include "soup/store.h"

#define TP_SOUP_SRV_DEFAULT_CONNS 16
#define TP_SOUP_SRV_MAX_CONNS 256 /* each slot preallocates ~1.1 MiB of buffers */
#define TP_SOUP_SRV_MAX_USERS 16

typedef struct {
    char username[TP_SOUP_USER_LEN + 1];
    char password[TP_SOUP_PASS_LEN + 1];
} tp_soup_cred;

typedef struct tp_soup_server tp_soup_server;

typedef struct {
    /* Unsequenced message from a logged-in user. rx_ns: time right after its recv();
     * rx_kernel_ns: the kernel's receive stamp of the newest segment that recv() read (every
     * connection asks for it), 0 if the kernel gave none. */
    void (*on_message)(void *ctx, int user, const uint8_t *msg, size_t len, uint64_t rx_ns,
                       uint64_t rx_kernel_ns);
    void (*on_login)(void *ctx, int user);
    void (*on_close)(void *ctx, int user);
    void *ctx;
} tp_soup_server_cb;

typedef struct {
    char bind_addr[64];
    uint16_t port;
    char session[TP_SOUP_SESSION_LEN + 1];
    uint32_t hb_ms;   /* 0 = never send heartbeats (tests of the client's dead-link timer) */
    uint32_t dead_ms;
    uint32_t max_conns;        /* connection slots (0 = TP_SOUP_SRV_DEFAULT_CONNS) */
    uint32_t login_timeout_ms; /* accept to accepted login (0 = 2000) */
    uint32_t backoff_ms;       /* after a source's first failed login (0 = 100) */
    uint32_t backoff_max_ms;   /* cap of the doubling (0 = 10000) */
    size_t max_payload;
    size_t store_bytes;
    uint64_t store_msgs;
} tp_soup_server_cfg;

typedef struct {
    uint64_t accepts, logins, login_rejects, logouts, dead_links, framing_errors, kicked,
        hb_tx, hb_rx, unseq_rx, seq_tx, replayed, overflow_drops,
        rx_stamp_errors, /* a connection whose socket refused SO_TIMESTAMPNS */
        login_timeouts, evicted_unauthenticated,
        refused_full, /* every slot logged in (or the session has ended) */
        login_failures, /* bad username/password (also in login_rejects) */
        login_backoff_refusals;
} tp_soup_server_stats;

typedef struct {
    tp_soup_io io;
    int user;       /* -1 before login */
    int up;
    uint64_t next;  /* next sequence to send from the user's store */
    uint32_t peer;  /* IPv4 source, host byte order */
    uint64_t accepted_ns;
    uint64_t accept_no; /* order of accepts: the oldest unauthenticated is evicted first */
} tp_soup_srv_conn;

struct tp_soup_server {
    tp_soup_server_cfg cfg;
    int lfd;
    tp_soup_cred creds[TP_SOUP_SRV_MAX_USERS];
    int n_users;
    tp_soup_store store[TP_SOUP_SRV_MAX_USERS];
    int conn_of_user[TP_SOUP_SRV_MAX_USERS];
    tp_soup_srv_conn *conns; /* max_conns slots, allocated by init */
    int n_conns;
    uint64_t n_accepts;
    tp_backoff backoff;
    tp_soup_server_cb cb;
    tp_soup_server_stats st;
    int ended;
};

/* Credentials: one "username password" per line ('#' comments). Returns 0 or -1 (errbuf). */
int tp_soup_load_creds(const char *path, tp_soup_cred *out, int max, int *n, char *err,
                       size_t errlen);
/* Listen (bound and listening on return). Returns 0 or -1 with errno (EINVAL: max_conns
 * above TP_SOUP_SRV_MAX_CONNS or a bad bind address). */
int tp_soup_server_init(tp_soup_server *s, const tp_soup_server_cfg *cfg, const tp_soup_cred *creds,
                        int n_creds, const tp_soup_server_cb *cb);
void tp_soup_server_free(tp_soup_server *s);
/* Accept, read, dispatch, replay, timers. */
void tp_soup_server_poll(tp_soup_server *s, uint64_t now);
/* Sequence a message for user (stored, sent if connected). Returns its sequence, 0 if full. */
uint64_t tp_soup_server_send(tp_soup_server *s, int user, const void *msg, size_t len,
                             uint64_t now);
/* Drop every connection abruptly (test hook: SIGUSR1 in the simulator). */
void tp_soup_server_drop_all(tp_soup_server *s);
/* Send End of Session to every connection and close them; no further logins. */
void tp_soup_server_end(tp_soup_server *s, uint64_t now);
/* Bound port (useful with port 0). */
uint16_t tp_soup_server_port(const tp_soup_server *s);

#endif
