/* Arena for the per-side sorted level arrays: power-of-two size classes (4 << c entries),
 * a free list per class, bump allocation from a preallocated block. No malloc. */
#ifndef TP_BOOK_LEVEL_ARENA_H
#define TP_BOOK_LEVEL_ARENA_H

#include "book/book_internal.h"

static inline uint32_t tp_arena_alloc(struct tp_book *b, uint32_t cls)
{
    if (cls >= TP_ARENA_CLASSES)
        return TP_NIL;
    uint32_t off = b->free_block[cls];
    if (off != TP_NIL) {
        b->free_block[cls] = b->arena[off].level; /* link kept in the first entry */
        return off;
    }
    uint32_t size = 4u << cls;
    if (b->arena_cap - b->arena_used < size)
        return TP_NIL;
    off = b->arena_used;
    b->arena_used += size;
    return off;
}

static inline void tp_arena_release(struct tp_book *b, uint32_t off, uint32_t cls)
{
    b->arena[off].level = b->free_block[cls];
    b->free_block[cls] = off;
}

#endif
