/* The gateway's order reconciliation after an exchange restart, against a scripted exchange
 * (tests/gw/soup_script.h): orders open, partially filled, pending and a replace in flight
 * when the exchange dies; the new session's history names one of them. After the replay of
 * that history, the orders it did not name are closed (canceled, reason session_lost) and
 * released from risk; the named one stays open; the pending one is re-sent and accepted. */
#define _GNU_SOURCE /* accept4, open_memstream */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw/gw.h"
#include "ouch/ouch.h"
#include "soup/rtclock.h"
#include "check.h"
#include "soup_script.h"

static void poll_gw(void *ctx)
{
    tp_gw_poll(ctx, tp_rt_now_ns());
}

static uint32_t enter(tp_gw *g, uint32_t price)
{
    tp_gw_req r;
    memset(&r, 0, sizeof r);
    r.kind = 'O';
    r.side = 'B';
    r.sym = 0;
    r.shares = 100;
    r.price = price;
    int why;
    int64_t i = tp_gw_submit(g, &r, tp_rt_now_ns(), &why);
    CHECK(i >= 0);
    return (uint32_t)i;
}

/* The gateway's next OUCH message (type; its token, or a replace's replacement token). */
static int next_ouch(script *s, char token[14])
{
    uint8_t pl[256];
    size_t len;
    tp_ouch_in m;
    if (sc_read(s, pl, sizeof pl, &len) != TP_SOUP_UNSEQUENCED ||
        tp_ouch_decode_in(pl, len, &m) != 0)
        return -1;
    memcpy(token, m.type == 'U' ? m.u.replace.replacement : m.u.enter.token, 14);
    return m.type;
}

static void send_accepted(script *s, const tp_gw *g, uint32_t i, uint64_t ref)
{
    tp_ouch_accepted a;
    memset(&a, 0, sizeof a);
    memcpy(a.token, g->orders[i].token, 14);
    a.side = 'B';
    a.shares = g->orders[i].shares;
    memcpy(a.stock, "AAPL    ", 8);
    a.price = g->orders[i].price;
    a.order_ref = ref;
    a.order_state = 'L';
    uint8_t m[TP_OUCH_MAX_MSG];
    sc_seq_msg(s, m, tp_ouch_enc_accepted(m, 0, &a));
}

static void send_executed(script *s, const tp_gw *g, uint32_t i, uint32_t shares)
{
    tp_ouch_executed e = {.shares = shares, .price = g->orders[i].price, .liquidity = 'A'};
    memcpy(e.token, g->orders[i].token, 14);
    uint8_t m[TP_OUCH_MAX_MSG];
    sc_seq_msg(s, m, tp_ouch_enc_executed(m, 0, &e));
}

static int lost(const gw_order *o)
{
    return o->state == GW_CANCELED && o->risk_reason == GW_REASON_SESSION_LOST && o->leaves == 0;
}

