/* SoupBinTCP client across an exchange restart, against a scripted server on loopback: each
 * step accepts the client's connection, checks its Login Request and answers with exactly
 * the packets a restarted exchange would send. Covers: a re-login rejected 'S' (session
 * unavailable) -> a blank-session probe -> the new session replayed from 1; a Login Accepted
 * naming another session; a Login Accepted below the sequence asked for (a reset); 'A' and a
 * first login's 'S' stay final. */
#define _GNU_SOURCE /* accept4 */
#include <string.h>

#include "soup/client.h"
#include "soup/rtclock.h"
#include "soup/soup.h"
#include "check.h"
#include "soup_script.h"

#define MS SC_MS
#define MAX_EV 64

typedef struct {
    tp_soup_event ev[MAX_EV];
    uint64_t seq[MAX_EV];
    uint8_t first[MAX_EV]; /* first payload byte of a sequenced message */
    int n;
} cli_log;

static void cli_cb(void *ctx, tp_soup_event ev, uint64_t seq, const uint8_t *pl, size_t len)
{
    cli_log *l = ctx;
    if (ev == TP_SOUP_EV_DEBUG || l->n == MAX_EV)
        return;
    l->ev[l->n] = ev;
    l->seq[l->n] = seq;
    l->first[l->n] = ev == TP_SOUP_EV_SEQ && len ? pl[0] : 0;
    l->n++;
}

static int count(const cli_log *l, tp_soup_event ev)
{
    int k = 0;
    for (int i = 0; i < l->n; i++)
        k += l->ev[i] == ev;
    return k;
}

/* Index of the first event ev at or after from, or -1. */
static int find(const cli_log *l, tp_soup_event ev, int from)
{
    for (int i = from; i < l->n; i++)
        if (l->ev[i] == ev)
            return i;
    return -1;
}

static void poll_client(void *ctx)
{
    tp_soup_client_poll(ctx, tp_rt_now_ns());
}

static void sc_seq(script *s, char msg)
{
    sc_seq_msg(s, &msg, 1);
}

static void start(tp_soup_client *c, cli_log *cl, script *s, const char *session)
{
    static tp_soup_client_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    memset(cl, 0, sizeof *cl);
    strcpy(cfg.host, "127.0.0.1");
    cfg.port = sc_listen(s, poll_client, c);
    strcpy(cfg.username, "TRADR1");
    strcpy(cfg.password, "pw0123");
    strcpy(cfg.session, session);
    cfg.dead_ms = 5000;
    cfg.reconnect_ms = 30;
    CHECK(tp_soup_client_init(c, &cfg, cli_cb, cl) == 0);
}

/* First login: session SESSONE001, n messages 'a', 'b', ... delivered. */
static void first_session(script *s, cli_log *cl, int n)
{
    tp_soup_login l;
    CHECK(sc_login(s, &l) == 0 && asked(&l, NULL, 1));
    sc_accepted(s, "SESSONE001", 1);
    const tp_soup_client *c = s->ctx;
    for (int i = 0; i < n; i++)
        sc_seq(s, (char)('a' + i));
    RUN_UNTIL(s, c->next_seq == (uint64_t)n + 1);
    CHECK_EQ(c->state, TP_SOUP_CLI_UP);
    CHECK_EQ(c->next_seq, (uint64_t)n + 1);
    CHECK_EQ(count(cl, TP_SOUP_EV_SEQ), n);
    /* the exchange dies: the connection ends without End of Session */
    sc_close(s);
    RUN_UNTIL(s, c->state == TP_SOUP_CLI_DOWN);
    CHECK_EQ(c->state, TP_SOUP_CLI_DOWN);
}

/* A re-login with the remembered session is rejected 'S': not final; the client probes with
 * a blank session and sequence 0, learns the new session holds 2 messages, logs in to it from
 * 1 and reports SYNCED right after message 2. A probe rejected 'S' is retried. */
