/* Open-addressing hash map from a 64-bit key to a 32-bit value (no deletion: order tokens
 * live for the whole day). Preallocated; the caller confirms a hit against its own record
 * (keys are hashes of tokens). Power-of-two capacity, linear probing. */
#ifndef TP_SIM_TOKMAP_H
#define TP_SIM_TOKMAP_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define TOKMAP_EMPTY 0xffffffffu

typedef struct {
    uint64_t *keys;
    uint32_t *vals;
    uint64_t mask;
    uint64_t n;
} tokmap;

static inline int tokmap_init(tokmap *m, uint64_t cap_pow2)
{
    m->keys = calloc(cap_pow2, sizeof *m->keys);
    m->vals = malloc(cap_pow2 * sizeof *m->vals);
    if (!m->keys || !m->vals)
        return -1;
    memset(m->vals, 0xff, cap_pow2 * sizeof *m->vals);
    m->mask = cap_pow2 - 1;
    m->n = 0;
    return 0;
}

static inline void tokmap_free(tokmap *m)
{
    free(m->keys);
    free(m->vals);
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
