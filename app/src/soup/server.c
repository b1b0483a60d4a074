/* SoupBinTCP server sessions. */
#define _GNU_SOURCE
#include "soup/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MS 1000000ull

static int ct_equal(const char *a, const char *b, size_t n)
{
    unsigned char d = 0;
    for (size_t i = 0; i < n; i++)
        d |= (unsigned char)(a[i] ^ b[i]);
    return d == 0;
}

int tp_soup_load_creds(const char *path, tp_soup_cred *out, int max, int *n, char *err,
                       size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char line[256];
    int count = 0, lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char user[64], pass[64], extra[8];
        char *h = strchr(line, '#');
        if (h)
            *h = 0;
        int k = sscanf(line, "%63s %63s %7s", user, pass, extra);
        if (k <= 0)
            continue;
        if (k != 2 || strlen(user) > TP_SOUP_USER_LEN || strlen(pass) > TP_SOUP_PASS_LEN) {
            snprintf(err, errlen, "%s:%d: expected 'username password' (at most 6 and 10 chars)",
                     path, lineno);
            fclose(f);
            return -1;
        }
        if (count == max) {
            snprintf(err, errlen, "%s: more than %d users", path, max);
            fclose(f);
            return -1;
        }
        memset(&out[count], 0, sizeof out[count]);
        memcpy(out[count].username, user, strlen(user));
        memcpy(out[count].password, pass, strlen(pass));
        count++;
    }
    fclose(f);
    if (!count) {
        snprintf(err, errlen, "%s: no credentials", path);
        return -1;
    }
    *n = count;
    return 0;
}

int tp_soup_server_init(tp_soup_server *s, const tp_soup_server_cfg *cfg, const tp_soup_cred *creds,
                        int n_creds, const tp_soup_server_cb *cb)
{
    memset(s, 0, sizeof *s);
    s->cfg = *cfg;
    if (!s->cfg.dead_ms)
        s->cfg.dead_ms = 15000;
    if (!s->cfg.store_bytes)
        s->cfg.store_bytes = 32u << 20;
    if (!s->cfg.store_msgs)
        s->cfg.store_msgs = 1u << 20;
    if (!s->cfg.max_conns)
        s->cfg.max_conns = TP_SOUP_SRV_DEFAULT_CONNS;
    if (!s->cfg.login_timeout_ms)
        s->cfg.login_timeout_ms = 2000;
    if (!s->cfg.backoff_ms)
        s->cfg.backoff_ms = 100;
    if (!s->cfg.backoff_max_ms)
        s->cfg.backoff_max_ms = 10000;
    s->cb = *cb;
    s->lfd = -1;
    if (s->cfg.max_conns > TP_SOUP_SRV_MAX_CONNS) {
        errno = EINVAL;
        return -1;
    }
    tp_backoff_init(&s->backoff, s->cfg.backoff_ms, s->cfg.backoff_max_ms);
    s->conns = calloc(s->cfg.max_conns, sizeof *s->conns);
    if (!s->conns)
        return -1;
    s->n_conns = (int)s->cfg.max_conns;
    for (int i = 0; i < s->n_conns; i++) /* tp_soup_server_free is safe from here on */
        s->conns[i].io.fd = -1;
    if (n_creds > TP_SOUP_SRV_MAX_USERS)
        n_creds = TP_SOUP_SRV_MAX_USERS;
    memcpy(s->creds, creds, (size_t)n_creds * sizeof *creds);
    s->n_users = n_creds;
    for (int i = 0; i < n_creds; i++) {
        s->conn_of_user[i] = -1;
        if (tp_soup_store_init(&s->store[i], s->cfg.store_bytes, s->cfg.store_msgs) != 0)
            return -1;
    }
    for (int i = 0; i < s->n_conns; i++) {
        if (tp_soup_io_init(&s->conns[i].io, 1 << 16, 1 << 20, s->cfg.max_payload) != 0)
            return -1;
        s->conns[i].user = -1;
    }
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(cfg->port)};
    if (inet_pton(AF_INET, cfg->bind_addr[0] ? cfg->bind_addr : "0.0.0.0", &sa.sin_addr) != 1) {
        errno = EINVAL;
        return -1;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 16) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    s->lfd = fd;
    return 0;
}

