/* SoupBinTCP 3.0: framing vectors, partial reads, malformed input, and real loopback TCP
 * sessions between tp_soup_client and tp_soup_server (login accepted/rejected, heartbeats,
 * dead link, replay after reconnect, end of session), hostile clients (login deadline,
 * eviction of unauthenticated connections, refusal when full, failed-login backoff), and the
 * cork that batches sends. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "soup/client.h"
#include "soup/rtclock.h"
#include "soup/server.h"
#include "soup/soup.h"
#include "check.h"

static void test_frames(void)
{
    uint8_t buf[128];
    tp_soup_pkt p;
    size_t used;
    /* Login request: 00 2f 'L' user(6) pass(10) session(10) seq(20) */
    tp_soup_login l;
    memcpy(l.username, "TRADR1", 6);
    memcpy(l.password, "secret    ", 10);
    memcpy(l.session, "          ", 10);
    l.sequence = 42;
    size_t n = tp_soup_enc_login_request(buf, sizeof buf, &l);
    CHECK_EQ(n, 49);
    CHECK_EQ(buf[0], 0);
    CHECK_EQ(buf[1], 47);
    CHECK_EQ(buf[2], 'L');
    CHECK(memcmp(buf + 3, "TRADR1secret              ", 26) == 0);
    CHECK(memcmp(buf + 29, "                  42", 20) == 0);
    /* partial reads: every prefix is MORE */
    for (size_t k = 0; k < n; k++)
        CHECK_EQ(tp_soup_parse(buf, k, 1024, &p, &used), TP_SOUP_MORE);
    CHECK_EQ(tp_soup_parse(buf, n, 1024, &p, &used), TP_SOUP_OK);
    CHECK_EQ(used, 49);
    tp_soup_login d;
    CHECK(tp_soup_dec_login_request(p.payload, &d) == 0);
    CHECK_EQ(d.sequence, 42);
    CHECK(memcmp(d.username, "TRADR1", 6) == 0);

    n = tp_soup_enc_login_accepted(buf, sizeof buf, "SESSION001", 7);
    CHECK_EQ(n, 33);
    static const uint8_t acc[] = "\x00\x1f" "ASESSION001                   7";
    CHECK(memcmp(buf, acc, 33) == 0);
    char sess[10];
    uint64_t seq;
    CHECK_EQ(tp_soup_parse(buf, n, 1024, &p, &used), TP_SOUP_OK);
    CHECK(tp_soup_dec_login_accepted(p.payload, sess, &seq) == 0 && seq == 7);

    n = tp_soup_enc_login_rejected(buf, sizeof buf, 'A');
    CHECK(n == 4 && buf[1] == 2 && buf[2] == 'J' && buf[3] == 'A');
    n = tp_soup_enc(buf, sizeof buf, 'S', "hello", 5);
    CHECK(n == 8 && buf[1] == 6 && buf[2] == 'S');
    CHECK_EQ(tp_soup_parse(buf, n, 1024, &p, &used), TP_SOUP_OK);
    CHECK(p.len == 5 && memcmp(p.payload, "hello", 5) == 0);
    n = tp_soup_enc(buf, sizeof buf, 'H', NULL, 0);
    CHECK(n == 3 && buf[1] == 1);
    CHECK_EQ(tp_soup_parse(buf, n, 1024, &p, &used), TP_SOUP_OK);

    /* malformed */
    static const uint8_t zero[] = {0, 0, 'H'};
    CHECK_EQ(tp_soup_parse(zero, 3, 1024, &p, &used), TP_SOUP_ERR_LENGTH);
    static const uint8_t hb_long[] = {0, 2, 'H', 0};
    CHECK_EQ(tp_soup_parse(hb_long, 4, 1024, &p, &used), TP_SOUP_ERR_LENGTH);
    static const uint8_t unknown[] = {0, 1, 'q'};
    CHECK_EQ(tp_soup_parse(unknown, 3, 1024, &p, &used), TP_SOUP_ERR_TYPE);
    static const uint8_t huge[] = {0xff, 0xff, 'S'};
    CHECK_EQ(tp_soup_parse(huge, 3, 1024, &p, &used), TP_SOUP_ERR_LENGTH);
    static const uint8_t acc_short[] = {0, 5, 'A', 1, 2, 3, 4};
    CHECK_EQ(tp_soup_parse(acc_short, 7, 1024, &p, &used), TP_SOUP_ERR_LENGTH);

    /* numeric fields */
    uint8_t f[20];
    tp_soup_put_num(f, 0, 20);
    CHECK(tp_soup_get_num(f, 20, &seq) == 0 && seq == 0);
    memcpy(f, "12 3                ", 20);
    CHECK(tp_soup_get_num(f, 20, &seq) == -1);
    memcpy(f, "1x                  ", 20);
    CHECK(tp_soup_get_num(f, 20, &seq) == -1);
    memcpy(f, "123                 ", 20); /* left-justified tolerated */
    CHECK(tp_soup_get_num(f, 20, &seq) == 0 && seq == 123);
}

