/* Hand-built book messages for the book tests (offsets from the ITCH 5.0 spec). */
#ifndef TP_TESTS_BOOK_MSGS_H
#define TP_TESTS_BOOK_MSGS_H

#include "book/book.h"
#include "check.h"

static inline tp_apply_status m_dir(tp_book *b, uint16_t loc, const char *sym)
{
    uint8_t p[39] = {0};
    put_hdr(p, 'R', loc, 0, 1);
    put_s(p, 11, sym, 8);
    return tp_book_apply(b, p, sizeof p);
}

static inline tp_apply_status m_add(tp_book *b, uint16_t loc, uint64_t ref, char side,
                                    uint32_t shares, uint32_t price)
{
    uint8_t p[36] = {0};
    put_hdr(p, 'A', loc, 0, 2);
    put_n(p, 11, 8, ref);
    p[19] = (uint8_t)side;
    put_n(p, 20, 4, shares);
    put_s(p, 24, "SYM", 8);
    put_n(p, 32, 4, price);
    return tp_book_apply(b, p, sizeof p);
}

static inline tp_apply_status m_addf(tp_book *b, uint16_t loc, uint64_t ref, char side,
                                     uint32_t shares, uint32_t price)
{
    uint8_t p[40] = {0};
    put_hdr(p, 'F', loc, 0, 2);
    put_n(p, 11, 8, ref);
    p[19] = (uint8_t)side;
    put_n(p, 20, 4, shares);
    put_s(p, 24, "SYM", 8);
    put_n(p, 32, 4, price);
    put_s(p, 36, "MPID", 4);
    return tp_book_apply(b, p, sizeof p);
}

static inline tp_apply_status m_exec(tp_book *b, uint64_t ref, uint32_t shares)
{
    uint8_t p[31] = {0};
    put_hdr(p, 'E', 1, 0, 3);
    put_n(p, 11, 8, ref);
    put_n(p, 19, 4, shares);
    put_n(p, 23, 8, 99);
    return tp_book_apply(b, p, sizeof p);
}

static inline tp_apply_status m_execp(tp_book *b, uint64_t ref, uint32_t shares, uint32_t px)
{
    uint8_t p[36] = {0};
    put_hdr(p, 'C', 1, 0, 3);
    put_n(p, 11, 8, ref);
    put_n(p, 19, 4, shares);
    put_n(p, 23, 8, 100);
    p[31] = 'Y';
    put_n(p, 32, 4, px);
    return tp_book_apply(b, p, sizeof p);
}

static inline tp_apply_status m_cancel(tp_book *b, uint64_t ref, uint32_t shares)
{
    uint8_t p[23] = {0};
    put_hdr(p, 'X', 1, 0, 4);
    put_n(p, 11, 8, ref);
    put_n(p, 19, 4, shares);
    return tp_book_apply(b, p, sizeof p);
}

static inline tp_apply_status m_del(tp_book *b, uint64_t ref)
{
    uint8_t p[19] = {0};
    put_hdr(p, 'D', 1, 0, 5);
    put_n(p, 11, 8, ref);
    return tp_book_apply(b, p, sizeof p);
}

static inline tp_apply_status m_replace(tp_book *b, uint64_t old_ref, uint64_t new_ref,
                                        uint32_t shares, uint32_t price)
{
    uint8_t p[35] = {0};
    put_hdr(p, 'U', 1, 0, 6);
    put_n(p, 11, 8, old_ref);
    put_n(p, 19, 8, new_ref);
    put_n(p, 27, 4, shares);
    put_n(p, 31, 4, price);
    return tp_book_apply(b, p, sizeof p);
}

#endif