uint16_t tp_soup_server_port(const tp_soup_server *s)
{
    struct sockaddr_in sa;
    socklen_t l = sizeof sa;
    if (getsockname(s->lfd, (struct sockaddr *)&sa, &l) != 0)
        return 0;
    return ntohs(sa.sin_port);
}

void tp_soup_server_free(tp_soup_server *s)
{
    for (int i = 0; i < s->n_conns; i++)
        tp_soup_io_free(&s->conns[i].io);
    free(s->conns);
    s->conns = NULL;
    s->n_conns = 0;
    for (int i = 0; i < s->n_users; i++)
        tp_soup_store_free(&s->store[i]);
    if (s->lfd >= 0)
        close(s->lfd);
    s->lfd = -1;
}

static void conn_close(tp_soup_server *s, int ci)
{
    tp_soup_srv_conn *c = &s->conns[ci];
    int user = c->up ? c->user : -1;
    tp_soup_io_close(&c->io);
    if (user >= 0 && s->conn_of_user[user] == ci)
        s->conn_of_user[user] = -1;
    c->user = -1;
    c->up = 0;
    if (user >= 0 && s->cb.on_close)
        s->cb.on_close(s->cb.ctx, user);
}

/* Send stored messages from the connection's cursor while the send buffer has room. */
static int pump(tp_soup_server *s, tp_soup_srv_conn *c, uint64_t now)
{
    const tp_soup_store *st = &s->store[c->user];
    while (c->next <= st->count) {
        size_t len;
        const uint8_t *m = tp_soup_store_get(st, c->next, &len);
        if (tp_soup_io_room(&c->io) < len + 3 + 64)
            break;
        uint8_t buf[3 + 2048];
        size_t n = tp_soup_enc(buf, sizeof buf, TP_SOUP_SEQUENCED, m, len);
        if (!n || tp_soup_io_send(&c->io, buf, n, now) != 0)
            return -1;
        c->next++;
        s->st.seq_tx++;
    }
    return 0;
}