/* --- live sessions ------------------------------------------------------------------ */

typedef struct {
    uint64_t seqs[256];
    uint8_t first[256];
    int n;
    int ups, downs, rejects, ends;
    uint8_t reject_reason;
} cli_log;

static void cli_cb(void *ctx, tp_soup_event ev, uint64_t seq, const uint8_t *pl, size_t len)
{
    cli_log *l = ctx;
    switch (ev) {
    case TP_SOUP_EV_UP: l->ups++; break;
    case TP_SOUP_EV_DOWN: l->downs++; break;
    case TP_SOUP_EV_REJECTED: l->rejects++; l->reject_reason = pl[0]; break;
    case TP_SOUP_EV_END: l->ends++; break;
    case TP_SOUP_EV_SEQ:
        if (l->n < 256) {
            l->seqs[l->n] = seq;
            l->first[l->n++] = len ? pl[0] : 0;
        }
        break;
    default: break;
    }
}

typedef struct {
    int msgs, logins, closes;
    uint8_t last[64];
    uint64_t rx_ns, rx_kernel_ns;
} srv_log;

static void srv_msg(void *ctx, int user, const uint8_t *m, size_t len, uint64_t rx,
                    uint64_t rx_kernel)
{
    (void)user;
    srv_log *l = ctx;
    l->msgs++;
    l->rx_ns = rx;
    l->rx_kernel_ns = rx_kernel;
    memcpy(l->last, m, len < 64 ? len : 64);
}
static void srv_login(void *ctx, int user) { (void)user; ((srv_log *)ctx)->logins++; }
static void srv_close(void *ctx, int user) { (void)user; ((srv_log *)ctx)->closes++; }

static void pump(tp_soup_server *s, tp_soup_client *c, int ms)
{
    uint64_t end = tp_rt_now_ns() + (uint64_t)ms * 1000000ull;
    while (tp_rt_now_ns() < end) {
        uint64_t now = tp_rt_now_ns();
        tp_soup_server_poll(s, now);
        tp_soup_client_poll(c, now);
        usleep(200);
    }
}

static void base_cfg(tp_soup_server_cfg *cfg, uint32_t srv_hb, uint32_t srv_dead)
{
    memset(cfg, 0, sizeof *cfg);
    strcpy(cfg->bind_addr, "127.0.0.1");
    strcpy(cfg->session, "TESTSESS01");
    cfg->hb_ms = srv_hb;
    cfg->dead_ms = srv_dead;
    cfg->store_bytes = 1 << 20;
    cfg->store_msgs = 4096;
}

static void setup_cfg(tp_soup_server *s, srv_log *sl, const tp_soup_server_cfg *cfg)
{
    tp_soup_cred cred[1];
    memset(cred, 0, sizeof cred);
    strcpy(cred[0].username, "TRADR1");
    strcpy(cred[0].password, "pw0123");
    tp_soup_server_cb cb = {srv_msg, srv_login, srv_close, sl};
    int rc = tp_soup_server_init(s, cfg, cred, 1, &cb);
    CHECK(rc == 0);
}

static void setup(tp_soup_server *s, srv_log *sl, uint32_t srv_hb, uint32_t srv_dead)
{
    tp_soup_server_cfg cfg;
    base_cfg(&cfg, srv_hb, srv_dead);
    /* test_sessions logs in right after a bad password from the same address */
    cfg.backoff_ms = 1;
    cfg.backoff_max_ms = 1;
    setup_cfg(s, sl, &cfg);
}

static void cli_cfg(tp_soup_client_cfg *c, uint16_t port, const char *pw, uint32_t hb,
                    uint32_t dead)
{
    memset(c, 0, sizeof *c);
    strcpy(c->host, "127.0.0.1");
    c->port = port;
    strcpy(c->username, "TRADR1");
    strcpy(c->password, pw);
    c->hb_ms = hb;
    c->dead_ms = dead;
    c->reconnect_ms = 50;
}

