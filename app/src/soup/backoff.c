/* Failed-login backoff table. */
#include "soup/backoff.h"

#include <string.h>

#define MS 1000000ull

void tp_backoff_init(tp_backoff *b, uint32_t base_ms, uint32_t max_ms)
{
    memset(b, 0, sizeof *b);
    b->base_ns = (uint64_t)(base_ms ? base_ms : 1) * MS;
    b->max_ns = (uint64_t)max_ms * MS;
    if (b->max_ns < b->base_ns)
        b->max_ns = b->base_ns;
}

/* Forget an entry whose backoff has been over for max_ns (its failures are old news). */
static void expire(tp_backoff *b, tp_backoff_entry *e, uint64_t now)
{
    if (e->fails && now >= e->until_ns && now - e->until_ns >= b->max_ns)
        e->fails = 0;
}

static tp_backoff_entry *find(tp_backoff *b, uint32_t addr, uint64_t now)
{
    for (int i = 0; i < TP_BACKOFF_SLOTS; i++) {
        tp_backoff_entry *e = &b->e[i];
        expire(b, e, now);
        if (e->fails && e->addr == addr)
            return e;
    }
    return NULL;
}

uint64_t tp_backoff_left(tp_backoff *b, uint32_t addr, uint64_t now)
{
    const tp_backoff_entry *e = find(b, addr, now);
    return e && e->until_ns > now ? e->until_ns - now : 0;
}

uint64_t tp_backoff_fail(tp_backoff *b, uint32_t addr, uint64_t now)
{
    tp_backoff_entry *e = find(b, addr, now);
    if (!e) {
        /* a free entry, else the one whose backoff ends first */
        e = &b->e[0];
        for (int i = 0; i < TP_BACKOFF_SLOTS && e->fails; i++)
            if (!b->e[i].fails || b->e[i].until_ns < e->until_ns)
                e = &b->e[i];
        if (e->fails)
            b->replaced++;
        e->addr = addr;
        e->fails = 0;
    }
    if (e->fails < UINT32_MAX)
        e->fails++;
    uint64_t d = b->base_ns;
    for (uint32_t i = 1; i < e->fails && d < b->max_ns; i++)
        d *= 2;
    if (d > b->max_ns)
        d = b->max_ns;
    e->until_ns = now + d;
    return d;
}
