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
        uint8_t want[TP_MOLD_SESSION_LEN];
        tp_mold_session_pad(want, cfg->session);
        tp_guard_init(&e->guard, want, cfg->window);
        /* readers (tickpath status) see the configured session before the first packet */
        memcpy(shm->hdr->session, want, TP_MOLD_SESSION_LEN);
    } else {
        tp_guard_init(&e->guard, NULL, cfg->window);
    }
    e->rr_timeout_ns = (uint64_t)cfg->rerequest_timeout_us * 1000;
    e->snap_backoff_ns = (uint64_t)cfg->snapshot_gap_ms * 1000000ull;
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
    c->wrong_session = e->guard.c.foreign_pkts;
    c->session_changes = e->guard.c.session_changes;
    c->seq_resets = e->guard.c.resets;
    c->seq_jumps = e->guard.c.jump_pkts;
    c->seq_jumps_confirmed = e->guard.c.jumps;
    c->backward_packets = e->guard.c.backward_pkts;
    c->old_stream_packets = e->guard.c.old_pkts;
    c->snapshot_failures = e->snapshot_failures;
    c->resyncs = e->resyncs;
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
    if (e->stale && !e->seq.gap_open && e->seq.next && !tp_guard_suspect(&e->guard) &&
        (!e->snap || e->snap->state == SNAP_IDLE || e->snap->state == SNAP_FAILED))
        set_stale(e, 0, now ? now : tp_mono_ns());
}

static int snapshot_running(const tp_engine *e)
{
    return e->snap && (e->snap->state == SNAP_CONNECTING || e->snap->state == SNAP_RECEIVING);
}

static void first_packet(tp_engine *e, uint64_t seq)
{
    if (e->cfg->snapshot_port && seq > 1 && !e->snap_failed) {
        if (tp_snapshot_start(e, tp_mono_ns()) == 0)
            return;
    }
    tp_seq_start_at(&e->seq, 1);
}

/* Forget the stream being applied: the book, the sequencer's position and window, any
 * request or snapshot in flight. The books are stale until the new stream is rebuilt. */
static void forget_stream(tp_engine *e)
{
    uint64_t now = tp_mono_ns();
    set_stale(e, 1, now);
    if (snapshot_running(e))
        tp_snapshot_abort(e);
    tp_book_clear(e->book);
    if (e->snap_books)
        memset(e->snap_books, 0, (size_t)TP_BOOK_MAX_LOCATES * sizeof *e->snap_books);
    tp_seq_reset(&e->seq);
    e->rr_count = 0;
    e->rr_timeout_ns = (uint64_t)e->cfg->rerequest_timeout_us * 1000;
    /* answers to the old stream's requests still queued would land in the new one */
    if (e->rr_fd >= 0)
        while (recv(e->rr_fd, e->rr_buf, sizeof e->rr_buf, MSG_DONTWAIT) > 0)
            ;
    e->snap_failed = 0;
    e->snap_retry_ns = 0;
    e->snap_backoff_ns = (uint64_t)e->cfg->snapshot_gap_ms * 1000000ull;
}

/* The exchange restarted (new session, or its sequence started again): rebuild from the
 * new stream, by snapshot when it is already past its start, else from sequence 1. */
static void restart_stream(tp_engine *e, tp_guard_verdict v)
{
    char name[TP_MOLD_SESSION_LEN + 1];
    memcpy(name, e->guard.session, TP_MOLD_SESSION_LEN);
    name[TP_MOLD_SESSION_LEN] = 0;
    fprintf(stderr, "tickpath-fh: %s (session '%s'): books stale, rebuilding from the new "
            "stream\n", v == TP_GUARD_NEW_SESSION ? "new MoldUDP64 session" :
            "the sequence restarted", name);
    forget_stream(e);
    memcpy(e->shm->hdr->session, e->guard.session, TP_MOLD_SESSION_LEN);
    tp_shm_event ev = {.type = TP_EV_RESTART, .ts_ns = tp_realtime_ns()};
    tp_engine_emit(e, &ev);
}

/* Resynchronise by snapshot in mid-session (a gap re-requests did not close, or a confirmed
 * jump): live packets are buffered from here on, the snapshot says where to resume. */
