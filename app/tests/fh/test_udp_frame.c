/* Ethernet/IPv4/UDP parser: a good frame, VLAN, and each malformed class; every truncation
 * of a good frame is rejected without reading past it. */
#include <string.h>

#include "common/endian.h"
#include "net/udp_frame.h"
#include "test_util.h"

int main(void)
{
    uint8_t f[256], pl[40];
    memset(pl, 0x5a, sizeof pl);
    size_t n = tp_udp_frame_build(f, sizeof f, 0xc6120101, 0xef640101, 1234, 26400, pl, sizeof pl);
    CHECK_EQ(n, 14 + 20 + 8 + 40);
    tp_udp_view v;
    CHECK_EQ(tp_udp_frame_parse(f, n, &v), TP_FRAME_OK);
    CHECK_EQ(v.len, 40);
    CHECK_EQ(v.dport, 26400);
    CHECK_EQ(v.sport, 1234);
    CHECK_EQ(v.daddr, 0xef640101);
    CHECK(v.payload == f + 42);
    /* Ethernet padding after the UDP datagram is allowed */
    CHECK_EQ(tp_udp_frame_parse(f, n + 10, &v), TP_FRAME_OK);
    CHECK_EQ(v.len, 40);
    for (size_t cut = 0; cut < n; cut++)
        CHECK(tp_udp_frame_parse(f, cut, &v) != TP_FRAME_OK);
    uint8_t g[256];
    memcpy(g, f, n);
    g[14] = 0x44; /* IHL 4 */
    CHECK_EQ(tp_udp_frame_parse(g, n, &v), TP_FRAME_BAD_IHL);
    g[14] = 0x4f; /* IHL 15 = 60 bytes > what is there */
    CHECK_EQ(tp_udp_frame_parse(g, 14 + 40, &v), TP_FRAME_BAD_IHL);
    g[14] = 0x65;
    CHECK_EQ(tp_udp_frame_parse(g, n, &v), TP_FRAME_BAD_IHL);
    memcpy(g, f, n);
    tp_put_be16(g + 16, 500); /* total length past the frame */
    CHECK_EQ(tp_udp_frame_parse(g, n, &v), TP_FRAME_BAD_IP_LEN);
    tp_put_be16(g + 16, 10);
    CHECK_EQ(tp_udp_frame_parse(g, n, &v), TP_FRAME_BAD_IP_LEN);
    memcpy(g, f, n);
    tp_put_be16(g + 20, 0x2000); /* MF */
    CHECK_EQ(tp_udp_frame_parse(g, n, &v), TP_FRAME_FRAGMENT);
    memcpy(g, f, n);
    g[23] = 6;
    CHECK_EQ(tp_udp_frame_parse(g, n, &v), TP_FRAME_NOT_UDP);
    memcpy(g, f, n);
    tp_put_be16(g + 38, 7);
    CHECK_EQ(tp_udp_frame_parse(g, n, &v), TP_FRAME_BAD_UDP_LEN);
    tp_put_be16(g + 38, 200);
    CHECK_EQ(tp_udp_frame_parse(g, n, &v), TP_FRAME_BAD_UDP_LEN);
    memcpy(g, f, n);
    tp_put_be16(g + 12, 0x0806); /* ARP */
    CHECK_EQ(tp_udp_frame_parse(g, n, &v), TP_FRAME_NOT_IPV4);
    /* VLAN-tagged */
    uint8_t h[256];
    memcpy(h, f, 12);
    tp_put_be16(h + 12, 0x8100);
    tp_put_be16(h + 14, 100);
    memcpy(h + 16, f + 12, n - 12);
    CHECK_EQ(tp_udp_frame_parse(h, n + 4, &v), TP_FRAME_OK);
    CHECK_EQ(v.len, 40);
    CHECK_EQ(tp_udp_frame_parse(h, 15, &v), TP_FRAME_SHORT);
    TEST_DONE();
}
