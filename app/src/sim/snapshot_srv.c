/* Snapshot service: non-blocking connections driven from the exchange's loop. */
#define _GNU_SOURCE
#include "sim/snapshot_srv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "itch/encode.h"
#include "soup/soup.h"

#define MS 1000000ull
#define ACCEPTS_PER_POLL 64 /* a connect flood cannot keep one pass accepting */

/* Packet sizes on the wire: Length(2) Type(1) Payload. */
#define PKT_ACCEPTED (2 + TP_SOUP_LOGIN_ACC_LEN)
#define PKT_R (3 + 39)
#define PKT_A (3 + 36)
#define PKT_G (3 + 21)
#define PKT_Z 3

size_t snapshot_srv_bytes_for(uint32_t n_symbols, uint64_t n_orders)
{
    return PKT_ACCEPTED + (size_t)n_symbols * PKT_R + (size_t)n_orders * PKT_A + PKT_G + PKT_Z;
}

size_t snapshot_srv_render(const snapshot_src *src, uint8_t *buf, size_t cap)
{
    const me_engine *me = src->me;
    size_t n = tp_soup_enc_login_accepted(buf, cap, (const char *)src->session, src->next_seq);
    if (!n)
        return 0;
    uint8_t m[TP_ITCH_MAX_MSG_LEN];
    for (uint32_t b = 0; b < me->n_books; b++) {
        const me_book *bk = &me->books[b];
        char name[9];
        memcpy(name, bk->name, 8);
        name[8] = 0;
        for (int k = 7; k >= 0 && name[k] == ' '; k--)
            name[k] = 0;
        size_t k = tp_soup_enc(buf + n, cap - n, TP_SOUP_SEQUENCED, m,
                               tp_enc_stock_directory(m, bk->locate, 0, name));
        if (!k)
            return 0;
        n += k;
        for (int side = 0; side < 2; side++) {
            const me_side *sd = &bk->side[side];
            for (int i = (int)sd->n - 1; i >= 0; i--) /* best price is last */
                for (uint32_t oi = sd->lv[i].head; oi != ME_NIL; oi = me->orders[oi].next) {
                    const me_order *o = &me->orders[oi];
                    if (o->hidden)
                        continue;
                    size_t ml = tp_enc_add(m, bk->locate, 0, o->ref, side ? 'S' : 'B', o->shares,
                                           (const uint8_t *)bk->name, o->price, NULL);
                    if (!(k = tp_soup_enc(buf + n, cap - n, TP_SOUP_SEQUENCED, m, ml)))
                        return 0;
                    n += k;
                }
        }
    }
    uint8_t g[21];
    g[0] = 'G';
    tp_soup_put_num(g + 1, src->next_seq, 20);
    size_t k = tp_soup_enc(buf + n, cap - n, TP_SOUP_SEQUENCED, g, sizeof g);
    if (!k)
        return 0;
    n += k;
    if (!(k = tp_soup_enc(buf + n, cap - n, TP_SOUP_END_OF_SESSION, NULL, 0)))
        return 0;
    return n + k;
}

int snapshot_srv_init(snapshot_srv *s, const snapshot_srv_cfg *cfg)
{
    memset(s, 0, sizeof *s);
    s->lfd = -1;
    s->cfg = *cfg;
    if (!cfg->max_conns || cfg->max_conns > SNAPSHOT_SRV_MAX_CONNS ||
        cfg->buf_bytes < snapshot_srv_bytes_for(0, 0) || !cfg->pass_bytes) {
        errno = EINVAL;
        return -1;
    }
    s->conns = calloc(cfg->max_conns, sizeof *s->conns);
    s->bufs = calloc(cfg->max_conns, cfg->buf_bytes);
    if (!s->conns || !s->bufs) {
        snapshot_srv_close(s);
        errno = ENOMEM;
        return -1;
    }
    for (uint32_t i = 0; i < cfg->max_conns; i++) {
        s->conns[i].fd = -1;
        s->conns[i].buf = s->bufs + (size_t)i * cfg->buf_bytes;
    }
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(cfg->port)};
    if (inet_pton(AF_INET, cfg->bind_addr[0] ? cfg->bind_addr : "0.0.0.0", &sa.sin_addr) != 1) {
        snapshot_srv_close(s);
        errno = EINVAL;
        return -1;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        int e = errno;
        snapshot_srv_close(s);
        errno = e;
        return -1;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 16) != 0) {
        int e = errno;
        close(fd);
        snapshot_srv_close(s);
        errno = e;
        return -1;
    }
    s->lfd = fd;
    return 0;
}

