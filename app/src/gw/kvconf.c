/* Generic key=value configuration table. */
#include "gw/kvconf.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
        snprintf(err, errlen, "%s: value too long", key);
        return -1;
    }
    snprintf(c->val[i], TP_KV_VAL, "%s", value);
    return 0;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = 0;
    return s;
}

int tp_kv_set_kv(tp_kvconf *c, const char *kv, char *err, size_t errlen)
{
    char buf[512];
    if (strlen(kv) >= sizeof buf) {
        snprintf(err, errlen, "setting too long");
        return -1;
    }
    strcpy(buf, kv);
    char *eq = strchr(buf, '=');
    if (!eq) {
        snprintf(err, errlen, "'%s': expected key=value", kv);
        return -1;
    }
    *eq = 0;
    return tp_kv_set(c, trim(buf), trim(eq + 1), err, errlen);
}

int tp_kv_load(tp_kvconf *c, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char line[512], e2[256];
    int lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char *h = strchr(line, '#');
        if (h)
            *h = 0;
        char *s = trim(line);
        if (!*s)
            continue;
        if (tp_kv_set_kv(c, s, e2, sizeof e2) != 0) {
            snprintf(err, errlen, "%s:%d: %s", path, lineno, e2);
            fclose(f);
            return -1;
        }
    }
    fclose(f);
    return 0;
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
