/* OUCH 4.2 encode/decode, field by field. */
#include "ouch/ouch.h"

#include <string.h>

#include "common/endian.h"

size_t tp_ouch_in_size(uint8_t type)
{
    switch (type) {
    case 'O': return TP_OUCH_ENTER_LEN;
    case 'U': return TP_OUCH_REPLACE_LEN;
    case 'X': return TP_OUCH_CANCEL_LEN;
    default: return 0;
    }
}

size_t tp_ouch_out_size(uint8_t type)
{
    switch (type) {
    case 'S': return TP_OUCH_SYSTEM_EVENT_LEN;
    case 'A': return TP_OUCH_ACCEPTED_LEN;
    case 'U': return TP_OUCH_REPLACED_LEN;
    case 'C': return TP_OUCH_CANCELED_LEN;
    case 'D': return TP_OUCH_AIQ_CANCELED_LEN;
    case 'E': return TP_OUCH_EXECUTED_LEN;
    case 'B': return TP_OUCH_BROKEN_LEN;
    case 'K': return TP_OUCH_PRICE_CORR_LEN;
    case 'J': return TP_OUCH_REJECTED_LEN;
    case 'P': return TP_OUCH_CANCEL_PENDING_LEN;
    case 'I': return TP_OUCH_CANCEL_REJECT_LEN;
    default: return 0;
    }
}

int tp_ouch_decode_in(const uint8_t *p, size_t len, tp_ouch_in *out)
{
    if (len == 0)
        return -1;
    size_t want = tp_ouch_in_size(p[0]);
    if (!want || len != want)
        return -1;
    out->type = p[0];
    switch (p[0]) {
    case 'O': {
        tp_ouch_enter *m = &out->u.enter;
        memcpy(m->token, p + 1, 14);
        m->side = p[15];
        m->shares = tp_be32(p + 16);
        memcpy(m->stock, p + 20, 8);
        m->price = tp_be32(p + 28);
        m->tif = tp_be32(p + 32);
        memcpy(m->firm, p + 36, 4);
        m->display = p[40];
        m->capacity = p[41];
        m->iso = p[42];
        m->min_qty = tp_be32(p + 43);
        m->cross_type = p[47];
        m->customer_type = p[48];
        return 0;
    }
    case 'U': {
        tp_ouch_replace *m = &out->u.replace;
        memcpy(m->existing, p + 1, 14);
        memcpy(m->replacement, p + 15, 14);
        m->shares = tp_be32(p + 29);
        m->price = tp_be32(p + 33);
        m->tif = tp_be32(p + 37);
        m->display = p[41];
        m->iso = p[42];
        m->min_qty = tp_be32(p + 43);
        return 0;
    }
    default: { /* 'X' */
        tp_ouch_cancel *m = &out->u.cancel;
        memcpy(m->token, p + 1, 14);
        m->shares = tp_be32(p + 15);
        return 0;
    }
    }
}

static void dec_accepted(const uint8_t *p, tp_ouch_accepted *m, int replaced)
{
    memcpy(m->token, p + 9, 14);
    m->side = p[23];
    m->shares = tp_be32(p + 24);
    memcpy(m->stock, p + 28, 8);
    m->price = tp_be32(p + 36);
    m->tif = tp_be32(p + 40);
    memcpy(m->firm, p + 44, 4);
    m->display = p[48];
    m->order_ref = tp_be64(p + 49);
    m->capacity = p[57];
    m->iso = p[58];
    m->min_qty = tp_be32(p + 59);
    m->cross_type = p[63];
    m->order_state = p[64];
    if (replaced) {
        memcpy(m->previous, p + 65, 14);
        m->bbo_weight = p[79];
    } else {
        memset(m->previous, ' ', 14);
        m->bbo_weight = p[65];
    }
}

