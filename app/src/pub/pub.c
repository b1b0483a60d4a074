/* tickpath-pub: replay a BinaryFILE as a MoldUDP64 session on lines A and B (multicast),
 * with deterministic fault injection, plus the re-request server and the snapshot server
 * the feed handler recovers from. Lab and test tool; stops by itself (end of file + linger,
 * or --max-seconds). See README.md next to this file. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "book/book.h"
#include "common/endian.h"
#include "common/rng.h"
#include "common/outfile.h"
#include "common/signals.h"
#include "itch/binaryfile.h"
#include "itch/encode.h"
#include "mold/mold.h"

#define MAX_PKT 1472
#define DAY_NS 86400000000000ull

typedef struct {
    char iface[IF_NAMESIZE];
    struct in_addr src, group;
    uint16_t port;
    int fd;
    int down;
    uint64_t down_at;
    double loss;
    uint64_t sent_pkts, lost_pkts;
    struct sockaddr_in dst;
} line_t;

static struct {
    const uint8_t *data;
    size_t size;
    uint32_t *off;   /* offset of message i (seq i + 1) in data: the retained buffer */
    uint64_t nmsgs;
    uint8_t session[TP_MOLD_SESSION_LEN];
    line_t line[2];
    int nlines;
    double rate;     /* msgs/s, 0 = as fast as possible */
    uint32_t max_msgs, max_bytes;
    double dup, reorder;
    uint64_t seed;
    uint32_t heartbeat_ms, start_delay_ms, linger_ms;
    double max_seconds;
    int stamp;
    uint16_t rr_port, snap_port;
    int rr_fd, snap_fd;
    uint16_t rr_max;
    tp_book *book;
    uint64_t next_seq; /* next sequence to send */
    uint64_t rr_requests, rr_bad, rr_msgs, snapshots_served;
    uint64_t dups, reorders;
    uint64_t *refs;
    size_t refs_cap;
    const char *stats_json;
    uint64_t t_send;   /* mono: sending started (after the start delay); 0 before */
    uint64_t t_end;    /* mono: the last data packet went out; 0 while sending */
} P;

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t tod_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ((uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec) % DAY_NS;
}

static void die(const char *fmt, const char *a)
{
    fprintf(stderr, "tickpath-pub: ");
    fprintf(stderr, fmt, a);
    fputc('\n', stderr);
    exit(2);
}

static double parse_prob(const char *s, const char *what)
{
    char *e;
    double v = strtod(s, &e);
    if (*e || v < 0 || v > 1)
        die("%s must be a probability in [0, 1]", what);
    return v;
}

static uint64_t parse_u64(const char *s, const char *what)
{
    char *e;
    errno = 0;
    unsigned long long v = strtoull(s, &e, 0);
    if (errno || *e || *s == '-' || !*s)
        die("bad number for %s", what);
    return v;
}

/* Build the packet of messages [seq, ...) into buf; returns its length and the count. */
static size_t build(uint8_t *buf, uint64_t seq, uint64_t limit, uint16_t *count, int stamp)
{
    size_t len = TP_MOLD_HDR_LEN;
    uint16_t n = 0;
    uint64_t ts = stamp ? tod_ns() : 0;
    while (seq + n <= limit && n < P.max_msgs) {
        uint64_t i = seq + n - 1;
        const uint8_t *m = P.data + P.off[i];
        uint16_t ml = tp_be16(m - 2);
        if (len + 2 + ml > P.max_bytes && n)
            break;
        if (len + 2 + ml > MAX_PKT)
            break;
        tp_put_be16(buf + len, ml);
        memcpy(buf + len + 2, m, ml);
        if (stamp && ml >= TP_ITCH_HEADER_LEN)
            tp_put_be48(buf + len + 2 + 5, ts);
        len += 2 + ml;
        n++;
    }
    tp_mold_put_header(buf, P.session, seq, n);
    *count = n;
    return len;
}

static void send_line(int li, const uint8_t *buf, size_t len)
{
    line_t *l = &P.line[li];
    if (l->down)
        return;
    if (sendto(l->fd, buf, len, 0, (struct sockaddr *)&l->dst, sizeof l->dst) == (ssize_t)len)
        l->sent_pkts++;
}

