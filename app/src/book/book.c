/* Full-depth order book: init/layout, message application, queries. See book.h. */
#include "book/book.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "book/book_internal.h"
#include "book/level_arena.h"
#include "book/order_map.h"
#include "common/endian.h"
#include "itch/itch.h"

#define DEFAULT_ORDERS (1u << 21)
#define DEFAULT_LEVELS (1u << 20)
#define LINEAR_SCAN 8u

/* ---------------------------------------------------------------- layout */

typedef struct {
    tp_book_cfg cfg;
    uint64_t nslots;
    size_t off_symbols, off_slots, off_orders, off_levels, off_arena, total;
} layout;

static size_t align_cl(size_t x)
{
    return (x + (TP_CACHELINE - 1)) & ~(size_t)(TP_CACHELINE - 1);
}

static void compute_layout(const tp_book_cfg *in, layout *l)
{
    tp_book_cfg c = in ? *in : (tp_book_cfg){0};
    if (c.max_orders == 0)
        c.max_orders = DEFAULT_ORDERS;
    if (c.max_orders > (1u << 30))
        c.max_orders = 1u << 30;
    if (c.max_levels == 0)
        c.max_levels = DEFAULT_LEVELS;
    if (c.max_levels > (1u << 30))
        c.max_levels = 1u << 30;
    if (c.level_slots == 0)
        c.level_slots = c.max_levels > (1u << 29) ? UINT32_MAX - 1 : 4 * c.max_levels;
    if (c.level_slots < 64)
        c.level_slots = 64;
    if (c.locates == 0 || c.locates > TP_BOOK_MAX_LOCATES)
        c.locates = TP_BOOK_MAX_LOCATES;
    l->cfg = c;
    l->nslots = 16;
    while (l->nslots < 2ull * c.max_orders)
        l->nslots <<= 1;
    size_t off = align_cl(sizeof(struct tp_book));
    l->off_symbols = off;
    off = align_cl(off + sizeof(tp_symbol) * c.locates);
    l->off_slots = off;
    off = align_cl(off + sizeof(tp_slot) * l->nslots);
    l->off_orders = off;
    off = align_cl(off + sizeof(tp_order) * c.max_orders);
    l->off_levels = off;
    off = align_cl(off + sizeof(tp_level) * c.max_levels);
    l->off_arena = off;
    off = align_cl(off + sizeof(tp_lvl_entry) * c.level_slots);
    l->total = off;
}

size_t tp_book_mem_size(const tp_book_cfg *cfg)
{
    layout l;
    compute_layout(cfg, &l);
    return l.total;
}

static void set_pointers(struct tp_book *b, uint8_t *base)
{
    b->symbols = (tp_symbol *)(void *)(base + b->off_symbols);
    b->slots = (tp_slot *)(void *)(base + b->off_slots);
    b->orders = (tp_order *)(void *)(base + b->off_orders);
    b->levels = (tp_level *)(void *)(base + b->off_levels);
    b->arena = (tp_lvl_entry *)(void *)(base + b->off_arena);
}

static void reset(struct tp_book *b, int zeroed)
{
    if (!zeroed) {
        memset(b->symbols, 0, sizeof(tp_symbol) * b->nlocates);
        memset(b->slots, 0, sizeof(tp_slot) * (b->slot_mask + 1));
    }
    b->free_order = TP_NIL;
    b->free_level = TP_NIL;
    b->orders_used = 0;
    b->levels_used = 0;
    b->arena_used = 0;
    for (int i = 0; i < TP_ARENA_CLASSES; i++)
        b->free_block[i] = TP_NIL;
    memset(&b->c, 0, sizeof b->c);
}

static tp_book *init_in(const tp_book_cfg *cfg, void *region, size_t len, int zeroed)
{
    layout l;
    compute_layout(cfg, &l);
    if (!region || len < l.total || ((uintptr_t)region & (TP_CACHELINE - 1)))
        return NULL;
    struct tp_book *b = region;
    memset(b, 0, sizeof *b);
    b->cfg = l.cfg;
    b->on_bbo = l.cfg.on_bbo;
    b->on_bbo_ctx = l.cfg.on_bbo_ctx;
    b->slot_mask = l.nslots - 1;
    b->nlocates = l.cfg.locates;
    b->arena_cap = l.cfg.level_slots;
    b->region_len = l.total;
    b->off_symbols = l.off_symbols;
    b->off_slots = l.off_slots;
    b->off_orders = l.off_orders;
    b->off_levels = l.off_levels;
    b->off_arena = l.off_arena;
    set_pointers(b, region);
    reset(b, zeroed);
    return b;
}

