/* key=value configuration table of the gateway, simulator and strategy programs.
 *
 * A file given with --config FILE is read by the shared reader (kvfile.h: one key=value per
 * line, '#' starts a comment anywhere on a line, blank lines ignored, whitespace around key
 * and value trimmed, a key at most once per file, errors with FILE:LINE); --set key=value on
 * the command line overrides, in order (later wins). Each program declares its keys with
 * defaults; an unknown key or a value that does not parse is an error (the program does not
 * start). (The feed handler uses the same reader with its own typed setter, src/fh/config.c.)
 */
#ifndef TP_COMMON_KVCONF_H
#define TP_COMMON_KVCONF_H

#include <stddef.h>
#include <stdint.h>

#define TP_KV_MAX 128
#define TP_KV_VAL 256

typedef struct {
    const char *key;
    const char *def; /* default value (string form) */
    const char *help;
} tp_kv_key;

typedef struct {
    const tp_kv_key *keys;
    size_t n_keys;
    char val[TP_KV_MAX][TP_KV_VAL];
} tp_kvconf;

/* keys: array of n (n <= TP_KV_MAX); defaults are copied in. */
void tp_kv_init(tp_kvconf *c, const tp_kv_key *keys, size_t n);
int tp_kv_set(tp_kvconf *c, const char *key, const char *value, char *err, size_t errlen);
/* One --set argument "key=value" (kvfile.h's rules). */
int tp_kv_set_kv(tp_kvconf *c, const char *kv, char *err, size_t errlen);
/* A --config file: every line is checked and applied, or nothing is (c unchanged). */
int tp_kv_load(tp_kvconf *c, const char *path, char *err, size_t errlen);
const char *tp_kv_str(const tp_kvconf *c, const char *key);
/* Typed getters: 0, or -1 with err set (bad number, out of range). */
int tp_kv_u64(const tp_kvconf *c, const char *key, uint64_t max, uint64_t *out, char *err,
              size_t errlen);
int tp_kv_i64(const tp_kvconf *c, const char *key, int64_t *out, char *err, size_t errlen);
/* Parse a price in dollars ("190.25") into 1/10000 units. */
int tp_kv_parse_price(const char *s, uint32_t *out);
/* Print "key=value" lines (the effective configuration; values of keys containing
 * "password" or "credential" are shown as the path only, never secrets). */
void tp_kv_dump(const tp_kvconf *c, void *file);

#endif
