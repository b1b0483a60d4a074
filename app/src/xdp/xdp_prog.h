/* Load and attach tickpath's own XDP program (tickpath_xdp.bpf.c, embedded in the binary)
 * on one interface, steering only the given UDP ports to AF_XDP. */
#ifndef TP_XDP_XDP_PROG_H
#define TP_XDP_XDP_PROG_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    struct bpf_object *obj;
    int ifindex;
    uint32_t flags;   /* XDP_FLAGS_* used to attach */
    int xsks_map_fd;
    int stats_fd;
    int attached;
} tp_xdp_prog;

/* Detach whatever program a killed receiver left on ifindex (both modes), load ours, fill
 * the port map, attach in native (drv) or generic (skb) mode. 0 or -1 with err. */
int tp_xdp_prog_attach(tp_xdp_prog *p, int ifindex, int native, const uint16_t *ports,
                       int nports, char *err, size_t errlen);
void tp_xdp_prog_detach(tp_xdp_prog *p);
/* Sum of the per-CPU counters: [0] redirected, [1] passed. */
void tp_xdp_prog_stats(const tp_xdp_prog *p, uint64_t out[2]);

#endif
