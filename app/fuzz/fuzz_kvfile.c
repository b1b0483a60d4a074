/* libFuzzer: the key=value reader (common/kvfile.h) on arbitrary bytes, with and without
 * inline comments, and the same bytes as one --set argument. Every setting handed out must
 * keep the reader's promises: a non-empty trimmed key without '=', a trimmed value without a
 * line end (nor '#' with inline comments), lines increasing and within the input, no key
 * twice in one file. */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/kvfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
    unsigned flags, last_line, max_line, n;
    char keys[64][TP_KVFILE_MAX_LINE + 1];
} state;

static int trimmed(const char *s)
{
    size_t n = strlen(s);
    return !n || (!isspace((unsigned char)s[0]) && !isspace((unsigned char)s[n - 1]));
}

static int check(void *ctx, const char *key, const char *value, unsigned line, char *err,
                 size_t errlen)
{
    state *st = ctx;
    if (!*key || strchr(key, '=') || !trimmed(key) || !trimmed(value))
        abort();
    if (strpbrk(key, "\r\n") || strpbrk(value, "\r\n"))
        abort();
    if ((st->flags & TP_KVFILE_INLINE_COMMENTS) && (strchr(key, '#') || strchr(value, '#')))
        abort();
    if (strlen(key) + strlen(value) + 1 > TP_KVFILE_MAX_LINE)
        abort();
    if (line <= st->last_line || line > st->max_line)
        abort();
    st->last_line = line;
    for (unsigned i = 0; i < st->n && i < 64; i++)
        if (!strcmp(st->keys[i], key))
            abort();
    if (st->n < 64)
        strcpy(st->keys[st->n], key);
    st->n++;
    /* a program's refusal: stop on a key that starts with 'x' */
    if (key[0] == 'x') {
        (void)errlen;
        err[0] = 0;
        return -1;
    }
    return 0;
}

static int check_arg(void *ctx, const char *key, const char *value, unsigned line, char *err,
                     size_t errlen)
{
    (void)ctx, (void)err, (void)errlen;
    if (!*key || strchr(key, '=') || !trimmed(key) || !trimmed(value) || line != 0)
        abort();
    if (strpbrk(key, "\r\n") || strpbrk(value, "\r\n"))
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static state st;
    char err[256];
    unsigned lines = 1;
    for (size_t i = 0; i < size; i++)
        lines += data[i] == '\n';
    for (unsigned flags = 0; flags <= TP_KVFILE_INLINE_COMMENTS; flags++) {
        memset(&st, 0, sizeof st);
        st.flags = flags;
        st.max_line = lines;
        err[0] = 0;
        if (tp_kvfile_parse("f", (const char *)data, size, flags, check, &st, err, sizeof err) !=
                0 &&
            !err[0])
            abort(); /* every refusal says why */
    }
    char *arg = malloc(size + 1);
    if (!arg)
        return 0;
    memcpy(arg, data, size);
    arg[size] = 0;
    tp_kvfile_set_arg(arg, check_arg, NULL, err, sizeof err);
    free(arg);
    return 0;
}
