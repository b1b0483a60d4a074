/* SoupBinTCP 3.0 client session state machine over a real TCP socket.
 *
 * DOWN --connect+login--> LOGIN_SENT --'A'--> UP --(EOF, framing error, dead link, drop)--> DOWN
 *                                    --'J'--> REJECTED (terminal: bad credentials never retry)
 *                         UP --'Z'--> DOWN (resume_after_end_ms > 0) or ENDED (0, terminal)
 *                         UP --logout()--> ENDED
 * In DOWN the client reconnects after reconnect_ms and logs in to the session it was in,
 * asking for next_seq (the next sequenced message it has not seen), so the server replays
 * what was missed: sequenced data is delivered exactly once, in order, across reconnects.
 * A client heartbeat ('R') goes out after hb_ms without sending; the link is dead after
 * dead_ms without receiving anything. Times are CLOCK_REALTIME ns passed in by the caller.
 *
 * The exchange restarted (a re-login finds another stream than the one being followed):
 *  - a re-login rejected 'S' (session unavailable), or accepted under another session name:
 *    the session CHANGED;
 *  - accepted under the same name but at a sequence below the one asked for (the server no
 *    longer has messages the client saw): the session was RESET.
 * Neither is fatal ('J' reason 'A' is, as at the first login). The client then learns N,
 * how many sequenced messages the exchange's current session holds: a RESET's Login
 * Accepted sequence is N + 1 (the server starts at its end when asked for more than it has);
 * after 'S' or a foreign name it logs in with a blank session and sequence 0 (a "probe":
 * Accepted = the current session, N + 1). It reports TP_SOUP_EV_NEW_SESSION (seq = N),
 * logs in again from sequence 1 (if N > 0) and reports TP_SOUP_EV_SYNCED right after
 * delivering message N (at once if N = 0): messages 1..N are the new session's history,
 * everything after them is new. next_seq restarts at 1 only through this path, never
 * silently. A probe rejected 'S' (the exchange takes no login now) retries after
 * reconnect_ms.
 * End of Session ('Z') closes the stream the client follows. With resume_after_end_ms > 0
 * the client does not stop there: it logs in again after that delay (doubling, up to 64x,
 * while every login only meets another 'Z'), as it would after a drop. An exchange that
 * restarted is then found by the detection above and reconciled; one whose session is
 * simply over answers 'Z' again, less and less often.
 */
#ifndef TP_SOUP_CLIENT_H
#define TP_SOUP_CLIENT_H

#include <stdint.h>

#include "soup/io.h"

typedef enum {
    TP_SOUP_CLI_DOWN = 0,
    TP_SOUP_CLI_LOGIN_SENT,
    TP_SOUP_CLI_UP,
    TP_SOUP_CLI_REJECTED,
    TP_SOUP_CLI_ENDED,
} tp_soup_cli_state;

typedef enum {
    TP_SOUP_EV_UP = 1,       /* login accepted (seq = first sequence the server will send) */
    TP_SOUP_EV_SEQ,          /* sequenced data (seq = its sequence number) */
    TP_SOUP_EV_DOWN,         /* connection lost; will reconnect */
    TP_SOUP_EV_REJECTED,     /* login rejected (payload[0] = reason) */
    TP_SOUP_EV_END,          /* end of session */
    TP_SOUP_EV_DEBUG,
    TP_SOUP_EV_NEW_SESSION,  /* the stream restarts (seq = N, its messages to replay first;
                              * cause in tp_soup_client.sync_cause); no data of it yet */
    TP_SOUP_EV_SYNCED,       /* messages 1..N of the new session delivered (seq = N) */
} tp_soup_event;

/* Why the client follows a new stream (tp_soup_client.sync_cause). */
#define TP_SOUP_SYNC_CHANGED 'C' /* another session name */
#define TP_SOUP_SYNC_RESET 'R'   /* the same name, its sequence went back */

