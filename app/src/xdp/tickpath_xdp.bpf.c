// SPDX-License-Identifier: GPL-2.0
/* tickpath's XDP program: redirect the feed's UDP frames (IPv4, destination port listed in
 * tp_ports) to the AF_XDP socket of the receive queue; everything else, ARP and the
 * re-request answers included, goes to the kernel (XDP_PASS). libxdp's default program
 * redirects every frame, which starves ARP on the veth, hence this one. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_XSKMAP);
    __uint(max_entries, 64);
    __type(key, __u32);
    __type(value, __u32);
} xsks_map SEC(".maps");

/* key: UDP destination port (host order); value: 1 = steer to AF_XDP */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 16);
    __type(key, __u16);
    __type(value, __u8);
} tp_ports SEC(".maps");

/* [0] redirected, [1] passed */
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 2);
    __type(key, __u32);
    __type(value, __u64);
} tp_stats SEC(".maps");

static __always_inline void count(__u32 k)
{
    __u64 *v = bpf_map_lookup_elem(&tp_stats, &k);
    if (v)
        *v += 1;
}

SEC("xdp")
int tickpath_xdp(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    if ((void *)(eth + 1) > end)
        goto pass;
    __u16 proto = eth->h_proto;
    void *l3 = eth + 1;
    if (proto == bpf_htons(ETH_P_8021Q)) {
        if (l3 + 4 > end)
            goto pass;
        proto = *(__u16 *)(l3 + 2);
        l3 += 4;
    }
    if (proto != bpf_htons(ETH_P_IP))
        goto pass;
    struct iphdr *ip = l3;
    if ((void *)(ip + 1) > end || ip->ihl < 5 || ip->protocol != IPPROTO_UDP)
        goto pass;
    struct udphdr *udp = l3 + ip->ihl * 4;
    if ((void *)(udp + 1) > end)
        goto pass;
    __u16 port = bpf_ntohs(udp->dest);
    if (!bpf_map_lookup_elem(&tp_ports, &port))
        goto pass;
    count(0);
    return bpf_redirect_map(&xsks_map, ctx->rx_queue_index, XDP_PASS);
pass:
    count(1);
    return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
