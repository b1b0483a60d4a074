/* Book stage of the feed handler (see engine.h). */
#define _GNU_SOURCE
#include "fh/engine.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/endian.h"

#define DAY_NS 86400000000000ull

void tp_engine_emit(tp_engine *e, const tp_shm_event *ev)
{
    if (e->ev_ring) {
        void *slot;
        while (!(slot = tp_spsc_push_slot(e->ev_ring)))
            e->ctr->ring_full++;
        memcpy(slot, ev, sizeof *ev);
        tp_spsc_push_commit(e->ev_ring);
    } else {
        tp_shm_publish(e->shm, ev);
    }
}

static void set_stale(tp_engine *e, int stale, uint64_t mono)
{
    if (stale == e->stale)
        return;
    e->stale = stale;
    e->ctr->stale = (uint64_t)stale;
    tp_shm_event ev = {.type = (uint8_t)(stale ? TP_EV_STALE : TP_EV_FRESH),
                       .mold_seq = e->seq.next, .ts_ns = tp_realtime_ns()};
    if (stale) {
        e->stale_since = mono;
        e->ctr->stale_books++;
    } else {
        e->ctr->stale_ns += mono - e->stale_since;
    }
    tp_engine_emit(e, &ev);
}

void tp_engine_on_bbo(void *ctx, uint16_t locate, const tp_bbo *b);
void tp_engine_on_bbo(void *ctx, uint16_t locate, const tp_bbo *b)
{
    tp_engine *e = ctx;
    tp_shm_bbo *t = &e->shm->bbo[locate];
    __atomic_store_n(&t->seq, t->seq + 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    t->stale = (uint32_t)e->stale;
    t->mold_seq = e->cur_seq;
    t->bid_price = b->bid_price;
    t->ask_price = b->ask_price;
    t->bid_shares = b->bid_shares;
    t->ask_shares = b->ask_shares;
    t->bid_orders = b->bid_orders;
    t->ask_orders = b->ask_orders;
    t->updates++;
    __atomic_store_n(&t->seq, t->seq + 1, __ATOMIC_RELEASE);
    if (e->stale) {
        e->ctr->events_suppressed++;
        return;
    }
    tp_shm_event ev = {.type = TP_EV_BBO, .mold_seq = e->cur_seq, .ts_ns = tp_realtime_ns(),
                       .locate = locate, .side = ' ',
                       .bid_price = b->bid_price, .ask_price = b->ask_price,
                       .bid_orders = b->bid_orders, .ask_orders = b->ask_orders,
                       .bid_shares = b->bid_shares, .ask_shares = b->ask_shares};
    e->ctr->bbo_events++;
    tp_engine_emit(e, &ev);
}

static void trade(tp_engine *e, const uint8_t *m, size_t len)
{
    tp_shm_event ev = {.type = TP_EV_TRADE, .mold_seq = e->cur_seq, .side = ' '};
    ev.locate = tp_be16(m + 1);
    if (m[0] == 'E' && len >= 31) {
        tp_order_info oi;
        if (!tp_book_find_order(e->book, tp_be64(m + 11), &oi))
            return;
        ev.bid_price = oi.price;
        ev.bid_shares = tp_be32(m + 19);
        ev.side = oi.side == TP_BID ? 'B' : 'S';
    } else if (m[0] == 'C' && len >= 36) {
        tp_order_info oi;
        if (tp_book_find_order(e->book, tp_be64(m + 11), &oi))
            ev.side = oi.side == TP_BID ? 'B' : 'S';
        ev.bid_price = tp_be32(m + 32);
        ev.bid_shares = tp_be32(m + 19);
    } else if (m[0] == 'P' && len >= 44) {
        ev.side = m[19];
        ev.bid_shares = tp_be32(m + 20);
        ev.bid_price = tp_be32(m + 32);
    } else {
        return;
    }
    if (e->stale) {
        e->ctr->events_suppressed++;
        return;
    }
    ev.ts_ns = tp_realtime_ns();
    e->ctr->trade_events++;
    tp_engine_emit(e, &ev);
}

/* The traditional feed: a symbol's whole top N replaces what the receiver held. All of it is
 * byte-swapped and copied (what a snapshot consumer must do before it can compare anything);
 * a BBO event only when the top changed, as for ITCH. */
static void apply_snapshot(tp_engine *e, const uint8_t *m, size_t len)
{
    uint16_t locate = len >= 3 ? tp_be16(m + 1) : 0;
    tp_snap_levels *lv = &e->snap_books[locate];
    uint32_t bp = lv->price[TP_BID][0], bs = lv->shares[TP_BID][0];
    uint32_t ap = lv->price[TP_ASK][0], as = lv->shares[TP_ASK][0];
    if (tp_snap_decode(m, len, &locate, lv) != 0) {
        e->snap_bad++;
        e->ctr->book_errors++;
        return;
    }
    e->snap_updates++;
    if (lv->price[TP_BID][0] != bp || lv->shares[TP_BID][0] != bs ||
        lv->price[TP_ASK][0] != ap || lv->shares[TP_ASK][0] != as) {
        tp_bbo b = {.bid_price = lv->price[TP_BID][0], .ask_price = lv->price[TP_ASK][0],
                    .bid_shares = lv->shares[TP_BID][0], .ask_shares = lv->shares[TP_ASK][0]};
        tp_engine_on_bbo(e, locate, &b);
    }
}

static void apply(void *ctx, uint64_t seq, const uint8_t *m, size_t len, int live)
{
    tp_engine *e = ctx;
    e->cur_seq = seq;
    if (TP_UNLIKELY(m[0] == 'E' || m[0] == 'C' || m[0] == 'P'))
        trade(e, m, len);
    if (m[0] == TP_SNAP_TYPE && e->snap_books) {
        apply_snapshot(e, m, len);
    } else {
        tp_apply_status st = tp_book_apply(e->book, m, len);
        if (TP_UNLIKELY(st >= TP_APPLY_ERRORS))
            e->ctr->book_errors++;
    }
    if (live) {
        e->cur_live++;
        /* wire-to-app is stamped when this message has been applied, not after the whole
         * packet: with many messages per packet a per-packet stamp would charge the first
         * message for the book work of all the others (queueing, not latency). */
        if (e->cfg->wire_stamp && len >= TP_ITCH_HEADER_LEN && e->n_stamps < 256) {
            e->stamps[e->n_stamps] = tp_be48(m + 5);
            e->applied_ns[e->n_stamps++] = tp_realtime_ns();
        }
    }
}

int tp_engine_init(tp_engine *e, const tp_fh_config *cfg, tp_shm *shm, tp_book *book,
                   tp_seq_slot *window, tp_snapshot_client *snap, char *err, size_t errlen)
{
    memset(e, 0, sizeof *e);
    e->cfg = cfg;
    e->shm = shm;
    e->ctr = shm->ctr;
    e->book = book;
    e->snap = snap;
    e->rr_fd = -1;
    e->h_rx = &shm->hist[cfg->transport * TP_HK_COUNT + TP_HK_RX_TO_BOOK];
    e->h_wire = &shm->hist[cfg->transport * TP_HK_COUNT + TP_HK_WIRE_TO_BOOK];
    if (tp_seq_init(&e->seq, window, cfg->window, apply, e) != 0) {
        snprintf(err, errlen, "window %u is not a power of two", cfg->window);
        return -1;
    }
    if (cfg->session[0]) {
        tp_mold_session_pad(e->session, cfg->session);
        e->session_known = 1;
        /* readers (tickpath status) see the configured session before the first packet */
        memcpy(shm->hdr->session, e->session, TP_MOLD_SESSION_LEN);
    }
    e->stale = 1; /* until the first packet fixes where the sequence starts */
    e->ctr->stale = 1;
    e->stale_since = tp_mono_ns();
    if (cfg->rerequest_port) {
        e->rr_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        if (e->rr_fd < 0) {
            snprintf(err, errlen, "re-request socket: %s", strerror(errno));
            return -1;
        }
        int buf = 8 << 20;
        if (setsockopt(e->rr_fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof buf) != 0)
            setsockopt(e->rr_fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
        e->rr_addr.sin_family = AF_INET;
        e->rr_addr.sin_addr = cfg->rerequest_addr;
        e->rr_addr.sin_port = htons(cfg->rerequest_port);
        /* connect() so only the server's answers arrive here; a route failure is an error now */
        if (connect(e->rr_fd, (struct sockaddr *)&e->rr_addr, sizeof e->rr_addr) != 0) {
            snprintf(err, errlen, "re-request server %s:%u: %s", inet_ntoa(cfg->rerequest_addr),
                     cfg->rerequest_port, strerror(errno));
            close(e->rr_fd);
            e->rr_fd = -1;
            return -1;
        }
    }
    if (cfg->snapshot_port) {
        e->snap_addr.sin_family = AF_INET;
        e->snap_addr.sin_addr = cfg->snapshot_addr;
        e->snap_addr.sin_port = htons(cfg->snapshot_port);
    }
    return 0;
}

int tp_engine_rr_fd(const tp_engine *e)
{
    return e->rr_fd;
}

int tp_engine_snap_fd(const tp_engine *e)
{
    return e->snap && e->snap->state != SNAP_IDLE ? e->snap->fd : -1;
}

static void sync_counters(tp_engine *e)
{
    tp_shm_counters *c = e->ctr;
    c->messages = e->seq.c.applied;
    c->live = e->seq.c.live;
    c->recovered = e->seq.c.recovered;
    c->duplicates = e->seq.c.dup_msgs;
    c->buffered = e->seq.c.buffered;
    c->drops = e->seq.c.window_overflow;
    c->gaps = e->seq.c.gaps;
    c->next_seq = e->seq.next;
    c->high_seq = e->seq.high;
}

static void gap_update(tp_engine *e)
{
    int r = tp_seq_update_gap(&e->seq);
    uint64_t now = 0;
    if (r == 1) {
        now = tp_mono_ns();
        e->gap_since_ns = now;
        set_stale(e, 1, now);
    } else if (r == -1) {
        e->ctr->gaps_closed++;
        e->rr_count = 0;
    }
    if (e->stale && !e->seq.gap_open && e->seq.next &&
        (!e->snap || e->snap->state == SNAP_IDLE || e->snap->state == SNAP_FAILED))
        set_stale(e, 0, now ? now : tp_mono_ns());
}

static void first_packet(tp_engine *e, uint64_t seq)
{
    if (e->cfg->snapshot_port && seq > 1 && !e->snap_failed) {
        if (tp_snapshot_start(e, tp_mono_ns()) == 0)
            return;
    }
    tp_seq_start_at(&e->seq, 1);
}

void tp_engine_packet(tp_engine *e, const uint8_t *p, size_t len, int line, uint64_t rx_ns)
{
    tp_mold_pkt pkt;
    tp_mold_kind k = tp_mold_parse(p, len, &pkt);
    if (TP_UNLIKELY(k >= TP_MOLD_BAD_SHORT)) {
        e->ctr->malformed[k]++;
        return;
    }
    if (TP_UNLIKELY(!e->session_known)) {
        memcpy(e->session, pkt.session, TP_MOLD_SESSION_LEN);
        e->session_known = 1;
        memcpy(e->shm->hdr->session, pkt.session, TP_MOLD_SESSION_LEN);
    }
    if (TP_UNLIKELY(memcmp(pkt.session, e->session, TP_MOLD_SESSION_LEN) != 0)) {
        e->ctr->wrong_session++;
        return;
    }
    e->ctr->packets[line]++;
    e->ctr->bytes += len;
    if (line < 2)
        e->ctr->last_rx_ns[line] = rx_ns;
    if (TP_UNLIKELY(!e->seq.next) && (!e->snap || e->snap->state == SNAP_IDLE))
        first_packet(e, pkt.seq);
    if (TP_LIKELY(k == TP_MOLD_DATA)) {
        e->cur_live = 0;
        e->n_stamps = 0;
        tp_seq_data(&e->seq, &pkt, line);
        if (e->cur_live && e->n_stamps) {
            /* per message: rx -> applied, and publisher's send stamp -> applied */
            for (uint32_t i = 0; i < e->n_stamps; i++) {
                uint64_t at = e->applied_ns[i];
                if (line != TP_LINE_RETRANS)
                    tp_hist_add(e->h_rx, at > rx_ns ? at - rx_ns : 0);
                tp_hist_add(e->h_wire, (at % DAY_NS + DAY_NS - e->stamps[i]) % DAY_NS);
            }
            if (line != TP_LINE_RETRANS && e->cur_live > e->n_stamps)
                tp_hist_add_n(e->h_rx, tp_realtime_ns() - rx_ns, e->cur_live - e->n_stamps);
        } else if (e->cur_live) {
            uint64_t now = tp_realtime_ns();
            if (line != TP_LINE_RETRANS)
                tp_hist_add_n(e->h_rx, now - rx_ns, e->cur_live);
        }
    } else if (k == TP_MOLD_HEARTBEAT) {
        e->ctr->heartbeats++;
        tp_seq_heartbeat(&e->seq, pkt.seq);
    } else {
        e->ctr->end_of_session++;
        tp_seq_end(&e->seq, pkt.seq);
    }
    gap_update(e);
    sync_counters(e);
}

static void rerequest(tp_engine *e, uint64_t now)
{
    if (now - e->gap_since_ns < (uint64_t)e->cfg->rerequest_delay_us * 1000)
        return;
    if (now - e->rr_last_ns < (uint64_t)e->cfg->rerequest_interval_us * 1000)
        return;
    int outstanding = e->rr_count && e->seq.next >= e->rr_from &&
                      e->seq.next < e->rr_from + e->rr_count &&
                      now - e->rr_sent_ns < (uint64_t)e->cfg->rerequest_timeout_us * 1000;
    if (outstanding)
        return;
    uint64_t from;
    uint16_t count;
    if (!tp_seq_gap(&e->seq, &from, &count, e->cfg->rerequest_max))
        return;
    uint8_t req[TP_MOLD_REQ_LEN];
    tp_mold_put_request(req, e->session, from, count);
    if (send(e->rr_fd, req, sizeof req, MSG_DONTWAIT) == (ssize_t)sizeof req) {
        e->ctr->rerequests++;
        e->ctr->rerequested_msgs += count;
    }
    e->rr_from = from;
    e->rr_count = count;
    e->rr_sent_ns = e->rr_last_ns = now;
}

void tp_engine_poll(tp_engine *e, uint64_t now)
{
    if (e->rr_fd >= 0 && (e->seq.gap_open || e->rr_count)) {
        for (int i = 0; i < 64; i++) {
            ssize_t n = recv(e->rr_fd, e->rr_buf, sizeof e->rr_buf, MSG_DONTWAIT);
            if (n <= 0)
                break;
            tp_engine_packet(e, e->rr_buf, (size_t)n, TP_LINE_RETRANS, tp_realtime_ns());
        }
    }
    if (e->snap && (e->snap->state == SNAP_CONNECTING || e->snap->state == SNAP_RECEIVING)) {
        tp_snapshot_poll(e, now);
        if (e->snap->state == SNAP_IDLE || e->snap->state == SNAP_FAILED) {
            gap_update(e);
            sync_counters(e);
        }
        return;
    }
    if (e->seq.gap_open && e->rr_fd >= 0)
        rerequest(e, now);
}
