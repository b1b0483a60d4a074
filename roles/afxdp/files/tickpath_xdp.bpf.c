// SPDX-License-Identifier: GPL-2.0-only
/*
 * tickpath_xdp: steer the feed's UDP datagrams into AF_XDP sockets, pass everything else.
 *
 * Placeholder shipped by roles/afxdp until the feed handler's own program
 * (app/src/xdp/tickpath_xdp.bpf.c) exists. Contract with the loader (the feed handler):
 *
 *   map "xsks_map"   (XSKMAP, key = rx queue index, value = AF_XDP socket fd)
 *       the loader inserts one socket per rx queue it polls.
 *   map "feed_ports" (ARRAY, key = 0..TICKPATH_XDP_MAX_PORTS-1, value = UDP destination port in
 *       host byte order, 0 = unused slot)
 *       the loader writes the feed's ports after loading. An empty map redirects nothing, so a
 *       freshly attached program is harmless: every frame, ARP included, reaches the kernel.
 *   map "xdp_stats"  (PERCPU_ARRAY, key 0 = redirected, 1 = passed) counters for `tickpath stats`.
 *
 * A frame is redirected when it is IPv4 or IPv6 UDP (not a non-first IPv4 fragment) and its
 * destination port is in feed_ports; bpf_redirect_map() falls back to XDP_PASS when no socket is
 * bound to the frame's rx queue, so a missing socket never drops traffic.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define TICKPATH_XDP_MAX_PORTS 8
#define TICKPATH_XDP_MAX_QUEUES 64
#define TICKPATH_IP_MF 0x2000
#define TICKPATH_IP_OFFSET 0x1fff

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, TICKPATH_XDP_MAX_QUEUES);
	__type(key, __u32);
	__type(value, __u32);
} xsks_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TICKPATH_XDP_MAX_PORTS);
	__type(key, __u32);
	__type(value, __u32);
} feed_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} xdp_stats SEC(".maps");

static __always_inline void count(__u32 slot)
{
	__u64 *value = bpf_map_lookup_elem(&xdp_stats, &slot);

	if (value)
		*value += 1;
}

static __always_inline int is_feed_port(__u16 port_host_order)
{
	for (__u32 i = 0; i < TICKPATH_XDP_MAX_PORTS; i++) {
		__u32 key = i;
		__u32 *port = bpf_map_lookup_elem(&feed_ports, &key);

		if (port && *port != 0 && *port == port_host_order)
			return 1;
	}
	return 0;
}

/* Returns the UDP header of an IPv4/IPv6 UDP frame, or NULL. */
static __always_inline struct udphdr *udp_header(void *data, void *data_end)
{
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return NULL;

	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > data_end || ip->protocol != IPPROTO_UDP || ip->ihl < 5)
			return NULL;
		if (ip->frag_off & bpf_htons(TICKPATH_IP_OFFSET))
			return NULL; /* non-first fragment: no UDP header here */
		struct udphdr *udp = (void *)ip + ip->ihl * 4;

		if ((void *)(udp + 1) > data_end)
			return NULL;
		return udp;
	}
	if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > data_end || ip6->nexthdr != IPPROTO_UDP)
			return NULL;
		struct udphdr *udp = (void *)(ip6 + 1);

		if ((void *)(udp + 1) > data_end)
			return NULL;
		return udp;
	}
	return NULL;
}

SEC("xdp")
int tickpath_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct udphdr *udp = udp_header(data, data_end);

	if (udp && is_feed_port(bpf_ntohs(udp->dest))) {
		count(0);
		return bpf_redirect_map(&xsks_map, ctx->rx_queue_index, XDP_PASS);
	}
	count(1);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
