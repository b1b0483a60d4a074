/* SoupBinTCP client session. */
#include "soup/client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "common/compiler.h"

#define MS 1000000ull

const char *tp_soup_cli_state_name(tp_soup_cli_state s)
{
    switch (s) {
    case TP_SOUP_CLI_DOWN: return "down";
    case TP_SOUP_CLI_LOGIN_SENT: return "login_sent";
    case TP_SOUP_CLI_UP: return "up";
    case TP_SOUP_CLI_REJECTED: return "rejected";
    case TP_SOUP_CLI_ENDED: return "ended";
    }
    return "?";
}

int tp_soup_client_init(tp_soup_client *c, const tp_soup_client_cfg *cfg, tp_soup_cli_fn fn,
                        void *ctx)
{
    memset(c, 0, sizeof *c);
    c->cfg = *cfg;
    if (!c->cfg.dead_ms)
        c->cfg.dead_ms = 15000;
    c->fn = fn;
    c->ctx = ctx;
    c->next_seq = 1;
    c->state = TP_SOUP_CLI_DOWN;
    return tp_soup_io_init(&c->io, 1 << 16, 1 << 20, cfg->max_payload);
}

void tp_soup_client_free(tp_soup_client *c)
{
    tp_soup_io_free(&c->io);
}

static int tcp_connect(const char *host, uint16_t port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res;
        if (getaddrinfo(host, NULL, &hints, &res) != 0)
            return -1;
        sa.sin_addr = ((struct sockaddr_in *)res->ai_addr)->sin_addr;
        freeaddrinfo(res);
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct timeval tv = {.tv_sec = 1};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv); /* bounds connect() */
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void go_down(tp_soup_client *c, uint64_t now, uint32_t delay_ms)
{
    int was_connected = c->io.fd >= 0;
    tp_soup_io_close(&c->io);
    if (c->state == TP_SOUP_CLI_UP || c->state == TP_SOUP_CLI_LOGIN_SENT) {
        c->state = TP_SOUP_CLI_DOWN;
        c->st.disconnects += was_connected;
        c->fn(c->ctx, TP_SOUP_EV_DOWN, c->next_seq, NULL, 0);
    }
    c->next_connect_ns = now + (uint64_t)delay_ms * MS;
}

static void try_connect(tp_soup_client *c, uint64_t now)
{
    if (c->cfg.max_reconnects && c->st.connects + c->st.connect_failures > c->cfg.max_reconnects) {
        c->state = TP_SOUP_CLI_ENDED;
        return;
    }
    int fd = tcp_connect(c->cfg.host, c->cfg.port);
    if (fd < 0) {
        c->st.connect_failures++;
        c->next_connect_ns = now + (uint64_t)(c->cfg.reconnect_ms ? c->cfg.reconnect_ms : 100) * MS;
        return;
    }
    c->st.connects++;
    tp_soup_io_attach(&c->io, fd, now);
    tp_soup_login l;
    memset(&l, ' ', sizeof l);
    size_t n;
    n = strnlen(c->cfg.username, TP_SOUP_USER_LEN);
    memcpy(l.username, c->cfg.username, n);
    n = strnlen(c->cfg.password, TP_SOUP_PASS_LEN);
    memcpy(l.password, c->cfg.password, n);
    if (c->sync == TP_SOUP_SYNC_PROBE) {
        l.sequence = 0; /* blank session, from now: Accepted names the current one and its end */
    } else {
        n = strnlen(c->cfg.session, TP_SOUP_SESSION_LEN);
        memcpy(l.session, c->cfg.session, n);
        if (c->st.logins)
            memcpy(l.session, c->session, TP_SOUP_SESSION_LEN); /* resume the same session */
        l.sequence = c->next_seq;
    }
    c->req_seq = l.sequence;
    uint8_t buf[64];
    size_t len = tp_soup_enc_login_request(buf, sizeof buf, &l);
    memset(&l, 0, sizeof l);
    c->state = TP_SOUP_CLI_LOGIN_SENT;
    if (tp_soup_io_send(&c->io, buf, len, now) != 0)
        go_down(c, now, c->cfg.reconnect_ms);
    memset(buf, 0, sizeof buf);
}

