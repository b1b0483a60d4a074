/* The simulator's snapshot service: what a snapshot holds (rebuilt with the feed handler's
 * book code it is the engine's book, levels and queues), that it is the book at the moment
 * of the login however long the client takes, and the clients that must not hold the
 * exchange: idle or trickling (login deadline), too many (eviction, refusal), not reading
 * (send deadline), a book too large for the buffer, a bad first packet. Real sockets on
 * loopback, one thread: the test polls the server as the simulator's loop does. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "book/book.h"
#include "book/book_json.h"
#include "common/endian.h"
#include "sim/snapshot_srv.h"
#include "soup/rtclock.h"
#include "soup/soup.h"
#include "check.h"

#define SESSION "SNAPTEST01"

static void no_add(void *c, const me_order *o) { (void)c; (void)o; }
static void no_exec(void *c, const me_order *r, uint32_t q, uint64_t m, int ao, uint32_t at,
                    uint8_t as)
{
    (void)c; (void)r; (void)q; (void)m; (void)ao; (void)at; (void)as;
}
static void no_cancel(void *c, const me_order *o, uint32_t q, int d) { (void)c; (void)o; (void)q; (void)d; }
static void no_replace(void *c, uint64_t old, const me_order *o) { (void)c; (void)old; (void)o; }

static me_engine eng;

/* Two symbols: several orders per level (time priority), a partly executed order, a hidden
 * order (not in the snapshot), and n_more plain orders spread over AAPL's levels. */
static void book_setup(uint32_t n_more)
{
    me_callbacks cb = {no_add, no_exec, no_cancel, no_replace, NULL};
    me_free(&eng);
    memset(&eng, 0, sizeof eng);
    CHECK(me_init(&eng, 1u << 16, 256, &cb) == 0);
    CHECK(me_add_symbol(&eng, "AAPL") == 0);
    CHECK(me_add_symbol(&eng, "MSFT") == 1);
    me_submit(&eng, 0, 0, 100, 1000000, 0, 0, -1, 0);
    me_submit(&eng, 0, 0, 200, 1000000, 0, 0, -1, 0);
    me_submit(&eng, 0, 0, 300, 999900, 0, 0, -1, 0);
    me_submit(&eng, 0, 1, 400, 1000100, 0, 0, -1, 0);
    me_submit(&eng, 0, 1, 500, 1000100, 0, 1, -1, 0); /* hidden */
    me_submit(&eng, 0, 1, 600, 1000200, 0, 0, -1, 0);
    me_submit(&eng, 0, 0, 150, 1000100, 0, 0, -1, 0); /* takes 150 of the 400 */
    me_submit(&eng, 1, 1, 700, 4200000, 0, 0, -1, 0);
    for (uint32_t i = 0; i < n_more; i++)
        me_submit(&eng, 0, i & 1, 100 + i, (i & 1) ? 1010000 + 100 * (i % 50)
                                                   : 990000 - 100 * (i % 50), 0, 0, -1, 0);
}

static const uint8_t *sess(void) { return (const uint8_t *)SESSION; }

/* The two JSON writers lay the same document out differently: compare without blanks. */
static char *squash(char *s)
{
    char *w = s;
    for (const char *r = s; *r; r++)
        if (*r != ' ' && *r != '\n')
            *w++ = *r;
    *w = 0;
    return s;
}

static char *engine_json(void)
{
    char *s = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&s, &n);
    me_write_json(&eng, f);
    fclose(f);
    return squash(s);
}

/* A snapshot's bytes checked packet by packet and applied to a fresh book, whose JSON is
 * returned (NULL if the framing is wrong). *next: the sequence 'A' and 'G' both name. */
