/* SoupBinTCP 3.0 framing: packet types, encoders, and a stream reassembler.
 *
 * Every packet is Length(u16 big-endian, counts the type byte and the payload) Type(1)
 * Payload. Fixed-size packet types are checked against their exact length; the variable ones
 * ('+' debug, 'S' sequenced, 'U' unsequenced) against a configurable maximum. A length that
 * is 0, wrong for its type or above the maximum, or an unknown type, is a framing error: the
 * caller counts it and drops the session (nothing is ever read past the buffer).
 */
#ifndef TP_SOUP_SOUP_H
#define TP_SOUP_SOUP_H

#include <stddef.h>
#include <stdint.h>

#define TP_SOUP_USER_LEN 6
#define TP_SOUP_PASS_LEN 10
#define TP_SOUP_SESSION_LEN 10
#define TP_SOUP_SEQ_LEN 20
#define TP_SOUP_LOGIN_REQ_LEN 47  /* length field value: type + 46 */
#define TP_SOUP_LOGIN_ACC_LEN 31  /* type + session(10) + sequence(20) */
#define TP_SOUP_LOGIN_REJ_LEN 2
#define TP_SOUP_MAX_PAYLOAD_DEFAULT 1024

/* Packet types (server -> client, then client -> server). */
enum {
    TP_SOUP_DEBUG = '+',
    TP_SOUP_LOGIN_ACCEPTED = 'A',
    TP_SOUP_LOGIN_REJECTED = 'J',
    TP_SOUP_SEQUENCED = 'S',
    TP_SOUP_SERVER_HEARTBEAT = 'H',
    TP_SOUP_END_OF_SESSION = 'Z',
    TP_SOUP_LOGIN_REQUEST = 'L',
    TP_SOUP_UNSEQUENCED = 'U',
    TP_SOUP_CLIENT_HEARTBEAT = 'R',
    TP_SOUP_LOGOUT_REQUEST = 'O',
};

/* Login Rejected reason codes. */
#define TP_SOUP_REJ_NOT_AUTHORIZED 'A'
#define TP_SOUP_REJ_SESSION_UNAVAILABLE 'S'

typedef enum {
    TP_SOUP_OK = 0,
    TP_SOUP_MORE = 1,        /* incomplete packet: read more bytes */
    TP_SOUP_ERR_LENGTH = -1, /* length 0, over the maximum, or wrong for the type */
    TP_SOUP_ERR_TYPE = -2,   /* unknown packet type */
} tp_soup_status;

typedef struct {
    uint8_t type;
    const uint8_t *payload; /* points into the caller's buffer */
    size_t len;             /* payload bytes (length field - 1) */
} tp_soup_pkt;

typedef struct {
    char username[TP_SOUP_USER_LEN];
    char password[TP_SOUP_PASS_LEN];
    char session[TP_SOUP_SESSION_LEN];
    uint64_t sequence; /* requested sequence: 0 = from now, 1 = from start */
} tp_soup_login;

/* Parse one packet at buf[0..len). On TP_SOUP_OK *used is the packet's total size. */
tp_soup_status tp_soup_parse(const uint8_t *buf, size_t len, size_t max_payload,
                             tp_soup_pkt *out, size_t *used);

/* Encoders: write into out (cap bytes); return the packet size or 0 if it does not fit. */
size_t tp_soup_enc(uint8_t *out, size_t cap, uint8_t type, const void *payload, size_t len);
size_t tp_soup_enc_login_request(uint8_t *out, size_t cap, const tp_soup_login *l);
size_t tp_soup_enc_login_accepted(uint8_t *out, size_t cap, const char session[10],
                                  uint64_t sequence);
size_t tp_soup_enc_login_rejected(uint8_t *out, size_t cap, uint8_t reason);

/* Decoders of the fixed payloads (payload len already checked by tp_soup_parse).
 * Return 0, or -1 if the ASCII sequence field is not a right-justified number. */
int tp_soup_dec_login_request(const uint8_t *payload, tp_soup_login *out);
int tp_soup_dec_login_accepted(const uint8_t *payload, char session[10], uint64_t *sequence);

/* Helpers for the ASCII fields. */
void tp_soup_put_alpha(uint8_t *p, const char *s, size_t width); /* left-justified, spaces */
void tp_soup_put_num(uint8_t *p, uint64_t v, size_t width);      /* right-justified, spaces */
int tp_soup_get_num(const uint8_t *p, size_t width, uint64_t *out);
/* Copy a space-padded field into a NUL-terminated string (dst has width + 1 bytes). */
void tp_soup_get_alpha(const uint8_t *p, size_t width, char *dst);

#endif