typedef void (*tp_soup_cli_fn)(void *ctx, tp_soup_event ev, uint64_t seq, const uint8_t *payload,
                               size_t len);

typedef struct {
    char host[64];
    uint16_t port;
    char username[TP_SOUP_USER_LEN + 1];
    char password[TP_SOUP_PASS_LEN + 1];
    char session[TP_SOUP_SESSION_LEN + 1]; /* requested session; "" = current */
    uint32_t hb_ms;        /* client heartbeat after this idle time (0 = never) */
    uint32_t dead_ms;      /* link dead after this silence */
    uint32_t reconnect_ms; /* wait before reconnecting */
    uint32_t max_reconnects; /* 0 = unlimited */
    uint32_t resume_after_end_ms; /* log in again this long after an End of Session
                                     (0 = the end is final) */
    size_t max_payload;
} tp_soup_client_cfg;

typedef struct {
    uint64_t connects, connect_failures, logins, rejects, dead_links, disconnects, hb_tx, hb_rx,
        seq_msgs, framing_errors, drops;
    uint64_t session_changes, resets; /* new streams followed (TP_SOUP_EV_NEW_SESSION) */
    uint64_t ends;                    /* End of Session packets received */
} tp_soup_client_stats;

/* Where the client is in following a new stream. */
typedef enum {
    TP_SOUP_SYNC_NONE = 0,   /* in step with the session it remembers */
    TP_SOUP_SYNC_PROBE,      /* next login: blank session, sequence 0 (learn the current one) */
    TP_SOUP_SYNC_REPLAY,     /* messages 1..replay_to of the new session not all delivered */
} tp_soup_sync;

typedef struct {
    tp_soup_client_cfg cfg;
    tp_soup_cli_state state;
    tp_soup_io io;
    char session[TP_SOUP_SESSION_LEN]; /* as accepted */
    uint64_t next_seq;                 /* next sequenced message expected (1 at start) */
    uint64_t next_connect_ns;
    uint64_t req_seq;                  /* sequence asked for by the login in flight */
    tp_soup_sync sync;
    uint8_t sync_cause;                /* TP_SOUP_SYNC_CHANGED / _RESET of the last new stream */
    uint64_t replay_to;                /* N: the new session's messages before it was joined */
    char prev_session[TP_SOUP_SESSION_LEN]; /* the stream left for the new one ... */
    uint64_t prev_next_seq;                 /* ... and where the client was in it */
    uint8_t reject_reason;
    uint32_t ends_in_row;              /* 'Z' with no sequenced data since the previous one */
    tp_soup_client_stats st;
    tp_soup_cli_fn fn;
    void *ctx;
} tp_soup_client;

int tp_soup_client_init(tp_soup_client *c, const tp_soup_client_cfg *cfg, tp_soup_cli_fn fn,
                        void *ctx);
void tp_soup_client_free(tp_soup_client *c);
/* Drive the session: connect/login when due, read, dispatch, timers. Returns the state. */
tp_soup_cli_state tp_soup_client_poll(tp_soup_client *c, uint64_t now);
/* Send an unsequenced message ('U'); -1 if the session is not UP or the send failed. */
int tp_soup_client_send(tp_soup_client *c, const void *msg, size_t len, uint64_t now);
/* Batch: between cork and uncork, sends are queued; uncork sends them in one send() (one TCP
 * segment). Uncork returns 0, or -1 if the session is not UP or the send failed (then the
 * session goes down, as for tp_soup_client_send). */
void tp_soup_client_cork(tp_soup_client *c);
int tp_soup_client_uncork(tp_soup_client *c, uint64_t now);
/* Abruptly close the connection (no logout) and wait delay_ms before reconnecting. */
void tp_soup_client_drop(tp_soup_client *c, uint64_t now, uint32_t delay_ms);
/* Send Logout Request and close: terminal. */
void tp_soup_client_logout(tp_soup_client *c, uint64_t now);
const char *tp_soup_cli_state_name(tp_soup_cli_state s);

#endif
