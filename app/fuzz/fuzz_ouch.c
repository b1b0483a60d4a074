/* libFuzzer: OUCH 4.2 decoders (inbound and outbound) on arbitrary bytes, then a re-encode
 * round trip of whatever decoded: the encoding must reproduce the input exactly, also when an
 * Enter/Replace is encoded from a template (tp_ouch_enc_enter_tpl / _replace_tpl). */
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
        if (in.type != 'X') {
            /* the gateway's way: a template holding only the firm-specific fields, the
             * per-order fields written over it, must give the same bytes */
            uint8_t tpl[TP_OUCH_MAX_MSG];
            if (in.type == 'O') {
                tp_ouch_enter f;
                memset(&f, 0, sizeof f);
                memcpy(f.firm, in.u.enter.firm, 4);
                f.display = in.u.enter.display;
                f.capacity = in.u.enter.capacity;
                f.iso = in.u.enter.iso;
                f.min_qty = in.u.enter.min_qty;
                f.cross_type = in.u.enter.cross_type;
                f.customer_type = in.u.enter.customer_type;
                tp_ouch_enc_enter(tpl, &f);
                n = tp_ouch_enc_enter_tpl(buf, tpl, &in.u.enter);
            } else {
                tp_ouch_replace f;
                memset(&f, 0, sizeof f);
                f.display = in.u.replace.display;
                f.iso = in.u.replace.iso;
                f.min_qty = in.u.replace.min_qty;
                tp_ouch_enc_replace(tpl, &f);
                n = tp_ouch_enc_replace_tpl(buf, tpl, &in.u.replace);
            }
            if (n != size || memcmp(buf, data, n) != 0)
                abort();
        }
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