uint16_t snapshot_srv_port(const snapshot_srv *s)
{
    struct sockaddr_in sa;
    socklen_t l = sizeof sa;
    if (s->lfd < 0 || getsockname(s->lfd, (struct sockaddr *)&sa, &l) != 0)
        return 0;
    return ntohs(sa.sin_port);
}

static void slot_free(snapshot_conn *c)
{
    c->fd = -1;
    c->sending = 0;
    c->reject = 0;
    c->rx_n = 0;
    c->len = c->off = 0;
}

/* A connection given up on: reset, so the kernel drops what it still holds for it at once. */
static void conn_drop(snapshot_conn *c)
{
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(c->fd);
    slot_free(c);
}

/* The answer is wholly with the kernel: a normal close, which sends it before the FIN.
 * Unread input would turn the close into a reset that discards it: read it away first. */
static void conn_finish(snapshot_conn *c)
{
    uint8_t junk[256];
    for (int i = 0; i < 16 && recv(c->fd, junk, sizeof junk, MSG_DONTWAIT) > 0; i++)
        ;
    shutdown(c->fd, SHUT_WR);
    close(c->fd);
    slot_free(c);
}

/* A slot for a new connection: a free one, else the oldest one still waiting for its login
 * (reset, counted), else -1 (every slot is sending a snapshot). */
static snapshot_conn *take_slot(snapshot_srv *s)
{
    snapshot_conn *victim = NULL;
    for (uint32_t i = 0; i < s->cfg.max_conns; i++) {
        snapshot_conn *c = &s->conns[i];
        if (c->fd < 0)
            return c;
        if (!c->sending && (!victim || c->accept_no < victim->accept_no))
            victim = c;
    }
    if (victim) {
        s->st.evicted++;
        conn_drop(victim);
    }
    return victim;
}

static void accept_new(snapshot_srv *s, uint64_t now)
{
    for (int i = 0; i < ACCEPTS_PER_POLL; i++) {
        int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        snapshot_conn *c = take_slot(s);
        if (!c) {
            s->st.refused_full++;
            struct linger lg = {.l_onoff = 1, .l_linger = 0};
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
            close(fd);
            continue;
        }
        /* the snapshot waits in our buffer; the kernel holds at most a pass's worth more */
        int sndbuf = s->cfg.pass_bytes > (size_t)INT32_MAX / 2 ? INT32_MAX / 2
                                                               : (int)s->cfg.pass_bytes;
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
        slot_free(c);
        c->fd = fd;
        c->accepted_ns = now;
        c->accept_no = ++s->n_accepts;
        s->st.accepted++;
    }
}

/* Queue a Login Rejected as the connection's whole answer. */
static void reject(snapshot_srv *s, snapshot_conn *c, uint8_t reason, uint64_t now)
{
    c->len = tp_soup_enc_login_rejected(c->buf, s->cfg.buf_bytes, reason);
    c->off = 0;
    c->sending = 1;
    c->reject = 1;
    c->login_ns = now;
}

