/* Configuration shared by tickpath-gw and tickpath-strategy (keys: README.md). */
#ifndef TP_GW_GW_CONFIG_H
#define TP_GW_GW_CONFIG_H

#include <stddef.h>

#include "gw/gw.h"
#include "gw/kvconf.h"

extern const tp_kv_key TP_GW_KEYS[];
extern const size_t TP_GW_N_KEYS;

/* Fill a tp_gw_cfg from the table (reads the credentials file). 0 or -1 (err). */
int tp_gw_config_build(const tp_kvconf *c, tp_gw_cfg *out, char *err, size_t errlen);

#endif