int tp_ouch_decode_out(const uint8_t *p, size_t len, tp_ouch_out *out)
{
    if (len == 0)
        return -1;
    size_t want = tp_ouch_out_size(p[0]);
    if (!want || len != want)
        return -1;
    memset(out, 0, sizeof *out);
    out->type = p[0];
    out->timestamp = tp_be64(p + 1);
    switch (p[0]) {
    case 'S': out->u.event = p[9]; return 0;
    case 'A': dec_accepted(p, &out->u.accepted, 0); return 0;
    case 'U': dec_accepted(p, &out->u.accepted, 1); return 0;
    case 'C':
    case 'D': {
        tp_ouch_canceled *m = &out->u.canceled;
        memcpy(m->token, p + 9, 14);
        m->decrement = tp_be32(p + 23);
        m->reason = p[27];
        if (p[0] == 'D') {
            m->qty_prevented = tp_be32(p + 28);
            m->exec_price = tp_be32(p + 32);
            m->liquidity = p[36];
        }
        return 0;
    }
    case 'E': {
        tp_ouch_executed *m = &out->u.executed;
        memcpy(m->token, p + 9, 14);
        m->shares = tp_be32(p + 23);
        m->price = tp_be32(p + 27);
        m->liquidity = p[31];
        m->match = tp_be64(p + 32);
        return 0;
    }
    case 'B':
    case 'K': {
        tp_ouch_broken *m = &out->u.broken;
        memcpy(m->token, p + 9, 14);
        m->match = tp_be64(p + 23);
        if (p[0] == 'B') {
            m->reason = p[31];
        } else {
            m->price = tp_be32(p + 31);
            m->reason = p[35];
        }
        return 0;
    }
    default: /* 'J', 'P', 'I' */
        memcpy(out->u.tok.token, p + 9, 14);
        out->u.tok.reason = p[0] == 'J' ? p[23] : 0;
        return 0;
    }
}

size_t tp_ouch_enc_enter(uint8_t *p, const tp_ouch_enter *m)
{
    p[0] = 'O';
    memcpy(p + 1, m->token, 14);
    p[15] = m->side;
    tp_put_be32(p + 16, m->shares);
    memcpy(p + 20, m->stock, 8);
    tp_put_be32(p + 28, m->price);
    tp_put_be32(p + 32, m->tif);
    memcpy(p + 36, m->firm, 4);
    p[40] = m->display;
    p[41] = m->capacity;
    p[42] = m->iso;
    tp_put_be32(p + 43, m->min_qty);
    p[47] = m->cross_type;
    p[48] = m->customer_type;
    return TP_OUCH_ENTER_LEN;
}

size_t tp_ouch_enc_replace(uint8_t *p, const tp_ouch_replace *m)
{
    p[0] = 'U';
    memcpy(p + 1, m->existing, 14);
    memcpy(p + 15, m->replacement, 14);
    tp_put_be32(p + 29, m->shares);
    tp_put_be32(p + 33, m->price);
    tp_put_be32(p + 37, m->tif);
    p[41] = m->display;
    p[42] = m->iso;
    tp_put_be32(p + 43, m->min_qty);
    return TP_OUCH_REPLACE_LEN;
}

size_t tp_ouch_enc_enter_tpl(uint8_t *p, const uint8_t tpl[TP_OUCH_ENTER_LEN],
                             const tp_ouch_enter *m)
{
    memcpy(p, tpl, TP_OUCH_ENTER_LEN);
    memcpy(p + 1, m->token, 14);
    p[15] = m->side;
    tp_put_be32(p + 16, m->shares);
    memcpy(p + 20, m->stock, 8);
    tp_put_be32(p + 28, m->price);
    tp_put_be32(p + 32, m->tif);
    return TP_OUCH_ENTER_LEN;
}

size_t tp_ouch_enc_replace_tpl(uint8_t *p, const uint8_t tpl[TP_OUCH_REPLACE_LEN],
                               const tp_ouch_replace *m)
{
    memcpy(p, tpl, TP_OUCH_REPLACE_LEN);
    memcpy(p + 1, m->existing, 14);
    memcpy(p + 15, m->replacement, 14);
    tp_put_be32(p + 29, m->shares);
    tp_put_be32(p + 33, m->price);
    tp_put_be32(p + 37, m->tif);
    return TP_OUCH_REPLACE_LEN;
}

size_t tp_ouch_enc_cancel(uint8_t *p, const tp_ouch_cancel *m)
{
    p[0] = 'X';
    memcpy(p + 1, m->token, 14);
    tp_put_be32(p + 15, m->shares);
    return TP_OUCH_CANCEL_LEN;
}

static void hdr(uint8_t *p, uint8_t type, uint64_t ts)
{
    p[0] = type;
    tp_put_be64(p + 1, ts);
}

