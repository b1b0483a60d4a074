/* libFuzzer target: the full-snapshot message parser (itch/snapshot_msg.h) that tickpath-fh
 * applies with feed.format=snapshot. Any input is one message. A decode must reject every length
 * that does not match the depth it announces, never read past the input, and a message it
 * accepts must encode back to the same bytes (tracking number aside: encode writes 0). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "itch/snapshot_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* an exact-size heap copy so ASan sees any read past the end */
    uint8_t *m = malloc(size ? size : 1);
    if (!m)
        return 0;
    memcpy(m, data, size);
    tp_snap_levels lv;
    uint16_t locate;
    if (tp_snap_decode(m, size, &locate, &lv) == 0) {
        if (lv.depth < 1 || lv.depth > TP_SNAP_MAX_DEPTH || size != 20 + 16 * (size_t)lv.depth)
            abort();
        uint8_t back[TP_SNAP_MAX_LEN];
        char stock[8];
        memcpy(stock, m + 11, 8);
        size_t n = tp_snap_encode(back, locate, tp_be48(m + 5), stock, &lv);
        if (n != size || back[0] != m[0] || memcmp(back + 1, m + 1, 2) ||
            memcmp(back + 5, m + 5, size - 5))
            abort();
    }
    free(m);
    return 0;
}
