/* Full-depth ITCH 5.0 order book for every stock locate of a day.
 *
 * One book holds every symbol (stock locate 0..65535). It is fed raw ITCH messages (type
 * byte first, no framing) with tp_book_apply(); it keeps every live order (order ref ->
 * order) and, per symbol and side, the price levels sorted best-last with aggregated shares,
 * an order count and the orders of each level in FIFO (time priority) order.
 *
 * Memory: all state lives in one region sized by tp_book_mem_size() and laid out by
 * tp_book_init_in() (caller-given, e.g. shared memory) or tp_book_init() (anonymous mmap).
 * Nothing is allocated after init: orders, levels and level arrays come from preallocated
 * pools; a full pool makes the message fail with TP_APPLY_NOMEM (counted), never a crash.
 * Inside the region every reference is a 32-bit index, so another process that maps the same
 * region can read it through tp_book_attach().
 *
 * Not thread-safe: one writer thread per book.
 */
#ifndef TP_BOOK_BOOK_H
#define TP_BOOK_BOOK_H

#include <stddef.h>
#include <stdint.h>

#define TP_BOOK_MAX_LOCATES 65536u
#define TP_BID 0
#define TP_ASK 1

typedef struct {
    uint32_t bid_price;  /* 1/10000 USD; 0 when the side is empty */
    uint32_t ask_price;
    uint64_t bid_shares; /* aggregated at the best level; 0 when empty */
    uint64_t ask_shares;
    uint32_t bid_orders;
    uint32_t ask_orders;
} tp_bbo;

typedef void (*tp_bbo_fn)(void *ctx, uint16_t locate, const tp_bbo *bbo);

typedef struct {
    uint32_t max_orders;   /* live orders at once; 0 = default 2,097,152 */
    uint32_t max_levels;   /* live price levels at once (all symbols, both sides); 0 = 1,048,576 */
    uint32_t level_slots;  /* entries of the sorted level arrays' arena; 0 = 4 * max_levels */
    uint32_t locates;      /* symbol slots (stock locates 0..locates-1); 0 = 65536. A message
                              for a locate beyond is TP_APPLY_BAD_FIELD (small test books) */
    tp_bbo_fn on_bbo;      /* optional: called after a message changed a symbol's BBO */
    void *on_bbo_ctx;
} tp_book_cfg;

/* Result of tp_book_apply(). Values >= TP_APPLY_ERRORS mean the message changed nothing. */
typedef enum {
    TP_APPLY_OK = 0,          /* book changed below the top */
    TP_APPLY_BBO = 1,         /* book changed and best bid/ask price or size changed */
    TP_APPLY_NOT_BOOK = 2,    /* valid message with no effect on the book (or a no-op) */
    TP_APPLY_ERRORS = 16,
    TP_APPLY_UNKNOWN_TYPE = 16, /* not an ITCH 5.0 type: skipped */
    TP_APPLY_SHORT = 17,      /* shorter than its type's size: skipped */
    TP_APPLY_UNKNOWN_ORDER = 18, /* E/C/X/D/U on an order ref not in the book */
    TP_APPLY_DUP_ORDER = 19,  /* A/F/U with an order ref already live */
    TP_APPLY_BAD_FIELD = 20,  /* side not B/S, or zero shares on A/F/U */
    TP_APPLY_NOMEM = 21,      /* a pool is full */
} tp_apply_status;

typedef struct {
    uint64_t msgs;           /* messages passed to tp_book_apply */
    uint64_t by_type[256];   /* well-formed messages per type byte */
    uint64_t unknown_type;
    uint64_t short_msg;
    uint64_t long_msg;       /* longer than the type's size: extra bytes ignored */
    uint64_t unknown_order;
    uint64_t dup_order;
    uint64_t bad_field;
    uint64_t nomem;
    uint64_t bbo_changes;
    uint64_t live_orders, peak_orders;
    uint64_t live_levels, peak_levels;
} tp_book_counters;

typedef struct {
    uint32_t price;
    uint32_t orders;
    uint64_t shares;
} tp_level_info;

typedef struct {
    uint64_t ref;
    uint32_t shares;
    uint32_t price;
    uint16_t locate;
    uint8_t side; /* TP_BID / TP_ASK */
} tp_order_info;

typedef struct tp_book tp_book;

size_t tp_book_mem_size(const tp_book_cfg *cfg);
/* Lay a book out in region (64-byte aligned, at least tp_book_mem_size() bytes). */
tp_book *tp_book_init_in(const tp_book_cfg *cfg, void *region, size_t len);
/* Same in a region of its own (anonymous mmap); NULL on failure. */
tp_book *tp_book_init(const tp_book_cfg *cfg);
void tp_book_free(tp_book *book); /* only for books from tp_book_init() */
/* Fault in and lock the whole region (mlock): no page fault after this, as tickpath-fh gets
 * from mlockall. Returns 0 or an errno value (e.g. EPERM/ENOMEM under RLIMIT_MEMLOCK). */
int tp_book_lock(tp_book *book);
/* Re-derive the in-process pointers of a book laid out by another process in region. */
tp_book *tp_book_attach(void *region);
/* Read-only lookup in a book laid out by another process (region mapped PROT_READ, len bytes):
 * no pointer is written, every offset is bounds-checked against len. 1 and the 8-byte
 * space-padded name when `locate` has had its Stock Directory, else 0. The writer names a
 * locate before it publishes any event of it, so a reader that consumed such an event (an
 * acquire on the event ring) sees the name. */
int tp_book_symbol_ro(const void *region, size_t len, uint16_t locate, char name[8]);
void tp_book_clear(tp_book *book);

/* Apply one raw ITCH message (msg[0] = type byte). */
tp_apply_status tp_book_apply(tp_book *book, const uint8_t *msg, size_t len);

/* Software prefetch for a message that will be applied soon (replay pipelines / packets with
 * several messages). stage 0 (~16 messages ahead): the order map slot and the symbol;
 * stage 1 (~8 ahead): the order (reads the slot); stage 2 (~4 ahead): its level and the
 * side's top entries. Pure hints: never changes the book, safe on any bytes. */
void tp_book_prefetch(const tp_book *book, const uint8_t *msg, size_t len, int stage);

const tp_book_counters *tp_book_stats(const tp_book *book);
/* 1 and the 8-byte space-padded name if the locate was named by 'R' or an add, else 0. */
int tp_book_symbol(const tp_book *book, uint16_t locate, char name[8]);
/* Lowest locate >= from that is named or has levels; -1 when none. */
int tp_book_next_symbol(const tp_book *book, uint32_t from);
void tp_book_bbo(const tp_book *book, uint16_t locate, tp_bbo *out);
size_t tp_book_depth(const tp_book *book, uint16_t locate, int side);
/* i = 0 is the best level. Returns 0 when i >= depth. */
int tp_book_level(const tp_book *book, uint16_t locate, int side, size_t i, tp_level_info *out);
/* Order refs of level i in FIFO order; writes up to cap refs, returns the level's count. */
size_t tp_book_level_orders(const tp_book *book, uint16_t locate, int side, size_t i,
                            uint64_t *refs, size_t cap);
int tp_book_find_order(const tp_book *book, uint64_t ref, tp_order_info *out);
const char *tp_apply_status_name(tp_apply_status s);

#endif
