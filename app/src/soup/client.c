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
    n = strnlen(c->cfg.session, TP_SOUP_SESSION_LEN);
    memcpy(l.session, c->cfg.session, n);
    if (c->st.logins)
        memcpy(l.session, c->session, TP_SOUP_SESSION_LEN); /* resume the same session */
    l.sequence = c->next_seq;
    uint8_t buf[64];
    size_t len = tp_soup_enc_login_request(buf, sizeof buf, &l);
    memset(&l, 0, sizeof l);
    c->state = TP_SOUP_CLI_LOGIN_SENT;
    if (tp_soup_io_send(&c->io, buf, len, now) != 0)
        go_down(c, now, c->cfg.reconnect_ms);
    memset(buf, 0, sizeof buf);
}

static void dispatch(tp_soup_client *c, const tp_soup_pkt *p, uint64_t now)
{
    switch (p->type) {
    case TP_SOUP_LOGIN_ACCEPTED: {
        uint64_t seq;
        if (c->state != TP_SOUP_CLI_LOGIN_SENT ||
            tp_soup_dec_login_accepted(p->payload, c->session, &seq) != 0) {
            c->st.framing_errors++;
            go_down(c, now, c->cfg.reconnect_ms);
            return;
        }
        /* The server starts at seq; anything before it that we never saw is gone. */
        if (seq)
            c->next_seq = seq;
        c->state = TP_SOUP_CLI_UP;
        c->st.logins++;
        c->fn(c->ctx, TP_SOUP_EV_UP, c->next_seq, NULL, 0);
        return;
    }
    case TP_SOUP_LOGIN_REJECTED:
        c->reject_reason = p->payload[0];
        c->st.rejects++;
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
        c->fn(c->ctx, TP_SOUP_EV_SEQ, c->next_seq++, p->payload, p->len);
        return;
    case TP_SOUP_SERVER_HEARTBEAT:
        c->st.hb_rx++;
        return;
    case TP_SOUP_END_OF_SESSION:
        tp_soup_io_close(&c->io);
        c->state = TP_SOUP_CLI_ENDED;
        c->fn(c->ctx, TP_SOUP_EV_END, c->next_seq, NULL, 0);
        return;
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
