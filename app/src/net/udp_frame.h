/* Ethernet II (+ one optional 802.1Q tag) / IPv4 / UDP frame parser for the kernel-bypass
 * transports (AF_XDP, DPDK), which see whole frames. Checks every length against the frame:
 * IPv4 header length (IHL >= 5 and inside the frame), total length (>= IHL, <= frame),
 * fragments (not handled: a fragmented feed packet is counted), UDP length (>= 8, <= the IP
 * payload). Checksums are not verified (the NIC or veth already did, or could not). Never
 * reads past len. */
#ifndef TP_NET_UDP_FRAME_H
#define TP_NET_UDP_FRAME_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    TP_FRAME_OK = 0,
    TP_FRAME_SHORT = 1,       /* shorter than Ethernet + IPv4 + UDP headers */
    TP_FRAME_NOT_IPV4 = 2,    /* other ethertype (ARP, IPv6, ...): not ours */
    TP_FRAME_BAD_IHL = 3,     /* IPv4 version != 4, IHL < 5 or past the frame */
    TP_FRAME_BAD_IP_LEN = 4,  /* total length < IHL or past the frame */
    TP_FRAME_FRAGMENT = 5,    /* MF set or fragment offset != 0 */
    TP_FRAME_NOT_UDP = 6,     /* other IP protocol */
    TP_FRAME_BAD_UDP_LEN = 7, /* UDP length < 8 or past the IP payload */
    TP_FRAME_KINDS = 8,
} tp_frame_kind;

typedef struct {
    const uint8_t *payload; /* UDP payload */
    uint16_t len;           /* UDP payload length (from the UDP header) */
    uint16_t sport, dport;
    uint32_t saddr, daddr;  /* host order */
} tp_udp_view;

tp_frame_kind tp_udp_frame_parse(const uint8_t *frame, size_t len, tp_udp_view *out);
const char *tp_frame_kind_name(tp_frame_kind k);

/* Build an Ethernet/IPv4/UDP frame (tests and the fuzz seed corpus); returns its length or
 * 0 if cap is too small. Addresses and ports in host order; the IP checksum is computed. */
size_t tp_udp_frame_build(uint8_t *out, size_t cap, uint32_t saddr, uint32_t daddr,
                          uint16_t sport, uint16_t dport, const uint8_t *payload, size_t plen);

#endif
