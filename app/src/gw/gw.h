/* The order gateway: SoupBinTCP client + OUCH 4.2 + order state + pre-trade risk.
 *
 * One thread owns a tp_gw. Orders come in as tp_gw_req (from the strategy through an SPSC
 * ring, or from the control commands of tickpath-gw) and go through tp_gw_submit(): risk
 * check -> token -> OUCH encode -> send, with a timestamp per stage. tp_gw_poll() drives
 * the session (reconnect + resume, heartbeats, dead link), applies the exchange's
 * messages to the order table, and acts on the kill switch.
 *
 * Order states: pending_new -> open -> (partial) -> filled | canceled | replaced;
 * pending_new -> rejected (exchange 'J'); risk_rejected never leaves the gateway.
 * While the session is down new orders are refused (reason session_down). Orders still
 * pending_new when the session comes back are re-sent with the SAME token (OUCH ignores a
 * token it has seen, so an order the exchange did get is not doubled).
 *
 * Exchange restart (TP_SOUP_EV_NEW_SESSION: another session, or the same one reset): the
 * orders held as open or partial, and pending replaces, are marked unconfirmed; a message of
 * the new session's replay naming one confirms it; at TP_SOUP_EV_SYNCED (the replay of the
 * new session's messages 1..N is delivered) the ones still unconfirmed are closed: state
 * canceled, reason session_lost, released from risk. See README.md "Exchange restart".
 */
#ifndef TP_GW_GW_H
#define TP_GW_GW_H

#include <stdint.h>
#include <stdio.h>

#include "common/compiler.h"
#include "gw/control.h"
#include "gw/token_store.h"
#include "ouch/fields.h"
#include "ouch/ouch.h"
#include "risk/risk.h"
#include "shm/hist.h"
#include "sim/tokmap.h"
#include "soup/client.h"

typedef struct {
    uint8_t kind;   /* 'O' enter, 'U' replace, 'X' cancel */
    uint8_t side;   /* 'B' / 'S' */
    uint8_t ioc;
    uint8_t pad_;
    uint16_t sym;
    uint16_t pad2_;
    uint32_t shares;   /* enter/replace: shares; cancel: shares to leave */
    uint32_t price;
    uint32_t order;    /* replace/cancel: gateway order index */
    uint32_t pad3_;
    uint64_t trigger_seq; /* MoldUDP64 sequence of the triggering message (0 = none) */
    uint64_t t_rx;        /* CLOCK_REALTIME: packet received by the strategy's receiver */
    uint64_t t_book;      /* ... book applied / BBO event read */
    uint64_t t_strategy;  /* ... decision made (request pushed) */
    uint64_t t_itch;      /* ITCH timestamp of the trigger (send time, ns since midnight) */
} TP_ALIGNED_CL tp_gw_req;
_Static_assert(sizeof(tp_gw_req) == 64, "one cache line per request");

typedef enum {
    GW_PENDING_NEW = 0,
    GW_OPEN,
    GW_PARTIAL,
    GW_FILLED,
    GW_CANCELED,
    GW_REPLACED,
    GW_REJECTED,
    GW_RISK_REJECTED,
    GW_STATES,
} gw_state;

typedef struct {
    char token[TP_OUCH_TOKEN_LEN];
    uint8_t state;
    uint8_t side;
    uint8_t ioc;
    uint8_t risk_reason;   /* tp_risk_reason or GW_REASON_* */
    uint8_t exch_reason;   /* OUCH reject/cancel reason */
    uint8_t cancel_sent;
    uint8_t unconfirmed;   /* held open, not yet seen in a new session's replay */
    uint16_t sym;
    uint32_t shares, leaves, filled, price;
    uint32_t replaces;     /* index of the order this one replaces, or UINT32_MAX */
    uint64_t ref;
    uint64_t trigger_seq;
    uint64_t t_rx, t_book, t_strategy, t_risk, t_send, t_ack, t_itch;
} gw_order;
_Static_assert(sizeof(gw_order) == 120, "the order table's size per order (README)");

/* Gateway-level refusals, numbered after the risk reasons. */
#define GW_REASON_SESSION_DOWN (TP_RISK_REASONS + 0)
#define GW_REASON_TABLE_FULL (TP_RISK_REASONS + 1)
#define GW_REASON_BAD_STATE (TP_RISK_REASONS + 2)
#define GW_REASON_TOKENS (TP_RISK_REASONS + 3)
#define GW_REASONS (TP_RISK_REASONS + 4)
/* Why the gateway closed an order itself (not a refusal: not in refused[]). */
#define GW_REASON_SESSION_LOST (GW_REASONS + 0)