static void test_rejected_session_unavailable(void)
{
    static tp_soup_client c;
    cli_log cl;
    script s;
    tp_soup_login l;
    start(&c, &cl, &s, "");
    first_session(&s, &cl, 3);

    CHECK(sc_login(&s, &l) == 0 && asked(&l, "SESSONE001", 4));
    sc_rejected(&s, TP_SOUP_REJ_SESSION_UNAVAILABLE);
    sc_close(&s);
    CHECK(sc_login(&s, &l) == 0 && asked(&l, NULL, 0)); /* at once: the probe */
    CHECK_EQ(c.st.rejects, 1);
    CHECK(c.state != TP_SOUP_CLI_REJECTED);
    CHECK_EQ(count(&cl, TP_SOUP_EV_REJECTED), 0);
    /* the exchange takes no login yet: the probe is retried after reconnect_ms */
    sc_rejected(&s, TP_SOUP_REJ_SESSION_UNAVAILABLE);
    sc_close(&s);
    uint64_t t0 = tp_rt_now_ns();
    CHECK(sc_login(&s, &l) == 0 && asked(&l, NULL, 0));
    CHECK(tp_rt_now_ns() - t0 >= 30 * MS);
    CHECK_EQ(c.st.rejects, 2);
    CHECK_EQ(c.st.session_changes, 0);

    int before = cl.n;
    sc_accepted(&s, "SESSTWO002", 3); /* the current session has 2 messages */
    sc_seq(&s, 'z');                  /* live on the probe's connection: not delivered */
    RUN_UNTIL(&s, c.st.session_changes == 1);
    CHECK_EQ(c.st.session_changes, 1);
    CHECK_EQ(c.st.resets, 0);
    CHECK_EQ(c.sync_cause, TP_SOUP_SYNC_CHANGED);
    CHECK(memcmp(c.session, "SESSTWO002", 10) == 0);
    CHECK(memcmp(c.prev_session, "SESSONE001", 10) == 0);
    CHECK_EQ(c.prev_next_seq, 4);
    CHECK_EQ(cl.n, before + 1);
    CHECK(cl.ev[before] == TP_SOUP_EV_NEW_SESSION && cl.seq[before] == 2);
    sc_close(&s);

    CHECK(sc_login(&s, &l) == 0 && asked(&l, "SESSTWO002", 1));
    sc_accepted(&s, "SESSTWO002", 1);
    sc_seq(&s, 'x');
    RUN_UNTIL(&s, c.next_seq == 2);
    CHECK_EQ(c.state, TP_SOUP_CLI_UP);
    CHECK_EQ(count(&cl, TP_SOUP_EV_SYNCED), 0); /* message 2 not delivered yet */
    sc_seq(&s, 'y');
    sc_seq(&s, 'w');
    RUN_UNTIL(&s, c.next_seq == 4);
    /* NEW_SESSION(2), UP(1), SEQ 1 'x', SEQ 2 'y', SYNCED(2), SEQ 3 'w' */
    int i = before;
    CHECK(cl.n == before + 6);
    CHECK(cl.ev[i + 1] == TP_SOUP_EV_UP && cl.seq[i + 1] == 1);
    CHECK(cl.ev[i + 2] == TP_SOUP_EV_SEQ && cl.seq[i + 2] == 1 && cl.first[i + 2] == 'x');
    CHECK(cl.ev[i + 3] == TP_SOUP_EV_SEQ && cl.seq[i + 3] == 2 && cl.first[i + 3] == 'y');
    CHECK(cl.ev[i + 4] == TP_SOUP_EV_SYNCED && cl.seq[i + 4] == 2);
    CHECK(cl.ev[i + 5] == TP_SOUP_EV_SEQ && cl.seq[i + 5] == 3 && cl.first[i + 5] == 'w');
    CHECK_EQ(c.next_seq, 4);
    CHECK_EQ(c.sync, TP_SOUP_SYNC_NONE);
    CHECK_EQ(count(&cl, TP_SOUP_EV_DOWN), 1); /* the crash only: probes close quietly */

    /* 'A' (not authorized) on a re-login stays final */
    sc_close(&s);
    CHECK(sc_login(&s, &l) == 0 && asked(&l, "SESSTWO002", 4));
    sc_rejected(&s, TP_SOUP_REJ_NOT_AUTHORIZED);
    RUN_UNTIL(&s, c.state == TP_SOUP_CLI_REJECTED);
    CHECK_EQ(c.state, TP_SOUP_CLI_REJECTED);
    CHECK_EQ(c.reject_reason, 'A');
    CHECK_EQ(count(&cl, TP_SOUP_EV_REJECTED), 1);
    uint64_t connects = c.st.connects;
    run(&s, 80);
    CHECK_EQ(c.st.connects, connects);
    tp_soup_client_free(&c);
    sc_free(&s);
}