static void test_sessions(void)
{
    static tp_soup_server s;
    static tp_soup_client c;
    srv_log sl = {0};
    cli_log cl = {0};
    tp_soup_client_cfg cc;

    /* rejected login: bad password, terminal */
    setup(&s, &sl, 100, 2000);
    cli_cfg(&cc, tp_soup_server_port(&s), "wrong", 100, 2000);
    CHECK(tp_soup_client_init(&c, &cc, cli_cb, &cl) == 0);
    pump(&s, &c, 100);
    CHECK_EQ(c.state, TP_SOUP_CLI_REJECTED);
    CHECK_EQ(cl.rejects, 1);
    CHECK_EQ(cl.reject_reason, 'A');
    CHECK_EQ(s.st.login_rejects, 1);
    CHECK_EQ(c.st.connects, 1); /* never retried */
    tp_soup_client_free(&c);

    /* accepted login, unsequenced up, sequenced down, heartbeats both ways */
    memset(&cl, 0, sizeof cl);
    cli_cfg(&cc, tp_soup_server_port(&s), "pw0123", 100, 2000);
    CHECK(tp_soup_client_init(&c, &cc, cli_cb, &cl) == 0);
    pump(&s, &c, 60);
    CHECK_EQ(c.state, TP_SOUP_CLI_UP);
    CHECK(memcmp(c.session, "TESTSESS01", 10) == 0);
    CHECK_EQ(sl.logins, 1);
    uint64_t before_send = tp_rt_now_ns();
    CHECK(tp_soup_client_send(&c, "hi", 2, tp_rt_now_ns()) == 0);
    for (uint8_t i = 0; i < 3; i++)
        CHECK(tp_soup_server_send(&s, 0, &(uint8_t){(uint8_t)('a' + i)}, 1, tp_rt_now_ns()) == i + 1u);
    pump(&s, &c, 350);
    CHECK_EQ(sl.msgs, 1);
    CHECK(memcmp(sl.last, "hi", 2) == 0);
    /* the kernel stamped the segment after the client sent it and before the server read it */
    CHECK_EQ(s.st.rx_stamp_errors, 0);
    CHECK(sl.rx_kernel_ns >= before_send && sl.rx_kernel_ns <= sl.rx_ns);
    CHECK_EQ(cl.n, 3);
    CHECK(cl.seqs[0] == 1 && cl.seqs[2] == 3 && cl.first[2] == 'c');
    CHECK(c.st.hb_rx >= 1);
    CHECK(s.st.hb_rx >= 1);

    /* drop, messages while down, reconnect and resume: every message once, in order */
    tp_soup_client_drop(&c, tp_rt_now_ns(), 200);
    pump(&s, &c, 20);
    for (uint8_t i = 3; i < 6; i++)
        tp_soup_server_send(&s, 0, &(uint8_t){(uint8_t)('a' + i)}, 1, tp_rt_now_ns());
    pump(&s, &c, 400);
    CHECK_EQ(c.state, TP_SOUP_CLI_UP);
    CHECK_EQ(c.st.logins, 2);
    CHECK_EQ(cl.n, 6);
    for (int i = 0; i < cl.n; i++) {
        CHECK_EQ(cl.seqs[i], (uint64_t)i + 1);
        CHECK_EQ(cl.first[i], 'a' + i);
    }
    CHECK_EQ(s.st.replayed, 3);

    /* server silent (no heartbeats): the client declares the link dead and reconnects */
    s.cfg.hb_ms = 0;
    c.cfg.dead_ms = 150;
    pump(&s, &c, 400);
    CHECK(c.st.dead_links >= 1);
    CHECK(c.st.logins >= 3);
    s.cfg.hb_ms = 50;
    c.cfg.dead_ms = 2000;

    /* client silent: the server drops it after its dead timeout */
    c.cfg.hb_ms = 0;
    s.cfg.dead_ms = 150;
    uint64_t dl = s.st.dead_links;
    pump(&s, &c, 400);
    CHECK(s.st.dead_links > dl);
    c.cfg.hb_ms = 50;
    s.cfg.dead_ms = 2000;
    pump(&s, &c, 200);
    CHECK_EQ(c.state, TP_SOUP_CLI_UP);

    /* malformed packet from the client: counted, session dropped, server keeps going */
    uint64_t fe = s.st.framing_errors;
    static const uint8_t bad[] = {0, 0};
    send(c.io.fd, bad, 2, 0);
    pump(&s, &c, 100);
    CHECK(s.st.framing_errors > fe);
    pump(&s, &c, 200);
    CHECK_EQ(c.state, TP_SOUP_CLI_UP);

    /* end of session */
    tp_soup_server_end(&s, tp_rt_now_ns());
    pump(&s, &c, 50);
    CHECK_EQ(c.state, TP_SOUP_CLI_ENDED);
    CHECK_EQ(cl.ends, 1);
    tp_soup_client_free(&c);
    tp_soup_server_free(&s);
}

