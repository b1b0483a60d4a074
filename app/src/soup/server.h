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
 */
#ifndef TP_SOUP_SERVER_H
#define TP_SOUP_SERVER_H

#include <stdint.h>

#include "soup/io.h"
#include "soup/store.h"

#define TP_SOUP_SRV_MAX_CONN 16
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
    size_t max_payload;
    size_t store_bytes;
    uint64_t store_msgs;
} tp_soup_server_cfg;

typedef struct {
    uint64_t accepts, logins, login_rejects, logouts, dead_links, framing_errors, kicked,
        hb_tx, hb_rx, unseq_rx, seq_tx, replayed, overflow_drops, too_many_conns,
        rx_stamp_errors; /* a connection whose socket refused SO_TIMESTAMPNS */
} tp_soup_server_stats;

typedef struct {
    tp_soup_io io;
    int user;       /* -1 before login */
    int up;
    uint64_t next;  /* next sequence to send from the user's store */
} tp_soup_srv_conn;

struct tp_soup_server {
    tp_soup_server_cfg cfg;
    int lfd;
    tp_soup_cred creds[TP_SOUP_SRV_MAX_USERS];
    int n_users;
    tp_soup_store store[TP_SOUP_SRV_MAX_USERS];
    int conn_of_user[TP_SOUP_SRV_MAX_USERS];
    tp_soup_srv_conn conns[TP_SOUP_SRV_MAX_CONN];
    tp_soup_server_cb cb;
    tp_soup_server_stats st;
    int ended;
};

/* Credentials: one "username password" per line ('#' comments). Returns 0 or -1 (errbuf). */
int tp_soup_load_creds(const char *path, tp_soup_cred *out, int max, int *n, char *err,
                       size_t errlen);
/* Listen (bound and listening on return). Returns 0 or -1 with errno. */
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
