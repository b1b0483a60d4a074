/* Generic key=value configuration table. */
#include "common/kvconf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/kvfile.h"

void tp_kv_init(tp_kvconf *c, const tp_kv_key *keys, size_t n)
{
    memset(c, 0, sizeof *c);
    c->keys = keys;
    c->n_keys = n > TP_KV_MAX ? TP_KV_MAX : n;
    for (size_t i = 0; i < c->n_keys; i++)
        snprintf(c->val[i], TP_KV_VAL, "%s", keys[i].def ? keys[i].def : "");
}

static int find(const tp_kvconf *c, const char *key)
{
    for (size_t i = 0; i < c->n_keys; i++)
        if (strcmp(c->keys[i].key, key) == 0)
            return (int)i;
    return -1;
}

int tp_kv_set(tp_kvconf *c, const char *key, const char *value, char *err, size_t errlen)
{
    int i = find(c, key);
    if (i < 0) {
        snprintf(err, errlen, "unknown key '%s'", key);
        return -1;
    }
    if (strlen(value) >= TP_KV_VAL) {
        snprintf(err, errlen, "%s: value longer than %d characters", key, TP_KV_VAL - 1);
        return -1;
    }
    snprintf(c->val[i], TP_KV_VAL, "%s", value);
    return 0;
}

static int set_one(void *ctx, const char *key, const char *value, unsigned line, char *err,
                   size_t errlen)
{
    (void)line;
    return tp_kv_set(ctx, key, value, err, errlen);
}

int tp_kv_set_kv(tp_kvconf *c, const char *kv, char *err, size_t errlen)
{
    return tp_kvfile_set_arg(kv, set_one, c, err, errlen);
}

int tp_kv_load(tp_kvconf *c, const char *path, char *err, size_t errlen)
{
    tp_kvconf *tmp = malloc(sizeof *tmp);
    if (!tmp) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    *tmp = *c;
    int rc = tp_kvfile_load(path, TP_KVFILE_INLINE_COMMENTS, set_one, tmp, err, errlen);
    if (rc == 0)
        *c = *tmp;
    free(tmp);
    return rc;
}

const char *tp_kv_str(const tp_kvconf *c, const char *key)
{
    int i = find(c, key);
    return i < 0 ? "" : c->val[i];
}

int tp_kv_u64(const tp_kvconf *c, const char *key, uint64_t max, uint64_t *out, char *err,
              size_t errlen)
{
    const char *s = tp_kv_str(c, key);
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (!*s || *end || errno || *s == '-' || v > max) {
        snprintf(err, errlen, "%s: '%s' is not an integer in 0..%llu", key, s,
                 (unsigned long long)max);
        return -1;
    }
    *out = v;
    return 0;
}

int tp_kv_i64(const tp_kvconf *c, const char *key, int64_t *out, char *err, size_t errlen)
{
    const char *s = tp_kv_str(c, key);
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 0);
    if (!*s || *end || errno) {
        snprintf(err, errlen, "%s: '%s' is not an integer", key, s);
        return -1;
    }
    *out = v;
    return 0;
}

int tp_kv_parse_price(const char *s, uint32_t *out)
{
    uint64_t whole = 0, frac = 0;
    int digits = 0, fd = 0;
    const char *p = s;
    for (; *p >= '0' && *p <= '9'; p++, digits++)
        whole = whole * 10 + (uint64_t)(*p - '0');
    if (*p == '.') {
        for (p++; *p >= '0' && *p <= '9'; p++, fd++) {
            if (fd >= 4)
                return -1;
            frac = frac * 10 + (uint64_t)(*p - '0');
        }
    }
    if (*p || (!digits && !fd) || digits > 6)
        return -1;
    while (fd++ < 4)
        frac *= 10;
    uint64_t v = whole * 10000 + frac;
    if (v > 0xffffffffull)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

void tp_kv_dump(const tp_kvconf *c, void *file)
{
    FILE *f = file;
    for (size_t i = 0; i < c->n_keys; i++)
        fprintf(f, "%s=%s\n", c->keys[i].key, c->val[i]);
}
