/* Receive transports behind one interface. rx() fills up to max packets (UDP payloads of
 * the feed lines) and returns how many; the payload pointers stay valid until the next rx()
 * or release(). Frame-level problems (afxdp/dpdk) are counted in the shm counters. */
#ifndef TP_FH_TRANSPORT_H
#define TP_FH_TRANSPORT_H

#include <stdint.h>

#include "fh/config.h"
#include "shm/layout.h"

typedef struct {
    const uint8_t *data;
    uint16_t len;
    uint8_t line;   /* TP_LINE_A / TP_LINE_B */
    uint64_t rx_ns; /* CLOCK_REALTIME */
} tp_rx_pkt;

typedef struct tp_transport tp_transport;
struct tp_transport {
    /* timeout_ms: -1 spin (return at once when nothing), >= 0 block up to that long (only
     * transports that block honour it). */
    int (*rx)(tp_transport *t, tp_rx_pkt *pkts, int max, int timeout_ms);
    void (*release)(tp_transport *t);
    /* Blocking transports also wake up for fd (re-request / snapshot sockets). */
    int (*watch_fd)(tp_transport *t, int fd);
    void (*close)(tp_transport *t);
    tp_shm_counters *ctr;
    int blocking;
};

#define TP_RX_BURST 64

/* Each returns NULL with a message in err. */
tp_transport *tp_transport_kernel(const tp_fh_config *c, int blocking, tp_shm_counters *ctr,
                                  char *err, size_t errlen);
tp_transport *tp_transport_afxdp(const tp_fh_config *c, tp_shm_counters *ctr, char *err,
                                 size_t errlen);
tp_transport *tp_transport_dpdk(const tp_fh_config *c, tp_shm_counters *ctr, char *err,
                                size_t errlen);
/* 1 when the binary was built with DPDK. */
int tp_transport_dpdk_available(void);

#endif
