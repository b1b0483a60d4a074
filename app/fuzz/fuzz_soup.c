/* libFuzzer: SoupBinTCP framing over arbitrary byte streams, fed in arbitrary chunks the
 * way partial reads deliver them. Must never crash or read out of bounds. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "soup/soup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t max_payload = 16 + data[0] * 4u;
    data++;
    size--;
    static uint8_t buf[1 << 16];
    size_t have = 0, off = 0;
    uint64_t sum = 0;
    while (off < size) {
        size_t chunk = 1 + (data[off] & 31);
        if (chunk > size - off)
            chunk = size - off;
        if (have + chunk > sizeof buf)
            break;
        memcpy(buf + have, data + off, chunk);
        have += chunk;
        off += chunk;
        size_t pos = 0;
        for (;;) {
            tp_soup_pkt p;
            size_t used;
            tp_soup_status s = tp_soup_parse(buf + pos, have - pos, max_payload, &p, &used);
            if (s == TP_SOUP_MORE)
                break;
            if (s != TP_SOUP_OK)
                return 0; /* session dropped */
            if (p.type == TP_SOUP_LOGIN_REQUEST) {
                tp_soup_login l;
                sum += (uint64_t)tp_soup_dec_login_request(p.payload, &l) + l.sequence;
            } else if (p.type == TP_SOUP_LOGIN_ACCEPTED) {
                char sess[10];
                uint64_t q;
                sum += (uint64_t)tp_soup_dec_login_accepted(p.payload, sess, &q);
            }
            for (size_t i = 0; i < p.len; i++)
                sum += p.payload[i];
            pos += used;
        }
        memmove(buf, buf + pos, have - pos);
        have -= pos;
    }
    return sum == 0xdeadbeef ? 1 : 0;
}
