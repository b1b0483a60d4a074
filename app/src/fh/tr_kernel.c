/* Kernel UDP multicast transport: one socket per line, joined on the line's interface.
 * Spinning variant: non-blocking recvmmsg on each line in turn (never sleeps).
 * Blocking variant (the traditional baseline): epoll_wait + one blocking recvmsg per ready
 * socket, so every packet costs an interrupt, a wake-up and two syscalls.
 * Both take the kernel's software receive timestamp (SO_TIMESTAMPING) as rx time. */
#define _GNU_SOURCE
#include <errno.h>
#include <time.h>
#include <linux/net_tstamp.h>
#include <linux/errqueue.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fh/transport.h"

#define PKT_MAX 2048
#define CMSG_MAX 256

typedef struct {
    tp_transport t;
    int fd[2];
    int nlines;
    uint8_t line_of[2];
    int ep;
    int next_line;
    struct mmsghdr msgs[TP_RX_BURST];
    struct iovec iov[TP_RX_BURST];
    uint8_t cmsg[TP_RX_BURST][CMSG_MAX];
    uint8_t buf[TP_RX_BURST][PKT_MAX] TP_ALIGNED_CL;
} tp_kernel;

static uint64_t realtime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t stamp_of(struct msghdr *mh)
{
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm))
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SO_TIMESTAMPING) {
            struct scm_timestamping tss;
            memcpy(&tss, CMSG_DATA(cm), sizeof tss);
            if (tss.ts[0].tv_sec || tss.ts[0].tv_nsec)
                return (uint64_t)tss.ts[0].tv_sec * 1000000000ull + (uint64_t)tss.ts[0].tv_nsec;
        }
    return realtime_ns();
}

static void prep(tp_kernel *k, int i, int n)
{
    for (int j = i; j < i + n; j++) {
        k->iov[j].iov_base = k->buf[j];
        k->iov[j].iov_len = PKT_MAX;
        memset(&k->msgs[j].msg_hdr, 0, sizeof k->msgs[j].msg_hdr);
        k->msgs[j].msg_hdr.msg_iov = &k->iov[j];
        k->msgs[j].msg_hdr.msg_iovlen = 1;
        k->msgs[j].msg_hdr.msg_control = k->cmsg[j];
        k->msgs[j].msg_hdr.msg_controllen = CMSG_MAX;
    }
}

static int fill(tp_kernel *k, int at, int got, uint8_t line, tp_rx_pkt *pkts)
{
    for (int j = at; j < at + got; j++) {
        pkts[j].data = k->buf[j];
        pkts[j].len = (uint16_t)(k->msgs[j].msg_len > PKT_MAX ? PKT_MAX : k->msgs[j].msg_len);
        pkts[j].line = line;
        pkts[j].rx_ns = stamp_of(&k->msgs[j].msg_hdr);
    }
    return got;
}

static int rx_spin(tp_transport *t, tp_rx_pkt *pkts, int max, int timeout_ms)
{
    (void)timeout_ms;
    tp_kernel *k = (tp_kernel *)t;
    if (max > TP_RX_BURST)
        max = TP_RX_BURST;
    int n = 0;
    for (int r = 0; r < k->nlines && n < max; r++) {
        int li = (k->next_line + r) % k->nlines;
        prep(k, n, max - n);
        int got = recvmmsg(k->fd[li], &k->msgs[n], (unsigned)(max - n), MSG_DONTWAIT, NULL);
        if (got > 0)
            n += fill(k, n, got, k->line_of[li], pkts);
    }
    k->next_line = (k->next_line + 1) % k->nlines;
    return n;
}