/* Close without a DOWN event (a login that only served to find the session) and connect
 * again after delay_ms. */
static void quiet_close(tp_soup_client *c, uint64_t now, uint32_t delay_ms)
{
    tp_soup_io_close(&c->io);
    c->state = TP_SOUP_CLI_DOWN;
    c->next_connect_ns = now + (uint64_t)delay_ms * MS;
}

static void synced(tp_soup_client *c)
{
    c->sync = TP_SOUP_SYNC_NONE;
    c->fn(c->ctx, TP_SOUP_EV_SYNCED, c->replay_to, NULL, 0);
}

/* Follow a new stream of n messages under session sess: report it, then join it at sequence 1
 * (this connection, which starts at n + 1, cannot deliver 1..n: log in again) or, when it is
 * empty, stay. */
static void new_stream(tp_soup_client *c, const char sess[TP_SOUP_SESSION_LEN], uint64_t n,
                       uint8_t cause, uint64_t now)
{
    memcpy(c->prev_session, c->session, TP_SOUP_SESSION_LEN);
    c->prev_next_seq = c->next_seq;
    memcpy(c->session, sess, TP_SOUP_SESSION_LEN);
    c->sync_cause = cause;
    if (cause == TP_SOUP_SYNC_RESET)
        c->st.resets++;
    else
        c->st.session_changes++;
    c->replay_to = n;
    c->next_seq = 1;
    c->sync = TP_SOUP_SYNC_REPLAY;
    c->fn(c->ctx, TP_SOUP_EV_NEW_SESSION, n, NULL, 0);
    if (n) {
        quiet_close(c, now, 0);
        return;
    }
    c->state = TP_SOUP_CLI_UP;
    c->fn(c->ctx, TP_SOUP_EV_UP, c->next_seq, NULL, 0);
    if (c->io.fd >= 0 && c->sync == TP_SOUP_SYNC_REPLAY)
        synced(c);
}

/* Session names are printed in reports: printable ASCII without quote or backslash. */
static int sess_ok(const char s[TP_SOUP_SESSION_LEN])
{
    for (int i = 0; i < TP_SOUP_SESSION_LEN; i++)
        if (s[i] < ' ' || s[i] > '~' || s[i] == '"' || s[i] == '\\')
            return 0;
    return 1;
}

static void on_accepted(tp_soup_client *c, const tp_soup_pkt *p, uint64_t now)
{
    char sess[TP_SOUP_SESSION_LEN];
    uint64_t seq;
    if (c->state != TP_SOUP_CLI_LOGIN_SENT || tp_soup_dec_login_accepted(p->payload, sess, &seq) != 0 ||
        !sess_ok(sess)) {
        c->st.framing_errors++;
        go_down(c, now, c->cfg.reconnect_ms);
        return;
    }
    int known = c->st.logins > 0; /* c->session and c->next_seq describe a stream we follow */
    c->st.logins++;
    int same = known && memcmp(sess, c->session, TP_SOUP_SESSION_LEN) == 0;
    if (c->sync == TP_SOUP_SYNC_PROBE) {
        /* asked for 0: the server starts at its end, so seq - 1 messages exist */
        uint64_t n = seq ? seq - 1 : 0;
        if (same && n + 1 >= c->next_seq) {
            /* our session after all, with everything we saw: resume it where we were (after
             * the reconnect delay: a server that refuses and then accepts the same session
             * must not make the client spin) */
            c->sync = c->replay_to >= c->next_seq ? TP_SOUP_SYNC_REPLAY : TP_SOUP_SYNC_NONE;
            quiet_close(c, now, c->cfg.reconnect_ms);
            return;
        }
        new_stream(c, sess, n, same ? TP_SOUP_SYNC_RESET : TP_SOUP_SYNC_CHANGED, now);
        return;
    }
    if (known && !same) {
        /* asked for our session, got another: where its stream ends is unknown, probe (after
         * the reconnect delay: a server that names a new session at every login must not make
         * the client spin) */
        c->sync = TP_SOUP_SYNC_PROBE;
        quiet_close(c, now, c->cfg.reconnect_ms);
        return;
    }
    if (known && seq && seq < c->req_seq) {
        /* the server started below what we asked for: it lost messages we saw (a restart
         * under the same name). It has seq - 1 messages. */
        new_stream(c, sess, seq - 1, TP_SOUP_SYNC_RESET, now);
        return;
    }
    memcpy(c->session, sess, TP_SOUP_SESSION_LEN);
    /* The server starts at seq; anything before it that we never saw is gone. */
    if (seq)
        c->next_seq = seq;
    c->state = TP_SOUP_CLI_UP;
    c->fn(c->ctx, TP_SOUP_EV_UP, c->next_seq, NULL, 0);
    if (c->io.fd >= 0 && c->sync == TP_SOUP_SYNC_REPLAY && c->next_seq > c->replay_to)
        synced(c);
}

