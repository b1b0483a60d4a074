/* The order token layout tickpath's gateway uses, and how the simulator reads the trigger
 * reference out of it (docs: src/gw/README.md "Order tokens").
 *
 * Token (14 ASCII): chars 0..6 = the gateway's day order counter in base 36 (0-9A-Z, most
 * significant first), chars 7..13 = the MoldUDP64 sequence number of the market-data
 * message that triggered the order, base 36, modulo 36^7 (0000000 = no trigger). Both
 * parts fit 36^7 = 78,364,164,096 values: more than a day of orders and ITCH messages.
 */
#ifndef TP_SIM_TOKEN_REF_H
#define TP_SIM_TOKEN_REF_H

#include <stdint.h>

#define TP_TOKEN_B36_MOD 78364164096ull

static inline void tp_b36_put(char *p, uint64_t v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        unsigned d = (unsigned)(v % 36);
        p[i] = (char)(d < 10 ? '0' + d : 'A' + d - 10);
        v /= 36;
    }
}

/* -1 on a non-base-36 character. */
static inline int64_t tp_b36_get(const char *p, int width)
{
    int64_t v = 0;
    for (int i = 0; i < width; i++) {
        char c = p[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'Z' ? c - 'A' + 10 : -1;
        if (d < 0)
            return -1;
        v = v * 36 + d;
    }
    return v;
}

static inline void tp_token_make(char token[14], uint64_t counter, uint64_t trigger_seq)
{
    tp_b36_put(token, counter % TP_TOKEN_B36_MOD, 7);
    tp_b36_put(token + 7, trigger_seq % TP_TOKEN_B36_MOD, 7);
}

static inline int64_t tp_token_counter(const char token[14]) { return tp_b36_get(token, 7); }
static inline int64_t tp_token_trigger(const char token[14]) { return tp_b36_get(token + 7, 7); }

#endif
