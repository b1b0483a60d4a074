/* XDP program loader (see xdp_prog.h). */
#define _GNU_SOURCE
#include "xdp/xdp_prog.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/if_link.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

extern const unsigned char tp_xdp_obj[];
extern const size_t tp_xdp_obj_len;

static int quiet(enum libbpf_print_level lvl, const char *fmt, va_list ap)
{
    if (lvl == LIBBPF_WARN)
        return vfprintf(stderr, fmt, ap);
    return 0;
}

int tp_xdp_prog_attach(tp_xdp_prog *p, int ifindex, int native, const uint16_t *ports,
                       int nports, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    p->xsks_map_fd = p->stats_fd = -1;
    libbpf_set_print(quiet);
    /* a stale program from a receiver that died without cleaning up */
    bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL);
    bpf_xdp_detach(ifindex, XDP_FLAGS_SKB_MODE, NULL);
    LIBBPF_OPTS(bpf_object_open_opts, oo, .object_name = "tickpath_xdp");
    p->obj = bpf_object__open_mem(tp_xdp_obj, tp_xdp_obj_len, &oo);
    if (!p->obj) {
        snprintf(err, errlen, "open embedded XDP object: %s", strerror(errno));
        return -1;
    }
    if (bpf_object__load(p->obj) != 0) {
        snprintf(err, errlen, "load XDP program: %s", strerror(errno));
        bpf_object__close(p->obj);
        p->obj = NULL;
        return -1;
    }
    struct bpf_program *prog = bpf_object__find_program_by_name(p->obj, "tickpath_xdp");
    p->xsks_map_fd = bpf_object__find_map_fd_by_name(p->obj, "xsks_map");
    p->stats_fd = bpf_object__find_map_fd_by_name(p->obj, "tp_stats");
    int ports_fd = bpf_object__find_map_fd_by_name(p->obj, "tp_ports");
    if (!prog || p->xsks_map_fd < 0 || ports_fd < 0) {
        snprintf(err, errlen, "XDP object lacks its program or maps");
        bpf_object__close(p->obj);
        p->obj = NULL;
        return -1;
    }
    for (int i = 0; i < nports; i++) {
        uint8_t one = 1;
        bpf_map_update_elem(ports_fd, &ports[i], &one, BPF_ANY);
    }
    p->flags = native ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE;
    if (bpf_xdp_attach(ifindex, bpf_program__fd(prog), p->flags, NULL) != 0) {
        snprintf(err, errlen, "attach XDP (%s mode) on ifindex %d: %s",
                 native ? "native" : "generic", ifindex, strerror(errno));
        bpf_object__close(p->obj);
        p->obj = NULL;
        return -1;
    }
    p->ifindex = ifindex;
    p->attached = 1;
    return 0;
}

void tp_xdp_prog_stats(const tp_xdp_prog *p, uint64_t out[2])
{
    out[0] = out[1] = 0;
    if (p->stats_fd < 0)
        return;
    int ncpu = libbpf_num_possible_cpus();
    if (ncpu <= 0 || ncpu > 1024)
        return;
    uint64_t vals[1024];
    for (uint32_t k = 0; k < 2; k++)
        if (bpf_map_lookup_elem(p->stats_fd, &k, vals) == 0)
            for (int c = 0; c < ncpu; c++)
                out[k] += vals[c];
}

void tp_xdp_prog_detach(tp_xdp_prog *p)
{
    if (p->attached)
        bpf_xdp_detach(p->ifindex, p->flags, NULL);
    p->attached = 0;
    if (p->obj)
        bpf_object__close(p->obj);
    p->obj = NULL;
}