static void dispatch(tp_soup_client *c, const tp_soup_pkt *p, uint64_t now)
{
    switch (p->type) {
    case TP_SOUP_LOGIN_ACCEPTED:
        on_accepted(c, p, now);
        return;
    case TP_SOUP_LOGIN_REJECTED:
        c->reject_reason = p->payload[0];
        c->st.rejects++;
        /* A re-login refused as session unavailable: the exchange restarted under another
         * session (or, to a probe, takes no login now). Only the first login's 'S' and an 'A'
         * (not authorized) are final. The probe goes out at once after a refusal of the
         * session we were in step with; otherwise after the reconnect delay (a server that
         * keeps refusing must not make the client spin). */
        if (c->reject_reason == TP_SOUP_REJ_SESSION_UNAVAILABLE && c->st.logins &&
            c->state == TP_SOUP_CLI_LOGIN_SENT) {
            uint32_t delay = c->sync == TP_SOUP_SYNC_NONE ? 0 : c->cfg.reconnect_ms;
            c->sync = TP_SOUP_SYNC_PROBE;
            quiet_close(c, now, delay);
            return;
        }
        tp_soup_io_close(&c->io);
        c->state = TP_SOUP_CLI_REJECTED;
        c->fn(c->ctx, TP_SOUP_EV_REJECTED, 0, p->payload, 1);
        return;
    case TP_SOUP_SEQUENCED:
        if (c->state != TP_SOUP_CLI_UP) {
            c->st.framing_errors++;
            go_down(c, now, c->cfg.reconnect_ms);
            return;
        }
        c->st.seq_msgs++;
        c->ends_in_row = 0;
        c->fn(c->ctx, TP_SOUP_EV_SEQ, c->next_seq++, p->payload, p->len);
        if (TP_UNLIKELY(c->sync == TP_SOUP_SYNC_REPLAY) && c->next_seq > c->replay_to)
            synced(c);
        return;
    case TP_SOUP_SERVER_HEARTBEAT:
        c->st.hb_rx++;
        return;
    case TP_SOUP_END_OF_SESSION: {
        tp_soup_io_close(&c->io);
        c->st.ends++;
        c->fn(c->ctx, TP_SOUP_EV_END, c->next_seq, NULL, 0);
        if (!c->cfg.resume_after_end_ms) {
            c->state = TP_SOUP_CLI_ENDED;
            return;
        }
        /* an exchange that restarts sends 'Z' first: keep following whatever comes next */
        uint32_t shift = c->ends_in_row < 6 ? c->ends_in_row : 6;
        c->ends_in_row++;
        c->state = TP_SOUP_CLI_DOWN;
        c->next_connect_ns = now + ((uint64_t)c->cfg.resume_after_end_ms << shift) * MS;
        return;
    }
    case TP_SOUP_DEBUG:
        c->fn(c->ctx, TP_SOUP_EV_DEBUG, 0, p->payload, p->len);
        return;
    default: /* a client-side type from the server: protocol violation */
        c->st.framing_errors++;
        go_down(c, now, c->cfg.reconnect_ms);
        return;
    }
}

