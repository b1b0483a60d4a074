/* libFuzzer target: Ethernet/IPv4/UDP frame parser. An accepted frame's payload must lie
 * inside the input, and is then handed to the MoldUDP64 parser like the transports do. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "mold/mold.h"
#include "net/udp_frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tp_udp_view v;
    if (tp_udp_frame_parse(data, size, &v) != TP_FRAME_OK)
        return 0;
    if (v.payload < data || v.payload + v.len > data + size)
        abort();
    tp_mold_pkt pkt;
    if (tp_mold_parse(v.payload, v.len, &pkt) == TP_MOLD_DATA) {
        tp_mold_iter it;
        tp_mold_iter_init(&it, &pkt);
        volatile uint8_t sink = 0;
        for (uint32_t i = 0; i < pkt.count; i++) {
            uint16_t len;
            const uint8_t *m = tp_mold_iter_next(&it, &len);
            sink ^= m[len - 1];
        }
        (void)sink;
    }
    return 0;
}
