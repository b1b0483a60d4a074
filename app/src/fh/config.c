/* key=value configuration for tickpath-fh (see config.h). */
#include "fh/config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/kvfile.h"
#include "shm/layout.h"

static const char *const transports[TP_TR_COUNT] = {
    [TP_TR_KERNEL] = "kernel", [TP_TR_KERNEL_BLOCKING] = "kernel-blocking",
    [TP_TR_AFXDP] = "afxdp",   [TP_TR_DPDK] = "dpdk",
    [TP_TR_ONLOAD] = "onload",
};

const char *tp_transport_name(int t)
{
    return t >= 0 && t < TP_TR_COUNT ? transports[t] : "?";
}

void tp_fh_config_defaults(tp_fh_config *c)
{
    memset(c, 0, sizeof *c);
    c->transport = TP_TR_KERNEL;
    c->rerequest_max = 1000;
    c->rerequest_delay_us = 500;
    c->rerequest_timeout_us = 20000;
    c->rerequest_interval_us = 200;
    c->cpu_rx = c->cpu_book = c->cpu_publish = -1;
    c->ring_size = 4096;
    c->window = 1u << 18;
    c->snapshot_gap_ms = 1000;
    c->events = 1u << 16;
    snprintf(c->shm_name, sizeof c->shm_name, "fh");
    c->afxdp_native = 1;
    c->afxdp_zerocopy = 1;
    c->linger_ms = 2000;
    c->shm_hugepages = 1;
    snprintf(c->onload_profile, sizeof c->onload_profile, "latency");
}

static int parse_u64(const char *v, uint64_t max, uint64_t *out)
{
    char *end;
    errno = 0;
    if (!*v || *v == '-' || isspace((unsigned char)*v))
        return -1;
    unsigned long long x = strtoull(v, &end, 0);
    if (errno || *end || x > max)
        return -1;
    *out = x;
    return 0;
}

static int pow2(uint64_t v)
{
    return v && !(v & (v - 1));
}

#define FAIL(...)                                                                          \
    do {                                                                                   \
        snprintf(err, errlen, __VA_ARGS__);                                                \
        return -1;                                                                         \
    } while (0)

static int set_str(char *dst, size_t cap, const char *key, const char *v, char *err,
                   size_t errlen)
{
    if (strlen(v) >= cap)
        FAIL("%s: value longer than %zu characters", key, cap - 1);
    snprintf(dst, cap, "%s", v);
    return 0;
}

static int set_num(uint64_t *out, const char *key, const char *v, uint64_t max, int need_pow2,
                   char *err, size_t errlen)
{
    if (parse_u64(v, max, out) != 0)
        FAIL("%s: '%s' is not an integer in 0..%llu", key, v, (unsigned long long)max);
    if (need_pow2 && !pow2(*out))
        FAIL("%s: %s is not a power of two", key, v);
    return 0;
}

static int set_cpu(int *out, const char *key, const char *v, char *err, size_t errlen)
{
    uint64_t x;
    if (!strcmp(v, "") || !strcmp(v, "-1") || !strcmp(v, "none")) {
        *out = -1;
        return 0;
    }
    if (set_num(&x, key, v, 1023, 0, err, errlen))
        return -1;
    *out = (int)x;
    return 0;
}

static int set_bool(int *out, const char *key, const char *v, char *err, size_t errlen)
{
    if (!strcmp(v, "1") || !strcmp(v, "true") || !strcmp(v, "yes"))
        *out = 1;
    else if (!strcmp(v, "0") || !strcmp(v, "false") || !strcmp(v, "no"))
        *out = 0;
    else
        FAIL("%s: '%s' is not a boolean (true/false/1/0)", key, v);
    return 0;
}

static int set_addr(struct in_addr *out, const char *key, const char *v, int mcast, char *err,
                    size_t errlen)
{
    if (inet_pton(AF_INET, v, out) != 1)
        FAIL("%s: '%s' is not an IPv4 address", key, v);
    if (mcast && !IN_MULTICAST(ntohl(out->s_addr)))
        FAIL("%s: %s is not a multicast group (224.0.0.0/4)", key, v);
    return 0;
}

