/* Lock-free single-producer / single-consumer ring of fixed-size slots.
 *
 * One thread pushes, one thread pops; nothing else touches the ring. Capacity is a power of
 * two. The producer's index (head) and the consumer's index (tail) live on their own cache
 * lines, each next to a cached copy of the other side's index, so in the common case a push
 * or a pop touches only its own line plus the slot: the opposite index is re-read (acquire)
 * only when the cached value says the ring looks full (producer) or empty (consumer).
 * Publication is a release store of the index after the slot is written; no locks, no
 * syscalls. The slot memory is caller-provided (e.g. shared memory, pre-faulted) so the ring
 * itself never allocates.
 *
 * Usage: reserve a slot (tp_spsc_push_slot), fill it, commit (tp_spsc_push_commit); on the
 * other side peek (tp_spsc_pop_slot), read, release (tp_spsc_pop_commit).
 */
#ifndef TP_RING_SPSC_H
#define TP_RING_SPSC_H

#include <stddef.h>
#include <stdint.h>

#include "common/compiler.h"

typedef struct {
    /* producer line */
    TP_ALIGNED_CL uint64_t head;  /* next slot to write (written by producer) */
    uint64_t tail_cache;          /* producer's last view of tail */
    /* consumer line */
    TP_ALIGNED_CL uint64_t tail;  /* next slot to read (written by consumer) */
    uint64_t head_cache;          /* consumer's last view of head */
    /* read-only after init */
    TP_ALIGNED_CL uint64_t mask;
    uint32_t slot_size;
    uint32_t pad_;
    uint8_t *slots;
} tp_spsc;

static inline int tp_spsc_is_pow2(uint64_t v)
{
    return v && !(v & (v - 1));
}

/* slots: capacity * slot_size bytes. Returns 0, or -1 if capacity is not a power of two or
 * slot_size is 0. */
static inline int tp_spsc_init(tp_spsc *r, void *slots, uint64_t capacity, uint32_t slot_size)
{
    if (!tp_spsc_is_pow2(capacity) || slot_size == 0 || !slots)
        return -1;
    r->head = r->tail = r->tail_cache = r->head_cache = 0;
    r->mask = capacity - 1;
    r->slot_size = slot_size;
    r->pad_ = 0;
    r->slots = slots;
    return 0;
}

/* Producer: a slot to fill, or NULL when the ring is full. */
static inline void *tp_spsc_push_slot(tp_spsc *r)
{
    uint64_t h = r->head;
    if (TP_UNLIKELY(h - r->tail_cache > r->mask)) {
        const uint64_t t = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
        if (h - t > r->mask)
            return NULL; /* no store while full: see tp_spsc_pop_slot */
        r->tail_cache = t;
    }
    return r->slots + (size_t)(h & r->mask) * r->slot_size;
}

static inline void tp_spsc_push_commit(tp_spsc *r)
{
    __atomic_store_n(&r->head, r->head + 1, __ATOMIC_RELEASE);
}

/* Consumer: the oldest filled slot, or NULL when the ring is empty. */
static inline void *tp_spsc_pop_slot(tp_spsc *r)
{
    uint64_t t = r->tail;
    if (TP_UNLIKELY(t == r->head_cache)) {
        const uint64_t h = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
        /* Empty: return without a store. An idle consumer spins here; a store per spin
         * (head_cache = h) made the paced hop 1.6x slower on the Intel VM (203 -> 127 ns p50
         * in tickpath-bench-ring). */
        if (t == h)
            return NULL;
        r->head_cache = h;
    }
    return r->slots + (size_t)(t & r->mask) * r->slot_size;
}

static inline void tp_spsc_pop_commit(tp_spsc *r)
{
    __atomic_store_n(&r->tail, r->tail + 1, __ATOMIC_RELEASE);
}

/* Approximate fill level (exact when called from either side while the other is idle). */
static inline uint64_t tp_spsc_size(const tp_spsc *r)
{
    return __atomic_load_n(&r->head, __ATOMIC_ACQUIRE) -
           __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
}

#endif
