/* Apply a whole BinaryFILE buffer to a book with a software-prefetch pipeline. */
#ifndef TP_BOOK_STREAM_H
#define TP_BOOK_STREAM_H

#include "book/book.h"
#include "itch/binaryfile.h"

/* Apply every record of r; prefetch=0 applies them one by one with no look-ahead.
 * Returns the number of records applied. */
uint64_t tp_book_apply_stream(tp_book *book, tp_bf_reader *r, int prefetch);

#endif