/* --- hostile clients --------------------------------------------------------------------- */

static void pump_srv(tp_soup_server *s, int ms)
{
    uint64_t end = tp_rt_now_ns() + (uint64_t)ms * 1000000ull;
    while (tp_rt_now_ns() < end) {
        tp_soup_server_poll(s, tp_rt_now_ns());
        usleep(200);
    }
}

static int raw_connect(uint16_t port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0);
    return fd;
}

static void raw_login(int fd, const char *user, const char *pw)
{
    tp_soup_login l;
    memset(&l, ' ', sizeof l);
    memcpy(l.username, user, strlen(user));
    memcpy(l.password, pw, strlen(pw));
    l.sequence = 0;
    uint8_t buf[64];
    size_t n = tp_soup_enc_login_request(buf, sizeof buf, &l);
    CHECK(send(fd, buf, n, MSG_NOSIGNAL) == (ssize_t)n);
}

/* What the server did with a raw connection: the first packet's type, 'E' if it closed the
 * connection without a packet, 0 if it is still open and silent. */
static uint8_t raw_outcome(int fd)
{
    uint8_t buf[64];
    ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno == ECONNRESET))
        return 'E';
    if (n < 0)
        return 0;
    return n >= 3 ? buf[2] : '?';
}

static void test_hostile(void)
{
    static tp_soup_server s;
    static tp_soup_client c;
    srv_log sl = {0};
    cli_log cl = {0};
    tp_soup_client_cfg cc;
    tp_soup_server_cfg cfg;
    base_cfg(&cfg, 100, 5000);
    cfg.max_conns = 3;
    cfg.login_timeout_ms = 1000;
    cfg.backoff_ms = 1000;
    cfg.backoff_max_ms = 2000;
    setup_cfg(&s, &sl, &cfg);
    uint16_t port = tp_soup_server_port(&s);

    /* every slot held by a connection that never logs in: a real login evicts the oldest */
    int idle[3];
    for (int i = 0; i < 3; i++) {
        idle[i] = raw_connect(port);
        pump_srv(&s, 5);
    }
    CHECK_EQ(s.st.accepts, 3);
    cli_cfg(&cc, port, "pw0123", 100, 5000);
    CHECK(tp_soup_client_init(&c, &cc, cli_cb, &cl) == 0);
    pump(&s, &c, 50);
    CHECK_EQ(c.state, TP_SOUP_CLI_UP);
    CHECK_EQ(s.st.evicted_unauthenticated, 1);
    CHECK_EQ(raw_outcome(idle[0]), 'E');
    CHECK_EQ(raw_outcome(idle[1]), 0);
    /* the login deadline closes the other two, even one trickling bytes */
    CHECK(send(idle[1], "\0", 1, MSG_NOSIGNAL) == 1);
    pump(&s, &c, 400);
    CHECK(send(idle[1], "\x2f", 1, MSG_NOSIGNAL) == 1);
    pump(&s, &c, 800);
    CHECK_EQ(s.st.login_timeouts, 2);
    CHECK_EQ(raw_outcome(idle[1]), 'E');
    CHECK_EQ(raw_outcome(idle[2]), 'E');
    CHECK_EQ(c.state, TP_SOUP_CLI_UP); /* the session is not touched by the deadline */
    for (int i = 0; i < 3; i++)
        close(idle[i]);

    /* a wrong password starts the address's backoff: the next login, even a correct one, is
     * closed unanswered and uncounted as a failure; after the backoff a correct one works */
    int bad = raw_connect(port);
    raw_login(bad, "TRADR1", "guess1");
    pump(&s, &c, 20);
    CHECK_EQ(raw_outcome(bad), 'J');
    CHECK_EQ(s.st.login_failures, 1);
    close(bad);
    int refused = raw_connect(port);
    raw_login(refused, "TRADR1", "pw0123");
    pump(&s, &c, 20);
    CHECK_EQ(raw_outcome(refused), 'E');
    CHECK_EQ(s.st.login_backoff_refusals, 1);
    CHECK_EQ(s.st.login_failures, 1);
    close(refused);
    pump(&s, &c, 1000);
    int good = raw_connect(port);
    raw_login(good, "TRADR1", "pw0123");
    pump_srv(&s, 20);
    CHECK_EQ(raw_outcome(good), 'A');
    CHECK_EQ(s.st.kicked, 1); /* it replaced the client's session */
    close(good);
    tp_soup_client_free(&c);
    tp_soup_server_free(&s);

    /* every slot logged in: the newcomer is refused, the session kept */
    memset(&cl, 0, sizeof cl);
    cfg.max_conns = 1;
    setup_cfg(&s, &sl, &cfg);
    cli_cfg(&cc, tp_soup_server_port(&s), "pw0123", 100, 5000);
    CHECK(tp_soup_client_init(&c, &cc, cli_cb, &cl) == 0);
    pump(&s, &c, 50);
    CHECK_EQ(c.state, TP_SOUP_CLI_UP);
    int extra = raw_connect(tp_soup_server_port(&s));
    pump(&s, &c, 20);
    CHECK_EQ(s.st.refused_full, 1);
    CHECK_EQ(s.st.evicted_unauthenticated, 0);
    CHECK_EQ(raw_outcome(extra), 'E');
    CHECK_EQ(c.state, TP_SOUP_CLI_UP);
    close(extra);
    tp_soup_client_free(&c);
    tp_soup_server_free(&s);

    /* more slots than allowed: refused at init */
    cfg.max_conns = TP_SOUP_SRV_MAX_CONNS + 1;
    tp_soup_server_cb cb = {srv_msg, srv_login, srv_close, &sl};
    tp_soup_cred cred[1] = {{"TRADR1", "pw0123"}};
    CHECK(tp_soup_server_init(&s, &cfg, cred, 1, &cb) == -1 && errno == EINVAL);
    tp_soup_server_free(&s);
}

