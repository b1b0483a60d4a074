/* Internal layout of tp_book (shared by book.c, order_map.h, level_arena.h).
 *
 * Every cross-reference is a u32 index into one of the region's arrays, NIL = UINT32_MAX.
 */
#ifndef TP_BOOK_BOOK_INTERNAL_H
#define TP_BOOK_BOOK_INTERNAL_H

#include <stdint.h>

#include "book/book.h"
#include "common/compiler.h"

#define TP_NIL UINT32_MAX
#define TP_ARENA_CLASSES 24 /* class c holds 4 << c level entries (up to 32 M) */

/* One live order: 32 bytes, two per cache line. */
typedef struct {
    uint64_t ref;
    uint32_t shares;
    uint32_t price;
    uint32_t level;  /* index into levels[] */
    uint32_t prev;   /* FIFO neighbours in the level (orders[] indices) */
    uint32_t next;   /* also the free-list link */
    uint16_t locate;
    uint8_t side;
    uint8_t pad;
} tp_order;

/* One price level: 24 bytes. The price is duplicated in the side's sorted entry. */
typedef struct {
    uint64_t shares;
    uint32_t price;
    uint32_t count;
    uint32_t head; /* oldest order (first to trade) */
    uint32_t tail; /* newest order; also the free-list link */
} tp_level;

/* Sorted per-side array entry: key = price (bids) or ~price (asks), ascending, best last. */
typedef struct {
    uint32_t key;
    uint32_t level;
} tp_lvl_entry;

typedef struct {
    uint32_t off; /* arena offset of the entries */
    uint32_t n;   /* live levels */
    uint32_t cap; /* entries in the block (4 << class); 0 = no block yet */
} tp_side;

/* Per stock locate: one cache line. */
typedef struct TP_ALIGNED_CL {
    char name[8];
    uint8_t named;
    uint8_t pad[3];
    tp_side side[2];
    uint64_t live_orders;
} tp_symbol;

/* Open-addressing slot (linear probing, backward-shift delete): 16 bytes. */
typedef struct {
    uint64_t ref;
    uint32_t order; /* order index + 1; 0 = empty */
    uint32_t pad;
} tp_slot;

struct tp_book {
    /* hot, read-mostly */
    tp_symbol *symbols;
    tp_slot *slots;
    tp_order *orders;
    tp_level *levels;
    tp_lvl_entry *arena;
    uint64_t slot_mask;
    uint32_t nlocates;
    uint32_t free_order;
    uint32_t free_level;
    uint32_t orders_used; /* bump allocation: untouched pool pages stay unmapped */
    uint32_t levels_used;
    uint32_t arena_used;
    uint32_t arena_cap;
    uint32_t free_block[TP_ARENA_CLASSES];
    tp_bbo_fn on_bbo;
    void *on_bbo_ctx;
    tp_book_cfg cfg;
    uint64_t region_len;
    uint8_t owned; /* region from tp_book_init() */
    /* offsets of the arrays from the region start (for tp_book_attach) */
    uint64_t off_symbols, off_slots, off_orders, off_levels, off_arena;
    TP_ALIGNED_CL tp_book_counters c;
};

#endif