int tp_fh_config_set(tp_fh_config *c, const char *key, const char *v, char *err,
                     size_t errlen)
{
    uint64_t x;
    /* Written by `tickpath config render`: the file format and the program it is meant for. */
    if (!strcmp(key, "format")) {
        if (strcmp(v, "1"))
            FAIL("format: '%s' is not 1 (the key=value format this tickpath-fh reads)", v);
        return 0;
    }
    if (!strcmp(key, "program")) {
        if (strcmp(v, "fh"))
            FAIL("program: this file is for '%s', not for tickpath-fh", v);
        return 0;
    }
    if (!strcmp(key, "transport")) {
        for (int i = 0; i < TP_TR_COUNT; i++)
            if (!strcmp(v, transports[i])) {
                c->transport = i;
                return 0;
            }
        FAIL("transport: '%s' is not one of kernel, kernel-blocking, afxdp, dpdk, onload", v);
    }
    if (!strncmp(key, "line.", 5) && (key[5] == 'a' || key[5] == 'b') && key[6] == '.') {
        tp_fh_line *l = &c->line[key[5] - 'a'];
        const char *f = key + 7;
        if (!strcmp(f, "iface")) {
            if (!*v || strlen(v) >= 16)
                FAIL("%s: '%s' is not an interface name", key, v);
            snprintf(l->iface, sizeof l->iface, "%s", v);
            l->set |= 1;
            return 0;
        }
        if (!strcmp(f, "group")) {
            if (set_addr(&l->group, key, v, 1, err, errlen))
                return -1;
            l->set |= 2;
            return 0;
        }
        if (!strcmp(f, "source")) {
            if (!*v) {
                l->source.s_addr = 0;
                return 0;
            }
            if (set_addr(&l->source, key, v, 0, err, errlen))
                return -1;
            if (IN_MULTICAST(ntohl(l->source.s_addr)))
                FAIL("%s: %s is a multicast address, not a sender", key, v);
            return 0;
        }
        if (!strcmp(f, "port")) {
            if (set_num(&x, key, v, 65535, 0, err, errlen))
                return -1;
            if (!x)
                FAIL("%s: port 0", key);
            l->port = (uint16_t)x;
            l->set |= 4;
            return 0;
        }
    }
    if (!strcmp(key, "session")) {
        if (strlen(v) > 10)
            FAIL("session: '%s' is longer than 10 characters", v);
        return set_str(c->session, sizeof c->session, key, v, err, errlen);
    }
    if (!strcmp(key, "rerequest.addr"))
        return set_addr(&c->rerequest_addr, key, v, 0, err, errlen);
    if (!strcmp(key, "snapshot.addr"))
        return set_addr(&c->snapshot_addr, key, v, 0, err, errlen);
    if (!strcmp(key, "rerequest.port") || !strcmp(key, "snapshot.port")) {
        if (set_num(&x, key, v, 65535, 0, err, errlen))
            return -1;
        *(key[0] == 'r' ? &c->rerequest_port : &c->snapshot_port) = (uint16_t)x;
        return 0;
    }
    if (!strcmp(key, "rerequest.max_count")) {
        if (set_num(&x, key, v, 65534, 0, err, errlen))
            return -1;
        if (!x)
            FAIL("rerequest.max_count: must be >= 1");
        c->rerequest_max = (uint16_t)x;
        return 0;
    }
    struct {
        const char *k;
        uint32_t *p;
        uint64_t max;
        int p2;
    } nums[] = {
        {"rerequest.delay_us", &c->rerequest_delay_us, 10000000, 0},
        {"rerequest.timeout_us", &c->rerequest_timeout_us, 10000000, 0},
        {"rerequest.interval_us", &c->rerequest_interval_us, 10000000, 0},
        {"snapshot.gap_ms", &c->snapshot_gap_ms, 3600000, 0},
        {"ring.size", &c->ring_size, 1u << 24, 1},
        {"window", &c->window, 1u << 24, 1},
        {"events", &c->events, 1u << 24, 1},
        {"afxdp.queue", &c->afxdp_queue, 1023, 0},
        {"duration_s", &c->duration_s, 86400 * 7, 0},
        {"book.max_orders", &c->book_max_orders, 1u << 30, 0},
        {"book.max_levels", &c->book_max_levels, 1u << 30, 0},
        {"linger_ms", &c->linger_ms, 600000, 0},
    };
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++)
        if (!strcmp(key, nums[i].k)) {
            if (set_num(&x, key, v, nums[i].max, nums[i].p2, err, errlen))
                return -1;
            *nums[i].p = (uint32_t)x;
            return 0;
        }
    if (!strcmp(key, "cpu.rx"))
        return set_cpu(&c->cpu_rx, key, v, err, errlen);
    if (!strcmp(key, "cpu.book"))
        return set_cpu(&c->cpu_book, key, v, err, errlen);
    if (!strcmp(key, "cpu.publish"))
        return set_cpu(&c->cpu_publish, key, v, err, errlen);
    if (!strcmp(key, "mode")) {
        if (!strcmp(v, "pipeline"))
            c->pipeline = 1;
        else if (!strcmp(v, "rtc"))
            c->pipeline = 0;
        else
            FAIL("mode: '%s' is not pipeline or rtc", v);
        return 0;
    }
    if (!strcmp(key, "shm.name")) {
        if (!*v)
            FAIL("shm.name: empty");
        return set_str(c->shm_name, sizeof c->shm_name, key, v, err, errlen);
    }
    if (!strcmp(key, "rt_priority")) {
        if (set_num(&x, key, v, 99, 0, err, errlen))
            return -1;
        c->rt_priority = (int)x;
        return 0;
    }
    if (!strcmp(key, "afxdp.mode")) {
        if (!strcmp(v, "native"))
            c->afxdp_native = 1;
        else if (!strcmp(v, "generic"))
            c->afxdp_native = 0;
        else
            FAIL("afxdp.mode: '%s' is not native or generic", v);
        return 0;
    }
    if (!strcmp(key, "afxdp.zerocopy"))
        return set_bool(&c->afxdp_zerocopy, key, v, err, errlen);
    if (!strcmp(key, "onload.profile"))
        return set_str(c->onload_profile, sizeof c->onload_profile, key, v, err, errlen);
    if (!strcmp(key, "shm.hugepages"))
        return set_bool(&c->shm_hugepages, key, v, err, errlen);
    /* The packet ring's slot is one frame (PKT_SLOT bytes in main.c); the rendered value is the
     * event ring's slot, which is the event record. Accepted only as what this build uses. */
    if (!strcmp(key, "ring.slot_size")) {
        if (set_num(&x, key, v, 65536, 0, err, errlen))
            return -1;
        if (x != sizeof(tp_shm_event))
            FAIL("ring.slot_size: %s, but this tickpath-fh's event slot is %zu bytes", v,
                 sizeof(tp_shm_event));
        return 0;
    }
    if (!strcmp(key, "dpdk.eal"))
        return set_str(c->dpdk_eal, sizeof c->dpdk_eal, key, v, err, errlen);
    if (!strcmp(key, "book_json"))
        return set_str(c->book_json, sizeof c->book_json, key, v, err, errlen);
    if (!strcmp(key, "stats_json"))
        return set_str(c->stats_json, sizeof c->stats_json, key, v, err, errlen);
    if (!strcmp(key, "expect_end_of_session"))
        return set_bool(&c->expect_end_of_session, key, v, err, errlen);
    if (!strcmp(key, "feed.format")) {
        if (!strcmp(v, "itch"))
            c->feed_snapshot = 0;
        else if (!strcmp(v, "snapshot"))
            c->feed_snapshot = 1;
        else
            FAIL("feed.format: '%s' is not itch or snapshot", v);
        return 0;
    }
    if (!strcmp(key, "latency.wire_stamp"))
        return set_bool(&c->wire_stamp, key, v, err, errlen);
    FAIL("unknown key '%s'", key);
}