static int rx_block(tp_transport *t, tp_rx_pkt *pkts, int max, int timeout_ms)
{
    tp_kernel *k = (tp_kernel *)t;
    struct epoll_event ev[4];
    int ne = epoll_wait(k->ep, ev, 4, timeout_ms < 0 ? 100 : timeout_ms);
    int n = 0;
    for (int e = 0; e < ne && n < max; e++) {
        int li = (int)ev[e].data.u32;
        if (li >= 2)
            continue; /* a watched fd: the caller polls it */
        prep(k, n, 1);
        ssize_t got = recvmsg(k->fd[li], &k->msgs[n].msg_hdr, MSG_DONTWAIT);
        if (got > 0) {
            k->msgs[n].msg_len = (unsigned)got;
            n += fill(k, n, 1, k->line_of[li], pkts);
        }
    }
    return n;
}

static void release(tp_transport *t)
{
    (void)t;
}

static int watch(tp_transport *t, int fd)
{
    tp_kernel *k = (tp_kernel *)t;
    if (k->ep < 0)
        return 0;
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 2};
    return epoll_ctl(k->ep, EPOLL_CTL_ADD, fd, &ev);
}

static void kclose(tp_transport *t)
{
    tp_kernel *k = (tp_kernel *)t;
    for (int i = 0; i < k->nlines; i++)
        close(k->fd[i]);
    if (k->ep >= 0)
        close(k->ep);
    munmap(k, sizeof *k);
}

static int open_line(const tp_fh_line *l, int blocking, char *err, size_t errlen)
{
    unsigned ifindex = if_nametoindex(l->iface);
    if (!ifindex) {
        snprintf(err, errlen, "interface %s: %s", l->iface, strerror(errno));
        return -1;
    }
    int fd = socket(AF_INET, SOCK_DGRAM | (blocking ? 0 : SOCK_NONBLOCK), 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    int one = 1, buf = 32 << 20;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof buf) != 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
    int tsf = SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE;
    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &tsf, sizeof tsf);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(l->port), .sin_addr = l->group};
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        snprintf(err, errlen, "bind %s:%u: %s", l->iface, l->port, strerror(errno));
        close(fd);
        return -1;
    }
    int joined;
    if (l->source.s_addr) {
        /* Source-specific join: the kernel drops other senders' datagrams to the group. */
        struct group_source_req gs = {.gsr_interface = ifindex};
        struct sockaddr_in *g = (struct sockaddr_in *)&gs.gsr_group;
        struct sockaddr_in *src = (struct sockaddr_in *)&gs.gsr_source;
        g->sin_family = src->sin_family = AF_INET;
        g->sin_addr = l->group;
        src->sin_addr = l->source;
        joined = setsockopt(fd, IPPROTO_IP, MCAST_JOIN_SOURCE_GROUP, &gs, sizeof gs);
    } else {
        struct ip_mreqn mr = {.imr_multiaddr = l->group, .imr_ifindex = (int)ifindex};
        joined = setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof mr);
    }
    if (joined != 0) {
        snprintf(err, errlen, "join group on %s: %s", l->iface, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

tp_transport *tp_transport_kernel(const tp_fh_config *c, int blocking, tp_shm_counters *ctr,
                                  char *err, size_t errlen)
{
    tp_kernel *k = mmap(NULL, sizeof *k, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (k == MAP_FAILED) {
        snprintf(err, errlen, "mmap: %s", strerror(errno));
        return NULL;
    }
    k->ep = -1;
    for (int i = 0; i < 2; i++) {
        if (!c->line[i].set)
            continue;
        int fd = open_line(&c->line[i], blocking, err, errlen);
        if (fd < 0) {
            for (int j = 0; j < k->nlines; j++)
                close(k->fd[j]);
            munmap(k, sizeof *k);
            return NULL;
        }
        k->line_of[k->nlines] = (uint8_t)i;
        k->fd[k->nlines++] = fd;
    }
    if (blocking) {
        k->ep = epoll_create1(0);
        for (int i = 0; i < k->nlines; i++) {
            struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
            epoll_ctl(k->ep, EPOLL_CTL_ADD, k->fd[i], &ev);
        }
    }
    k->t.rx = blocking ? rx_block : rx_spin;
    k->t.release = release;
    k->t.watch_fd = watch;
    k->t.close = kclose;
    k->t.ctr = ctr;
    k->t.blocking = blocking;
    return &k->t;
}