static void handle_login(tp_soup_server *s, int ci, const tp_soup_pkt *p, uint64_t now)
{
    tp_soup_srv_conn *c = &s->conns[ci];
    tp_soup_login l;
    uint8_t buf[64];
    size_t n;
    int user = -1;
    if (tp_soup_dec_login_request(p->payload, &l) != 0) {
        s->st.framing_errors++;
        conn_close(s, ci);
        return;
    }
    if (tp_backoff_left(&s->backoff, c->peer, now)) {
        /* unchecked, unanswered: Login Rejected would be final for the client */
        memset(&l.password, 0, sizeof l.password);
        s->st.login_backoff_refusals++;
        conn_close(s, ci);
        return;
    }
    for (int i = 0; i < s->n_users; i++) {
        char u[TP_SOUP_USER_LEN], pw[TP_SOUP_PASS_LEN];
        memset(u, ' ', sizeof u);
        memset(pw, ' ', sizeof pw);
        memcpy(u, s->creds[i].username, strlen(s->creds[i].username));
        memcpy(pw, s->creds[i].password, strlen(s->creds[i].password));
        int ok = ct_equal(u, l.username, sizeof u) & ct_equal(pw, l.password, sizeof pw);
        if (ok)
            user = i;
    }
    memset(&l.password, 0, sizeof l.password);
    uint8_t reason = 0;
    char sess[TP_SOUP_SESSION_LEN];
    memset(sess, ' ', sizeof sess);
    memcpy(sess, s->cfg.session, strnlen(s->cfg.session, TP_SOUP_SESSION_LEN));
    if (user < 0) {
        reason = TP_SOUP_REJ_NOT_AUTHORIZED;
        s->st.login_failures++;
        tp_backoff_fail(&s->backoff, c->peer, now);
    } else if (s->ended)
        reason = TP_SOUP_REJ_SESSION_UNAVAILABLE;
    else {
        int blank = 1;
        for (int i = 0; i < TP_SOUP_SESSION_LEN; i++)
            blank &= l.session[i] == ' ';
        if (!blank && memcmp(l.session, sess, sizeof sess) != 0)
            reason = TP_SOUP_REJ_SESSION_UNAVAILABLE;
    }
    if (reason) {
        s->st.login_rejects++;
        n = tp_soup_enc_login_rejected(buf, sizeof buf, reason);
        tp_soup_io_send(&c->io, buf, n, now);
        tp_soup_io_flush(&c->io);
        conn_close(s, ci);
        return;
    }
    /* A newer login of the same user replaces the old connection. */
    int old = s->conn_of_user[user];
    if (old >= 0 && old != ci) {
        s->st.kicked++;
        conn_close(s, old);
    }
    const tp_soup_store *st = &s->store[user];
    uint64_t next = l.sequence;
    if (next == 0 || next > st->count + 1)
        next = st->count + 1;
    c->user = user;
    c->up = 1;
    c->next = next;
    s->conn_of_user[user] = ci;
    s->st.logins++;
    if (next <= st->count)
        s->st.replayed += st->count - next + 1;
    n = tp_soup_enc_login_accepted(buf, sizeof buf, sess, next);
    if (tp_soup_io_send(&c->io, buf, n, now) != 0) {
        conn_close(s, ci);
        return;
    }
    if (s->cb.on_login)
        s->cb.on_login(s->cb.ctx, user);
    if (c->io.fd >= 0 && pump(s, c, now) != 0)
        conn_close(s, ci);
}

static void handle_pkt(tp_soup_server *s, int ci, const tp_soup_pkt *p, uint64_t now)
{
    tp_soup_srv_conn *c = &s->conns[ci];
    if (!c->up) {
        if (p->type == TP_SOUP_LOGIN_REQUEST) {
            handle_login(s, ci, p, now);
            return;
        }
        s->st.framing_errors++; /* anything but a login before login */
        conn_close(s, ci);
        return;
    }
    switch (p->type) {
    case TP_SOUP_UNSEQUENCED:
        s->st.unseq_rx++;
        s->cb.on_message(s->cb.ctx, c->user, p->payload, p->len, c->io.rx_ns, c->io.rx_kernel_ns);
        return;
    case TP_SOUP_CLIENT_HEARTBEAT:
        s->st.hb_rx++;
        return;
    case TP_SOUP_LOGOUT_REQUEST:
        s->st.logouts++;
        conn_close(s, ci);
        return;
    case TP_SOUP_DEBUG:
        return;
    default:
        s->st.framing_errors++;
        conn_close(s, ci);
        return;
    }
}

/* A slot for a new connection: a free one, else the oldest connection that has not logged in
 * (closed, counted), else -1 (every slot holds a session). */
static int take_slot(tp_soup_server *s)
{
    int victim = -1;
    for (int i = 0; i < s->n_conns; i++) {
        const tp_soup_srv_conn *c = &s->conns[i];
        if (c->io.fd < 0)
            return i;
        if (!c->up && (victim < 0 || c->accept_no < s->conns[victim].accept_no))
            victim = i;
    }
    if (victim >= 0) {
        s->st.evicted_unauthenticated++;
        conn_close(s, victim);
    }
    return victim;
}

