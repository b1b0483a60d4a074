/* BinaryFILE framing (reader init and writer helper; the hot next() is inline). */
#include "itch/binaryfile.h"

#include <string.h>

void tp_bf_init(tp_bf_reader *r, const uint8_t *buf, size_t len)
{
    memset(r, 0, sizeof *r);
    r->pos = buf;
    r->end = buf + len;
}

size_t tp_bf_put(uint8_t *out, size_t cap, const uint8_t *msg, uint16_t len)
{
    if (cap < (size_t)len + 2)
        return 0;
    tp_put_be16(out, len);
    memcpy(out + 2, msg, len);
    return (size_t)len + 2;
}