/* Data packets go out through a per-line batch flushed with one sendmmsg() per line: when
 * it is full, whenever the pacer would wait (so a paced packet is never held back), and
 * before anything else is sent. Order on each line is the order of queue_line() calls. */
#define BATCH 32
static struct {
    uint8_t buf[BATCH][MAX_PKT];
    struct iovec iov[BATCH];
    struct mmsghdr mh[BATCH];
    unsigned n;
} Q[2];

static void flush_line(int li)
{
    line_t *l = &P.line[li];
    unsigned at = 0;
    while (at < Q[li].n) {
        int r = sendmmsg(l->fd, Q[li].mh + at, Q[li].n - at, 0);
        if (r <= 0) {
            if (r < 0 && errno == EINTR)
                continue;
            break; /* the rest of the batch is dropped, as a failed sendto() was */
        }
        for (int k = 0; k < r; k++)
            if (Q[li].mh[at + (unsigned)k].msg_len == Q[li].iov[at + (unsigned)k].iov_len)
                l->sent_pkts++;
        at += (unsigned)r;
    }
    Q[li].n = 0;
}

static void flush_all(void)
{
    for (int i = 0; i < P.nlines; i++)
        if (Q[i].n)
            flush_line(i);
}

static void queue_line(int li, const uint8_t *buf, size_t len)
{
    line_t *l = &P.line[li];
    if (l->down)
        return;
    if (Q[li].n == BATCH)
        flush_line(li);
    unsigned k = Q[li].n++;
    memcpy(Q[li].buf[k], buf, len);
    Q[li].iov[k].iov_base = Q[li].buf[k];
    Q[li].iov[k].iov_len = len;
    memset(&Q[li].mh[k], 0, sizeof Q[li].mh[k]);
    Q[li].mh[k].msg_hdr.msg_name = &l->dst;
    Q[li].mh[k].msg_hdr.msg_namelen = sizeof l->dst;
    Q[li].mh[k].msg_hdr.msg_iov = &Q[li].iov[k];
    Q[li].mh[k].msg_hdr.msg_iovlen = 1;
}

static void send_control(uint16_t count)
{
    uint8_t h[TP_MOLD_HDR_LEN];
    tp_mold_put_header(h, P.session, P.next_seq, count);
    flush_all();
    for (int i = 0; i < P.nlines; i++)
        send_line(i, h, sizeof h);
}

/* --- re-request server ------------------------------------------------------------------- */

