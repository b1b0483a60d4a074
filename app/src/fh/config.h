/* tickpath-fh configuration: a key=value file given with --config FILE, read by the shared
 * reader (common/kvfile.h: one setting per line, a line starting with '#' is a comment, blank
 * lines ignored, a key at most once per file), then --set key=value overrides, in order.
 * Unknown keys and bad values are errors (the handler does not start). Keys: README.md. */
#ifndef TP_FH_CONFIG_H
#define TP_FH_CONFIG_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    char iface[32];
    struct in_addr group;
    uint16_t port;
    struct in_addr source; /* source-specific filter: only this sender (0 = any) */
    int set;       /* bits: 1 iface, 2 group, 4 port */
} tp_fh_line;

typedef struct {
    int transport;          /* TP_TR_* */
    tp_fh_line line[2];
    char session[16];       /* empty: adopt the first session seen */
    struct in_addr rerequest_addr;
    uint16_t rerequest_port; /* 0 = no re-request server */
    uint16_t rerequest_max;  /* messages per request */
    uint32_t rerequest_delay_us;   /* grace before the first request (the other line may fill) */
    uint32_t rerequest_timeout_us; /* re-send an unanswered request after this */
    uint32_t rerequest_interval_us; /* at most one request per this interval */
    struct in_addr snapshot_addr;
    uint16_t snapshot_port;  /* 0 = no snapshot service */
    uint32_t snapshot_gap_ms; /* a gap open this long is closed by a snapshot (0 = only at
                                 late join); a failed snapshot retries after a doubling backoff */
    int cpu_rx, cpu_book, cpu_publish; /* -1 = not pinned */
    int pipeline;            /* mode=pipeline (1) | rtc (0) */
    uint32_t ring_size;      /* pipeline ring slots (power of two) */
    uint32_t window;         /* reorder window, messages (power of two) */
    uint32_t events;         /* shm event ring capacity (power of two) */
    char shm_name[64];
    int rt_priority;         /* 0 = SCHED_OTHER */
    int afxdp_native;        /* afxdp.mode native (1) | generic (0) */
    uint32_t afxdp_queue;
    int afxdp_zerocopy;      /* afxdp.zerocopy: try (1, falls back to copy) | off (0) */
    char dpdk_eal[512];
    char onload_profile[256]; /* onload.profile: a profile name or an absolute .opf path;
                                 the re-exec runs `onload --profile=THIS` */
    int shm_hugepages;       /* shm.hugepages: 1 = back shared memory with hugepages */
    char book_json[256];
    uint32_t duration_s;     /* 0 = until a signal (or end of session when expected) */
    int expect_end_of_session;
    int wire_stamp;          /* latency.wire_stamp: 1 = ITCH timestamps carry send time */
    int feed_snapshot;       /* feed.format: itch (0) | snapshot (1): the simulator's full top-N
                                snapshot messages (itch/snapshot_msg.h), the traditional feed */
    uint32_t book_max_orders, book_max_levels; /* 0 = the book's defaults */
    char stats_json[256];    /* exit statistics file ("" = none) */
    uint32_t linger_ms;      /* with expect_end_of_session: wait this long for a late gap fill */
} tp_fh_config;

void tp_fh_config_defaults(tp_fh_config *c);
/* Apply one key=value pair. Returns 0, or -1 with a message in err. */
int tp_fh_config_set(tp_fh_config *c, const char *key, const char *value, char *err,
                     size_t errlen);
/* Parse "key=value" (for --set; the reader's rules for one line). */
int tp_fh_config_set_kv(tp_fh_config *c, const char *kv, char *err, size_t errlen);
/* Read a file; line numbers in errors; on error c is unchanged. */
int tp_fh_config_load(tp_fh_config *c, const char *path, char *err, size_t errlen);
/* Cross-key checks after everything is set. */
int tp_fh_config_check(const tp_fh_config *c, char *err, size_t errlen);
const char *tp_transport_name(int t);

#endif
