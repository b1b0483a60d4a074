/* Sequenced-message log of one SoupBinTCP session (one per user), for replay on re-login.
 * Messages are kept in a preallocated byte arena with an offset per sequence number
 * (1-based); a full store refuses new messages (counted), it never reallocates. */
#ifndef TP_SOUP_STORE_H
#define TP_SOUP_STORE_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint8_t *data;
    size_t cap, used;
    uint64_t *off;   /* off[i] = start of message i + 1; off[count] = used */
    uint64_t max_msgs;
    uint64_t count;  /* messages stored: sequences 1..count */
    uint64_t full;   /* messages refused */
} tp_soup_store;

int tp_soup_store_init(tp_soup_store *s, size_t bytes, uint64_t max_msgs);
void tp_soup_store_free(tp_soup_store *s);
/* Append; returns the message's sequence number, or 0 when full. */
uint64_t tp_soup_store_add(tp_soup_store *s, const void *msg, size_t len);
/* Message seq (1..count): pointer and length; NULL when out of range. */
const uint8_t *tp_soup_store_get(const tp_soup_store *s, uint64_t seq, size_t *len);

#endif
