/* Matching engine of tickpath-sim: one book per symbol, price-time priority, limit and IOC
 * orders, partial fills, cancels (full or down to a size), replaces, hidden (non-displayed)
 * orders. Everything is preallocated at init (order pool with a free list, a fixed array of
 * price levels per side); a full pool or level array rejects the order, never allocates.
 *
 * Levels of a side are kept sorted with the best price LAST (bids ascending, asks
 * descending) so matching and removing at the top never moves the array. Each level holds a
 * FIFO (doubly linked through order indices) of its orders: time priority.
 *
 * The engine reports what happens through callbacks (the venue turns them into ITCH and
 * OUCH): add (order rests), exec (a resting order traded against an aggressor), cancel
 * (shares removed from a resting order; deleted when none left), replace.
 */
#ifndef TP_SIM_MATCH_H
#define TP_SIM_MATCH_H

#include <stdint.h>
#include <stdio.h>

#define ME_NIL 0xffffffffu
#define ME_MAX_SYMBOLS 64

typedef struct {
    uint64_t ref;       /* ITCH order reference number (unique for the day) */
    uint32_t shares;    /* open shares */
    uint32_t price;
    uint32_t prev, next;
    uint32_t owner_tag; /* the venue's handle (session order index or flow slot) */
    int16_t owner;      /* -1 = background flow, else OUCH user index */
    uint16_t sym;
    uint8_t side;       /* 0 = buy, 1 = sell */
    uint8_t live;
    uint8_t hidden;     /* non-displayed: not in ITCH, executions print as 'P' Trade */
    uint8_t pad_;
} me_order;

typedef struct {
    uint32_t price;
    uint32_t head, tail;
    uint32_t count;      /* displayed orders */
    uint64_t shares;     /* displayed shares */
    uint64_t all_shares; /* displayed + hidden */
} me_level;

typedef struct {
    me_level *lv; /* sorted, best last */
    uint32_t n;
} me_side;

typedef struct {
    char name[8];
    uint16_t locate;
    me_side side[2];
} me_book;

typedef struct {
    void (*on_add)(void *ctx, const me_order *o);
    /* resting order o traded `shares` at its price against an aggressor (owner/tag) */
    void (*on_exec)(void *ctx, const me_order *resting, uint32_t shares, uint64_t match,
                    int aggr_owner, uint32_t aggr_tag, uint8_t aggr_side);
    void (*on_cancel)(void *ctx, const me_order *o, uint32_t canceled, int deleted);
    void (*on_replace)(void *ctx, uint64_t old_ref, const me_order *o);
    void *ctx;
} me_callbacks;

typedef struct {
    uint64_t orders, rejects_full, execs, exec_shares, cancels, replaces;
} me_stats;

typedef struct {
    me_book books[ME_MAX_SYMBOLS];
    uint32_t n_books;
    uint32_t max_levels;
    me_order *orders;
    uint32_t max_orders;
    uint32_t free_head;
    uint32_t live;
    uint64_t next_ref, next_match;
    me_callbacks cb;
    me_stats st;
} me_engine;

int me_init(me_engine *m, uint32_t max_orders, uint32_t max_levels, const me_callbacks *cb);
void me_free(me_engine *m);
/* Add a symbol; returns its index, -1 when full. locate = index + 1. */
int me_add_symbol(me_engine *m, const char *name);

typedef struct {
    uint32_t executed;  /* shares traded by the incoming order */
    uint32_t rested;    /* order index if the remainder rests, else ME_NIL */
    uint32_t canceled;  /* IOC remainder canceled */
    int full;           /* no room: nothing happened */
} me_result;

/* side 0 buy, 1 sell. */
me_result me_submit(me_engine *m, uint16_t sym, uint8_t side, uint32_t shares, uint32_t price,
                    int ioc, int hidden, int owner, uint32_t owner_tag);
/* Reduce a resting order to `leave` shares (0 = cancel all). Returns shares canceled. */
uint32_t me_cancel(me_engine *m, uint32_t idx, uint32_t leave);
/* Replace a resting order: new size/price, loses priority unless only the size went down.
 * A replacement that crosses trades as a new aggressive order (the old one is deleted).
 * Returns the result for the replacement; res.full = 1 when it could not be done. */
me_result me_replace(me_engine *m, uint32_t idx, uint32_t shares, uint32_t price,
                     uint32_t owner_tag);

static inline const me_order *me_get(const me_engine *m, uint32_t idx)
{
    return idx < m->max_orders && m->orders[idx].live ? &m->orders[idx] : NULL;
}
void me_bbo(const me_engine *m, uint16_t sym, uint32_t *bid, uint64_t *bid_sh, uint32_t *ask,
            uint64_t *ask_sh);
/* Displayed book as JSON in tickpath-replay --book-json's format. */
int me_write_json(const me_engine *m, FILE *f);

#endif