static void read_login(snapshot_srv *s, snapshot_conn *c, const snapshot_src *src, uint64_t now)
{
    ssize_t k = recv(c->fd, c->rx + c->rx_n, sizeof c->rx - c->rx_n, MSG_DONTWAIT);
    if (k == 0 || (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        s->st.disconnects++;
        conn_drop(c);
        return;
    }
    if (k < 0)
        return;
    c->rx_n = (uint16_t)(c->rx_n + k);
    tp_soup_pkt p;
    size_t used;
    /* a packet that cannot fit rx is an error here, never a wait for more */
    tp_soup_status r = tp_soup_parse(c->rx, c->rx_n, sizeof c->rx - 3, &p, &used);
    if (r == TP_SOUP_MORE)
        return;
    if (r != TP_SOUP_OK || p.type != TP_SOUP_LOGIN_REQUEST) {
        s->st.bad_logins++;
        reject(s, c, TP_SOUP_REJ_NOT_AUTHORIZED, now);
        return;
    }
    /* now, not later: the book after exactly messages 1..next_seq-1 */
    size_t n = snapshot_srv_render(src, c->buf, s->cfg.buf_bytes);
    if (!n) {
        s->st.too_large++;
        reject(s, c, TP_SOUP_REJ_SESSION_UNAVAILABLE, now);
        return;
    }
    c->len = n;
    c->off = 0;
    c->sending = 1;
    c->reject = 0;
    c->login_ns = now;
}

static void drain(snapshot_srv *s, snapshot_conn *c)
{
    size_t budget = s->cfg.pass_bytes;
    while (c->off < c->len && budget) {
        size_t want = c->len - c->off < budget ? c->len - c->off : budget;
        ssize_t k = send(c->fd, c->buf + c->off, want, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (k < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                return;
            s->st.disconnects++;
            conn_drop(c);
            return;
        }
        c->off += (size_t)k;
        budget -= (size_t)k;
        s->st.bytes += (uint64_t)k;
    }
    if (c->off == c->len) {
        if (!c->reject)
            s->st.served++;
        conn_finish(c);
    }
}

static int expired(uint64_t since, uint64_t now, uint32_t ms)
{
    return now >= since && now - since >= (uint64_t)ms * MS;
}

void snapshot_srv_poll(snapshot_srv *s, const snapshot_src *src, uint64_t now)
{
    if (s->lfd < 0)
        return;
    accept_new(s, now);
    for (uint32_t i = 0; i < s->cfg.max_conns; i++) {
        snapshot_conn *c = &s->conns[i];
        if (c->fd >= 0 && !c->sending) {
            read_login(s, c, src, now);
            /* from the accept, not from the last byte: trickling does not extend it */
            if (c->fd >= 0 && !c->sending && expired(c->accepted_ns, now, s->cfg.login_timeout_ms)) {
                s->st.login_timeouts++;
                conn_drop(c);
            }
        }
        if (c->fd >= 0 && c->sending) {
            drain(s, c);
            if (c->fd >= 0 && expired(c->login_ns, now, s->cfg.send_timeout_ms)) {
                s->st.send_timeouts++;
                conn_drop(c);
            }
        }
    }
}

int snapshot_srv_pollfds(const snapshot_srv *s, struct pollfd *pf, int cap)
{
    int n = 0;
    if (s->lfd < 0 || cap < 1)
        return 0;
    pf[n++] = (struct pollfd){.fd = s->lfd, .events = POLLIN};
    for (uint32_t i = 0; i < s->cfg.max_conns && n < cap; i++) {
        const snapshot_conn *c = &s->conns[i];
        if (c->fd >= 0)
            pf[n++] = (struct pollfd){.fd = c->fd, .events = c->sending ? POLLOUT : POLLIN};
    }
    return n;
}

void snapshot_srv_write_json(const snapshot_srv *s, FILE *f)
{
    const snapshot_srv_stats *st = &s->st;
    uint32_t active = 0;
    for (uint32_t i = 0; s->conns && i < s->cfg.max_conns; i++)
        active += s->conns[i].fd >= 0;
    fprintf(f, "{\"enabled\": %s, \"max_conns\": %u, \"buffer_bytes\": %llu, \"active\": %u, "
            "\"accepted\": %llu, \"served\": %llu, \"login_timeouts\": %llu, \"evicted\": %llu, "
            "\"refused_full\": %llu, \"send_timeouts\": %llu, \"too_large\": %llu, "
            "\"bad_logins\": %llu, \"disconnects\": %llu, \"bytes\": %llu}",
            s->lfd >= 0 ? "true" : "false", s->cfg.max_conns,
            (unsigned long long)s->cfg.buf_bytes, active, (unsigned long long)st->accepted,
            (unsigned long long)st->served, (unsigned long long)st->login_timeouts,
            (unsigned long long)st->evicted, (unsigned long long)st->refused_full,
            (unsigned long long)st->send_timeouts, (unsigned long long)st->too_large,
            (unsigned long long)st->bad_logins, (unsigned long long)st->disconnects,
            (unsigned long long)st->bytes);
}

void snapshot_srv_close(snapshot_srv *s)
{
    for (uint32_t i = 0; s->conns && i < s->cfg.max_conns; i++)
        if (s->conns[i].fd >= 0)
            conn_drop(&s->conns[i]);
    free(s->conns);
    free(s->bufs);
    s->conns = NULL;
    s->bufs = NULL;
    if (s->lfd >= 0)
        close(s->lfd);
    s->lfd = -1;
}
