/* AF_XDP transport (libxdp xsk API + our own XDP program, xdp/tickpath_xdp.bpf.c).
 *
 * Per line: a UMEM of 4096 2 KiB frames (pre-faulted), one XSK socket bound to the line's
 * interface and queue (afxdp.queue), zero-copy attempted first when afxdp.zerocopy=true and
 * copy mode otherwise (veth has no zero-copy: EOPNOTSUPP), with a retry on EBUSY (a queue
 * released a moment ago). libxdp's own program loading is inhibited; ours redirects only
 * the feed ports and passes everything else (ARP) to the kernel. It is detached on close
 * (tickpath-fh closes the transport on SIGINT/SIGTERM and at the end of session) and a stale
 * one is detached at start. Frames are parsed (Ethernet/IPv4/UDP, net/udp_frame.c) and
 * filtered on the line's group and port; the rest is counted. Multicast frames reach AF_XDP
 * without a group join; the kernel never sees them (no socket needed). */
#define _GNU_SOURCE
#include <stdio.h>

#include "fh/transport.h"

#ifdef TP_HAVE_AFXDP
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_link.h>
#include <linux/if_xdp.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <xdp/xsk.h>

#include "mold/seq.h"
#include "net/udp_frame.h"
#include "xdp/xdp_prog.h"

#define NFRAMES 4096
#define FRAME XSK_UMEM__DEFAULT_FRAME_SIZE
#define RING 2048

typedef struct {
    struct xsk_umem *umem;
    struct xsk_socket *xsk;
    struct xsk_ring_prod fq;
    struct xsk_ring_cons cq;
    struct xsk_ring_cons rx;
    uint8_t *area;
    tp_xdp_prog prog;
    uint8_t line;
    uint16_t port;
    uint32_t group;
    uint32_t source; /* host order; 0 = any sender */
    uint32_t held; /* rx descriptors consumed but not yet returned */
    uint32_t held_idx;
    int zerocopy;
} xline;

typedef struct {
    tp_transport t;
    xline l[2];
    int n;
    int next;
} tp_afxdp;

static uint64_t realtime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void refill(xline *x, uint32_t n)
{
    /* return the frames of the last batch to the fill ring */
    uint32_t idx;
    while (xsk_ring_prod__reserve(&x->fq, n, &idx) != n)
        ;
    for (uint32_t i = 0; i < n; i++) {
        const struct xdp_desc *d = xsk_ring_cons__rx_desc(&x->rx, x->held_idx + i);
        *xsk_ring_prod__fill_addr(&x->fq, idx + i) = xsk_umem__extract_addr(d->addr);
    }
    xsk_ring_prod__submit(&x->fq, n);
    xsk_ring_cons__release(&x->rx, n);
}

static int rx(tp_transport *t, tp_rx_pkt *pkts, int max, int timeout_ms)
{
    (void)timeout_ms;
    tp_afxdp *a = (tp_afxdp *)t;
    int n = 0;
    for (int r = 0; r < a->n && n < max; r++) {
        xline *x = &a->l[(a->next + r) % a->n];
        if (xsk_ring_prod__needs_wakeup(&x->fq))
            recvfrom(xsk_socket__fd(x->xsk), NULL, 0, MSG_DONTWAIT, NULL, NULL);
        uint32_t idx;
        uint32_t got = xsk_ring_cons__peek(&x->rx, (uint32_t)(max - n), &idx);
        if (!got)
            continue;
        uint64_t now = realtime_ns();
        x->held = got;
        x->held_idx = idx;
        for (uint32_t i = 0; i < got; i++) {
            const struct xdp_desc *d = xsk_ring_cons__rx_desc(&x->rx, idx + i);
            const uint8_t *f = xsk_umem__get_data(x->area, xsk_umem__add_offset_to_addr(d->addr));
            tp_udp_view v;
            tp_frame_kind k = tp_udp_frame_parse(f, d->len, &v);
            if (k != TP_FRAME_OK) {
                t->ctr->frame_malformed[k]++;
                continue;
            }
            if (v.dport != x->port || v.daddr != x->group ||
                (x->source && v.saddr != x->source)) {
                t->ctr->not_feed_port++;
                continue;
            }
            pkts[n].data = v.payload;
            pkts[n].len = v.len;
            pkts[n].line = x->line;
            pkts[n].rx_ns = now;
            n++;
        }
    }
    a->next = (a->next + 1) % a->n;
    return n;
}

static void release(tp_transport *t)
{
    tp_afxdp *a = (tp_afxdp *)t;
    for (int i = 0; i < a->n; i++)
        if (a->l[i].held) {
            refill(&a->l[i], a->l[i].held);
            a->l[i].held = 0;
        }
}

static int watch(tp_transport *t, int fd)
{
    (void)t;
    (void)fd;
    return 0;
}

