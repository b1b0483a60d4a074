/* libFuzzer: the ITCH decoder on arbitrary bytes (one message, no framing). */
#include <stddef.h>
#include <stdint.h>

#include "itch/itch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tp_itch_msg m;
    tp_itch_status s = tp_itch_decode(data, size, &m);
    if (s == TP_ITCH_OK && (size < tp_itch_msg_size(data[0]) || m.type != data[0]))
        __builtin_trap();
    return 0;
}