tp_book *tp_book_init_in(const tp_book_cfg *cfg, void *region, size_t len)
{
    return init_in(cfg, region, len, 0);
}

tp_book *tp_book_init(const tp_book_cfg *cfg)
{
    size_t len = tp_book_mem_size(cfg);
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    if (p == MAP_FAILED)
        return NULL;
#ifdef MADV_HUGEPAGE
    madvise(p, len, MADV_HUGEPAGE); /* random access over ~200 MB: spare the TLB */
#endif
    tp_book *b = init_in(cfg, p, len, 1); /* anonymous pages are already zero */
    if (!b) {
        munmap(p, len);
        return NULL;
    }
    b->owned = 1;
    return b;
}

void tp_book_free(tp_book *b)
{
    if (b && b->owned)
        munmap(b, b->region_len);
}

int tp_book_lock(tp_book *b)
{
    return mlock(b, b->region_len) == 0 ? 0 : errno;
}

tp_book *tp_book_attach(void *region)
{
    struct tp_book *b = region;
    set_pointers(b, region);
    return b;
}

int tp_book_symbol_ro(const void *region, size_t len, uint16_t locate, char name[8])
{
    const struct tp_book *b = region;
    if (!region || len < sizeof *b || locate >= b->nlocates || b->off_symbols > len ||
        (len - b->off_symbols) / sizeof(tp_symbol) <= locate)
        return 0;
    const tp_symbol *s = (const tp_symbol *)(const void *)((const uint8_t *)region +
                                                           b->off_symbols) + locate;
    if (!__atomic_load_n(&s->named, __ATOMIC_ACQUIRE))
        return 0;
    memcpy(name, s->name, 8);
    return 1;
}

void tp_book_clear(tp_book *b)
{
    reset(b, 0);
}

/* ---------------------------------------------------------------- pools */

static inline uint32_t order_alloc(struct tp_book *b)
{
    uint32_t i = b->free_order;
    if (i != TP_NIL) {
        b->free_order = b->orders[i].next;
        return i;
    }
    if (b->orders_used < b->cfg.max_orders)
        return b->orders_used++;
    return TP_NIL;
}

static inline void order_release(struct tp_book *b, uint32_t i)
{
    b->orders[i].next = b->free_order;
    b->free_order = i;
}

static inline uint32_t level_alloc(struct tp_book *b)
{
    uint32_t i = b->free_level;
    if (i != TP_NIL) {
        b->free_level = b->levels[i].tail;
        return i;
    }
    if (b->levels_used < b->cfg.max_levels)
        return b->levels_used++;
    return TP_NIL;
}

static inline void level_release(struct tp_book *b, uint32_t i)
{
    b->levels[i].tail = b->free_level;
    b->free_level = i;
}

/* ---------------------------------------------------------------- sorted level arrays */

static inline uint32_t side_key(int side, uint32_t price)
{
    return side == TP_BID ? price : ~price;
}

