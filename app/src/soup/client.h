/* SoupBinTCP 3.0 client session state machine over a real TCP socket.
 *
 * DOWN --connect+login--> LOGIN_SENT --'A'--> UP --(EOF, framing error, dead link, drop)--> DOWN
 *                                    --'J'--> REJECTED (terminal: bad credentials never retry)
 *                         UP --'Z'--> ENDED (terminal)      UP --logout()--> ENDED
 * In DOWN the client reconnects after reconnect_ms and logs in asking for next_seq (the next
 * sequenced message it has not seen), so the server replays what was missed: sequenced data
 * is delivered exactly once, in order, across reconnects. A client heartbeat ('R') goes out
 * after hb_ms without sending; the link is dead after dead_ms without receiving anything.
 * Times are CLOCK_REALTIME ns passed in by the caller (tests use short timeouts).
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
} tp_soup_event;

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
    size_t max_payload;
} tp_soup_client_cfg;

typedef struct {
    uint64_t connects, connect_failures, logins, rejects, dead_links, disconnects, hb_tx, hb_rx,
        seq_msgs, framing_errors, drops;
} tp_soup_client_stats;

typedef struct {
    tp_soup_client_cfg cfg;
    tp_soup_cli_state state;
    tp_soup_io io;
    char session[TP_SOUP_SESSION_LEN]; /* as accepted */
    uint64_t next_seq;                 /* next sequenced message expected (1 at start) */
    uint64_t next_connect_ns;
    uint8_t reject_reason;
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
