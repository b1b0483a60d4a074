/* The simulated exchange: matching engine + ITCH publisher + OUCH order entry + background
 * flow + tick-to-trade measurement. One thread drives it (sim/main.c). */
#ifndef TP_SIM_VENUE_H
#define TP_SIM_VENUE_H

#include <stdint.h>
#include <stdio.h>

#include "common/rng.h"
#include "ouch/fields.h"
#include "shm/hist.h"
#include "sim/itch_out.h"
#include "sim/match.h"
#include "sim/snapshot_srv.h"
#include "sim/tokmap.h"
#include "soup/server.h"

/* An order entered over OUCH. */
typedef struct {
    char token[14];
    int16_t user;
    uint16_t sym;
    uint8_t side;   /* OUCH side letter */
    uint8_t state;  /* 'L' live, 'D' done */
    /* as entered (capacity: 'O' when the entry's was not one the spec lists); echoed in
     * Accepted / Replaced */
    uint8_t display, capacity, iso, cross_type;
    uint32_t me_idx;
    uint32_t leaves;
    uint32_t tif;
    char firm[4];
    uint64_t ref;
} sim_order;
_Static_assert(sizeof(sim_order) == 48, "the simulator's order table: 48 bytes per order");

typedef struct {
    uint64_t token;   /* counter part (base-36 decoded), for the CSV */
    uint64_t arrival_ns; /* kernel receive stamp of the order's segment (read_ns if none) */
    uint64_t read_ns;    /* right after the recv() that read it */
    uint64_t trigger_seq;
    uint64_t t2t_ns;     /* wire to wire: arrival_ns - trigger packet's transmit stamp; 0 when
                          * no match */
    uint64_t t2t_app_ns; /* read_ns - trigger packet's send time (before sendto); 0 when no match */
    int16_t user;
    uint8_t type;
} sim_arrival;

typedef struct {
    uint64_t enter, replace, cancel, bad_msgs, dup_tokens, unknown_token, accepted, rejected,
        executed_msgs, canceled_msgs, replaced_msgs, ioc_canceled, t2t_matched, t2t_unmatched,
        t2t_no_trigger, arrivals_dropped,
        rx_stamped, rx_unstamped; /* Enter/Replace with / without a kernel receive stamp */
} venue_ouch_stats;

/* The firm-specific fields of the Enter and Replace messages received (ouch/fields.h): how
 * many carried each byte value, and what the spec's checks did with them. */
typedef struct {
    uint64_t enter[TP_OUCH_F_COUNT][256];  /* every Enter decoded (resent tokens too) */
    uint64_t replace_display[256], replace_iso[256];
    uint64_t rejected[TP_OUCH_F_COUNT];    /* Enter/Replace rejected for this field */
    uint64_t capacity_converted;           /* Capacity the spec does not list, taken as 'O' */
} venue_field_stats;

typedef struct {
    uint64_t adds, cancels, aggressive, actions;
} venue_flow_stats;

/* Background flow orders of one symbol (swap-remove array of engine order indices). */
typedef struct {
    uint32_t *idx;
    uint32_t n, cap;
    uint32_t mid;   /* current mid price of the flow's random walk */
    uint32_t ref_price;
} flow_sym;

typedef struct {
    me_engine me;
    itch_out out;
    tp_soup_server soup;
    int soup_on;
    int snapshot_feed;      /* publish full top-N snapshots instead of deltas */
    uint32_t snapshot_depth;
    uint8_t sym_dirty[ME_MAX_SYMBOLS];
    sim_order *orders;
    uint32_t n_orders, max_orders;
    tokmap tokens;
    uint32_t tick;
    /* aggressor fills queued until the Accepted/Replaced is out */
    struct { uint32_t order, shares, price; uint64_t match; } pend[1024];
    uint32_t n_pend;
    /* flow */
    flow_sym flow[ME_MAX_SYMBOLS];
    tp_rng rng;
    uint32_t flow_depth;
    venue_flow_stats fst;
    /* measurement */
    tp_hist t2t;     /* wire to wire (kernel stamps at this host's stack: packet out, order in) */
    tp_hist t2t_app; /* this program's own stamps (before sendto, after recv) */
    sim_arrival *arrivals;
    uint64_t n_arrivals, max_arrivals;
    venue_ouch_stats ost;
    venue_field_stats fields;
} venue;

typedef struct {
    uint32_t max_orders, max_levels, max_ouch_orders;
    uint64_t max_arrivals;
    uint32_t flow_depth;
    uint64_t seed;
    uint32_t tick;
    int snapshot_feed;
    uint32_t snapshot_depth;
} venue_cfg;

int venue_init(venue *v, const venue_cfg *cfg);
/* Add a symbol with the flow's reference price; returns its index or -1. */
int venue_add_symbol(venue *v, const char *name, uint32_t ref_price);
/* Publish start of day: System Event 'O' and 'S', a Stock Directory per symbol, 'Q'. */
void venue_start_of_day(venue *v);
void venue_end_of_day(venue *v);
/* Soup server callback for an inbound OUCH message. */
void venue_on_ouch(void *ctx, int user, const uint8_t *msg, size_t len, uint64_t rx_ns,
                   uint64_t rx_kernel_ns);
/* n background actions. */
void venue_flow(venue *v, uint32_t n);
/* End of a loop pass: snapshot-feed messages, then send the packet. */
void venue_flush(venue *v);
/* When and why a stats document is written: the process's start, this write's time
 * (CLOCK_REALTIME ns) and whether it is the exit report (else a snapshot on request). */
typedef struct {
    uint64_t started_ns;
    uint64_t written_ns;
    int at_exit;
    const snapshot_srv *snapshot; /* its "snapshot" section; NULL = none */
} venue_stats_meta;
int venue_write_stats(venue *v, FILE *f, const venue_stats_meta *m);
int venue_write_arrivals_csv(const venue *v, FILE *f);

#endif
