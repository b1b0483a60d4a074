/* MoldUDP64 publisher of the simulator's ITCH. */
#include "sim/itch_out.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/errqueue.h>
#include <linux/net_tstamp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/endian.h"
#include "common/outfile.h"
#include "itch/binaryfile.h"
#include "mold/mold.h"
#include "soup/rtclock.h"

static int udp_socket(const char *source, const struct in_addr *dst, char *err, size_t errlen)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    if (source && *source) {
        struct sockaddr_in sa = {.sin_family = AF_INET};
        if (inet_pton(AF_INET, source, &sa.sin_addr) != 1) {
            snprintf(err, errlen, "bad source address %s", source);
            close(fd);
            return -1;
        }
        if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
            snprintf(err, errlen, "bind %s: %s", source, strerror(errno));
            close(fd);
            return -1;
        }
        if (IN_MULTICAST(ntohl(dst->s_addr)) &&
            setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &sa.sin_addr, sizeof sa.sin_addr) != 0) {
            snprintf(err, errlen, "IP_MULTICAST_IF %s: %s", source, strerror(errno));
            close(fd);
            return -1;
        }
    }
    unsigned char ttl = 1, loop = 1;
    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl);
    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof loop);
    int sz = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
    return fd;
}

int itch_out_init(itch_out *o, const itch_out_cfg *cfg, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    o->fd[0] = o->fd[1] = o->rr_fd = -1;
    tp_mold_session_pad(o->session, cfg->session);
    o->next_seq = 1;
    o->n_lines = cfg->n_lines;
    o->pkt_len = TP_MOLD_HDR_LEN;
    for (int i = 0; i < cfg->n_lines; i++) {
        o->dst[i].sin_family = AF_INET;
        o->dst[i].sin_port = htons(cfg->port[i]);
        if (inet_pton(AF_INET, cfg->addr[i], &o->dst[i].sin_addr) != 1) {
            snprintf(err, errlen, "line %c: bad address %s", 'a' + i, cfg->addr[i]);
            return -1;
        }
        o->fd[i] = udp_socket(cfg->source[i], &o->dst[i].sin_addr, err, errlen);
        if (o->fd[i] < 0)
            return -1;
    }
    /* Line A's packets get the kernel's software transmit stamp (taken in the device's
     * transmit routine: loopback, veth, a NIC driver), read back from the error queue with
     * the datagram's number (OPT_ID) after each send. */
    int tsflags = SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE |
                  SOF_TIMESTAMPING_OPT_ID | SOF_TIMESTAMPING_OPT_TSONLY;
    o->tx_stamps = cfg->n_lines > 0 &&
                   setsockopt(o->fd[0], SOL_SOCKET, SO_TIMESTAMPING, &tsflags, sizeof tsflags) == 0;
    o->store_cap = cfg->store_bytes;
    o->store_max = cfg->store_msgs;
    o->store = malloc(o->store_cap);
    o->store_off = calloc(o->store_max + 1, sizeof *o->store_off);
    o->stamp_seq = calloc(IO_STAMP_SLOTS, sizeof *o->stamp_seq);
    o->stamp_ns = calloc(IO_STAMP_SLOTS, sizeof *o->stamp_ns);
    o->stamp_wire_ns = calloc(IO_STAMP_SLOTS, sizeof *o->stamp_wire_ns);
    if (!o->store || !o->store_off || !o->stamp_seq || !o->stamp_ns || !o->stamp_wire_ns) {
        snprintf(err, errlen, "out of memory for the retransmission store");
        return -1;
    }
    if (cfg->itch_out) {
        o->bf = tp_out_fopen(cfg->itch_out, TP_OUT_MODE);
        if (!o->bf) {
            snprintf(err, errlen, "%s: %s", cfg->itch_out, strerror(errno));
            return -1;
        }
        setvbuf(o->bf, NULL, _IOFBF, 1 << 20);
    }
    if (cfg->rr_port) {
        o->rr_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(cfg->rr_port)};
        if (inet_pton(AF_INET, cfg->rr_bind[0] ? cfg->rr_bind : "0.0.0.0", &sa.sin_addr) != 1 ||
            bind(o->rr_fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
            snprintf(err, errlen, "re-request server %s:%u: %s", cfg->rr_bind, cfg->rr_port,
                     strerror(errno));
            return -1;
        }
    }
    return 0;
}

