/* Sequenced-message log for SoupBinTCP replay. */
#include "soup/store.h"

#include <stdlib.h>
#include <string.h>

int tp_soup_store_init(tp_soup_store *s, size_t bytes, uint64_t max_msgs)
{
    memset(s, 0, sizeof *s);
    s->data = malloc(bytes);
    s->off = calloc(max_msgs + 1, sizeof *s->off);
    if (!s->data || !s->off) {
        tp_soup_store_free(s);
        return -1;
    }
    s->cap = bytes;
    s->max_msgs = max_msgs;
    return 0;
}

void tp_soup_store_free(tp_soup_store *s)
{
    free(s->data);
    free(s->off);
    s->data = NULL;
    s->off = NULL;
}

uint64_t tp_soup_store_add(tp_soup_store *s, const void *msg, size_t len)
{
    if (s->count >= s->max_msgs || s->cap - s->used < len) {
        s->full++;
        return 0;
    }
    memcpy(s->data + s->used, msg, len);
    s->off[s->count] = s->used;
    s->used += len;
    s->count++;
    s->off[s->count] = s->used;
    return s->count;
}

const uint8_t *tp_soup_store_get(const tp_soup_store *s, uint64_t seq, size_t *len)
{
    if (seq == 0 || seq > s->count)
        return NULL;
    *len = (size_t)(s->off[seq] - s->off[seq - 1]);
    return s->data + s->off[seq - 1];
}
