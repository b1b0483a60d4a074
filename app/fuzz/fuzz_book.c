/* libFuzzer: a BinaryFILE stream applied to a small book (pools fill up fast), with the
 * prefetch pipeline, then every query and the JSON dump; checks the book's invariants. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "book/book.h"
#include "book/book_json.h"
#include "book/stream.h"
#include "itch/binaryfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static tp_book *book;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!book) {
        tp_book_cfg cfg = {.max_orders = 256, .max_levels = 64, .level_slots = 256, .locates = 64};
        book = tp_book_init(&cfg);
        if (!book)
            __builtin_trap();
    }
    tp_book_clear(book);
    static const uint8_t empty[1];
    tp_bf_reader r;
    tp_bf_init(&r, size ? data : empty, size);
    tp_book_apply_stream(book, &r, size & 1);
    /* also apply the raw input as one message */
    tp_book_apply(book, size ? data : empty, size);

    const tp_book_counters *c = tp_book_stats(book);
    uint64_t orders = 0, levels = 0;
    for (int loc = tp_book_next_symbol(book, 0); loc >= 0;
         loc = tp_book_next_symbol(book, (uint32_t)loc + 1)) {
        for (int side = 0; side < 2; side++) {
            size_t depth = tp_book_depth(book, (uint16_t)loc, side);
            levels += depth;
            uint32_t prev = 0;
            for (size_t i = 0; i < depth; i++) {
                tp_level_info L;
                if (!tp_book_level(book, (uint16_t)loc, side, i, &L) || L.orders == 0 ||
                    L.shares < L.orders)
                    __builtin_trap();
                if (i && (side == TP_BID ? L.price >= prev : L.price <= prev))
                    __builtin_trap(); /* levels strictly best first */
                prev = L.price;
                uint64_t refs[256];
                if (tp_book_level_orders(book, (uint16_t)loc, side, i, refs, 256) != L.orders)
                    __builtin_trap();
                uint64_t sum = 0;
                for (uint32_t k = 0; k < L.orders && k < 256; k++) {
                    tp_order_info o;
                    if (!tp_book_find_order(book, refs[k], &o) || o.price != L.price)
                        __builtin_trap();
                    sum += o.shares;
                }
                if (L.orders <= 256 && sum != L.shares)
                    __builtin_trap();
                orders += L.orders;
            }
        }
    }
    if (orders != c->live_orders || levels != c->live_levels)
        __builtin_trap();
    FILE *devnull = fopen("/dev/null", "w");
    if (devnull) {
        tp_book_write_json(book, devnull, NULL, 0);
        fclose(devnull);
    }
    return 0;
}