void itch_out_close(itch_out *o)
{
    for (int i = 0; i < 2; i++)
        if (o->fd[i] >= 0)
            close(o->fd[i]);
    if (o->rr_fd >= 0)
        close(o->rr_fd);
    if (o->bf)
        fclose(o->bf);
    free(o->store);
    free(o->store_off);
    free(o->stamp_seq);
    free(o->stamp_ns);
    free(o->stamp_wire_ns);
    memset(o, 0, sizeof *o);
    o->fd[0] = o->fd[1] = o->rr_fd = -1;
}

/* The transmit stamp of the datagram just sent on line A (number o->tx_id), from the
 * socket's error queue; 0 if the kernel has not queued it (yet). Stamps of older datagrams
 * met on the way are dropped: on loopback and veth the stamp is queued inside sendto(), so
 * the first read finds it. A newer number means a failed send still took a number: the count
 * follows the kernel's. */
static uint64_t read_tx_stamp(itch_out *o)
{
    uint32_t id = o->tx_id++;
    for (int k = 0; k < 4; k++) {
        union {
            char buf[CMSG_SPACE(sizeof(struct scm_timestamping)) +
                     CMSG_SPACE(sizeof(struct sock_extended_err) + sizeof(struct sockaddr_in))];
            struct cmsghdr align;
        } ctl;
        struct msghdr mh = {.msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf};
        if (recvmsg(o->fd[0], &mh, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
            return 0;
        uint64_t ts = 0;
        int have_id = 0;
        uint32_t got = 0;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPING) {
                struct scm_timestamping t;
                memcpy(&t, CMSG_DATA(c), sizeof t);
                ts = tp_rt_ns(&t.ts[0]);
            } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) {
                struct sock_extended_err ee;
                memcpy(&ee, CMSG_DATA(c), sizeof ee);
                if (ee.ee_errno == ENOMSG && ee.ee_origin == SO_EE_ORIGIN_TIMESTAMPING) {
                    have_id = 1;
                    got = ee.ee_data;
                }
            }
        }
        if (ts && have_id && (int32_t)(got - id) >= 0) {
            o->tx_id = got + 1;
            return ts;
        }
    }
    return 0;
}

/* Send on every line; returns line A's kernel transmit stamp, 0 if there is none. */
static uint64_t send_all(itch_out *o, const uint8_t *p, size_t len)
{
    uint64_t stamp = 0;
    for (int i = 0; i < o->n_lines; i++) {
        if (sendto(o->fd[i], p, len, 0, (struct sockaddr *)&o->dst[i], sizeof o->dst[i]) < 0) {
            o->st.send_errors++;
            continue;
        }
        if (i == 0 && o->tx_stamps)
            stamp = read_tx_stamp(o);
    }
    return stamp;
}

void itch_out_flush(itch_out *o)
{
    if (!o->pkt_count)
        return;
    uint64_t first = o->next_seq - o->pkt_count;
    uint64_t now = tp_rt_now_ns();
    uint64_t ts = tp_rt_since_midnight(now);
    tp_mold_put_header(o->pkt, o->session, first, o->pkt_count);
    for (uint16_t i = 0; i < o->pkt_count; i++) {
        uint8_t *m = o->pkt + o->msg_off[i] + 2;
        size_t len = tp_be16(o->pkt + o->msg_off[i]);
        tp_put_be48(m + 5, ts);
        uint64_t seq = first + i;
        uint64_t k = seq & (IO_STAMP_SLOTS - 1);
        o->stamp_seq[k] = seq;
        o->stamp_ns[k] = now;
        o->stamp_wire_ns[k] = now;
        if (seq <= o->store_max && o->store_cap - o->store_used >= len) {
            memcpy(o->store + o->store_used, m, len);
            o->store_off[seq - 1] = o->store_used;
            o->store_used += len;
            o->store_off[seq] = o->store_used;
        } else {
            o->st.store_full++;
        }
        if (o->bf) {
            uint8_t l2[2];
            tp_put_be16(l2, (uint16_t)len);
            fwrite(l2, 1, 2, o->bf);
            fwrite(m, 1, len, o->bf);
        }
    }
    uint64_t wire = send_all(o, o->pkt, o->pkt_len);
    if (wire >= now) {
        for (uint16_t i = 0; i < o->pkt_count; i++)
            o->stamp_wire_ns[(first + i) & (IO_STAMP_SLOTS - 1)] = wire;
        o->st.tx_stamped++;
    } else {
        o->st.tx_unstamped++;
    }
    o->st.packets++;
    o->st.bytes += o->pkt_len;
    o->last_send_ns = now;
    o->pkt_len = TP_MOLD_HDR_LEN;
    o->pkt_count = 0;
}