/* A re-login with the remembered session is accepted under another name: the client drops that
 * connection (where the new stream ends is unknown), probes, and the new session is empty: it
 * stays on the probe's connection, reports NEW_SESSION(0), UP and SYNCED at once. */
static void test_accepted_other_session(void)
{
    static tp_soup_client c;
    cli_log cl;
    script s;
    tp_soup_login l;
    start(&c, &cl, &s, "");
    first_session(&s, &cl, 2);

    CHECK(sc_login(&s, &l) == 0 && asked(&l, "SESSONE001", 3));
    int before = cl.n;
    sc_accepted(&s, "SESSTWO002", 3);
    sc_seq(&s, 'q'); /* must not be taken as message 3 of anything */
    RUN_UNTIL(&s, c.sync == TP_SOUP_SYNC_PROBE);
    CHECK_EQ(c.sync, TP_SOUP_SYNC_PROBE);
    CHECK_EQ(cl.n, before);
    CHECK(c.state != TP_SOUP_CLI_UP);
    sc_close(&s);
    CHECK(sc_login(&s, &l) == 0 && asked(&l, NULL, 0));
    sc_accepted(&s, "SESSTWO002", 1);
    sc_seq(&s, 'z');
    RUN_UNTIL(&s, c.next_seq == 2);
    CHECK_EQ(c.st.session_changes, 1);
    CHECK_EQ(c.state, TP_SOUP_CLI_UP);
    CHECK(cl.n == before + 4);
    CHECK(cl.ev[before] == TP_SOUP_EV_NEW_SESSION && cl.seq[before] == 0);
    CHECK(cl.ev[before + 1] == TP_SOUP_EV_UP && cl.seq[before + 1] == 1);
    CHECK(cl.ev[before + 2] == TP_SOUP_EV_SYNCED);
    CHECK(cl.ev[before + 3] == TP_SOUP_EV_SEQ && cl.seq[before + 3] == 1 &&
          cl.first[before + 3] == 'z');
    CHECK_EQ(c.next_seq, 2);
    tp_soup_client_free(&c);
    sc_free(&s);
}

/* Same session name, Login Accepted below the sequence asked for: the server lost messages
 * the client saw. Counted as a reset, reported, replayed from 1; a drop in the middle of the
 * replay resumes it; a later ordinary reconnect is not a reset. */