static char *rebuild(const uint8_t *p, size_t n, uint64_t *next, tp_book **out)
{
    tp_book_cfg bc = {.max_orders = 1u << 16, .max_levels = 4096};
    tp_book *b = tp_book_init(&bc);
    size_t off = 0;
    int k = 0, saw_g = 0, saw_z = 0;
    uint64_t acc_seq = 0;
    uint16_t last_locate = 0;
    while (off + 3 <= n) {
        size_t len = tp_be16(p + off);
        uint8_t type = p[off + 2];
        const uint8_t *pl = p + off + 3;
        CHECK(off + 2 + len <= n);
        if (off + 2 + len > n)
            return NULL;
        if (k == 0) {
            char s[10];
            CHECK_EQ(type, 'A');
            CHECK(tp_soup_dec_login_accepted(pl, s, &acc_seq) == 0);
            CHECK(memcmp(s, SESSION, 10) == 0);
        } else if (type == 'S' && pl[0] == 'G') {
            CHECK_EQ(len, 22);
            CHECK(tp_soup_get_num(pl + 1, 20, next) == 0);
            saw_g = 1;
        } else if (type == 'S') {
            CHECK(!saw_g);
            uint16_t loc = tp_be16(pl + 1);
            if (pl[0] == 'R') { /* one per symbol, in locate order, before its orders */
                CHECK(loc > last_locate);
                last_locate = loc;
            } else {
                CHECK_EQ(pl[0], 'A');
                CHECK_EQ(loc, last_locate);
            }
            CHECK(tp_book_apply(b, pl, len - 1) < TP_APPLY_ERRORS);
        } else {
            CHECK_EQ(type, 'Z');
            CHECK(saw_g);
            saw_z = 1;
        }
        off += 2 + len;
        k++;
    }
    CHECK_EQ(off, n);
    CHECK(saw_z);
    CHECK_EQ(acc_seq, *next);
    char *s = NULL;
    size_t sn = 0;
    FILE *f = open_memstream(&s, &sn);
    tp_book_write_json(b, f, NULL, 0);
    fclose(f);
    squash(s);
    if (out)
        *out = b;
    else
        tp_book_free(b);
    return s;
}

static void test_render(void)
{
    book_setup(0);
    static uint8_t buf[1 << 16];
    snapshot_src src = {&eng, sess(), 4242};
    size_t n = snapshot_srv_render(&src, buf, sizeof buf);
    CHECK(n > 0);
    CHECK(n <= snapshot_srv_bytes_for(eng.n_books, eng.live));
    uint64_t next = 0;
    tp_book *b = NULL;
    char *got = rebuild(buf, n, &next, &b);
    char *want = engine_json();
    CHECK_EQ(next, 4242);
    CHECK(got && strcmp(got, want) == 0);
    /* queues in time priority with the live references: 100 then 200 at 100.00 */
    uint64_t refs[4];
    CHECK_EQ(tp_book_level_orders(b, 1, TP_BID, 0, refs, 4), 2);
    CHECK_EQ(refs[0], 1);
    CHECK_EQ(refs[1], 2);
    tp_order_info oi;
    CHECK(tp_book_find_order(b, 4, &oi) && oi.shares == 250); /* after the 150 executed */
    CHECK(!tp_book_find_order(b, 5, &oi));                      /* hidden */
    tp_book_free(b);
    free(got);
    free(want);
    /* one byte short of the whole answer: refused, never a cut snapshot */
    CHECK_EQ(snapshot_srv_render(&src, buf, n - 1), 0);
    CHECK_EQ(snapshot_srv_render(&src, buf, n), n);
}

/* --- the server -------------------------------------------------------------------------- */

static snapshot_srv srv;

static void srv_start(uint32_t conns, uint32_t login_ms, uint32_t send_ms, size_t buf,
                      size_t pass)
{
    snapshot_srv_cfg c = {.bind_addr = "127.0.0.1", .max_conns = conns,
                          .login_timeout_ms = login_ms, .send_timeout_ms = send_ms,
                          .buf_bytes = buf, .pass_bytes = pass};
    CHECK(snapshot_srv_init(&srv, &c) == 0);
}

static snapshot_src src_now;