static int resync(tp_engine *e, uint64_t now)
{
    if (!e->cfg->snapshot_port || !e->snap || snapshot_running(e) || now < e->snap_retry_ns)
        return -1;
    forget_stream(e);
    e->resyncs++;
    if (tp_snapshot_start(e, now) != 0) {
        tp_engine_snapshot_failed(e, now);
        tp_seq_start_at(&e->seq, 1);
        return -1;
    }
    return 0;
}

void tp_engine_snapshot_failed(tp_engine *e, uint64_t now)
{
    e->snapshot_failures++;
    e->snap_retry_ns = now + e->snap_backoff_ns;
    uint64_t cap = 30ull * 1000000000ull;
    e->snap_backoff_ns = e->snap_backoff_ns * 2 > cap ? cap : e->snap_backoff_ns * 2;
    if (!e->snap_backoff_ns)
        e->snap_backoff_ns = 1000000000ull;
}

void tp_engine_snapshot_done(tp_engine *e)
{
    e->snap_retry_ns = 0;
    e->snap_backoff_ns = (uint64_t)e->cfg->snapshot_gap_ms * 1000000ull;
}

static uint64_t furthest(const tp_engine *e)
{
    return e->seq.high > e->seq.next ? e->seq.high : e->seq.next;
}

void tp_engine_packet(tp_engine *e, const uint8_t *p, size_t len, int line, uint64_t rx_ns)
{
    tp_mold_pkt pkt;
    tp_mold_kind k = tp_mold_parse(p, len, &pkt);
    if (TP_UNLIKELY(k >= TP_MOLD_BAD_SHORT)) {
        e->ctr->malformed[k]++;
        return;
    }
    int had_session = e->guard.known;
    tp_guard_verdict v = tp_guard_check(&e->guard, &pkt, k, line, furthest(e));
    if (TP_UNLIKELY(v != TP_GUARD_ACCEPT)) {
        if (v == TP_GUARD_DROP_OLD) { /* expected after a restart: no suspicion */
            sync_counters(e);
            return;
        }
        if (v == TP_GUARD_DROP_SESSION || v == TP_GUARD_DROP_JUMP) {
            set_stale(e, 1, tp_mono_ns()); /* until the stream proves itself again */
            sync_counters(e);
            return;
        }
        if (v == TP_GUARD_NEW_SESSION || v == TP_GUARD_RESET)
            restart_stream(e, v);
        else if (v == TP_GUARD_JUMP)
            resync(e, tp_mono_ns()); /* without a snapshot service: a gap to re-request */
    }
    if (TP_UNLIKELY(!had_session))
        memcpy(e->shm->hdr->session, e->guard.session, TP_MOLD_SESSION_LEN);
    if (TP_UNLIKELY(tp_guard_suspect(&e->guard)))
        set_stale(e, 1, tp_mono_ns());
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
                      now - e->rr_sent_ns < e->rr_timeout_ns;
    if (outstanding)
        return;
    uint64_t from;
    uint16_t count;
    if (!tp_seq_gap(&e->seq, &from, &count, e->cfg->rerequest_max))
        return;
    /* asking again for the same place: the server is not answering (absent, or it no longer
     * has those messages): back off up to 1 s between requests; any progress resets it */
    uint64_t base = (uint64_t)e->cfg->rerequest_timeout_us * 1000;
    if (e->rr_count && from == e->rr_from)
        e->rr_timeout_ns = e->rr_timeout_ns * 2 > 1000000000ull ? 1000000000ull
                                                                : e->rr_timeout_ns * 2;
    else
        e->rr_timeout_ns = base;
    if (e->rr_timeout_ns < base)
        e->rr_timeout_ns = base;
    uint8_t req[TP_MOLD_REQ_LEN];
    tp_mold_put_request(req, e->guard.session, from, count);
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
    if (e->seq.gap_open && e->cfg->snapshot_gap_ms &&
        now - e->gap_since_ns >= (uint64_t)e->cfg->snapshot_gap_ms * 1000000ull &&
        resync(e, now) == 0)
        return;
    if (e->seq.gap_open && e->rr_fd >= 0)
        rerequest(e, now);
}
