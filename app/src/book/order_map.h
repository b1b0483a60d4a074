/* Order ref -> order index: open addressing, linear probing, backward-shift deletion.
 *
 * The table has at least 2x max_orders slots (load <= 0.5). The hash keeps the low bits of
 * the ref (NASDAQ refs grow by small steps through the day), so orders added close in time
 * sit in neighbouring slots and the cancels/deletes of recent orders stay in cache; the high
 * bits are folded in so that strided refs do not pile up.
 */
#ifndef TP_BOOK_ORDER_MAP_H
#define TP_BOOK_ORDER_MAP_H

#include "book/book_internal.h"

#define TP_SLOT_EMPTY 0u

static inline uint64_t tp_map_home(const struct tp_book *b, uint64_t ref)
{
    return (ref ^ (ref >> 23) ^ (ref >> 46)) & b->slot_mask;
}

/* Slot holding ref, or the empty slot where it would go (slots[i].order == TP_SLOT_EMPTY).
 * A used slot stores order index + 1, so zero-filled memory is an empty table. */
static inline uint64_t tp_map_probe(const struct tp_book *b, uint64_t ref)
{
    uint64_t i = tp_map_home(b, ref);
    for (;;) {
        const tp_slot *s = &b->slots[i];
        if (s->order == TP_SLOT_EMPTY || s->ref == ref)
            return i;
        i = (i + 1) & b->slot_mask;
    }
}

static inline void tp_map_erase(struct tp_book *b, uint64_t i)
{
    const uint64_t mask = b->slot_mask;
    uint64_t j = i;
    for (;;) {
        j = (j + 1) & mask;
        tp_slot *s = &b->slots[j];
        if (s->order == TP_SLOT_EMPTY)
            break;
        uint64_t k = tp_map_home(b, s->ref);
        /* move s back to the hole at i unless its home lies cyclically in (i, j] */
        int in_range = (i <= j) ? (i < k && k <= j) : (i < k || k <= j);
        if (!in_range) {
            b->slots[i] = *s;
            i = j;
        }
    }
    b->slots[i].order = TP_SLOT_EMPTY;
}

#endif