static void serve_rerequests(void)
{
    if (P.rr_fd < 0)
        return;
    for (int k = 0; k < 64; k++) {
        uint8_t req[64];
        struct sockaddr_in from;
        socklen_t fl = sizeof from;
        ssize_t n = recvfrom(P.rr_fd, req, sizeof req, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
        if (n < 0)
            return;
        const uint8_t *sess;
        uint64_t seq;
        uint16_t cnt;
        if (tp_mold_parse_request(req, (size_t)n, &sess, &seq, &cnt) != 0 ||
            memcmp(sess, P.session, TP_MOLD_SESSION_LEN) != 0 || seq == 0 || cnt == 0 ||
            seq >= P.next_seq) {
            P.rr_bad++;
            continue;
        }
        P.rr_requests++;
        if (cnt > P.rr_max)
            cnt = P.rr_max;
        uint64_t last = seq + cnt - 1;
        if (last >= P.next_seq)
            last = P.next_seq - 1;
        while (seq <= last) {
            uint8_t buf[MAX_PKT];
            uint16_t c;
            size_t len = build(buf, seq, last, &c, 0);
            if (!c)
                break;
            sendto(P.rr_fd, buf, len, 0, (struct sockaddr *)&from, fl);
            P.rr_msgs += c;
            seq += c;
        }
    }
}

/* --- snapshot server (SNAPSHOT.md in src/mold) ----------------------------------------- */

static int put_frame(uint8_t *out, size_t *at, size_t cap, uint8_t type, const uint8_t *pl,
                     size_t n, int fd)
{
    if (*at + 3 + n > cap) {
        if (send(fd, out, *at, MSG_NOSIGNAL) != (ssize_t)*at)
            return -1;
        *at = 0;
    }
    tp_put_be16(out + *at, (uint16_t)(n + 1));
    out[*at + 2] = type;
    if (n)
        memcpy(out + *at + 3, pl, n);
    *at += 3 + n;
    return 0;
}

static void serve_snapshot(void)
{
    if (P.snap_fd < 0)
        return;
    int c = accept4(P.snap_fd, NULL, NULL, 0);
    if (c < 0)
        return;
    struct timeval tv = {.tv_sec = 2};
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    uint8_t login[49];
    size_t got = 0;
    while (got < sizeof login) {
        ssize_t n = recv(c, login + got, sizeof login - got, 0);
        if (n < 0 && errno == EINTR)
            continue; /* a signal (SO_RCVTIMEO makes recv() not restartable) */
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    static uint8_t out[1 << 16];
    size_t at = 0;
    if (got != sizeof login || tp_be16(login) != 47 || login[2] != 'L') {
        put_frame(out, &at, sizeof out, 'J', (const uint8_t *)"A", 1, c);
        send(c, out, at, MSG_NOSIGNAL);
        close(c);
        return;
    }
    uint8_t acc[30];
    memcpy(acc, P.session, 10);
    char num[21];
    snprintf(num, sizeof num, "%20llu", (unsigned long long)P.next_seq);
    memcpy(acc + 10, num, 20);
    int bad = put_frame(out, &at, sizeof out, 'A', acc, sizeof acc, c);
    uint8_t m[TP_ITCH_MAX_MSG_LEN];
    for (int loc = tp_book_next_symbol(P.book, 0); loc >= 0 && !bad;
         loc = tp_book_next_symbol(P.book, (uint32_t)loc + 1)) {
        char name[8], cname[9];
        memset(name, ' ', sizeof name);
        if (tp_book_symbol(P.book, (uint16_t)loc, name)) {
            size_t k = 8;
            while (k && name[k - 1] == ' ')
                k--;
            memcpy(cname, name, k);
            cname[k] = 0;
            size_t ml = tp_enc_stock_directory(m, (uint16_t)loc, 0, cname);
            bad |= put_frame(out, &at, sizeof out, 'S', m, ml, c);
        }
        for (int side = 0; side < 2 && !bad; side++) {
            size_t depth = tp_book_depth(P.book, (uint16_t)loc, side);
            for (size_t lv = 0; lv < depth && !bad; lv++) {
                size_t no = tp_book_level_orders(P.book, (uint16_t)loc, side, lv, P.refs, P.refs_cap);
                if (no > P.refs_cap)
                    no = P.refs_cap;
                for (size_t j = 0; j < no && !bad; j++) {
                    tp_order_info oi;
                    if (!tp_book_find_order(P.book, P.refs[j], &oi))
                        continue;
                    size_t ml = tp_enc_add(m, (uint16_t)loc, 0, oi.ref, side == TP_BID ? 'B' : 'S',
                                           oi.shares, (const uint8_t *)name, oi.price, NULL);
                    bad |= put_frame(out, &at, sizeof out, 'S', m, ml, c);
                }
            }
        }
    }
    uint8_t g[21];
    g[0] = 'G';
    memcpy(g + 1, num, 20);
    bad |= put_frame(out, &at, sizeof out, 'S', g, sizeof g, c);
    bad |= put_frame(out, &at, sizeof out, 'Z', NULL, 0, c);
    if (!bad && at)
        send(c, out, at, MSG_NOSIGNAL);
    if (!bad)
        P.snapshots_served++;
    close(c);
}

/* The statistics line (stderr at exit) and --stats-json; `now` ends the sending time while
 * data is still going out (a SIGUSR2 snapshot). */
static void print_stats(FILE *f, uint64_t now)
{
    uint64_t end = P.t_end ? P.t_end : now;
    double secs = P.t_send && end > P.t_send ? (double)(end - P.t_send) / 1e9 : 0.0;
    fprintf(f,
            "{\"messages\": %llu, \"sent\": %llu, \"seconds\": %.3f, \"msgs_per_s\": %.0f, "
            "\"packets_a\": %llu, \"packets_b\": %llu, \"lost_a\": %llu, \"lost_b\": %llu, "
            "\"dups\": %llu, \"reorders\": %llu, \"rerequests\": %llu, \"rerequest_bad\": %llu, "
            "\"retransmitted_msgs\": %llu, \"snapshots\": %llu}\n",
            (unsigned long long)P.nmsgs, (unsigned long long)(P.next_seq - 1), secs,
            secs > 0 ? (double)(P.next_seq - 1) / secs : 0.0,
            (unsigned long long)P.line[0].sent_pkts, (unsigned long long)P.line[1].sent_pkts,
            (unsigned long long)P.line[0].lost_pkts, (unsigned long long)P.line[1].lost_pkts,
            (unsigned long long)P.dups, (unsigned long long)P.reorders,
            (unsigned long long)P.rr_requests, (unsigned long long)P.rr_bad,
            (unsigned long long)P.rr_msgs, (unsigned long long)P.snapshots_served);
}

/* --stats-json written whole (FILE.tmp renamed over FILE): at exit, and on SIGUSR2 */
static void write_stats(uint64_t now)
{
    if (!P.stats_json)
        return;
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", P.stats_json);
    FILE *f = tp_out_fopen(tmp, TP_OUT_MODE);
    if (f)
        print_stats(f, now);
    if (!f || fclose(f) != 0 || rename(tmp, P.stats_json) != 0) {
        fprintf(stderr, "tickpath-pub: cannot write %s: %s\n", P.stats_json, strerror(errno));
        unlink(tmp);
    }
}

/* Between packets (every wait, every batch, the start delay and the linger): requests of the
 * feed handlers, and the signal flags (common/signals.h). */
static void service(void)
{
    serve_rerequests();
    serve_snapshot();
    if (tp_sig_stats) {
        tp_sig_stats = 0;
        write_stats(mono_ns());
    }
    tp_signals_log_ignored("tickpath-pub");
}

/* --- setup --------------------------------------------------------------------------------- */

static void open_line(line_t *l)
{
    unsigned ifindex = if_nametoindex(l->iface);
    if (!ifindex)
        die("no interface %s", l->iface);
    l->fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (l->fd < 0)
        die("socket: %s", strerror(errno));
    struct ip_mreqn mr = {.imr_address = l->src, .imr_ifindex = (int)ifindex};
    if (setsockopt(l->fd, IPPROTO_IP, IP_MULTICAST_IF, &mr, sizeof mr) != 0)
        die("IP_MULTICAST_IF on %s failed", l->iface);
    int ttl = 1, loop = 0, buf = 8 << 20;
    setsockopt(l->fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl);
    setsockopt(l->fd, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof loop);
    if (setsockopt(l->fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof buf) != 0)
        setsockopt(l->fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr = l->src};
    if (bind(l->fd, (struct sockaddr *)&sa, sizeof sa) != 0)
        die("bind source address: %s", strerror(errno));
    l->dst.sin_family = AF_INET;
    l->dst.sin_addr = l->group;
    l->dst.sin_port = htons(l->port);
}

static int listen_on(struct in_addr a, uint16_t port, int type)
{
    int fd = socket(AF_INET, type | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr = a, .sin_port = htons(port)};
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
        die("bind server port: %s", strerror(errno));
    if (type == SOCK_STREAM && listen(fd, 8) != 0)
        die("listen: %s", strerror(errno));
    if (type == SOCK_DGRAM) {
        int buf = 8 << 20;
        if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof buf) != 0)
            setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
    }
    return fd;
}