static void test_accepted_lower_sequence(void)
{
    static tp_soup_client c;
    cli_log cl;
    script s;
    tp_soup_login l;
    start(&c, &cl, &s, "");
    first_session(&s, &cl, 6);

    CHECK(sc_login(&s, &l) == 0 && asked(&l, "SESSONE001", 7));
    int before = cl.n;
    sc_accepted(&s, "SESSONE001", 3); /* it has 2 messages now */
    RUN_UNTIL(&s, c.st.resets == 1);
    CHECK_EQ(c.st.resets, 1);
    CHECK_EQ(c.st.session_changes, 0);
    CHECK_EQ(c.sync_cause, TP_SOUP_SYNC_RESET);
    CHECK_EQ(c.prev_next_seq, 7);
    CHECK_EQ(c.next_seq, 1);
    CHECK(cl.n == before + 1 && cl.ev[before] == TP_SOUP_EV_NEW_SESSION && cl.seq[before] == 2);
    sc_close(&s);

    CHECK(sc_login(&s, &l) == 0 && asked(&l, "SESSONE001", 1));
    sc_accepted(&s, "SESSONE001", 1);
    sc_seq(&s, 'n');
    RUN_UNTIL(&s, c.next_seq == 2);
    sc_close(&s); /* dropped in the middle of the replay */
    CHECK(sc_login(&s, &l) == 0 && asked(&l, "SESSONE001", 2));
    sc_accepted(&s, "SESSONE001", 2);
    RUN_UNTIL(&s, c.state == TP_SOUP_CLI_UP);
    run(&s, 10);
    CHECK_EQ(count(&cl, TP_SOUP_EV_SYNCED), 0);
    sc_seq(&s, 'o');
    RUN_UNTIL(&s, c.next_seq == 3);
    int k = find(&cl, TP_SOUP_EV_SYNCED, before);
    CHECK(k > 0 && cl.ev[k - 1] == TP_SOUP_EV_SEQ && cl.seq[k - 1] == 2 && cl.first[k - 1] == 'o');
    CHECK_EQ(count(&cl, TP_SOUP_EV_NEW_SESSION), 1);
    CHECK_EQ(c.next_seq, 3);

    /* an ordinary reconnect afterwards: resumes at 3, nothing new to report */
    sc_close(&s);
    CHECK(sc_login(&s, &l) == 0 && asked(&l, "SESSONE001", 3));
    sc_accepted(&s, "SESSONE001", 3);
    RUN_UNTIL(&s, c.state == TP_SOUP_CLI_UP);
    CHECK_EQ(c.state, TP_SOUP_CLI_UP);
    CHECK_EQ(c.st.resets, 1);
    CHECK_EQ(count(&cl, TP_SOUP_EV_NEW_SESSION), 1);
    CHECK_EQ(count(&cl, TP_SOUP_EV_SYNCED), 1);
    tp_soup_client_free(&c);
    sc_free(&s);
}

/* The first login's 'S' (the configured session is not the exchange's) stays final, and a
 * Login Accepted whose session name cannot be reported is a framing error. */
static void test_first_login(void)
{
    static tp_soup_client c;
    cli_log cl;
    script s;
    tp_soup_login l;
    start(&c, &cl, &s, "WANTED0001");
    CHECK(sc_login(&s, &l) == 0 && asked(&l, "WANTED0001", 1));
    sc_rejected(&s, TP_SOUP_REJ_SESSION_UNAVAILABLE);
    RUN_UNTIL(&s, c.state == TP_SOUP_CLI_REJECTED);
    CHECK_EQ(c.state, TP_SOUP_CLI_REJECTED);
    CHECK_EQ(c.reject_reason, 'S');
    tp_soup_client_free(&c);
    sc_free(&s);

    start(&c, &cl, &s, "");
    CHECK(sc_login(&s, &l) == 0);
    sc_accepted(&s, "BAD\"NAME", 1);
    RUN_UNTIL(&s, c.st.framing_errors == 1);
    CHECK_EQ(c.st.framing_errors, 1);
    CHECK_EQ(c.state, TP_SOUP_CLI_DOWN);
    CHECK_EQ(count(&cl, TP_SOUP_EV_UP), 0);
    tp_soup_client_free(&c);
    sc_free(&s);
}

int main(void)
{
    test_rejected_session_unavailable();
    test_accepted_other_session();
    test_accepted_lower_sequence();
    test_first_login();
    return tp_check_done("test_soup_session");
}
