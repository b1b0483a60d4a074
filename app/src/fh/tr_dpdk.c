/* DPDK poll-mode transport (built when libdpdk is found; see README.md). In the lab the PMD
 * is a virtual device on the veth: --vdev=net_af_packet0,iface=feed-a (the kernel keeps
 * seeing ARP) or net_af_xdp0. One port per configured line, in order (line a = port 0). The
 * EAL gets dpdk.eal split on spaces; without hugepages add --no-huge -m 512. Frames are
 * parsed by net/udp_frame.c and filtered on the line's group and port. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "fh/transport.h"

#ifdef TP_HAVE_DPDK
#include <arpa/inet.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <stdlib.h>
#include <time.h>

#include "mold/seq.h"
#include "net/udp_frame.h"

typedef struct {
    tp_transport t;
    uint16_t port[2];
    uint8_t line_of[2];
    uint16_t dport[2];
    uint32_t source[2]; /* host order; 0 = any sender */
    uint32_t group[2];
    int nports;
    int next;
    struct rte_mempool *pool;
    struct rte_mbuf *held[TP_RX_BURST];
    int nheld;
} tp_dpdk;

static uint64_t realtime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int rx(tp_transport *t, tp_rx_pkt *pkts, int max, int timeout_ms)
{
    (void)timeout_ms;
    tp_dpdk *d = (tp_dpdk *)t;
    int n = 0;
    for (int r = 0; r < d->nports && n < max; r++) {
        int pi = (d->next + r) % d->nports;
        struct rte_mbuf *mb[TP_RX_BURST];
        uint16_t got = rte_eth_rx_burst(d->port[pi], 0, mb, (uint16_t)(max - n));
        if (!got)
            continue;
        uint64_t now = realtime_ns();
        for (uint16_t i = 0; i < got; i++) {
            tp_udp_view v;
            const uint8_t *f = rte_pktmbuf_mtod(mb[i], const uint8_t *);
            tp_frame_kind k = tp_udp_frame_parse(f, rte_pktmbuf_data_len(mb[i]), &v);
            if (k != TP_FRAME_OK) {
                if (k != TP_FRAME_NOT_IPV4)
                    t->ctr->frame_malformed[k]++;
                rte_pktmbuf_free(mb[i]);
                continue;
            }
            if (v.dport != d->dport[pi] || v.daddr != d->group[pi] ||
                (d->source[pi] && v.saddr != d->source[pi])) {
                t->ctr->not_feed_port++;
                rte_pktmbuf_free(mb[i]);
                continue;
            }
            d->held[d->nheld++] = mb[i];
            pkts[n].data = v.payload;
            pkts[n].len = v.len;
            pkts[n].line = d->line_of[pi];
            pkts[n].rx_ns = now;
            n++;
        }
    }
    d->next = (d->next + 1) % (d->nports ? d->nports : 1);
    return n;
}

static void release(tp_transport *t)
{
    tp_dpdk *d = (tp_dpdk *)t;
    for (int i = 0; i < d->nheld; i++)
        rte_pktmbuf_free(d->held[i]);
    d->nheld = 0;
}

static int watch(tp_transport *t, int fd)
{
    (void)t;
    (void)fd;
    return 0;
}

static void dclose(tp_transport *t)
{
    tp_dpdk *d = (tp_dpdk *)t;
    release(t);
    for (int i = 0; i < d->nports; i++) {
        rte_eth_dev_stop(d->port[i]);
        rte_eth_dev_close(d->port[i]);
    }
    rte_eal_cleanup();
}

int tp_transport_dpdk_available(void)
{
    return 1;
}

tp_transport *tp_transport_dpdk(const tp_fh_config *c, tp_shm_counters *ctr, char *err,
                                size_t errlen)
{
    static tp_dpdk d;
    static char eal_buf[sizeof c->dpdk_eal];
    static char *eargv[64];
    int eargc = 0;
    eargv[eargc++] = (char *)"tickpath-fh";
    snprintf(eal_buf, sizeof eal_buf, "%s", c->dpdk_eal);
    for (char *save = NULL, *tok = strtok_r(eal_buf, " \t", &save); tok && eargc < 63;
         tok = strtok_r(NULL, " \t", &save))
        eargv[eargc++] = tok;
    eargv[eargc] = NULL;
    if (rte_eal_init(eargc, eargv) < 0) {
        snprintf(err, errlen, "rte_eal_init failed (dpdk.eal='%s'): %s", c->dpdk_eal,
                 rte_strerror(rte_errno));
        return NULL;
    }
    uint16_t avail = rte_eth_dev_count_avail();
    d.pool = rte_pktmbuf_pool_create("tp_rx", 8191, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                     (int)rte_socket_id());
    if (!d.pool) {
        snprintf(err, errlen, "mbuf pool: %s", rte_strerror(rte_errno));
        return NULL;
    }
    uint16_t pid = 0;
    for (int i = 0; i < 2; i++) {
        if (!c->line[i].set)
            continue;
        if (pid >= avail) {
            snprintf(err, errlen, "line %c needs DPDK port %u but only %u ports exist "
                     "(add a --vdev per line to dpdk.eal)", 'a' + i, pid, avail);
            return NULL;
        }
        struct rte_eth_conf conf;
        memset(&conf, 0, sizeof conf);
        if (rte_eth_dev_configure(pid, 1, 0, &conf) < 0 ||
            rte_eth_rx_queue_setup(pid, 0, 1024, rte_eth_dev_socket_id(pid), NULL, d.pool) < 0 ||
            rte_eth_dev_start(pid) < 0) {
            snprintf(err, errlen, "port %u setup failed", pid);
            return NULL;
        }
        rte_eth_promiscuous_enable(pid);
        rte_eth_allmulticast_enable(pid);
        d.port[d.nports] = pid;
        d.line_of[d.nports] = (uint8_t)i;
        d.dport[d.nports] = c->line[i].port;
        d.group[d.nports] = ntohl(c->line[i].group.s_addr);
        d.source[d.nports] = ntohl(c->line[i].source.s_addr);
        d.nports++;
        pid++;
    }
    d.t.rx = rx;
    d.t.release = release;
    d.t.watch_fd = watch;
    d.t.close = dclose;
    d.t.ctr = ctr;
    return &d.t;
}

#else

int tp_transport_dpdk_available(void)
{
    return 0;
}

tp_transport *tp_transport_dpdk(const tp_fh_config *c, tp_shm_counters *ctr, char *err,
                                size_t errlen)
{
    (void)c;
    (void)ctr;
    snprintf(err, errlen, "this build has no DPDK");
    return NULL;
}

#endif