int main(void)
{
    char dir[] = "/tmp/tp-gw-resync-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    static tp_gw_cfg cfg;
    static tp_gw g;
    static script s;
    memset(&cfg, 0, sizeof cfg);
    strcpy(cfg.soup.host, "127.0.0.1");
    cfg.soup.port = sc_listen(&s, poll_gw, &g);
    strcpy(cfg.soup.username, "TRADR1");
    strcpy(cfg.soup.password, "pw0123");
    cfg.soup.dead_ms = 5000;
    cfg.soup.reconnect_ms = 30;
    cfg.soup.max_payload = 1024;
    memcpy(cfg.symbols[0], "AAPL    ", 8);
    cfg.n_symbols = 1;
    memcpy(cfg.firm, "TPFM", 5);
    snprintf(cfg.token_file, sizeof cfg.token_file, "%s/gw.tokens", dir);
    snprintf(cfg.control_file, sizeof cfg.control_file, "%s/gw.ctl", dir);
    cfg.max_orders = 64;
    char *ev_buf = NULL;
    size_t ev_len = 0;
    cfg.out = open_memstream(&ev_buf, &ev_len);
    cfg.events = 1;
    char err[256];
    CHECK(tp_gw_init(&g, &cfg, err, sizeof err) == 0);

    /* day one: A, B, C accepted, C partially filled, D never acknowledged, A being replaced */
    tp_soup_login l;
    CHECK(sc_login(&s, &l) == 0 && asked(&l, NULL, 1));
    sc_accepted(&s, "SESSONE001", 1);
    RUN_UNTIL(&s, g.soup.state == TP_SOUP_CLI_UP);
    CHECK_EQ(g.soup.state, TP_SOUP_CLI_UP);
    uint32_t a = enter(&g, 1890000), b = enter(&g, 1890100), c = enter(&g, 1890200);
    uint32_t d = enter(&g, 1890300);
    char tok[14];
    for (int k = 0; k < 4; k++)
        CHECK_EQ(next_ouch(&s, tok), 'O');
    send_accepted(&s, &g, a, 1);
    send_accepted(&s, &g, b, 2);
    send_accepted(&s, &g, c, 3);
    send_executed(&s, &g, c, 40);
    RUN_UNTIL(&s, g.soup.next_seq == 5);
    tp_gw_req rq;
    memset(&rq, 0, sizeof rq);
    rq.kind = 'U';
    rq.order = a;
    rq.shares = 100;
    rq.price = 1890500;
    int why;
    int64_t e = tp_gw_submit(&g, &rq, tp_rt_now_ns(), &why);
    CHECK(e >= 0);
    CHECK_EQ(next_ouch(&s, tok), 'U');
    CHECK(g.orders[a].state == GW_OPEN && g.orders[c].state == GW_PARTIAL);
    CHECK(g.orders[d].state == GW_PENDING_NEW && g.orders[e].state == GW_PENDING_NEW);
    CHECK_EQ(g.risk.open_orders, 4);
    CHECK_EQ(g.soup.next_seq, 5);

    /* the exchange dies and comes back under another session that holds 2 messages: an
     * Accepted for B (it knows B) and its start-of-day System Event */
    sc_close(&s);
    CHECK(sc_login(&s, &l) == 0 && asked(&l, "SESSONE001", 5));
    sc_rejected(&s, TP_SOUP_REJ_SESSION_UNAVAILABLE);
    sc_close(&s);
    CHECK(sc_login(&s, &l) == 0 && asked(&l, NULL, 0));
    sc_accepted(&s, "SESSTWO002", 3);
    RUN_UNTIL(&s, g.syncing);
    CHECK_EQ(g.syncing, 1);
    sc_close(&s);
    CHECK(sc_login(&s, &l) == 0 && asked(&l, "SESSTWO002", 1));
    sc_accepted(&s, "SESSTWO002", 1);
    /* D, pending, is re-sent with its token at the login */
    CHECK_EQ(next_ouch(&s, tok), 'O');
    CHECK(memcmp(tok, g.orders[d].token, 14) == 0);
    send_accepted(&s, &g, b, 77);
    RUN_UNTIL(&s, g.soup.next_seq == 2);
    run(&s, 10);
    CHECK_EQ(g.syncing, 1); /* message 2 not delivered yet: nothing closed */
    CHECK_EQ(g.st.closed_session_lost, 0);
    CHECK_EQ(g.orders[a].state, GW_OPEN);
    uint8_t m[TP_OUCH_MAX_MSG];
    sc_seq_msg(&s, m, tp_ouch_enc_system_event(m, 0, 'S'));
    RUN_UNTIL(&s, !g.syncing);
    CHECK_EQ(g.syncing, 0);
    CHECK(lost(&g.orders[a]));
    CHECK(lost(&g.orders[c]) && g.orders[c].filled == 40);
    CHECK(lost(&g.orders[e])); /* the replace the old session never answered */
    CHECK(g.orders[b].state == GW_OPEN && g.orders[b].ref == 77 && !g.orders[b].unconfirmed);
    CHECK_EQ(g.orders[d].state, GW_PENDING_NEW);
    CHECK_EQ(g.st.closed_session_lost, 3);
    CHECK_EQ(g.risk.open_orders, 2); /* B and D: what the new session holds or will */
    CHECK_EQ(g.risk.sym[0].open_buy, 200);
    CHECK_EQ(g.risk.sym[0].position, 40);
    /* D's Accepted, after the history: an ordinary acknowledgement */
    send_accepted(&s, &g, d, 78);
    RUN_UNTIL(&s, g.orders[d].state == GW_OPEN);
    CHECK_EQ(g.orders[d].state, GW_OPEN);
    CHECK_EQ(g.risk.open_orders, 2);
    CHECK_EQ(g.st.closed_session_lost, 3);
    CHECK_EQ(g.soup.next_seq, 4);
    CHECK_EQ(g.soup.st.session_changes, 1);

    fflush(cfg.out);
    CHECK(strstr(ev_buf, "\"state\": \"new_session\", \"session\": \"SESSTWO002\", "
                         "\"previous\": \"SESSONE001\", \"expected_seq\": 5, \"replay_to\": 2") != NULL);
    CHECK(strstr(ev_buf, "\"state\": \"reconciled\", \"session\": \"SESSTWO002\", \"closed\": 3") != NULL);
    int n_lost = 0;
    for (const char *p = ev_buf; (p = strstr(p, "\"reason\": \"session_lost\"")) != NULL; p++)
        n_lost++;
    CHECK_EQ(n_lost, 3);

    tp_gw_free(&g);
    sc_free(&s);
    fclose(cfg.out);
    free(ev_buf);
    unlink(cfg.token_file);
    unlink(cfg.control_file);
    rmdir(dir);
    return tp_check_done("test_gw_resync");
}