static void usage(void)
{
    fputs("usage: tickpath-pub --file F --iface-a IF --src-a ADDR --group-a G --port-a P\n"
          "         [--iface-b IF --src-b ADDR --group-b G --port-b P] [--session S]\n"
          "         [--rate MSGS_PER_S] [--max-msgs N] [--max-bytes B] [--seed X]\n"
          "         [--loss-a P] [--loss-b P] [--dup P] [--reorder P]\n"
          "         [--line-a-down-at SEQ] [--line-b-down-at SEQ]\n"
          "         [--rerequest-port P] [--snapshot-port P] [--stamp]\n"
          "         [--start-delay-ms MS] [--heartbeat-ms MS] [--linger-ms MS]\n"
          "         [--max-seconds S] [--stats-json OUT]\n",
          stderr);
}

int main(int argc, char **argv)
{
    /* from the start: a signal while the file is indexed is acted on by the loops */
    tp_signals_install(0);
    const char *file = NULL, *session = "TICKPATH01";
    P.max_msgs = 64;
    P.max_bytes = 1400;
    P.heartbeat_ms = 100;
    P.start_delay_ms = 0;
    P.linger_ms = 2000;
    P.max_seconds = 120;
    P.rr_max = 2000;
    P.rr_fd = P.snap_fd = -1;
    P.seed = 1;
    static const struct option opts[] = {
        {"file", 1, 0, 'f'}, {"session", 1, 0, 'S'},
        {"iface-a", 1, 0, 1}, {"src-a", 1, 0, 2}, {"group-a", 1, 0, 3}, {"port-a", 1, 0, 4},
        {"iface-b", 1, 0, 5}, {"src-b", 1, 0, 6}, {"group-b", 1, 0, 7}, {"port-b", 1, 0, 8},
        {"rate", 1, 0, 'r'}, {"max-msgs", 1, 0, 'm'}, {"max-bytes", 1, 0, 'B'},
        {"seed", 1, 0, 'x'}, {"loss-a", 1, 0, 9}, {"loss-b", 1, 0, 10}, {"dup", 1, 0, 11},
        {"reorder", 1, 0, 12}, {"line-a-down-at", 1, 0, 13}, {"line-b-down-at", 1, 0, 14},
        {"rerequest-port", 1, 0, 15}, {"snapshot-port", 1, 0, 16}, {"stamp", 0, 0, 17},
        {"start-delay-ms", 1, 0, 18}, {"heartbeat-ms", 1, 0, 19}, {"linger-ms", 1, 0, 20},
        {"max-seconds", 1, 0, 21}, {"stats-json", 1, 0, 22}, {"help", 0, 0, 'h'},
        {0, 0, 0, 0},
    };
    int o;
    while ((o = getopt_long(argc, argv, "f:S:r:m:B:x:h", opts, NULL)) != -1) {
        line_t *l = &P.line[(o >= 5 && o <= 8) ? 1 : 0];
        switch (o) {
        case 'f': file = optarg; break;
        case 'S':
            if (strlen(optarg) > 10)
                die("--session '%s' is longer than 10 characters", optarg);
            session = optarg;
            break;
        case 1: case 5:
            if (strlen(optarg) >= IF_NAMESIZE)
                die("bad interface %s", optarg);
            snprintf(l->iface, sizeof l->iface, "%s", optarg);
            break;
        case 2: case 6:
            if (inet_pton(AF_INET, optarg, &l->src) != 1)
                die("bad source address %s", optarg);
            break;
        case 3: case 7:
            if (inet_pton(AF_INET, optarg, &l->group) != 1 || !IN_MULTICAST(ntohl(l->group.s_addr)))
                die("bad multicast group %s", optarg);
            break;
        case 4: case 8: {
            uint64_t v = parse_u64(optarg, "port");
            if (!v || v > 65535)
                die("bad port %s", optarg);
            l->port = (uint16_t)v;
            break;
        }
        case 'r': {
            char *e;
            P.rate = strtod(optarg, &e);
            if (*e || P.rate < 0)
                die("bad --rate %s", optarg);
            break;
        }
        case 'm':
            P.max_msgs = (uint32_t)parse_u64(optarg, "--max-msgs");
            if (!P.max_msgs || P.max_msgs > 1000)
                die("--max-msgs must be 1..1000 (%s)", optarg);
            break;
        case 'B':
            P.max_bytes = (uint32_t)parse_u64(optarg, "--max-bytes");
            if (P.max_bytes < 100 || P.max_bytes > MAX_PKT)
                die("--max-bytes must be 100..1472 (%s)", optarg);
            break;
        case 'x': P.seed = parse_u64(optarg, "--seed"); break;
        case 9: P.line[0].loss = parse_prob(optarg, "--loss-a"); break;
        case 10: P.line[1].loss = parse_prob(optarg, "--loss-b"); break;
        case 11: P.dup = parse_prob(optarg, "--dup"); break;
        case 12: P.reorder = parse_prob(optarg, "--reorder"); break;
        case 13: P.line[0].down_at = parse_u64(optarg, "--line-a-down-at"); break;
        case 14: P.line[1].down_at = parse_u64(optarg, "--line-b-down-at"); break;
        case 15: P.rr_port = (uint16_t)parse_u64(optarg, "--rerequest-port"); break;
        case 16: P.snap_port = (uint16_t)parse_u64(optarg, "--snapshot-port"); break;
        case 17: P.stamp = 1; break;
        case 18: P.start_delay_ms = (uint32_t)parse_u64(optarg, "--start-delay-ms"); break;
        case 19: P.heartbeat_ms = (uint32_t)parse_u64(optarg, "--heartbeat-ms"); break;
        case 20: P.linger_ms = (uint32_t)parse_u64(optarg, "--linger-ms"); break;
        case 21: {
            char *e;
            P.max_seconds = strtod(optarg, &e);
            if (*e || P.max_seconds <= 0 || P.max_seconds > 86400)
                die("bad --max-seconds %s", optarg);
            break;
        }
        case 22: P.stats_json = optarg; break;
        case 'h': usage(); return 0;
        default: usage(); return 2;
        }
    }
    if (!file || optind != argc) {
        usage();
        return 2;
    }
    for (int i = 0; i < 2; i++) {
        line_t *l = &P.line[i];
        int any = l->iface[0] || l->src.s_addr || l->group.s_addr || l->port;
        if (!any) {
            if (i == 0)
                die("line A is required (--iface-a --src-a --group-a --port-a)%s", "");
            continue;
        }
        if (!l->iface[0] || !l->src.s_addr || !l->group.s_addr || !l->port)
            die("line %s needs --iface, --src, --group and --port", i ? "B" : "A");
        P.nlines = i + 1;
    }
    tp_mold_session_pad(P.session, session);

    int fd = open(file, O_RDONLY);
    if (fd < 0)
        die("cannot open %s", file);
    struct stat st;
    fstat(fd, &st);
    P.size = (size_t)st.st_size;
    if (P.size > UINT32_MAX)
        die("%s is larger than 4 GiB", file);
    P.data = P.size ? mmap(NULL, P.size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0) : (void *)"";
    if (P.data == MAP_FAILED)
        die("mmap %s failed", file);
    close(fd);
    /* index every message: the retained buffer the re-request server answers from */
    tp_bf_reader r;
    tp_bf_init(&r, P.data, P.size);
    const uint8_t *m;
    size_t ml;
    uint64_t n = 0;
    while (tp_bf_next(&r, &m, &ml))
        n++;
    P.off = malloc((n ? n : 1) * sizeof *P.off);
    if (!P.off)
        die("out of memory%s", "");
    tp_bf_init(&r, P.data, P.size);
    while (tp_bf_next(&r, &m, &ml)) {
        if (ml > MAX_PKT - TP_MOLD_HDR_LEN - 2)
            die("%s has a message too long for one packet", file);
        P.off[P.nmsgs++] = (uint32_t)(m - P.data);
    }
    if (r.truncated_tail)
        fprintf(stderr, "tickpath-pub: %s: truncated last record ignored\n", file);

    for (int i = 0; i < P.nlines; i++)
        open_line(&P.line[i]);
    if (P.rr_port)
        P.rr_fd = listen_on(P.line[0].src, P.rr_port, SOCK_DGRAM);
    if (P.snap_port) {
        P.snap_fd = listen_on(P.line[0].src, P.snap_port, SOCK_STREAM);
        tp_book_cfg bc = {0};
        P.book = tp_book_init(&bc);
        P.refs_cap = 1 << 20;
        P.refs = malloc(P.refs_cap * sizeof *P.refs);
        if (!P.book || !P.refs)
            die("cannot allocate the snapshot book%s", "");
    }

    tp_rng rng;
    tp_rng_seed(&rng, P.seed);
    uint64_t t0 = mono_ns();
    uint64_t deadline = t0 + (uint64_t)(P.max_seconds * 1e9);
    uint64_t hb_ns = (uint64_t)P.heartbeat_ms * 1000000ull;
    P.next_seq = 1;
    /* start delay: heartbeats only, so receivers can join first */
    uint64_t last_hb = 0;
    while (!tp_sig_stop && mono_ns() - t0 < (uint64_t)P.start_delay_ms * 1000000ull) {
        if (mono_ns() - last_hb >= hb_ns) {
            send_control(0);
            last_hb = mono_ns();
        }
        service();
        usleep(200);
    }
    uint64_t ts = mono_ns(), sent_msgs = 0;
    P.t_send = ts;
    uint8_t held[MAX_PKT];
    size_t held_len = 0;
    uint8_t buf[MAX_PKT];
    last_hb = ts;
    while (!tp_sig_stop && P.next_seq <= P.nmsgs && mono_ns() < deadline) {
        if (P.rate > 0) {
            uint64_t due = ts + (uint64_t)((double)sent_msgs * 1e9 / P.rate);
            uint64_t now = mono_ns();
            if (now < due) {
                flush_all(); /* about to wait: nothing queued may wait with us */
                service();
            }
            while ((now = mono_ns()) < due) {
                if (due - now > 100000)
                    service();
                if (due - now > 30000) {
                    /* sleep through most of a long gap (leaves the core to others; an RT
                     * publisher must not starve its core), spin the last 20 us */
                    struct timespec sl = {0, (long)(due - now - 20000)};
                    if (sl.tv_nsec > 50000000)
                        sl.tv_nsec = 50000000; /* wake for heartbeats */
                    nanosleep(&sl, NULL);
                    continue;
                }
                if (now - last_hb >= hb_ns) {
                    send_control(0);
                    last_hb = now;
                }
            }
        }
        uint16_t cnt;
        uint64_t seq = P.next_seq;
        size_t len = build(buf, seq, P.nmsgs, &cnt, P.stamp);
        if (P.book)
            for (uint16_t i = 0; i < cnt; i++) {
                const uint8_t *mm = P.data + P.off[seq - 1 + i];
                tp_book_apply(P.book, mm, tp_be16(mm - 2));
            }
        P.next_seq += cnt;
        sent_msgs += cnt;
        /* deterministic faults: the same draws in the same order for every packet */
        uint64_t d_loss[2] = {tp_rng_next(&rng), tp_rng_next(&rng)};
        uint64_t d_dup = tp_rng_next(&rng), d_reo = tp_rng_next(&rng);
        int dup = (double)(d_dup >> 11) * 0x1p-53 < P.dup;
        int reo = (double)(d_reo >> 11) * 0x1p-53 < P.reorder && !held_len;
        for (int i = 0; i < P.nlines; i++)
            if (P.line[i].down_at && seq >= P.line[i].down_at)
                P.line[i].down = 1;
        if (reo) {
            memcpy(held, buf, len);
            held_len = len;
            P.reorders++;
            continue;
        }
        for (int rep = 0; rep < 1 + dup; rep++)
            for (int i = 0; i < P.nlines; i++) {
                if ((double)(d_loss[i] >> 11) * 0x1p-53 < P.line[i].loss) {
                    P.line[i].lost_pkts++;
                    continue;
                }
                queue_line(i, buf, len);
            }
        P.dups += (uint64_t)dup;
        if (held_len) {
            for (int i = 0; i < P.nlines; i++)
                queue_line(i, held, held_len);
            held_len = 0;
        }
        if (Q[0].n == BATCH || Q[P.nlines - 1].n == BATCH) {
            /* unpaced or catching up: serve requests once per batch, not per packet */
            flush_all();
            service();
        }
        last_hb = mono_ns();
    }
    flush_all();
    if (held_len)
        for (int i = 0; i < P.nlines; i++)
            send_line(i, held, held_len);
    /* end of session, repeated while lingering to serve late re-requests */
    uint64_t end_t = mono_ns();
    P.t_end = end_t;
    uint64_t last_eos = 0;
    while (!tp_sig_stop && mono_ns() - end_t < (uint64_t)P.linger_ms * 1000000ull &&
           mono_ns() < deadline + 5000000000ull) {
        if (mono_ns() - last_eos >= hb_ns) {
            send_control(TP_MOLD_END_OF_SESSION);
            last_eos = mono_ns();
        }
        service();
        usleep(100);
    }
    print_stats(stderr, end_t);
    write_stats(end_t);
    return 0;
}