uint64_t itch_out_put(itch_out *o, const uint8_t *msg, size_t len)
{
    if (o->pkt_len + 2 + len > IO_MAX_PKT || o->pkt_count == 128)
        itch_out_flush(o);
    o->msg_off[o->pkt_count++] = (uint16_t)o->pkt_len;
    tp_put_be16(o->pkt + o->pkt_len, (uint16_t)len);
    memcpy(o->pkt + o->pkt_len + 2, msg, len);
    o->pkt_len += 2 + len;
    o->st.messages++;
    return o->next_seq++;
}

void itch_out_idle(itch_out *o, uint64_t now, uint64_t idle_ns)
{
    if (o->pkt_count || now < o->last_send_ns || now - o->last_send_ns < idle_ns)
        return;
    uint8_t hb[TP_MOLD_HDR_LEN];
    tp_mold_put_header(hb, o->session, o->next_seq, 0);
    (void)send_all(o, hb, sizeof hb);
    o->st.heartbeats++;
    o->last_send_ns = now;
}

void itch_out_end(itch_out *o)
{
    itch_out_flush(o);
    uint8_t p[TP_MOLD_HDR_LEN];
    tp_mold_put_header(p, o->session, o->next_seq, TP_MOLD_END_OF_SESSION);
    (void)send_all(o, p, sizeof p);
    if (o->bf)
        fflush(o->bf);
}

void itch_out_serve_rerequests(itch_out *o)
{
    if (o->rr_fd < 0)
        return;
    for (int k = 0; k < 64; k++) {
        uint8_t req[64];
        struct sockaddr_in from;
        socklen_t fl = sizeof from;
        ssize_t n = recvfrom(o->rr_fd, req, sizeof req, 0, (struct sockaddr *)&from, &fl);
        if (n < 0)
            return;
        const uint8_t *sess;
        uint64_t seq;
        uint16_t count;
        if (tp_mold_parse_request(req, (size_t)n, &sess, &seq, &count) != 0 ||
            memcmp(sess, o->session, 10) != 0 || seq == 0) {
            o->st.bad_requests++;
            continue;
        }
        o->st.rerequests++;
        uint64_t have = o->next_seq - 1 - o->pkt_count; /* sent and stored */
        uint64_t end = seq + count; /* exclusive */
        if (end > have + 1)
            end = have + 1;
        uint8_t pkt[IO_MAX_PKT];
        while (seq < end) {
            size_t len = TP_MOLD_HDR_LEN;
            uint64_t first = seq;
            uint16_t c = 0;
            while (seq < end && seq <= o->store_max && o->store_off[seq] > o->store_off[seq - 1]) {
                size_t ml = (size_t)(o->store_off[seq] - o->store_off[seq - 1]);
                if (len + 2 + ml > IO_MAX_PKT)
                    break;
                tp_put_be16(pkt + len, (uint16_t)ml);
                memcpy(pkt + len + 2, o->store + o->store_off[seq - 1], ml);
                len += 2 + ml;
                seq++;
                c++;
            }
            if (!c)
                break; /* not in the store */
            tp_mold_put_header(pkt, o->session, first, c);
            sendto(o->rr_fd, pkt, len, 0, (struct sockaddr *)&from, fl);
            o->st.retrans_msgs += c;
        }
    }
}
