/* MoldUDP64 downstream packet validation (see mold.h). */
#include "mold/mold.h"

const char *tp_mold_kind_name(tp_mold_kind k)
{
    switch (k) {
    case TP_MOLD_DATA: return "data";
    case TP_MOLD_HEARTBEAT: return "heartbeat";
    case TP_MOLD_END: return "end_of_session";
    case TP_MOLD_BAD_SHORT: return "short_header";
    case TP_MOLD_BAD_COUNT: return "count_past_end";
    case TP_MOLD_BAD_LEN: return "bad_length";
    default: return "?";
    }
}

tp_mold_kind tp_mold_parse(const uint8_t *p, size_t len, tp_mold_pkt *out)
{
    if (TP_UNLIKELY(len < TP_MOLD_HDR_LEN))
        return TP_MOLD_BAD_SHORT;
    const uint8_t *end = p + len;
    out->session = p;
    out->seq = tp_be64(p + 10);
    out->count = tp_be16(p + 18);
    out->blocks = p + TP_MOLD_HDR_LEN;
    out->end = end;
    if (out->count == TP_MOLD_END_OF_SESSION)
        return TP_MOLD_END;
    if (out->count == 0)
        return TP_MOLD_HEARTBEAT;
    const uint8_t *q = out->blocks;
    for (uint32_t i = 0; i < out->count; i++) {
        size_t left = (size_t)(end - q);
        if (left == 0)
            return TP_MOLD_BAD_COUNT;
        if (left < 2)
            return TP_MOLD_BAD_LEN;
        size_t n = tp_be16(q);
        if (n == 0 || n > left - 2)
            return TP_MOLD_BAD_LEN;
        q += 2 + n;
    }
    if (q != end)
        return TP_MOLD_BAD_LEN;
    return TP_MOLD_DATA;
}
