/* A scripted SoupBinTCP exchange for the client's unit tests: a loopback listener whose test
 * accepts each connection of the client, checks its Login Request and answers with exactly
 * the packets it chooses (a restarted exchange, a reset, a foreign session name). One thread:
 * while the script waits, it polls the side under test through poll(ctx). The including file
 * defines _GNU_SOURCE first (accept4). */
#ifndef TP_TESTS_GW_SOUP_SCRIPT_H
#define TP_TESTS_GW_SOUP_SCRIPT_H

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "soup/rtclock.h"
#include "soup/soup.h"
#include "check.h"

#define SC_MS 1000000ull

typedef struct {
    int lfd, fd;
    void (*poll)(void *ctx);
    void *ctx;
    uint8_t rx[4096]; /* bytes from the client not yet taken by sc_read */
    size_t rx_len;
} script;

/* Poll the side under test until cond holds or 2 s pass (the CHECK after it tells which):
 * a wait on what must happen, never a timing assertion. */
#define RUN_UNTIL(s, cond)                                                                 \
    do {                                                                                   \
        uint64_t end_ = tp_rt_now_ns() + 2000 * SC_MS;                                     \
        while (!(cond) && tp_rt_now_ns() < end_) {                                         \
            (s)->poll((s)->ctx);                                                           \
            usleep(200);                                                                   \
        }                                                                                  \
    } while (0)

/* Poll the side under test for ms milliseconds (before checking that something did NOT
 * happen). */
static inline void run(script *s, int ms)
{
    uint64_t end = tp_rt_now_ns() + (uint64_t)ms * SC_MS;
    while (tp_rt_now_ns() < end) {
        s->poll(s->ctx);
        usleep(200);
    }
}

static inline uint16_t sc_listen(script *s, void (*poll)(void *), void *ctx)
{
    memset(s, 0, sizeof *s);
    s->poll = poll;
    s->ctx = ctx;
    s->fd = -1;
    s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CHECK(bind(s->lfd, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(s->lfd, 4) == 0);
    socklen_t l = sizeof sa;
    getsockname(s->lfd, (struct sockaddr *)&sa, &l);
    return ntohs(sa.sin_port);
}

/* Read from the client until rx holds want bytes (polling it meanwhile); 0, or -1 on EOF or
 * after 2 s. */
static inline int sc_fill(script *s, size_t want)
{
    uint64_t end = tp_rt_now_ns() + 2000 * SC_MS;
    while (s->fd >= 0 && s->rx_len < want && tp_rt_now_ns() < end) {
        s->poll(s->ctx);
        ssize_t n = recv(s->fd, s->rx + s->rx_len, sizeof s->rx - s->rx_len, 0);
        if (n > 0)
            s->rx_len += (size_t)n;
        else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
            return -1;
        else
            usleep(200);
    }
    return s->rx_len >= want ? 0 : -1;
}

/* The client's next packet: its type, payload copied to pl (up to cap bytes); -1 if none. */
static inline int sc_read(script *s, uint8_t *pl, size_t cap, size_t *len)
{
    if (sc_fill(s, 3) != 0)
        return -1;
    size_t total = 2 + ((size_t)s->rx[0] << 8 | s->rx[1]);
    if (total < 3 || total > sizeof s->rx || sc_fill(s, total) != 0)
        return -1;
    int type = s->rx[2];
    *len = total - 3 < cap ? total - 3 : cap;
    memcpy(pl, s->rx + 3, *len);
    memmove(s->rx, s->rx + total, s->rx_len - total);
    s->rx_len -= total;
    return type;
}

/* Accept the client's next connection and read its Login Request. Returns 0, or -1. */
static inline int sc_login(script *s, tp_soup_login *out)
{
    uint64_t end = tp_rt_now_ns() + 2000 * SC_MS;
    while (s->fd < 0 && tp_rt_now_ns() < end) {
        s->poll(s->ctx);
        s->fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (s->fd < 0)
            usleep(200);
    }
    s->rx_len = 0;
    uint8_t pl[64];
    size_t len;
    if (sc_read(s, pl, sizeof pl, &len) != TP_SOUP_LOGIN_REQUEST ||
        len != TP_SOUP_LOGIN_REQ_LEN - 1 || tp_soup_dec_login_request(pl, out) != 0) {
        fprintf(stderr, "no login request\n");
        return -1;
    }
    return 0;
}

/* The Login Request asked for session (NULL = blank) and sequence seq. */
static inline int asked(const tp_soup_login *l, const char *session, uint64_t seq)
{
    char want[TP_SOUP_SESSION_LEN];
    memset(want, ' ', sizeof want);
    if (session)
        memcpy(want, session, strlen(session));
    int ok = memcmp(l->session, want, sizeof want) == 0 && l->sequence == seq;
    if (!ok)
        fprintf(stderr, "login asked '%.10s' %llu, expected '%.10s' %llu\n", l->session,
                (unsigned long long)l->sequence, want, (unsigned long long)seq);
    return ok;
}

static inline void sc_send(script *s, const uint8_t *b, size_t n)
{
    CHECK(send(s->fd, b, n, MSG_NOSIGNAL) == (ssize_t)n);
}

static inline void sc_accepted(script *s, const char *session, uint64_t seq)
{
    uint8_t b[64];
    char sess[TP_SOUP_SESSION_LEN];
    memset(sess, ' ', sizeof sess);
    memcpy(sess, session, strlen(session));
    sc_send(s, b, tp_soup_enc_login_accepted(b, sizeof b, sess, seq));
}

static inline void sc_rejected(script *s, uint8_t reason)
{
    uint8_t b[8];
    sc_send(s, b, tp_soup_enc_login_rejected(b, sizeof b, reason));
}

/* One Sequenced Data packet carrying msg. */
static inline void sc_seq_msg(script *s, const void *msg, size_t len)
{
    uint8_t b[512];
    sc_send(s, b, tp_soup_enc(b, sizeof b, TP_SOUP_SEQUENCED, msg, len));
}

static inline void sc_close(script *s)
{
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
}

static inline void sc_free(script *s)
{
    sc_close(s);
    close(s->lfd);
}

#endif