tp_soup_cli_state tp_soup_client_poll(tp_soup_client *c, uint64_t now)
{
    if (c->state == TP_SOUP_CLI_REJECTED || c->state == TP_SOUP_CLI_ENDED)
        return c->state;
    if (c->state == TP_SOUP_CLI_DOWN) {
        if (now >= c->next_connect_ns)
            try_connect(c, now);
        if (c->state == TP_SOUP_CLI_DOWN)
            return c->state;
    }
    long r = tp_soup_io_read(&c->io);
    if (r > 0) {
        tp_soup_pkt p;
        int k;
        while ((k = tp_soup_io_next(&c->io, &p)) == 1) {
            dispatch(c, &p, now);
            if (c->io.fd < 0)
                return c->state;
        }
        if (k < 0) {
            c->st.framing_errors++;
            go_down(c, now, c->cfg.reconnect_ms);
            return c->state;
        }
    } else if (r < 0) {
        go_down(c, now, c->cfg.reconnect_ms);
        return c->state;
    }
    if (tp_soup_io_flush(&c->io) != 0) {
        go_down(c, now, c->cfg.reconnect_ms);
        return c->state;
    }
    uint64_t last_rx = c->io.last_rx_ns > now ? now : c->io.last_rx_ns;
    if (now - last_rx >= (uint64_t)c->cfg.dead_ms * MS) {
        c->st.dead_links++;
        go_down(c, now, c->cfg.reconnect_ms);
        return c->state;
    }
    if (c->state == TP_SOUP_CLI_UP && c->cfg.hb_ms && now > c->io.last_tx_ns &&
        now - c->io.last_tx_ns >= (uint64_t)c->cfg.hb_ms * MS) {
        c->st.hb_tx++;
        if (tp_soup_io_send_pkt(&c->io, TP_SOUP_CLIENT_HEARTBEAT, NULL, 0, now) != 0)
            go_down(c, now, c->cfg.reconnect_ms);
    }
    return c->state;
}

int tp_soup_client_send(tp_soup_client *c, const void *msg, size_t len, uint64_t now)
{
    if (c->state != TP_SOUP_CLI_UP)
        return -1;
    uint8_t buf[3 + 256];
    size_t n = tp_soup_enc(buf, sizeof buf, TP_SOUP_UNSEQUENCED, msg, len);
    if (!n || tp_soup_io_send(&c->io, buf, n, now) != 0) {
        go_down(c, now, c->cfg.reconnect_ms);
        return -1;
    }
    return 0;
}

void tp_soup_client_cork(tp_soup_client *c)
{
    if (c->state == TP_SOUP_CLI_UP)
        tp_soup_io_cork(&c->io);
}

int tp_soup_client_uncork(tp_soup_client *c, uint64_t now)
{
    if (!c->io.corked)
        return c->state == TP_SOUP_CLI_UP ? 0 : -1;
    if (tp_soup_io_uncork(&c->io) != 0) {
        go_down(c, now, c->cfg.reconnect_ms);
        return -1;
    }
    return 0;
}

void tp_soup_client_drop(tp_soup_client *c, uint64_t now, uint32_t delay_ms)
{
    c->st.drops++;
    go_down(c, now, delay_ms);
}

void tp_soup_client_logout(tp_soup_client *c, uint64_t now)
{
    if (c->io.fd >= 0) {
        tp_soup_io_send_pkt(&c->io, TP_SOUP_LOGOUT_REQUEST, NULL, 0, now);
        tp_soup_io_flush(&c->io);
    }
    tp_soup_io_close(&c->io);
    c->state = TP_SOUP_CLI_ENDED;
}
