/* libFuzzer: OUCH 4.2 decoders (inbound and outbound) on arbitrary bytes, then a re-encode
 * round trip of whatever decoded: the encoding must reproduce the input exactly. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ouch/ouch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tp_ouch_in in;
    tp_ouch_out out;
    uint8_t buf[TP_OUCH_MAX_MSG];
    size_t n = 0;
    if (tp_ouch_decode_in(data, size, &in) == 0) {
        switch (in.type) {
        case 'O': n = tp_ouch_enc_enter(buf, &in.u.enter); break;
        case 'U': n = tp_ouch_enc_replace(buf, &in.u.replace); break;
        case 'X': n = tp_ouch_enc_cancel(buf, &in.u.cancel); break;
        default: abort();
        }
        if (n != size || memcmp(buf, data, n) != 0)
            abort();
    }
    if (tp_ouch_decode_out(data, size, &out) == 0) {
        const uint64_t ts = out.timestamp;
        switch (out.type) {
        case 'S': n = tp_ouch_enc_system_event(buf, ts, out.u.event); break;
        case 'A': n = tp_ouch_enc_accepted(buf, ts, &out.u.accepted); break;
        case 'U': n = tp_ouch_enc_replaced(buf, ts, &out.u.accepted); break;
        case 'C': n = tp_ouch_enc_canceled(buf, ts, &out.u.canceled); break;
        case 'D': n = tp_ouch_enc_aiq_canceled(buf, ts, &out.u.canceled); break;
        case 'E': n = tp_ouch_enc_executed(buf, ts, &out.u.executed); break;
        case 'B': n = tp_ouch_enc_broken(buf, ts, &out.u.broken); break;
        case 'K': n = tp_ouch_enc_price_correction(buf, ts, &out.u.broken); break;
        case 'J': n = tp_ouch_enc_rejected(buf, ts, out.u.tok.token, out.u.tok.reason); break;
        case 'P': n = tp_ouch_enc_cancel_pending(buf, ts, out.u.tok.token); break;
        case 'I': n = tp_ouch_enc_cancel_reject(buf, ts, out.u.tok.token); break;
        default: abort();
        }
        if (n != size || memcmp(buf, data, n) != 0)
            abort();
    }
    return 0;
}