static void accept_new(tp_soup_server *s, uint64_t now)
{
    for (;;) {
        struct sockaddr_in peer;
        socklen_t plen = sizeof peer;
        int fd = accept4(s->lfd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        int ci = s->ended ? -1 : take_slot(s);
        if (ci < 0) {
            s->st.refused_full++;
            close(fd);
            continue;
        }
        tp_soup_srv_conn *c = &s->conns[ci];
        s->st.accepts++;
        tp_soup_io_attach(&c->io, fd, now);
        if (tp_soup_io_rx_stamps(&c->io) != 0)
            s->st.rx_stamp_errors++;
        c->user = -1;
        c->up = 0;
        c->peer = plen >= sizeof peer && peer.sin_family == AF_INET ? ntohl(peer.sin_addr.s_addr)
                                                                     : 0;
        c->accepted_ns = now;
        c->accept_no = ++s->n_accepts;
    }
}

void tp_soup_server_poll(tp_soup_server *s, uint64_t now)
{
    accept_new(s, now);
    for (int ci = 0; ci < s->n_conns; ci++) {
        tp_soup_srv_conn *c = &s->conns[ci];
        if (c->io.fd < 0)
            continue;
        long r = tp_soup_io_read(&c->io);
        if (r < 0) {
            conn_close(s, ci);
            continue;
        }
        if (r > 0) {
            tp_soup_pkt p;
            int k = 0;
            while (c->io.fd >= 0 && (k = tp_soup_io_next(&c->io, &p)) == 1)
                handle_pkt(s, ci, &p, now);
            if (c->io.fd >= 0 && k < 0) {
                s->st.framing_errors++;
                conn_close(s, ci);
                continue;
            }
            if (c->io.fd < 0)
                continue;
        }
        if (c->up && pump(s, c, now) != 0) {
            s->st.overflow_drops++;
            conn_close(s, ci);
            continue;
        }
        if (tp_soup_io_flush(&c->io) != 0) {
            conn_close(s, ci);
            continue;
        }
        /* from accept, not from the last byte: trickling bytes does not extend it */
        if (!c->up && now >= c->accepted_ns &&
            now - c->accepted_ns >= (uint64_t)s->cfg.login_timeout_ms * MS) {
            s->st.login_timeouts++;
            conn_close(s, ci);
            continue;
        }
        uint64_t last_rx = c->io.last_rx_ns > now ? now : c->io.last_rx_ns;
        if (now - last_rx >= (uint64_t)s->cfg.dead_ms * MS) {
            s->st.dead_links++;
            conn_close(s, ci);
            continue;
        }
        if (c->up && s->cfg.hb_ms && now > c->io.last_tx_ns &&
            now - c->io.last_tx_ns >= (uint64_t)s->cfg.hb_ms * MS) {
            s->st.hb_tx++;
            if (tp_soup_io_send_pkt(&c->io, TP_SOUP_SERVER_HEARTBEAT, NULL, 0, now) != 0)
                conn_close(s, ci);
        }
    }
}

uint64_t tp_soup_server_send(tp_soup_server *s, int user, const void *msg, size_t len,
                             uint64_t now)
{
    if (user < 0 || user >= s->n_users)
        return 0;
    uint64_t seq = tp_soup_store_add(&s->store[user], msg, len);
    int ci = s->conn_of_user[user];
    if (ci >= 0 && pump(s, &s->conns[ci], now) != 0) {
        s->st.overflow_drops++;
        conn_close(s, ci);
    }
    return seq;
}

void tp_soup_server_drop_all(tp_soup_server *s)
{
    for (int ci = 0; ci < s->n_conns; ci++)
        if (s->conns[ci].io.fd >= 0)
            conn_close(s, ci);
}

void tp_soup_server_end(tp_soup_server *s, uint64_t now)
{
    for (int ci = 0; ci < s->n_conns; ci++) {
        tp_soup_srv_conn *c = &s->conns[ci];
        if (c->io.fd < 0)
            continue;
        if (c->up) {
            pump(s, c, now);
            tp_soup_io_send_pkt(&c->io, TP_SOUP_END_OF_SESSION, NULL, 0, now);
            for (int i = 0; i < 100 && tp_soup_io_pending(&c->io); i++) {
                if (tp_soup_io_flush(&c->io) != 0)
                    break;
                usleep(1000);
            }
        }
        conn_close(s, ci);
    }
    s->ended = 1;
}
