/* Persistent day counter for order tokens: no token is ever used twice in a day, across
 * reconnects and across gateway restarts.
 *
 * The file holds one line "YYYYMMDD NEXT". Tokens are handed out from blocks: before a
 * block [c, c + block) is used, "DAY c+block" is written and fsync'ed, so a crash can only
 * skip counters, never repeat one. A new day (UTC) restarts at 1. */
#ifndef TP_GW_TOKEN_STORE_H
#define TP_GW_TOKEN_STORE_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    char path[256];
    uint32_t day;       /* YYYYMMDD */
    uint64_t next;      /* next counter to hand out */
    uint64_t reserved;  /* first counter not covered by the file */
    uint64_t block;
    uint64_t reservations;
} tp_token_store;

int tp_token_store_open(tp_token_store *t, const char *path, uint64_t block, char *err,
                        size_t errlen);
/* Next counter; 0 if the reservation could not be written (then no order may be sent). */
uint64_t tp_token_store_next(tp_token_store *t);

#endif