static void pump(int ms)
{
    uint64_t end = tp_rt_now_ns() + (uint64_t)ms * 1000000ull;
    do {
        snapshot_srv_poll(&srv, &src_now, tp_rt_now_ns());
        usleep(200);
    } while (tp_rt_now_ns() < end);
}

static int cli(int rcvbuf)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(snapshot_srv_port(&srv))};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (rcvbuf)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    CHECK(fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0);
    return fd;
}

static void send_login(int fd)
{
    tp_soup_login l;
    memset(&l, ' ', sizeof l);
    memcpy(l.session, SESSION, 10);
    l.sequence = 0;
    uint8_t b[64];
    size_t n = tp_soup_enc_login_request(b, sizeof b, &l);
    CHECK(send(fd, b, n, MSG_NOSIGNAL) == (ssize_t)n);
}

/* Read what the server sends until it closes (pumping it meanwhile); -1 on a reset. */
static ssize_t read_all(int fd, uint8_t *out, size_t cap, int ms)
{
    size_t n = 0;
    uint64_t end = tp_rt_now_ns() + (uint64_t)ms * 1000000ull;
    while (tp_rt_now_ns() < end) {
        snapshot_srv_poll(&srv, &src_now, tp_rt_now_ns());
        ssize_t k = recv(fd, out + n, cap - n, MSG_DONTWAIT);
        if (k == 0)
            return (ssize_t)n;
        if (k < 0 && errno == ECONNRESET)
            return -1;
        if (k > 0)
            n += (size_t)k;
        else
            usleep(200);
    }
    return -2; /* still open */
}

/* 'E' closed (EOF or reset), 0 open and silent. */
static int closed(int fd)
{
    uint8_t b[256];
    ssize_t k;
    while ((k = recv(fd, b, sizeof b, MSG_DONTWAIT)) > 0)
        ;
    return k == 0 || (k < 0 && errno == ECONNRESET) ? 'E' : 0;
}

static void test_served_is_the_book_at_login(void)
{
    book_setup(1000); /* ~40 KB */
    srv_start(2, 1000, 5000, 1 << 20, 1024);
    src_now = (snapshot_src){&eng, sess(), 777};
    char *at_login = engine_json();
    int fd = cli(2048); /* a slow window: the snapshot drains over many passes */
    send_login(fd);
    pump(5);
    CHECK_EQ(srv.st.accepted, 1);
    CHECK(srv.conns[0].sending);
    /* the exchange trades on while the client reads */
    me_submit(&eng, 0, 0, 5000, 2000000, 0, 0, -1, 0); /* sweeps AAPL's asks */
    me_submit(&eng, 1, 0, 100, 4100000, 0, 0, -1, 0);
    src_now.next_seq = 900;
    char *later = engine_json();
    CHECK(strcmp(later, at_login) != 0);
    static uint8_t got[1 << 20];
    ssize_t n = read_all(fd, got, sizeof got, 3000);
    CHECK(n > 0);
    uint64_t next = 0;
    char *rebuilt = n > 0 ? rebuild(got, (size_t)n, &next, NULL) : NULL;
    CHECK(rebuilt && strcmp(rebuilt, at_login) == 0);
    CHECK_EQ(next, 777);
    CHECK_EQ(srv.st.served, 1);
    CHECK_EQ(srv.st.bytes, (uint64_t)n);
    close(fd);
    free(at_login);
    free(later);
    free(rebuilt);
    snapshot_srv_close(&srv);
}