enum { GW_H_WIRE_RX, GW_H_RX_BOOK, GW_H_BOOK_STRAT, GW_H_STRAT_RISK, GW_H_RISK_SEND,
       GW_H_RX_SEND, GW_H_SEND_ACK, GW_H_COUNT };

typedef struct {
    tp_soup_client_cfg soup;
    tp_risk_limits risk;
    char symbols[TP_RISK_MAX_SYMBOLS][8];
    uint32_t n_symbols;
    char firm[5];                /* OUCH Firm, space-padded; blank = the account's default firm */
    tp_ouch_order_fields ouch;   /* of every Enter (Replace: display, iso); 0 = the default,
                                  * TP_OUCH_FIELDS_PROP */
    char token_file[256];
    char control_file[256];
    uint32_t max_orders;
    int events;            /* print order events as JSON lines on `out` */
    FILE *out;
} tp_gw_cfg;

typedef struct {
    uint64_t submitted, sent, resent, accepted, rejected, executions, exec_shares, canceled,
        replaced, broken, unknown_token, bad_msgs, kill_cancels, refused[GW_REASONS];
    uint64_t batches, batched_orders; /* batches that sent >= 1 new order, and those orders */
    uint64_t closed_session_lost;     /* open orders a new session did not know */
} tp_gw_stats;

#define TP_GW_BATCH_MAX 32

typedef struct {
    tp_gw_cfg cfg;
    tp_soup_client soup;
    tp_risk risk;
    tp_token_store tokens;
    tp_gw_ctl *ctl;
    int killed;           /* last kill state acted on */
    int syncing;          /* between TP_SOUP_EV_NEW_SESSION and TP_SOUP_EV_SYNCED */
    gw_order *orders;
    uint32_t n_orders;
    tokmap by_counter;    /* token counter -> order index */
    tp_gw_stats st;
    /* Enter and Replace as sent but for the per-order fields, made once at init: the
     * firm-specific fields cost no work per order */
    uint8_t enter_tpl[TP_OUCH_ENTER_LEN];
    uint8_t replace_tpl[TP_OUCH_REPLACE_LEN];
    tp_hist h[GW_H_COUNT];
    int batching;                      /* between tp_gw_batch_begin and _end */
    uint32_t batch_n;
    uint32_t batch[TP_GW_BATCH_MAX];   /* orders queued in the current batch */
} tp_gw;

int tp_gw_init(tp_gw *g, const tp_gw_cfg *cfg, char *err, size_t errlen);
void tp_gw_free(tp_gw *g);
/* Returns the new order's index (enter/replace) or the target's (cancel), or -1 when
 * refused (reason in g->orders[i].risk_reason for a recorded refusal; *why always). */
int64_t tp_gw_submit(tp_gw *g, const tp_gw_req *r, uint64_t now, int *why);
tp_soup_cli_state tp_gw_poll(tp_gw *g, uint64_t now);
/* Batch the orders one market-data packet triggers: between begin and end, tp_gw_submit runs
 * the risk checks and queues the OUCH messages; end sends them with one send(). Why: on
 * kernel TCP each send() costs microseconds, so a second order of the same packet used to
 * wait for the first one's send. t_send (and the stage histograms) are stamped at end. At
 * most TP_GW_BATCH_MAX orders per batch (a fuller batch is sent early). */
void tp_gw_batch_begin(tp_gw *g);
void tp_gw_batch_end(tp_gw *g);
static inline void tp_gw_set_bbo(tp_gw *g, uint32_t sym, uint32_t bid, uint32_t ask)
{
    tp_risk_set_bbo(&g->risk, sym, bid, ask);
}
int tp_gw_find_token(const tp_gw *g, const char *token); /* order index or -1 */
int tp_gw_sym(const tp_gw *g, const char *name);         /* symbol index or -1 */
const char *tp_gw_state_name(unsigned s);
const char *tp_gw_reason_name(unsigned r);
void tp_gw_print_order(const tp_gw *g, FILE *f, uint32_t i, const char *ev);
void tp_gw_write_stats(const tp_gw *g, FILE *f);
/* Engage/clear the kill switch from inside (the same byte Python writes). */
void tp_gw_set_kill(tp_gw *g, int on);

#endif