size_t tp_ouch_enc_system_event(uint8_t *p, uint64_t ts, uint8_t event)
{
    hdr(p, 'S', ts);
    p[9] = event;
    return TP_OUCH_SYSTEM_EVENT_LEN;
}

static void enc_accepted(uint8_t *p, const tp_ouch_accepted *m)
{
    memcpy(p + 9, m->token, 14);
    p[23] = m->side;
    tp_put_be32(p + 24, m->shares);
    memcpy(p + 28, m->stock, 8);
    tp_put_be32(p + 36, m->price);
    tp_put_be32(p + 40, m->tif);
    memcpy(p + 44, m->firm, 4);
    p[48] = m->display;
    tp_put_be64(p + 49, m->order_ref);
    p[57] = m->capacity;
    p[58] = m->iso;
    tp_put_be32(p + 59, m->min_qty);
    p[63] = m->cross_type;
    p[64] = m->order_state;
}

size_t tp_ouch_enc_accepted(uint8_t *p, uint64_t ts, const tp_ouch_accepted *m)
{
    hdr(p, 'A', ts);
    enc_accepted(p, m);
    p[65] = m->bbo_weight;
    return TP_OUCH_ACCEPTED_LEN;
}

size_t tp_ouch_enc_replaced(uint8_t *p, uint64_t ts, const tp_ouch_accepted *m)
{
    hdr(p, 'U', ts);
    enc_accepted(p, m);
    memcpy(p + 65, m->previous, 14);
    p[79] = m->bbo_weight;
    return TP_OUCH_REPLACED_LEN;
}

size_t tp_ouch_enc_canceled(uint8_t *p, uint64_t ts, const tp_ouch_canceled *m)
{
    hdr(p, 'C', ts);
    memcpy(p + 9, m->token, 14);
    tp_put_be32(p + 23, m->decrement);
    p[27] = m->reason;
    return TP_OUCH_CANCELED_LEN;
}

size_t tp_ouch_enc_aiq_canceled(uint8_t *p, uint64_t ts, const tp_ouch_canceled *m)
{
    hdr(p, 'D', ts);
    memcpy(p + 9, m->token, 14);
    tp_put_be32(p + 23, m->decrement);
    p[27] = m->reason;
    tp_put_be32(p + 28, m->qty_prevented);
    tp_put_be32(p + 32, m->exec_price);
    p[36] = m->liquidity;
    return TP_OUCH_AIQ_CANCELED_LEN;
}

size_t tp_ouch_enc_executed(uint8_t *p, uint64_t ts, const tp_ouch_executed *m)
{
    hdr(p, 'E', ts);
    memcpy(p + 9, m->token, 14);
    tp_put_be32(p + 23, m->shares);
    tp_put_be32(p + 27, m->price);
    p[31] = m->liquidity;
    tp_put_be64(p + 32, m->match);
    return TP_OUCH_EXECUTED_LEN;
}

size_t tp_ouch_enc_broken(uint8_t *p, uint64_t ts, const tp_ouch_broken *m)
{
    hdr(p, 'B', ts);
    memcpy(p + 9, m->token, 14);
    tp_put_be64(p + 23, m->match);
    p[31] = m->reason;
    return TP_OUCH_BROKEN_LEN;
}

size_t tp_ouch_enc_price_correction(uint8_t *p, uint64_t ts, const tp_ouch_broken *m)
{
    hdr(p, 'K', ts);
    memcpy(p + 9, m->token, 14);
    tp_put_be64(p + 23, m->match);
    tp_put_be32(p + 31, m->price);
    p[35] = m->reason;
    return TP_OUCH_PRICE_CORR_LEN;
}

size_t tp_ouch_enc_rejected(uint8_t *p, uint64_t ts, const char token[14], uint8_t reason)
{
    hdr(p, 'J', ts);
    memcpy(p + 9, token, 14);
    p[23] = reason;
    return TP_OUCH_REJECTED_LEN;
}

size_t tp_ouch_enc_cancel_pending(uint8_t *p, uint64_t ts, const char token[14])
{
    hdr(p, 'P', ts);
    memcpy(p + 9, token, 14);
    return TP_OUCH_CANCEL_PENDING_LEN;
}

size_t tp_ouch_enc_cancel_reject(uint8_t *p, uint64_t ts, const char token[14])
{
    hdr(p, 'I', ts);
    memcpy(p + 9, token, 14);
    return TP_OUCH_CANCEL_REJECT_LEN;
}
