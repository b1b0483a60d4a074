/* libFuzzer: BinaryFILE framing + decode of every record; the records must tile the input. */
#include <stddef.h>
#include <stdint.h>

#include "itch/binaryfile.h"
#include "itch/itch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t empty[1];
    tp_bf_reader r;
    tp_bf_init(&r, size ? data : empty, size);
    const uint8_t *msg;
    size_t len, covered = 0;
    tp_itch_msg m;
    while (tp_bf_next(&r, &msg, &len)) {
        if (msg < data || msg + len > data + size)
            __builtin_trap();
        covered += len + 2;
        (void)tp_itch_decode(msg, len, &m);
    }
    if (covered + 2 * r.zero_length + r.tail_bytes != size)
        __builtin_trap();
    return 0;
}
