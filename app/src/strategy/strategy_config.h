/* tickpath-strategy's own keys (the gateway's are gw/gw_config.h; keys and units:
 * src/gw/README.md). */
#ifndef TP_STRATEGY_STRATEGY_CONFIG_H
#define TP_STRATEGY_STRATEGY_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "common/kvconf.h"
#include "strategy/strategy.h"

typedef enum { STRAT_SRC_UDP = 0, STRAT_SRC_SHM = 1 } strat_source;

typedef struct {
    strat_mode mode;
    char symbol[9];           /* NUL-terminated, 1..8 characters */
    uint32_t size;            /* shares per order */
    uint32_t buy_below_e4;    /* 1/10000 USD, 0 = off */
    uint32_t sell_above_e4;
    uint32_t every;
    uint64_t max_orders;
    strat_source source;
    char md_addr[64], md_iface_addr[64];
    uint16_t md_port;
    char shm_name[65];        /* shm.name: the feed handler's segment /dev/shm/tickpath-NAME */
    uint32_t ring_size;       /* slots of the strategy -> gateway SPSC ring (power of two) */
    int threads;              /* 1: strategy thread + gateway thread; 0: one thread */
    int cpu, rt_priority;     /* the strategy thread's */
} strategy_cfg;

/* The gateway's keys followed by the strategy's, into keys[cap]; returns the count. */
size_t strategy_config_keys(tp_kv_key *keys, size_t cap);

/* Parse and check the strategy keys. 0, or -1 (err names the key). */
int strategy_config_parse(const tp_kvconf *c, strategy_cfg *s, char *err, size_t errlen);

#endif
