#include "strategy/strategy_config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "gw/gw.h"
#include "gw/gw_config.h"

static const tp_kv_key STRATEGY_KEYS[] = {
    {"strategy.mode", "take", "take | ping"},
    {"strategy.source", "udp", "udp (own MoldUDP64 receiver + book) | shm (the feed handler's "
                               "event ring, segment shm.name)"},
    {"strategy.md_addr", "239.100.1.1", "udp: group or local address to receive"},
    {"strategy.md_port", "26400", ""},
    {"strategy.md_iface_addr", "0.0.0.0", "udp: interface address for the multicast join"},
    {"strategy.symbol", "AAPL", "the symbol traded (must be in symbols)"},
    {"strategy.size", "100", "shares per order"},
    {"strategy.buy_below_e4", "0", "take: buy IOC at the ask when ask < this (1/10000 USD; 0 = off)"},
    {"strategy.sell_above_e4", "0", "take: sell IOC at the bid when bid > this (1/10000 USD; 0 = off)"},
    {"strategy.every", "1", "ping: one order per this many BBO changes"},
    {"strategy.max_orders", "1000000", "stop sending after this many orders"},
    {"strategy.cpu", "-1", "pin the strategy thread to this CPU (-1 = not pinned)"},
    {"strategy.threads", "1", "1 = strategy and gateway on two threads (SPSC ring); 0 = one thread"},
    {"strategy.rt_priority", "0", "SCHED_FIFO priority of the strategy thread"},
    {"ring.size", "4096", "slots of the strategy -> gateway ring (power of two)"},
    {"ring.slot_size", "64", "bytes per slot: 64 (one request, one cache line)"},
    {"shm.name", "fh", "source shm: the feed handler's segment /dev/shm/tickpath-NAME"},
};

#define N_STRATEGY_KEYS (sizeof STRATEGY_KEYS / sizeof STRATEGY_KEYS[0])

size_t strategy_config_keys(tp_kv_key *keys, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < TP_GW_N_KEYS && n < cap; i++)
        keys[n++] = TP_GW_KEYS[i];
    for (size_t i = 0; i < N_STRATEGY_KEYS && n < cap; i++)
        keys[n++] = STRATEGY_KEYS[i];
    return n;
}

#define FAIL(...)                                                                          \
    do {                                                                                   \
        snprintf(err, errlen, __VA_ARGS__);                                                \
        return -1;                                                                         \
    } while (0)

static int cpu_of(const tp_kvconf *c, const char *key, int *out, char *err, size_t errlen)
{
    int64_t v;
    if (tp_kv_i64(c, key, &v, err, errlen))
        return -1;
    if (v < -1 || v > 1023)
        FAIL("%s: %lld is not -1 (not pinned) or a CPU number 0..1023", key, (long long)v);
    *out = (int)v;
    return 0;
}

int strategy_config_parse(const tp_kvconf *c, strategy_cfg *s, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    uint64_t v;
    const char *mode = tp_kv_str(c, "strategy.mode");
    if (!strcmp(mode, "take"))
        s->mode = STRAT_TAKE;
    else if (!strcmp(mode, "ping"))
        s->mode = STRAT_PING;
    else
        FAIL("strategy.mode: '%s' is not take or ping", mode);
    const char *src = tp_kv_str(c, "strategy.source");
    if (!strcmp(src, "udp"))
        s->source = STRAT_SRC_UDP;
    else if (!strcmp(src, "shm"))
        s->source = STRAT_SRC_SHM;
    else
        FAIL("strategy.source: '%s' is not udp or shm", src);
    const char *sym = tp_kv_str(c, "strategy.symbol");
    if (!*sym || strlen(sym) > 8)
        FAIL("strategy.symbol: '%s' is not 1..8 characters", sym);
    snprintf(s->symbol, sizeof s->symbol, "%s", sym);
    if (tp_kv_u64(c, "strategy.size", 1000000, &v, err, errlen))
        return -1;
    if (!v)
        FAIL("strategy.size: 0 shares");
    s->size = (uint32_t)v;
    if (tp_kv_u64(c, "strategy.buy_below_e4", 0xffffffffu, &v, err, errlen))
        return -1;
    s->buy_below_e4 = (uint32_t)v;
    if (tp_kv_u64(c, "strategy.sell_above_e4", 0xffffffffu, &v, err, errlen))
        return -1;
    s->sell_above_e4 = (uint32_t)v;
    if (tp_kv_u64(c, "strategy.every", 1000000, &v, err, errlen))
        return -1;
    s->every = v ? (uint32_t)v : 1;
    if (tp_kv_u64(c, "strategy.max_orders", UINT64_MAX, &v, err, errlen))
        return -1;
    s->max_orders = v;
    const char *a = tp_kv_str(c, "strategy.md_addr"), *ia = tp_kv_str(c, "strategy.md_iface_addr");
    struct in_addr tmp;
    if (inet_pton(AF_INET, a, &tmp) != 1)
        FAIL("strategy.md_addr: '%s' is not an IPv4 address", a);
    if (inet_pton(AF_INET, ia, &tmp) != 1)
        FAIL("strategy.md_iface_addr: '%s' is not an IPv4 address", ia);
    snprintf(s->md_addr, sizeof s->md_addr, "%s", a);
    snprintf(s->md_iface_addr, sizeof s->md_iface_addr, "%s", ia);
    if (tp_kv_u64(c, "strategy.md_port", 65535, &v, err, errlen))
        return -1;
    s->md_port = (uint16_t)v;
    if (tp_kv_u64(c, "strategy.threads", 1, &v, err, errlen))
        return -1;
    s->threads = (int)v;
    if (cpu_of(c, "strategy.cpu", &s->cpu, err, errlen))
        return -1;
    if (tp_kv_u64(c, "strategy.rt_priority", 99, &v, err, errlen))
        return -1;
    s->rt_priority = (int)v;
    if (tp_kv_u64(c, "ring.size", 1u << 24, &v, err, errlen))
        return -1;
    if (v < 2 || (v & (v - 1)))
        FAIL("ring.size: %llu is not a power of two in 2..16777216", (unsigned long long)v);
    s->ring_size = (uint32_t)v;
    if (tp_kv_u64(c, "ring.slot_size", 65536, &v, err, errlen))
        return -1;
    if (v != sizeof(tp_gw_req))
        FAIL("ring.slot_size: %llu; this version's slot is %zu bytes (one request)",
             (unsigned long long)v, sizeof(tp_gw_req));
    const char *shm = tp_kv_str(c, "shm.name");
    size_t n = strlen(shm);
    if (!n || n > 64 || strchr(shm, '/') || shm[0] == '.')
        FAIL("shm.name: '%s' is not 1..64 characters without '/' (not starting with '.')", shm);
    snprintf(s->shm_name, sizeof s->shm_name, "%s", shm);
    return 0;
}
