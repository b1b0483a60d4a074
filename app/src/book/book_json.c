/* JSON dump of the book (off the hot path). */
#include "book/book_json.h"

#include <string.h>

size_t tp_alpha_len(const char name[8])
{
    size_t n = 8;
    while (n && (name[n - 1] == ' ' || name[n - 1] == '\0'))
        n--;
    return n;
}

static void put_name(FILE *f, const char *s, size_t n)
{
    fputc('"', f);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static int wanted(const char *name, size_t n, const char *const *only, size_t n_only)
{
    if (n_only == 0)
        return 1;
    for (size_t i = 0; i < n_only; i++)
        if (strlen(only[i]) == n && memcmp(only[i], name, n) == 0)
            return 1;
    return 0;
}

static void put_side(FILE *f, const tp_book *b, uint16_t locate, int side)
{
    size_t depth = tp_book_depth(b, locate, side);
    tp_level_info L;
    fputc('[', f);
    for (size_t i = 0; i < depth; i++) {
        tp_book_level(b, locate, side, i, &L);
        fprintf(f, "%s[%u, %llu]", i ? ", " : "", L.price, (unsigned long long)L.shares);
    }
    fputc(']', f);
}

int tp_book_write_json(const tp_book *b, FILE *f, const char *const *only, size_t n_only)
{
    int first = 1;
    fputc('{', f);
    for (int loc = tp_book_next_symbol(b, 0); loc >= 0;
         loc = tp_book_next_symbol(b, (uint32_t)loc + 1)) {
        char name[8];
        if (!tp_book_symbol(b, (uint16_t)loc, name))
            continue;
        size_t n = tp_alpha_len(name);
        if (!wanted(name, n, only, n_only))
            continue;
        fputs(first ? "\n" : ",\n", f);
        first = 0;
        put_name(f, name, n);
        fputs(": {\"bids\": ", f);
        put_side(f, b, (uint16_t)loc, TP_BID);
        fputs(", \"asks\": ", f);
        put_side(f, b, (uint16_t)loc, TP_ASK);
        fputc('}', f);
    }
    fputs(first ? "}\n" : "\n}\n", f);
    return ferror(f) ? -1 : 0;
}