/* Cork: packets queued while corked reach the peer only at uncork, all in one send(). */
static void test_cork(void)
{
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    tp_soup_io io;
    CHECK(tp_soup_io_init(&io, 4096, 256, 1024) == 0);
    io.fd = sv[0]; /* not attach: TCP_NODELAY does not apply to a socketpair */
    fcntl(sv[1], F_SETFL, fcntl(sv[1], F_GETFL) | O_NONBLOCK);
    uint8_t got[512];
    const uint8_t pkt[40] = {0, 38, 'U'};
    tp_soup_io_cork(&io);
    for (int i = 0; i < 3; i++)
        CHECK(tp_soup_io_send(&io, pkt, sizeof pkt, 1) == 0);
    CHECK(recv(sv[1], got, sizeof got, 0) < 0); /* nothing left yet */
    CHECK_EQ(tp_soup_io_pending(&io), 3 * sizeof pkt);
    CHECK(tp_soup_io_uncork(&io) == 0);
    CHECK_EQ(recv(sv[1], got, sizeof got, 0), 3 * sizeof pkt); /* one read: one send */
    CHECK_EQ(io.bytes_tx, 3 * sizeof pkt);
    /* uncorked again: a send goes straight out */
    CHECK(tp_soup_io_send(&io, pkt, sizeof pkt, 2) == 0);
    CHECK_EQ(recv(sv[1], got, sizeof got, 0), sizeof pkt);
    /* corked with a full buffer (256 bytes): the queue is sent early, nothing is lost */
    tp_soup_io_cork(&io);
    for (int i = 0; i < 10; i++)
        CHECK(tp_soup_io_send(&io, pkt, sizeof pkt, 3) == 0);
    CHECK(tp_soup_io_uncork(&io) == 0);
    size_t total = 0;
    ssize_t n;
    while ((n = recv(sv[1], got, sizeof got, 0)) > 0)
        total += (size_t)n;
    CHECK_EQ(total, 10 * sizeof pkt);
    tp_soup_io_close(&io);
    CHECK_EQ(io.corked, 0);
    close(sv[1]);
    tp_soup_io_free(&io);
}

int main(void)
{
    test_frames();
    test_sessions();
    test_hostile();
    test_cork();
    return tp_check_done("test_soup");
}
