/* Ethernet/IPv4/UDP frame parser (see udp_frame.h). */
#include "net/udp_frame.h"

#include <string.h>

#include "common/compiler.h"
#include "common/endian.h"

#define ETH_LEN 14
#define VLAN_LEN 4
#define IP_MIN 20
#define UDP_LEN 8

const char *tp_frame_kind_name(tp_frame_kind k)
{
    static const char *const names[TP_FRAME_KINDS] = {
        "ok", "short", "not_ipv4", "bad_ihl", "bad_ip_len", "fragment", "not_udp",
        "bad_udp_len",
    };
    return (unsigned)k < TP_FRAME_KINDS ? names[k] : "?";
}

tp_frame_kind tp_udp_frame_parse(const uint8_t *f, size_t len, tp_udp_view *out)
{
    if (TP_UNLIKELY(len < ETH_LEN))
        return TP_FRAME_SHORT;
    size_t off = 12;
    uint16_t et = tp_be16(f + off);
    off += 2;
    if (et == 0x8100) {
        if (len < off + VLAN_LEN)
            return TP_FRAME_SHORT;
        et = tp_be16(f + off + 2);
        off += VLAN_LEN;
    }
    if (et != 0x0800)
        return TP_FRAME_NOT_IPV4;
    if (TP_UNLIKELY(len < off + IP_MIN + UDP_LEN))
        return TP_FRAME_SHORT;
    const uint8_t *ip = f + off;
    if ((ip[0] >> 4) != 4)
        return TP_FRAME_BAD_IHL;
    size_t ihl = (size_t)(ip[0] & 0x0f) * 4;
    size_t ip_room = len - off;
    if (ihl < IP_MIN || ihl > ip_room)
        return TP_FRAME_BAD_IHL;
    size_t tot = tp_be16(ip + 2);
    if (tot < ihl || tot > ip_room)
        return TP_FRAME_BAD_IP_LEN;
    if (tp_be16(ip + 6) & 0x3fff)
        return TP_FRAME_FRAGMENT;
    if (ip[9] != 17)
        return TP_FRAME_NOT_UDP;
    if (tot - ihl < UDP_LEN)
        return TP_FRAME_BAD_UDP_LEN;
    const uint8_t *udp = ip + ihl;
    size_t ulen = tp_be16(udp + 4);
    if (ulen < UDP_LEN || ulen > tot - ihl)
        return TP_FRAME_BAD_UDP_LEN;
    out->saddr = tp_be32(ip + 12);
    out->daddr = tp_be32(ip + 16);
    out->sport = tp_be16(udp);
    out->dport = tp_be16(udp + 2);
    out->payload = udp + UDP_LEN;
    out->len = (uint16_t)(ulen - UDP_LEN);
    return TP_FRAME_OK;
}

size_t tp_udp_frame_build(uint8_t *out, size_t cap, uint32_t saddr, uint32_t daddr,
                          uint16_t sport, uint16_t dport, const uint8_t *payload, size_t plen)
{
    size_t tot = IP_MIN + UDP_LEN + plen;
    if (cap < ETH_LEN + tot || tot > 0xffff)
        return 0;
    static const uint8_t dst[6] = {0x01, 0x00, 0x5e, 0x64, 0x01, 0x01};
    static const uint8_t src[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
    memcpy(out, dst, 6);
    memcpy(out + 6, src, 6);
    tp_put_be16(out + 12, 0x0800);
    uint8_t *ip = out + ETH_LEN;
    memset(ip, 0, IP_MIN);
    ip[0] = 0x45;
    tp_put_be16(ip + 2, (uint16_t)tot);
    tp_put_be16(ip + 6, 0x4000); /* DF */
    ip[8] = 64;
    ip[9] = 17;
    tp_put_be32(ip + 12, saddr);
    tp_put_be32(ip + 16, daddr);
    uint32_t sum = 0;
    for (int i = 0; i < IP_MIN; i += 2)
        sum += tp_be16(ip + i);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    tp_put_be16(ip + 10, (uint16_t)~sum);
    uint8_t *udp = ip + IP_MIN;
    tp_put_be16(udp, sport);
    tp_put_be16(udp + 2, dport);
    tp_put_be16(udp + 4, (uint16_t)(UDP_LEN + plen));
    tp_put_be16(udp + 6, 0);
    if (plen)
        memcpy(udp + UDP_LEN, payload, plen);
    return ETH_LEN + tot;
}
