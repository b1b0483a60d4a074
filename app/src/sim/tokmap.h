/* Open-addressing hash map from a 64-bit key to a 32-bit value (no deletion: order tokens
 * live for the whole day). Preallocated; the caller confirms a hit against its own record.
 * Power-of-two capacity, linear probing.
 *
 * Two placements: scattered (keys are hashes of tokens: multiplicative hash) or
 * TOKMAP_SEQUENTIAL (keys are counters handed out in order: slot = key, so consecutive keys
 * share cache lines and pages). A scattered put in a 100 MB table touched a cold page each
 * time, and 3% of the gateway's orders then waited 90-160 us for it on this VM.
 * TOKMAP_HUGE_PAGES asks for transparent huge pages (common/huge_alloc.h): for a table that
 * its program locks (mlockall) before use. A table faulted in lazily is better without: a
 * huge-page fault (2 MiB zeroed, maybe compacted) stalled the simulator for milliseconds. */
#ifndef TP_SIM_TOKMAP_H
#define TP_SIM_TOKMAP_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/huge_alloc.h"

#define TOKMAP_EMPTY 0xffffffffu
#define TOKMAP_SEQUENTIAL 1u
#define TOKMAP_HUGE_PAGES 2u

typedef struct {
    uint64_t *keys;
    uint32_t *vals;
    uint64_t mask;
    uint64_t n;
    unsigned flags;
} tokmap;

static inline void *tokmap_alloc(size_t len, unsigned flags)
{
    return flags & TOKMAP_HUGE_PAGES ? tp_huge_alloc(len) : calloc(1, len);
}

static inline void tokmap_release(void *p, size_t len, unsigned flags)
{
    if (flags & TOKMAP_HUGE_PAGES)
        tp_huge_free(p, len);
    else
        free(p);
}

/* flags: TOKMAP_SEQUENTIAL, TOKMAP_HUGE_PAGES. Returns 0 or -1 (out of memory). */
static inline int tokmap_init(tokmap *m, uint64_t cap_pow2, unsigned flags)
{
    m->flags = flags;
    m->mask = cap_pow2 - 1;
    m->keys = tokmap_alloc(cap_pow2 * sizeof *m->keys, flags);
    m->vals = tokmap_alloc(cap_pow2 * sizeof *m->vals, flags);
    if (!m->keys || !m->vals)
        return -1;
    memset(m->vals, 0xff, cap_pow2 * sizeof *m->vals);
    m->n = 0;
    return 0;
}

static inline void tokmap_free(tokmap *m)
{
    tokmap_release(m->keys, (m->mask + 1) * sizeof *m->keys, m->flags);
    tokmap_release(m->vals, (m->mask + 1) * sizeof *m->vals, m->flags);
    m->keys = NULL;
    m->vals = NULL;
}

static inline uint64_t tokmap_hash_bytes(const void *p, size_t n, uint64_t seed)
{
    const uint8_t *b = p;
    uint64_t h = 0xcbf29ce484222325ull ^ seed;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ull;
    return h ^ (h >> 29);
}

/* Walk the probe sequence of key: call with *pos = first slot; returns the value of the next
 * slot holding key (TOKMAP_EMPTY at the end). */
static inline uint32_t tokmap_next(const tokmap *m, uint64_t key, uint64_t *pos)
{
    for (;;) {
        uint64_t i = *pos & m->mask;
        if (m->vals[i] == TOKMAP_EMPTY)
            return TOKMAP_EMPTY;
        *pos = i + 1;
        if (m->keys[i] == key)
            return m->vals[i];
    }
}

static inline uint64_t tokmap_start(const tokmap *m, uint64_t key)
{
    if (m->flags & TOKMAP_SEQUENTIAL)
        return key & m->mask;
    return (key * 0x9e3779b97f4a7c15ull) >> 20 & m->mask;
}

/* -1 when the table is over 3/4 full. */
static inline int tokmap_put(tokmap *m, uint64_t key, uint32_t val)
{
    if (m->n * 4 >= (m->mask + 1) * 3)
        return -1;
    uint64_t i = tokmap_start(m, key);
    while (m->vals[i & m->mask] != TOKMAP_EMPTY)
        i++;
    m->keys[i & m->mask] = key;
    m->vals[i & m->mask] = val;
    m->n++;
    return 0;
}

#endif