static void test_pass_budget(void)
{
    book_setup(400); /* ~16 KB */
    srv_start(1, 1000, 5000, 1 << 20, 1000);
    src_now = (snapshot_src){&eng, sess(), 5};
    int fd = cli(0);
    send_login(fd);
    usleep(20000);
    /* accept, login, render and the first pass in one poll: one budget's worth, no more */
    snapshot_srv_poll(&srv, &src_now, tp_rt_now_ns());
    CHECK_EQ(srv.st.bytes, 1000);
    snapshot_srv_poll(&srv, &src_now, tp_rt_now_ns());
    CHECK_EQ(srv.st.bytes, 2000);
    static uint8_t got[1 << 20], want[1 << 20];
    CHECK_EQ(read_all(fd, got, sizeof got, 3000), snapshot_srv_render(&src_now, want, sizeof want));
    CHECK_EQ(srv.st.served, 1);
    close(fd);
    snapshot_srv_close(&srv);
}

static void test_login_deadline(void)
{
    book_setup(0);
    srv_start(4, 1000, 5000, 1 << 16, 1 << 16);
    src_now = (snapshot_src){&eng, sess(), 5};
    int idle = cli(0), trickle = cli(0);
    uint8_t login[64];
    tp_soup_login l;
    memset(&l, ' ', sizeof l);
    l.sequence = 0;
    tp_soup_enc_login_request(login, sizeof login, &l);
    pump(5);
    CHECK_EQ(srv.st.accepted, 2);
    /* a byte every 10 ms (the login needs 49): the deadline counts from the accept */
    for (size_t i = 0; i < 8; i++) {
        CHECK(send(trickle, login + i, 1, MSG_NOSIGNAL) == 1);
        pump(10);
    }
    CHECK_EQ(srv.st.login_timeouts, 0);
    pump(1000);
    CHECK_EQ(srv.st.login_timeouts, 2);
    CHECK_EQ(closed(idle), 'E');
    CHECK_EQ(closed(trickle), 'E');
    close(idle);
    close(trickle);
    /* the slots are free again: a real client is served */
    int fd = cli(0);
    send_login(fd);
    static uint8_t got[1 << 16];
    CHECK(read_all(fd, got, sizeof got, 2000) > 0);
    CHECK_EQ(srv.st.served, 1);
    CHECK_EQ(srv.st.evicted, 0);
    close(fd);
    snapshot_srv_close(&srv);
}

static void test_slots(void)
{
    book_setup(2000); /* ~80 KB: more than a non-reading client's socket takes */
    srv_start(2, 5000, 5000, 1 << 20, 4096);
    src_now = (snapshot_src){&eng, sess(), 5};
    /* both slots held by connections that never log in: a real login evicts the oldest */
    int idle1 = cli(0);
    pump(2);
    int idle2 = cli(0);
    pump(2);
    int fd = cli(0);
    send_login(fd);
    static uint8_t got[1 << 20];
    CHECK(read_all(fd, got, sizeof got, 3000) > 0);
    CHECK_EQ(srv.st.evicted, 1);
    CHECK_EQ(srv.st.served, 1);
    CHECK_EQ(closed(idle1), 'E');
    CHECK_EQ(closed(idle2), 0);
    close(fd);
    close(idle1);
    close(idle2);
    pump(2);
    /* both slots sending to clients that do not read: a newcomer is refused, not queued */
    int slow1 = cli(2048), slow2 = cli(2048);
    send_login(slow1);
    send_login(slow2);
    pump(20);
    CHECK(srv.conns[0].sending && srv.conns[1].sending);
    int late = cli(0);
    pump(5);
    CHECK_EQ(srv.st.refused_full, 1);
    CHECK_EQ(srv.st.evicted, 1);
    CHECK_EQ(closed(late), 'E');
    CHECK_EQ(closed(slow1), 0);
    /* the pollfds the loop sleeps on: the listener, and the writers waiting for room */
    struct pollfd pf[8];
    CHECK_EQ(snapshot_srv_pollfds(&srv, pf, 8), 3);
    CHECK(pf[0].fd == srv.lfd && pf[0].events == POLLIN);
    CHECK(pf[1].events == POLLOUT && pf[2].events == POLLOUT);
    close(late);
    close(slow1);
    close(slow2);
    snapshot_srv_close(&srv);
}