/* Lower bound of key in e[0..n): scan the top LINEAR_SCAN entries, then binary search. */
static inline uint32_t side_search(const tp_lvl_entry *e, uint32_t n, uint32_t key)
{
    uint32_t i = n;
    uint32_t stop = n > LINEAR_SCAN ? n - LINEAR_SCAN : 0;
    while (i > stop && e[i - 1].key >= key)
        i--;
    if (i != stop || stop == 0)
        return i;
    uint32_t lo = 0, hi = stop;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (e[mid].key < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static inline int side_insert(struct tp_book *b, tp_side *sd, uint32_t i, uint32_t key,
                              uint32_t lvl)
{
    if (TP_UNLIKELY(sd->n == sd->cap)) {
        uint32_t ncap = sd->cap ? sd->cap * 2 : 4;
        uint32_t cls = (uint32_t)__builtin_ctz(ncap) - 2;
        uint32_t off = tp_arena_alloc(b, cls);
        if (off == TP_NIL)
            return -1;
        if (sd->cap) {
            memcpy(b->arena + off, b->arena + sd->off, sizeof(tp_lvl_entry) * sd->n);
            tp_arena_release(b, sd->off, (uint32_t)__builtin_ctz(sd->cap) - 2);
        }
        sd->off = off;
        sd->cap = ncap;
    }
    tp_lvl_entry *e = b->arena + sd->off;
    if (i < sd->n)
        memmove(e + i + 1, e + i, sizeof(tp_lvl_entry) * (sd->n - i));
    e[i].key = key;
    e[i].level = lvl;
    sd->n++;
    return 0;
}

static inline void side_remove(struct tp_book *b, tp_side *sd, uint32_t key)
{
    tp_lvl_entry *e = b->arena + sd->off;
    uint32_t i = side_search(e, sd->n, key);
    /* i < n and e[i].key == key by construction */
    sd->n--;
    if (i < sd->n)
        memmove(e + i, e + i + 1, sizeof(tp_lvl_entry) * (sd->n - i));
}

static inline int side_top_is(const struct tp_book *b, const tp_side *sd, uint32_t lvl)
{
    return sd->n && b->arena[sd->off + sd->n - 1].level == lvl;
}

typedef struct {
    uint32_t n, key;
    uint64_t shares;
} top_snap;

static inline top_snap side_top(const struct tp_book *b, const tp_side *sd)
{
    top_snap t = {0, 0, 0};
    if (sd->n) {
        const tp_lvl_entry *e = &b->arena[sd->off + sd->n - 1];
        t.n = 1;
        t.key = e->key;
        t.shares = b->levels[e->level].shares;
    }
    return t;
}

/* Find or create the level of price on side; TP_NIL when a pool is full. */
static inline uint32_t level_get(struct tp_book *b, tp_side *sd, int side, uint32_t price)
{
    uint32_t key = side_key(side, price);
    uint32_t n = sd->n;
    const tp_lvl_entry *e = b->arena + sd->off;
    uint32_t i = n ? side_search(e, n, key) : 0;
    if (i < n && e[i].key == key)
        return e[i].level;
    uint32_t li = level_alloc(b);
    if (TP_UNLIKELY(li == TP_NIL))
        return TP_NIL;
    if (TP_UNLIKELY(side_insert(b, sd, i, key, li) != 0)) {
        level_release(b, li);
        return TP_NIL;
    }
    tp_level *L = &b->levels[li];
    L->shares = 0;
    L->price = price;
    L->count = 0;
    L->head = TP_NIL;
    L->tail = TP_NIL;
    if (++b->c.live_levels > b->c.peak_levels)
        b->c.peak_levels = b->c.live_levels;
    return li;
}

static inline void order_link(struct tp_book *b, uint32_t oi, tp_order *o, uint32_t li)
{
    tp_level *L = &b->levels[li];
    o->level = li;
    o->next = TP_NIL;
    o->prev = L->tail;
    if (L->tail != TP_NIL)
        b->orders[L->tail].next = oi;
    else
        L->head = oi;
    L->tail = oi;
    L->count++;
    L->shares += o->shares;
}

/* Take o out of its level (dropping the level when empty). Returns 1 if it was the top. */
static inline int order_unlink(struct tp_book *b, tp_order *o)
{
    tp_side *sd = &b->symbols[o->locate].side[o->side];
    uint32_t li = o->level;
    int was_top = side_top_is(b, sd, li);
    tp_level *L = &b->levels[li];
    if (o->prev != TP_NIL)
        b->orders[o->prev].next = o->next;
    else
        L->head = o->next;
    if (o->next != TP_NIL)
        b->orders[o->next].prev = o->prev;
    else
        L->tail = o->prev;
    L->shares -= o->shares;
    if (--L->count == 0) {
        side_remove(b, sd, side_key(o->side, L->price));
        level_release(b, li);
        b->c.live_levels--;
    }
    return was_top;
}

/* ---------------------------------------------------------------- messages */

static void fill_bbo(const struct tp_book *b, const tp_symbol *s, tp_bbo *out)
{
    memset(out, 0, sizeof *out);
    const tp_side *bid = &s->side[TP_BID], *ask = &s->side[TP_ASK];
    if (bid->n) {
        const tp_level *L = &b->levels[b->arena[bid->off + bid->n - 1].level];
        out->bid_price = L->price;
        out->bid_shares = L->shares;
        out->bid_orders = L->count;
    }
    if (ask->n) {
        const tp_level *L = &b->levels[b->arena[ask->off + ask->n - 1].level];
        out->ask_price = L->price;
        out->ask_shares = L->shares;
        out->ask_orders = L->count;
    }
}

static tp_apply_status bbo_changed(struct tp_book *b, uint16_t locate)
{
    b->c.bbo_changes++;
    if (b->on_bbo) {
        tp_bbo q;
        fill_bbo(b, &b->symbols[locate], &q);
        b->on_bbo(b->on_bbo_ctx, locate, &q);
    }
    return TP_APPLY_BBO;
}

static tp_apply_status do_add(struct tp_book *b, const uint8_t *p)
{
    const uint16_t locate = tp_be16(p + 1);
    const uint64_t ref = tp_be64(p + 11);
    const uint8_t side_ch = p[19];
    const uint32_t shares = tp_be32(p + 20);
    const uint32_t price = tp_be32(p + 32);
    if (TP_UNLIKELY((side_ch != 'B' && side_ch != 'S') || shares == 0 ||
                    locate >= b->nlocates)) {
        b->c.bad_field++;
        return TP_APPLY_BAD_FIELD;
    }
    uint64_t si = tp_map_probe(b, ref);
    if (TP_UNLIKELY(b->slots[si].order != TP_SLOT_EMPTY)) {
        b->c.dup_order++;
        return TP_APPLY_DUP_ORDER;
    }
    uint32_t oi = order_alloc(b);
    if (TP_UNLIKELY(oi == TP_NIL))
        goto nomem;
    tp_symbol *sym = &b->symbols[locate];
    if (TP_UNLIKELY(!sym->named)) {
        memcpy(sym->name, p + 24, 8);
        sym->named = 1;
    }
    const int side = side_ch == 'S';
    tp_side *sd = &sym->side[side];
    uint32_t li = level_get(b, sd, side, price);
    if (TP_UNLIKELY(li == TP_NIL)) {
        order_release(b, oi);
        goto nomem;
    }
    tp_order *o = &b->orders[oi];
    o->ref = ref;
    o->shares = shares;
    o->price = price;
    o->locate = locate;
    o->side = (uint8_t)side;
    order_link(b, oi, o, li);
    b->slots[si].ref = ref;
    b->slots[si].order = oi + 1;
    sym->live_orders++;
    if (++b->c.live_orders > b->c.peak_orders)
        b->c.peak_orders = b->c.live_orders;
    if (side_top_is(b, sd, li))
        return bbo_changed(b, locate);
    return TP_APPLY_OK;
nomem:
    b->c.nomem++;
    return TP_APPLY_NOMEM;
}

static inline void order_remove(struct tp_book *b, uint64_t si, uint32_t oi, tp_order *o)
{
    b->symbols[o->locate].live_orders--;
    b->c.live_orders--;
    tp_map_erase(b, si);
    order_release(b, oi);
}

/* E, C, X (reduce by n shares; an order reduced to zero leaves the book) and D (n = all). */
static tp_apply_status do_reduce(struct tp_book *b, uint64_t ref, uint32_t n, int all)
{
    uint64_t si = tp_map_probe(b, ref);
    uint32_t slot = b->slots[si].order;
    if (TP_UNLIKELY(slot == TP_SLOT_EMPTY)) {
        b->c.unknown_order++;
        return TP_APPLY_UNKNOWN_ORDER;
    }
    uint32_t oi = slot - 1;
    tp_order *o = &b->orders[oi];
    const uint16_t locate = o->locate;
    int top;
    if (all || n >= o->shares) {
        top = order_unlink(b, o);
        order_remove(b, si, oi, o);
    } else if (n == 0) {
        return TP_APPLY_NOT_BOOK;
    } else {
        o->shares -= n;
        b->levels[o->level].shares -= n;
        top = side_top_is(b, &b->symbols[locate].side[o->side], o->level);
    }
    return top ? bbo_changed(b, locate) : TP_APPLY_OK;
}

static tp_apply_status do_replace(struct tp_book *b, const uint8_t *p)
{
    const uint64_t old_ref = tp_be64(p + 11);
    const uint64_t new_ref = tp_be64(p + 19);
    const uint32_t shares = tp_be32(p + 27);
    const uint32_t price = tp_be32(p + 31);
    uint64_t so = tp_map_probe(b, old_ref);
    uint32_t slot = b->slots[so].order;
    if (TP_UNLIKELY(slot == TP_SLOT_EMPTY)) {
        b->c.unknown_order++;
        return TP_APPLY_UNKNOWN_ORDER;
    }
    if (TP_UNLIKELY(shares == 0)) {
        b->c.bad_field++;
        return TP_APPLY_BAD_FIELD;
    }
    if (new_ref != old_ref &&
        TP_UNLIKELY(b->slots[tp_map_probe(b, new_ref)].order != TP_SLOT_EMPTY)) {
        b->c.dup_order++;
        return TP_APPLY_DUP_ORDER;
    }
    uint32_t oi = slot - 1;
    tp_order *o = &b->orders[oi];
    const uint16_t locate = o->locate;
    const int side = o->side;
    tp_side *sd = &b->symbols[locate].side[side];
    top_snap before = side_top(b, sd);
    order_unlink(b, o);
    tp_map_erase(b, so);
    uint32_t li = level_get(b, sd, side, price);
    if (TP_UNLIKELY(li == TP_NIL)) {
        b->symbols[locate].live_orders--;
        b->c.live_orders--;
        order_release(b, oi);
        b->c.nomem++;
        return TP_APPLY_NOMEM;
    }
    o->ref = new_ref;
    o->shares = shares;
    o->price = price;
    order_link(b, oi, o, li);
    uint64_t sn = tp_map_probe(b, new_ref);
    b->slots[sn].ref = new_ref;
    b->slots[sn].order = oi + 1;
    top_snap after = side_top(b, sd);
    if (before.n != after.n || before.key != after.key || before.shares != after.shares)
        return bbo_changed(b, locate);
    return TP_APPLY_OK;
}

tp_apply_status tp_book_apply(tp_book *b, const uint8_t *p, size_t len)
{
    b->c.msgs++;
    if (TP_UNLIKELY(len == 0)) {
        b->c.short_msg++;
        return TP_APPLY_SHORT;
    }
    const uint8_t type = p[0];
    const size_t need = tp_itch_size[type];
    if (TP_UNLIKELY(need == 0)) {
        b->c.unknown_type++;
        return TP_APPLY_UNKNOWN_TYPE;
    }
    if (TP_UNLIKELY(len < need)) {
        b->c.short_msg++;
        return TP_APPLY_SHORT;
    }
    if (TP_UNLIKELY(len > need))
        b->c.long_msg++;
    b->c.by_type[type]++;
    switch (type) {
    case 'A':
    case 'F':
        return do_add(b, p);
    case 'D':
        return do_reduce(b, tp_be64(p + 11), 0, 1);
    case 'E':
    case 'C':
    case 'X':
        return do_reduce(b, tp_be64(p + 11), tp_be32(p + 19), 0);
    case 'U':
        return do_replace(b, p);
    case 'R': {
        uint16_t loc = tp_be16(p + 1);
        if (TP_UNLIKELY(loc >= b->nlocates)) {
            b->c.bad_field++;
            return TP_APPLY_BAD_FIELD;
        }
        tp_symbol *s = &b->symbols[loc];
        memcpy(s->name, p + 11, 8);
        s->named = 1;
        return TP_APPLY_NOT_BOOK;
    }
    default:
        return TP_APPLY_NOT_BOOK;
    }
}

/* ---------------------------------------------------------------- prefetch */

static inline int has_ref(uint8_t t)
{
    return t == 'E' || t == 'C' || t == 'X' || t == 'D' || t == 'U';
}

void tp_book_prefetch(const tp_book *b, const uint8_t *p, size_t len, int stage)
{
    if (len < 19)
        return;
    const uint8_t t = p[0];
    const int add = t == 'A' || t == 'F';
    if (!add && !has_ref(t))
        return;
    const uint64_t ref = tp_be64(p + 11);
    const uint64_t home = tp_map_home(b, ref);
    if (stage == 0) {
        __builtin_prefetch(&b->slots[home], 0);
        if (tp_be16(p + 1) < b->nlocates)
            __builtin_prefetch(&b->symbols[tp_be16(p + 1)], 0);
        return;
    }
    if (add) {
        if (stage == 1 && len >= 36 && tp_be16(p + 1) < b->nlocates) {
            const tp_side *sd = &b->symbols[tp_be16(p + 1)].side[p[19] == 'S'];
            if (sd->n)
                __builtin_prefetch(&b->arena[sd->off + sd->n - 1], 0);
        }
        return;
    }
    const tp_slot *s = &b->slots[home];
    if (s->order == TP_SLOT_EMPTY || s->ref != ref || s->order > b->orders_used)
        return; /* collisions: not worth chasing */
    const tp_order *o = &b->orders[s->order - 1];
    if (stage == 1) {
        __builtin_prefetch(o, 0);
        return;
    }
    if (o->level < b->levels_used)
        __builtin_prefetch(&b->levels[o->level], 0);
}

/* ---------------------------------------------------------------- queries */

const tp_book_counters *tp_book_stats(const tp_book *b)
{
    return &b->c;
}

int tp_book_symbol(const tp_book *b, uint16_t locate, char name[8])
{
    if (locate >= b->nlocates)
        return 0;
    const tp_symbol *s = &b->symbols[locate];
    if (!s->named)
        return 0;
    memcpy(name, s->name, 8);
    return 1;
}

int tp_book_next_symbol(const tp_book *b, uint32_t from)
{
    for (uint32_t i = from; i < b->nlocates; i++) {
        const tp_symbol *s = &b->symbols[i];
        if (s->named || s->side[0].n || s->side[1].n)
            return (int)i;
    }
    return -1;
}

void tp_book_bbo(const tp_book *b, uint16_t locate, tp_bbo *out)
{
    if (locate >= b->nlocates) {
        memset(out, 0, sizeof *out);
        return;
    }
    fill_bbo(b, &b->symbols[locate], out);
}

size_t tp_book_depth(const tp_book *b, uint16_t locate, int side)
{
    if (locate >= b->nlocates)
        return 0;
    return b->symbols[locate].side[side ? 1 : 0].n;
}

static const tp_level *level_at(const tp_book *b, uint16_t locate, int side, size_t i)
{
    if (locate >= b->nlocates)
        return NULL;
    const tp_side *sd = &b->symbols[locate].side[side ? 1 : 0];
    if (i >= sd->n)
        return NULL;
    return &b->levels[b->arena[sd->off + sd->n - 1 - i].level];
}

int tp_book_level(const tp_book *b, uint16_t locate, int side, size_t i, tp_level_info *out)
{
    const tp_level *L = level_at(b, locate, side, i);
    if (!L)
        return 0;
    out->price = L->price;
    out->orders = L->count;
    out->shares = L->shares;
    return 1;
}

size_t tp_book_level_orders(const tp_book *b, uint16_t locate, int side, size_t i,
                            uint64_t *refs, size_t cap)
{
    const tp_level *L = level_at(b, locate, side, i);
    if (!L)
        return 0;
    size_t k = 0;
    for (uint32_t oi = L->head; oi != TP_NIL; oi = b->orders[oi].next, k++)
        if (k < cap)
            refs[k] = b->orders[oi].ref;
    return k;
}

int tp_book_find_order(const tp_book *b, uint64_t ref, tp_order_info *out)
{
    uint64_t si = tp_map_probe(b, ref);
    uint32_t slot = b->slots[si].order;
    if (slot == TP_SLOT_EMPTY)
        return 0;
    const tp_order *o = &b->orders[slot - 1];
    out->ref = o->ref;
    out->shares = o->shares;
    out->price = o->price;
    out->locate = o->locate;
    out->side = o->side;
    return 1;
}

const char *tp_apply_status_name(tp_apply_status s)
{
    switch (s) {
    case TP_APPLY_OK: return "ok";
    case TP_APPLY_BBO: return "bbo";
    case TP_APPLY_NOT_BOOK: return "not_book";
    case TP_APPLY_UNKNOWN_TYPE: return "unknown_type";
    case TP_APPLY_SHORT: return "short";
    case TP_APPLY_UNKNOWN_ORDER: return "unknown_order";
    case TP_APPLY_DUP_ORDER: return "dup_order";
    case TP_APPLY_BAD_FIELD: return "bad_field";
    case TP_APPLY_NOMEM: return "nomem";
    }
    return "?";
}
