/* Create / map the feed handler's shared-memory region (layout.h, LAYOUT.md). */
#ifndef TP_SHM_SHM_H
#define TP_SHM_SHM_H

#include <stddef.h>
#include <stdint.h>

#include "shm/layout.h"

typedef struct {
    uint8_t *base;
    size_t size;
    int huge;              /* 1 when backed by hugetlbfs */
    char path[256];
    tp_shm_header *hdr;
    tp_shm_counters *ctr;
    tp_hist *hist;         /* hdr->hist_count histograms */
    tp_shm_event_ring *ring;
    tp_shm_event *events;
    tp_shm_bbo *bbo;
    void *book;            /* hdr->book_size bytes, or NULL */
} tp_shm;

/* Create (replacing a stale one) /dev/shm/tickpath-<name> (or, with try_huge, first
 * /dev/hugepages/tickpath-<name> when hugetlbfs has room), size it, pre-fault it and fill the
 * header. events_cap must be a power of two. Returns 0, or -1 with a message in err. */
int tp_shm_create(tp_shm *s, const char *name, uint64_t events_cap, size_t book_size,
                  int try_huge, char *err, size_t errlen);
/* Unmap; the file stays for readers (a post-mortem look at the counters) unless unlink. */
void tp_shm_close(tp_shm *s, int unlink_file);

/* Single-writer event publication (see tp_shm_event_ring). */
static inline void tp_shm_publish(tp_shm *s, const tp_shm_event *ev)
{
    uint64_t w = s->ring->write_idx;
    tp_shm_event *slot = &s->events[w & (s->ring->cap - 1)];
    __atomic_store_n(&slot->idx, 0, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    slot->mold_seq = ev->mold_seq;
    slot->ts_ns = ev->ts_ns;
    slot->locate = ev->locate;
    slot->type = ev->type;
    slot->side = ev->side;
    slot->bid_price = ev->bid_price;
    slot->ask_price = ev->ask_price;
    slot->bid_orders = ev->bid_orders;
    slot->bid_shares = ev->bid_shares;
    slot->ask_shares = ev->ask_shares;
    slot->ask_orders = ev->ask_orders;
    __atomic_store_n(&slot->idx, w + 1, __ATOMIC_RELEASE);
    __atomic_store_n(&s->ring->write_idx, w + 1, __ATOMIC_RELEASE);
}

#endif