static void test_send_deadline(void)
{
    book_setup(2000);
    srv_start(2, 5000, 500, 1 << 20, 4096);
    src_now = (snapshot_src){&eng, sess(), 5};
    int slow = cli(2048);
    send_login(slow);
    pump(50);
    CHECK_EQ(srv.st.send_timeouts, 0);
    CHECK(srv.conns[0].sending);
    pump(500);
    CHECK_EQ(srv.st.send_timeouts, 1);
    CHECK_EQ(srv.st.served, 0);
    CHECK_EQ(srv.conns[0].fd, -1);
    /* reset, not closed after the data: the client reads a cut stream, then the reset */
    uint8_t b[4096];
    ssize_t k;
    while ((k = recv(slow, b, sizeof b, MSG_DONTWAIT)) > 0)
        ;
    CHECK(k < 0 && errno == ECONNRESET);
    close(slow);
    snapshot_srv_close(&srv);
}

static void test_refusals(void)
{
    book_setup(400);
    /* the buffer holds an empty book's answer, not this one: Login Rejected 'S' */
    srv_start(1, 1000, 1000, snapshot_srv_bytes_for(2, 10), 4096);
    src_now = (snapshot_src){&eng, sess(), 5};
    int fd = cli(0);
    send_login(fd);
    uint8_t got[64];
    ssize_t n = read_all(fd, got, sizeof got, 2000);
    CHECK_EQ(n, 4);
    CHECK(n == 4 && got[2] == 'J' && got[3] == 'S');
    CHECK_EQ(srv.st.too_large, 1);
    CHECK_EQ(srv.st.served, 0);
    close(fd);
    /* anything but a Login Request first: Login Rejected 'A' */
    fd = cli(0);
    CHECK(send(fd, "\x00\x01R", 3, MSG_NOSIGNAL) == 3);
    n = read_all(fd, got, sizeof got, 2000);
    CHECK(n == 4 && got[2] == 'J' && got[3] == 'A');
    CHECK_EQ(srv.st.bad_logins, 1);
    close(fd);
    /* a length no login has */
    fd = cli(0);
    CHECK(send(fd, "\xff\xffL", 3, MSG_NOSIGNAL) == 3);
    n = read_all(fd, got, sizeof got, 2000);
    CHECK(n == 4 && got[2] == 'J' && got[3] == 'A');
    CHECK_EQ(srv.st.bad_logins, 2);
    close(fd);
    /* a client gone before its login */
    fd = cli(0);
    close(fd);
    pump(20);
    CHECK_EQ(srv.st.disconnects, 1);
    CHECK_EQ(srv.st.accepted, 4);
    snapshot_srv_close(&srv);
}

static void test_bad_config(void)
{
    snapshot_srv_cfg c = {.bind_addr = "127.0.0.1", .max_conns = 0, .login_timeout_ms = 1,
                          .send_timeout_ms = 1, .buf_bytes = 1 << 16, .pass_bytes = 1024};
    CHECK(snapshot_srv_init(&srv, &c) == -1 && errno == EINVAL);
    c.max_conns = SNAPSHOT_SRV_MAX_CONNS + 1;
    CHECK(snapshot_srv_init(&srv, &c) == -1 && errno == EINVAL);
    c.max_conns = 1;
    c.buf_bytes = snapshot_srv_bytes_for(0, 0) - 1;
    CHECK(snapshot_srv_init(&srv, &c) == -1 && errno == EINVAL);
    c.buf_bytes = 1 << 16;
    strcpy(c.bind_addr, "not-an-address");
    CHECK(snapshot_srv_init(&srv, &c) == -1 && errno == EINVAL);
    snapshot_srv_close(&srv); /* safe after a failed init */
}

int main(void)
{
    test_render();
    test_served_is_the_book_at_login();
    test_pass_budget();
    test_login_deadline();
    test_slots();
    test_send_deadline();
    test_refusals();
    test_bad_config();
    me_free(&eng);
    return tp_check_done("test_snapshot_srv");
}