static int set_one(void *ctx, const char *key, const char *value, unsigned line, char *err,
                   size_t errlen)
{
    (void)line;
    return tp_fh_config_set(ctx, key, value, err, errlen);
}

int tp_fh_config_set_kv(tp_fh_config *c, const char *kv, char *err, size_t errlen)
{
    return tp_kvfile_set_arg(kv, set_one, c, err, errlen);
}

int tp_fh_config_load(tp_fh_config *c, const char *path, char *err, size_t errlen)
{
    tp_fh_config tmp = *c; /* a refused file changes nothing */
    if (tp_kvfile_load(path, 0, set_one, &tmp, err, errlen) != 0)
        return -1;
    *c = tmp;
    return 0;
}

int tp_fh_config_check(const tp_fh_config *c, char *err, size_t errlen)
{
    int lines = 0;
    for (int i = 0; i < 2; i++) {
        const tp_fh_line *l = &c->line[i];
        if (!l->set)
            continue;
        if (l->set != 7)
            FAIL("line.%c: iface, group and port are all required", 'a' + i);
        lines++;
    }
    if (!lines)
        FAIL("no feed line configured (line.a.iface/group/port)");
    if (c->rerequest_port && !c->rerequest_addr.s_addr)
        FAIL("rerequest.port set without rerequest.addr");
    if (c->snapshot_port && !c->snapshot_addr.s_addr)
        FAIL("snapshot.port set without snapshot.addr");
    if (c->transport == TP_TR_DPDK && !c->dpdk_eal[0])
        FAIL("transport dpdk needs dpdk.eal (e.g. --no-huge -m 512 --vdev=net_af_packet0,iface=feed-a)");
    return 0;
}
