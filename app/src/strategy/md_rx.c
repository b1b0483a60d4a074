#include "strategy/md_rx.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/endian.h"
#include "mold/mold.h"
#include "mold/seq.h"
#include "soup/rtclock.h"

int md_rx_open(md_rx *m, const char *addr, uint16_t port, const char *iface_addr,
               tp_bbo_fn on_bbo, void *cb_ctx, char *err, size_t errlen)
{
    memset(m, 0, sizeof *m);
    m->fd = -1;
    m->next_seq = 1;
    tp_book_cfg bc = {.max_orders = 1u << 20, .max_levels = 1u << 16, .on_bbo = on_bbo,
                      .on_bbo_ctx = cb_ctx};
    m->book = tp_book_init(&bc);
    if (!m->book) {
        snprintf(err, errlen, "cannot allocate the book");
        return -1;
    }
    if (inet_pton(AF_INET, addr, &m->addr) != 1 || inet_pton(AF_INET, iface_addr, &m->iface_addr) != 1) {
        snprintf(err, errlen, "bad address %s / %s", addr, iface_addr);
        return -1;
    }
    m->port = port;
    tp_guard_init(&m->guard, NULL, MD_RX_JUMP_LIMIT);
    return 0;
}

int md_rx_start(md_rx *m, char *err, size_t errlen)
{
    char addr[INET_ADDRSTRLEN], iface_addr[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &m->addr, addr, sizeof addr);
    inet_ntop(AF_INET, &m->iface_addr, iface_addr, sizeof iface_addr);
    m->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (m->fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    int one = 1, sz = 8 << 20;
    setsockopt(m->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(m->fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
    int mc = IN_MULTICAST(ntohl(m->addr.s_addr));
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(m->port), .sin_addr = m->addr};
    if (bind(m->fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        snprintf(err, errlen, "bind %s:%u: %s", addr, m->port, strerror(errno));
        return -1;
    }
    if (mc) {
        struct ip_mreq mr = {.imr_multiaddr = m->addr, .imr_interface = m->iface_addr};
        if (setsockopt(m->fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof mr) != 0) {
            snprintf(err, errlen, "join %s on %s: %s", addr, iface_addr, strerror(errno));
            return -1;
        }
    }
    return 0;
}

void md_rx_close(md_rx *m)
{
    if (m->fd >= 0)
        close(m->fd);
    if (m->book)
        tp_book_free(m->book);
    m->fd = -1;
    m->book = NULL;
}

int md_rx_poll(md_rx *m, int budget)
{
    int handled = 0;
    while (handled < budget) {
        ssize_t n = recv(m->fd, m->buf, sizeof m->buf, 0);
        if (n < 0)
            return handled;
        m->t_rx = tp_rt_now_ns();
        handled++;
        m->st.packets++;
        tp_mold_pkt p;
        tp_mold_kind k = tp_mold_parse(m->buf, (size_t)n, &p);
        if (k <= TP_MOLD_END) {
            uint64_t seen = m->next_seq > 1 ? m->next_seq : 0;
            tp_guard_verdict v = tp_guard_check(&m->guard, &p, k, TP_LINE_A, seen);
            if (v == TP_GUARD_DROP_SESSION) {
                m->st.wrong_session++;
                continue;
            }
            if (v == TP_GUARD_DROP_OLD) {
                m->st.wrong_session++;
                continue;
            }
            if (v == TP_GUARD_DROP_JUMP) {
                m->st.seq_jumps++;
                continue;
            }
            if (v == TP_GUARD_NEW_SESSION || v == TP_GUARD_RESET) {
                /* the exchange restarted: its book starts empty, and so does ours */
                if (v == TP_GUARD_NEW_SESSION)
                    m->st.session_changes++;
                else
                    m->st.seq_resets++;
                tp_book_clear(m->book);
                m->next_seq = 1;
                m->ended = 0;
                m->restarts++;
            }
        }
        if (k == TP_MOLD_HEARTBEAT) {
            m->st.heartbeats++;
            if (p.seq > m->next_seq) {
                m->st.gaps++;
                m->next_seq = p.seq;
            }
            continue;
        }
        if (k == TP_MOLD_END) {
            m->st.end_of_session++;
            m->ended = 1;
            continue;
        }
        if (k != TP_MOLD_DATA) {
            m->st.bad_packets++;
            continue;
        }
        if (p.seq > m->next_seq)
            m->st.gaps++;
        tp_mold_iter it;
        tp_mold_iter_init(&it, &p);
        if (m->pkt_begin)
            m->pkt_begin(m->pkt_ctx);
        for (uint16_t i = 0; i < p.count; i++) {
            uint16_t len;
            const uint8_t *msg = tp_mold_iter_next(&it, &len);
            uint64_t seq = p.seq + i;
            if (seq < m->next_seq) {
                m->st.dups++;
                continue;
            }
            m->next_seq = seq + 1;
            m->cur_seq = seq;
            m->cur_itch_ts = len >= 11 ? tp_be48(msg + 5) : 0;
            m->st.messages++;
            tp_book_apply(m->book, msg, len);
        }
        if (m->pkt_end)
            m->pkt_end(m->pkt_ctx);
    }
    return handled;
}