static void xclose(tp_transport *t)
{
    tp_afxdp *a = (tp_afxdp *)t;
    for (int i = 0; i < a->n; i++) {
        xline *x = &a->l[i];
        tp_xdp_prog_detach(&x->prog);
        if (x->xsk)
            xsk_socket__delete(x->xsk);
        if (x->umem)
            xsk_umem__delete(x->umem);
        if (x->area)
            munmap(x->area, (size_t)NFRAMES * FRAME);
    }
    free(a);
}

static int open_line(xline *x, const tp_fh_config *c, const tp_fh_line *l, char *err,
                     size_t errlen)
{
    int ifindex = (int)if_nametoindex(l->iface);
    if (!ifindex) {
        snprintf(err, errlen, "interface %s: %s", l->iface, strerror(errno));
        return -1;
    }
    if (tp_xdp_prog_attach(&x->prog, ifindex, c->afxdp_native, &l->port, 1, err, errlen))
        return -1;
    x->area = mmap(NULL, (size_t)NFRAMES * FRAME, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (x->area == MAP_FAILED) {
        x->area = NULL;
        snprintf(err, errlen, "umem mmap: %s", strerror(errno));
        return -1;
    }
    struct xsk_umem_config ucfg = {.fill_size = RING * 2, .comp_size = RING,
                                   .frame_size = FRAME, .frame_headroom = 0};
    int r = xsk_umem__create(&x->umem, x->area, (uint64_t)NFRAMES * FRAME, &x->fq, &x->cq, &ucfg);
    if (r) {
        snprintf(err, errlen, "xsk_umem__create: %s", strerror(-r));
        return -1;
    }
    struct xsk_socket_config scfg = {
        .rx_size = RING, .tx_size = 0,
        .libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
        .xdp_flags = x->prog.flags,
    };
    int modes[2] = {XDP_ZEROCOPY, XDP_COPY};
    r = -1;
    for (int m = c->afxdp_zerocopy ? 0 : 1; m < 2; m++) {
        scfg.bind_flags = (uint16_t)(modes[m] | XDP_USE_NEED_WAKEUP);
        for (int tries = 0; tries < 50; tries++) {
            r = xsk_socket__create(&x->xsk, l->iface, c->afxdp_queue, x->umem, &x->rx, NULL, &scfg);
            if (r != -EBUSY)
                break;
            usleep(100000); /* the queue was released a moment ago */
        }
        if (!r) {
            x->zerocopy = m == 0;
            break;
        }
    }
    if (r) {
        snprintf(err, errlen, "xsk_socket__create on %s queue %u: %s", l->iface, c->afxdp_queue,
                 strerror(-r));
        x->xsk = NULL;
        return -1;
    }
    r = xsk_socket__update_xskmap(x->xsk, x->prog.xsks_map_fd);
    if (r) {
        snprintf(err, errlen, "xskmap update: %s", strerror(-r));
        return -1;
    }
    uint32_t idx;
    uint32_t nfill = RING * 2 < NFRAMES ? RING * 2 : NFRAMES;
    if (xsk_ring_prod__reserve(&x->fq, nfill, &idx) != nfill) {
        snprintf(err, errlen, "fill ring reserve failed");
        return -1;
    }
    for (uint32_t i = 0; i < nfill; i++)
        *xsk_ring_prod__fill_addr(&x->fq, idx + i) = (uint64_t)i * FRAME;
    xsk_ring_prod__submit(&x->fq, nfill);
    x->port = l->port;
    x->group = ntohl(l->group.s_addr);
    x->source = ntohl(l->source.s_addr);
    fprintf(stderr, "tickpath-fh: afxdp on %s queue %u: %s mode, %s\n", l->iface,
            c->afxdp_queue, c->afxdp_native ? "native" : "generic",
            x->zerocopy ? "zero-copy" : "copy");
    return 0;
}

tp_transport *tp_transport_afxdp(const tp_fh_config *c, tp_shm_counters *ctr, char *err,
                                 size_t errlen)
{
    tp_afxdp *a = calloc(1, sizeof *a);
    if (!a) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    a->t.rx = rx;
    a->t.release = release;
    a->t.watch_fd = watch;
    a->t.close = xclose;
    a->t.ctr = ctr;
    for (int i = 0; i < 2; i++) {
        if (!c->line[i].set)
            continue;
        xline *x = &a->l[a->n++];
        x->line = (uint8_t)i;
        if (open_line(x, c, &c->line[i], err, errlen)) {
            xclose(&a->t);
            return NULL;
        }
    }
    return &a->t;
}

#else

tp_transport *tp_transport_afxdp(const tp_fh_config *c, tp_shm_counters *ctr, char *err,
                                 size_t errlen)
{
    (void)c;
    (void)ctr;
    snprintf(err, errlen, "this build has no AF_XDP (needs libxdp-dev, libbpf-dev, clang)");
    return NULL;
}

#endif
