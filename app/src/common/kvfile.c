/* key=value file reader (see kvfile.h). Runs once at start-up: it allocates freely. */
#include "common/kvfile.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* internal flag: a --set argument, taken as given (no comments) */
#define KV_ARG 0x80000000u

#define FAIL(...)                                                                          \
    do {                                                                                   \
        snprintf(err, errlen, __VA_ARGS__);                                                \
        return -1;                                                                         \
    } while (0)

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = 0;
    return s;
}

/* One line without its "\n" (NUL-terminated, no NUL inside): 0 with *key = NULL for a comment
 * or blank line, 0 with key and value, or -1 with the reason in err. */
static int split_line(char *s, unsigned flags, char **key, char **value, char *err,
                      size_t errlen)
{
    *key = *value = NULL;
    size_t n = strlen(s);
    if (n && s[n - 1] == '\r') /* CRLF line end */
        s[--n] = 0;
    const char *cr = memchr(s, '\r', n);
    if (cr)
        FAIL("carriage return inside the line (column %zu)", (size_t)(cr - s) + 1);
    if ((flags & TP_KVFILE_INLINE_COMMENTS) && !(flags & KV_ARG)) {
        char *h = strchr(s, '#');
        if (h)
            *h = 0;
    }
    s = trim(s);
    if (!*s || (*s == '#' && !(flags & KV_ARG)))
        return 0;
    char *eq = strchr(s, '=');
    if (!eq)
        FAIL("'%.64s%s' is not key=value", s, strlen(s) > 64 ? "..." : "");
    *eq = 0;
    *key = trim(s);
    *value = trim(eq + 1);
    if (!**key)
        FAIL("empty key before '='");
    return 0;
}

/* Keys seen so far in one file: open addressing on FNV-1a, grown at half full. */
typedef struct {
    const char *key;
    unsigned line;
} seen_slot;

typedef struct {
    seen_slot *slot;
    size_t cap, used;
} seen_set;

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    return h;
}

static seen_slot *seen_find(seen_slot *slot, size_t cap, const char *key)
{
    size_t i = (size_t)fnv1a(key) & (cap - 1);
    while (slot[i].key && strcmp(slot[i].key, key) != 0)
        i = (i + 1) & (cap - 1);
    return &slot[i];
}

/* 0 when key is new (remembered with line), else the line it was first on; -1 out of memory. */
static long seen_add(seen_set *s, const char *key, unsigned line)
{
    if (2 * (s->used + 1) > s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 64;
        seen_slot *slot = calloc(cap, sizeof *slot);
        if (!slot)
            return -1;
        for (size_t i = 0; i < s->cap; i++)
            if (s->slot[i].key)
                *seen_find(slot, cap, s->slot[i].key) = s->slot[i];
        free(s->slot);
        s->slot = slot;
        s->cap = cap;
    }
    seen_slot *e = seen_find(s->slot, s->cap, key);
    if (e->key)
        return (long)e->line;
    e->key = key;
    e->line = line;
    s->used++;
    return 0;
}

/* Works on buf (len bytes + a spare one): cuts it into NUL-terminated lines in place. */
static int parse_buf(const char *name, char *buf, size_t len, unsigned flags, tp_kvfile_fn fn,
                     void *ctx, char *err, size_t errlen)
{
    seen_set seen = {0};
    char e2[512];
    int rc = 0;
    unsigned lineno = 0;
    size_t pos = 0;
    while (pos < len && rc == 0) {
        lineno++;
        char *line = buf + pos;
        char *nl = memchr(line, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - line) : len - pos;
        pos += n + (nl != NULL);
        /* the limit is on the line's bytes; a CRLF line end does not count */
        size_t body = n && line[n - 1] == '\r' ? n - 1 : n;
        const char *nul = memchr(line, 0, n);
        char *key, *value;
        if (body > TP_KVFILE_MAX_LINE) {
            snprintf(err, errlen, "%s:%u: line longer than %u bytes (%zu)", name, lineno,
                     TP_KVFILE_MAX_LINE, body);
            rc = -1;
        } else if (nul) {
            snprintf(err, errlen, "%s:%u: NUL byte (column %zu)", name, lineno,
                     (size_t)(nul - line) + 1);
            rc = -1;
        } else {
            line[n] = 0; /* the '\n', or the spare byte after the last line */
            if (split_line(line, flags, &key, &value, e2, sizeof e2) != 0) {
                snprintf(err, errlen, "%s:%u: %s", name, lineno, e2);
                rc = -1;
            } else if (key) {
                long first = seen_add(&seen, key, lineno);
                if (first < 0) {
                    snprintf(err, errlen, "%s: out of memory", name);
                    rc = -1;
                } else if (first > 0) {
                    snprintf(err, errlen, "%s:%u: duplicate key '%s' (first set on line %ld)",
                             name, lineno, key, first);
                    rc = -1;
                } else if (fn(ctx, key, value, lineno, e2, sizeof e2) != 0) {
                    snprintf(err, errlen, "%s:%u: %s", name, lineno, e2);
                    rc = -1;
                }
            }
        }
    }
    free(seen.slot);
    return rc;
}

int tp_kvfile_parse(const char *name, const char *data, size_t len, unsigned flags,
                    tp_kvfile_fn fn, void *ctx, char *err, size_t errlen)
{
    if (len > TP_KVFILE_MAX_BYTES)
        FAIL("%s: larger than %u bytes", name, TP_KVFILE_MAX_BYTES);
    char *buf = malloc(len + 1);
    if (!buf)
        FAIL("%s: out of memory", name);
    if (len)
        memcpy(buf, data, len);
    int rc = parse_buf(name, buf, len, flags, fn, ctx, err, errlen);
    free(buf);
    return rc;
}

int tp_kvfile_load(const char *path, unsigned flags, tp_kvfile_fn fn, void *ctx, char *err,
                   size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        FAIL("%s: %s", path, strerror(errno));
    /* one byte more than the limit tells "too large" from "exactly the limit" */
    size_t cap = TP_KVFILE_MAX_BYTES + 2, len = 0;
    char *buf = malloc(cap);
    if (!buf) {
        close(fd);
        FAIL("%s: out of memory", path);
    }
    for (;;) {
        ssize_t r = read(fd, buf + len, cap - 1 - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            free(buf);
            close(fd);
            FAIL("%s: %s", path, strerror(e));
        }
        if (r == 0 || (len += (size_t)r) > TP_KVFILE_MAX_BYTES)
            break;
    }
    close(fd);
    int rc;
    if (len > TP_KVFILE_MAX_BYTES) {
        snprintf(err, errlen, "%s: larger than %u bytes", path, TP_KVFILE_MAX_BYTES);
        rc = -1;
    } else {
        rc = parse_buf(path, buf, len, flags, fn, ctx, err, errlen);
    }
    free(buf);
    return rc;
}

int tp_kvfile_set_arg(const char *kv, tp_kvfile_fn fn, void *ctx, char *err, size_t errlen)
{
    size_t n = strlen(kv);
    if (n > TP_KVFILE_MAX_LINE)
        FAIL("setting longer than %u bytes", TP_KVFILE_MAX_LINE);
    if (memchr(kv, '\n', n))
        FAIL("'%.64s': a line end inside the setting", kv);
    char buf[TP_KVFILE_MAX_LINE + 1];
    memcpy(buf, kv, n + 1);
    char *key, *value;
    if (split_line(buf, KV_ARG, &key, &value, err, errlen) != 0)
        return -1;
    if (!key)
        FAIL("'%.64s' is not key=value", kv);
    return fn(ctx, key, value, 0, err, errlen);
}
