/* SoupBinTCP 3.0 packet parse/encode. */
#include "soup/soup.h"

#include <string.h>

#include "common/endian.h"

/* Exact length-field value of each fixed-size type; 0 = variable, 0xffff = unknown. */
static uint16_t fixed_len(uint8_t type)
{
    switch (type) {
    case TP_SOUP_LOGIN_ACCEPTED: return TP_SOUP_LOGIN_ACC_LEN;
    case TP_SOUP_LOGIN_REJECTED: return TP_SOUP_LOGIN_REJ_LEN;
    case TP_SOUP_SERVER_HEARTBEAT:
    case TP_SOUP_END_OF_SESSION:
    case TP_SOUP_CLIENT_HEARTBEAT:
    case TP_SOUP_LOGOUT_REQUEST: return 1;
    case TP_SOUP_LOGIN_REQUEST: return TP_SOUP_LOGIN_REQ_LEN;
    case TP_SOUP_DEBUG:
    case TP_SOUP_SEQUENCED:
    case TP_SOUP_UNSEQUENCED: return 0;
    default: return 0xffff;
    }
}

tp_soup_status tp_soup_parse(const uint8_t *buf, size_t len, size_t max_payload,
                             tp_soup_pkt *out, size_t *used)
{
    if (len < 2)
        return TP_SOUP_MORE;
    size_t n = tp_be16(buf);
    if (n == 0 || n - 1 > max_payload)
        return TP_SOUP_ERR_LENGTH;
    if (len < 3)
        return TP_SOUP_MORE;
    uint16_t want = fixed_len(buf[2]);
    if (want == 0xffff)
        return TP_SOUP_ERR_TYPE;
    if (want && n != want)
        return TP_SOUP_ERR_LENGTH;
    if (len < n + 2)
        return TP_SOUP_MORE;
    out->type = buf[2];
    out->payload = buf + 3;
    out->len = n - 1;
    *used = n + 2;
    return TP_SOUP_OK;
}

size_t tp_soup_enc(uint8_t *out, size_t cap, uint8_t type, const void *payload, size_t len)
{
    if (len > 65534 || cap < len + 3)
        return 0;
    tp_put_be16(out, (uint16_t)(len + 1));
    out[2] = type;
    if (len)
        memcpy(out + 3, payload, len);
    return len + 3;
}

void tp_soup_put_alpha(uint8_t *p, const char *s, size_t width)
{
    size_t n = s ? strnlen(s, width) : 0;
    memcpy(p, s ? s : "", n);
    memset(p + n, ' ', width - n);
}

void tp_soup_put_num(uint8_t *p, uint64_t v, size_t width)
{
    memset(p, ' ', width);
    size_t i = width;
    do {
        p[--i] = (uint8_t)('0' + v % 10);
        v /= 10;
    } while (v && i);
}

int tp_soup_get_num(const uint8_t *p, size_t width, uint64_t *out)
{
    size_t i = 0;
    while (i < width && p[i] == ' ')
        i++;
    /* Some implementations left-justify: accept leading or trailing spaces, not inner ones. */
    if (i == width) {
        *out = 0;
        return 0;
    }
    uint64_t v = 0;
    size_t digits = 0;
    for (; i < width && p[i] != ' '; i++, digits++) {
        if (p[i] < '0' || p[i] > '9' || digits >= 19)
            return -1;
        v = v * 10 + (uint64_t)(p[i] - '0');
    }
    for (; i < width; i++)
        if (p[i] != ' ')
            return -1;
    *out = v;
    return 0;
}

void tp_soup_get_alpha(const uint8_t *p, size_t width, char *dst)
{
    size_t n = width;
    while (n && (p[n - 1] == ' ' || p[n - 1] == 0))
        n--;
    memcpy(dst, p, n);
    dst[n] = 0;
}

size_t tp_soup_enc_login_request(uint8_t *out, size_t cap, const tp_soup_login *l)
{
    uint8_t pl[TP_SOUP_LOGIN_REQ_LEN - 1];
    memcpy(pl, l->username, TP_SOUP_USER_LEN);
    memcpy(pl + 6, l->password, TP_SOUP_PASS_LEN);
    memcpy(pl + 16, l->session, TP_SOUP_SESSION_LEN);
    tp_soup_put_num(pl + 26, l->sequence, TP_SOUP_SEQ_LEN);
    return tp_soup_enc(out, cap, TP_SOUP_LOGIN_REQUEST, pl, sizeof pl);
}

size_t tp_soup_enc_login_accepted(uint8_t *out, size_t cap, const char session[10],
                                  uint64_t sequence)
{
    uint8_t pl[TP_SOUP_LOGIN_ACC_LEN - 1];
    memcpy(pl, session, TP_SOUP_SESSION_LEN);
    tp_soup_put_num(pl + 10, sequence, TP_SOUP_SEQ_LEN);
    return tp_soup_enc(out, cap, TP_SOUP_LOGIN_ACCEPTED, pl, sizeof pl);
}

size_t tp_soup_enc_login_rejected(uint8_t *out, size_t cap, uint8_t reason)
{
    return tp_soup_enc(out, cap, TP_SOUP_LOGIN_REJECTED, &reason, 1);
}

int tp_soup_dec_login_request(const uint8_t *pl, tp_soup_login *out)
{
    memcpy(out->username, pl, TP_SOUP_USER_LEN);
    memcpy(out->password, pl + 6, TP_SOUP_PASS_LEN);
    memcpy(out->session, pl + 16, TP_SOUP_SESSION_LEN);
    return tp_soup_get_num(pl + 26, TP_SOUP_SEQ_LEN, &out->sequence);
}

int tp_soup_dec_login_accepted(const uint8_t *pl, char session[10], uint64_t *sequence)
{
    memcpy(session, pl, TP_SOUP_SESSION_LEN);
    return tp_soup_get_num(pl + 10, TP_SOUP_SEQ_LEN, sequence);
}
