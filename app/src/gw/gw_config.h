/* Configuration of the order gateway, shared by tickpath-gw and tickpath-strategy (keys and
 * units: README.md; the renderer `tickpath config render` writes exactly these keys). */
#ifndef TP_GW_GW_CONFIG_H
#define TP_GW_GW_CONFIG_H

#include <stddef.h>

#include "gw/gw.h"
#include "common/kvconf.h"

extern const tp_kv_key TP_GW_KEYS[];
extern const size_t TP_GW_N_KEYS;

/* Check `format` and `program` (empty = not given, as in a hand-written file; given = must be
 * 1 and `program`). 0 or -1 (err names the key). */
int tp_gw_config_header(const tp_kvconf *c, const char *program, char *err, size_t errlen);

/* Fill a tp_gw_cfg from the table. read_secret = 0 (--check-config): the password source is
 * checked for form (exactly one of ouch.password.credential / .file / .env) but not read.
 * 0 or -1 (err names the key; never contains the secret). */
int tp_gw_config_build(const tp_kvconf *c, int read_secret, tp_gw_cfg *out, char *err,
                       size_t errlen);

/* "firm=F display=D capacity=C iso=I cross_type=X customer_type=T" (--check-config output:
 * what every Enter Order says about the firm). */
void tp_gw_config_order_fields(const tp_gw_cfg *g, char *out, size_t cap);

/* "credential:NAME", "file:PATH" or "env:NAME" (for --check-config output; never the secret). */
void tp_gw_config_password_source(const tp_kvconf *c, char *out, size_t cap);

#endif
