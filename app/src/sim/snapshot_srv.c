#define _GNU_SOURCE
#include "sim/snapshot_srv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "itch/encode.h"
#include "soup/soup.h"

int snapshot_srv_init(snapshot_srv *s, const char *bind_addr, uint16_t port)
{
    memset(s, 0, sizeof *s);
    s->lfd = -1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    if (inet_pton(AF_INET, *bind_addr ? bind_addr : "0.0.0.0", &sa.sin_addr) != 1)
        return -1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 8) != 0) {
        close(fd);
        return -1;
    }
    s->lfd = fd;
    return 0;
}

void snapshot_srv_close(snapshot_srv *s)
{
    if (s->lfd >= 0)
        close(s->lfd);
    s->lfd = -1;
}

typedef struct {
    int fd;
    uint8_t buf[1 << 16];
    size_t n;
    int err;
} wbuf;

static void wflush(wbuf *w)
{
    size_t off = 0;
    while (!w->err && off < w->n) {
        ssize_t k = send(w->fd, w->buf + off, w->n - off, MSG_NOSIGNAL);
        if (k <= 0)
            w->err = 1;
        else
            off += (size_t)k;
    }
    w->n = 0;
}

static void wpkt(wbuf *w, uint8_t type, const uint8_t *pl, size_t len)
{
    if (w->n + len + 3 > sizeof w->buf)
        wflush(w);
    w->n += tp_soup_enc(w->buf + w->n, sizeof w->buf - w->n, type, pl, len);
}

static void serve(snapshot_srv *s, venue *v, int fd)
{
    struct timeval tv = {.tv_sec = 2};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    uint8_t req[64];
    size_t have = 0;
    while (have < 2 + TP_SOUP_LOGIN_REQ_LEN) {
        ssize_t k = recv(fd, req + have, 2 + TP_SOUP_LOGIN_REQ_LEN - have, 0);
        if (k <= 0) {
            s->failed++;
            return;
        }
        have += (size_t)k;
    }
    tp_soup_pkt p;
    size_t used;
    if (tp_soup_parse(req, have, 64, &p, &used) != TP_SOUP_OK || p.type != TP_SOUP_LOGIN_REQUEST) {
        s->failed++;
        return;
    }
    itch_out_flush(&v->out); /* everything up to next_seq - 1 is published and in the book */
    static wbuf w;
    w.fd = fd;
    w.n = 0;
    w.err = 0;
    uint8_t acc[64];
    char sess[10];
    memcpy(sess, v->out.session, 10);
    size_t an = tp_soup_enc_login_accepted(acc, sizeof acc, sess, 1);
    memcpy(w.buf, acc, an);
    w.n = an;
    uint8_t m[TP_ITCH_MAX_MSG_LEN];
    for (uint32_t b = 0; b < v->me.n_books; b++) {
        const me_book *bk = &v->me.books[b];
        char name[9];
        memcpy(name, bk->name, 8);
        name[8] = 0;
        for (int k = 7; k >= 0 && name[k] == ' '; k--)
            name[k] = 0;
        wpkt(&w, 'S', m, tp_enc_stock_directory(m, bk->locate, 0, name));
    }
    for (uint32_t b = 0; b < v->me.n_books; b++) {
        const me_book *bk = &v->me.books[b];
        for (int side = 0; side < 2; side++) {
            const me_side *sd = &bk->side[side];
            for (int i = (int)sd->n - 1; i >= 0; i--)
                for (uint32_t oi = sd->lv[i].head; oi != ME_NIL; oi = v->me.orders[oi].next) {
                    const me_order *o = &v->me.orders[oi];
                    if (o->hidden)
                        continue;
                    wpkt(&w, 'S', m, tp_enc_add(m, bk->locate, 0, o->ref, side ? 'S' : 'B',
                                                o->shares, (const uint8_t *)bk->name, o->price,
                                                NULL));
                }
        }
    }
    uint8_t g[21];
    g[0] = 'G';
    tp_soup_put_num(g + 1, v->out.next_seq, 20);
    wpkt(&w, 'S', g, sizeof g);
    wflush(&w);
    if (w.err)
        s->failed++;
    else
        s->served++;
}

void snapshot_srv_poll(snapshot_srv *s, venue *v)
{
    if (s->lfd < 0)
        return;
    int fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0)
        return;
    int fl = 0;
    (void)fl;
    serve(s, v, fd);
    shutdown(fd, SHUT_WR);
    close(fd);
}
