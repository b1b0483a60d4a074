/* JSON dump of a book: {"SYM": {"bids": [[price, shares], ...], "asks": [...]}, ...}
 * Prices are integers in 1/10000 USD, levels best first, symbol names space-trimmed. */
#ifndef TP_BOOK_BOOK_JSON_H
#define TP_BOOK_BOOK_JSON_H

#include <stddef.h>
#include <stdio.h>

#include "book/book.h"

/* Write every named symbol (or only those in only[0..n_only) when n_only > 0), in locate
 * order. Returns 0, or -1 on a write error. */
int tp_book_write_json(const tp_book *book, FILE *out, const char *const *only, size_t n_only);

/* Trimmed length of an 8-byte space-padded alpha field. */
size_t tp_alpha_len(const char name[8]);

#endif
