/* The firm-specific fields of the gateway's OUCH Enter and Replace Orders come from its
 * config (keys firm, ouch.display, ouch.capacity, ouch.iso, ouch.cross_type,
 * ouch.customer_type), with a proprietary firm's defaults: the config table's defaults and
 * a configured set are built with tp_gw_config_build, the gateway logs in to a scripted
 * exchange (tests/gw/soup_script.h), and the bytes it sends are checked at the field offsets.
 * Bad values are refused naming the key. */
#define _GNU_SOURCE /* accept4 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gw/gw.h"
#include "gw/gw_config.h"
#include "ouch/ouch.h"
#include "soup/rtclock.h"
#include "check.h"
#include "soup_script.h"

/* Enter Order offsets (OUCH 4.2): Firm 36..39, Display 40, Capacity 41, ISO 42, MinimumQuantity
 * 43..46, Cross Type 47, Customer Type 48. Replace Order: Display 41, ISO 42. */
enum { E_FIRM = 36, E_DISPLAY = 40, E_CAPACITY = 41, E_ISO = 42, E_MINQTY = 43, E_CROSS = 47,
       E_CUSTOMER = 48, R_DISPLAY = 41, R_ISO = 42 };

static char dir[] = "/tmp/tp-gw-ouch-fields-XXXXXX";

static void poll_gw(void *ctx)
{
    tp_gw_poll(ctx, tp_rt_now_ns());
}

/* A config from the key table's defaults plus the given settings (NULL-ended "key=value"). */
static int build(const char *const *settings, tp_gw_cfg *out, char *err, size_t errlen)
{
    static tp_kvconf c;
    tp_kv_init(&c, TP_GW_KEYS, TP_GW_N_KEYS);
    char path[512];
    int ok = tp_kv_set(&c, "ouch.user", "TRADR1", err, errlen) == 0 &&
             tp_kv_set(&c, "ouch.password.env", "TP_TEST_UNUSED_PW", err, errlen) == 0 &&
             tp_kv_set(&c, "symbols", "AAPL", err, errlen) == 0;
    snprintf(path, sizeof path, "%s/gw.tokens", dir);
    ok = ok && tp_kv_set(&c, "token_file", path, err, errlen) == 0;
    snprintf(path, sizeof path, "%s/gw.ctl", dir);
    ok = ok && tp_kv_set(&c, "control_file", path, err, errlen) == 0;
    for (const char *const *s = settings; ok && *s; s++)
        ok = tp_kv_set_kv(&c, *s, err, errlen) == 0;
    CHECK(ok);
    /* read_secret 0: the password source is checked, not read (set below) */
    return tp_gw_config_build(&c, 0, out, err, errlen);
}

/* Run a gateway on cfg against a scripted exchange: one Enter, accepted, then one Replace.
 * The two messages' bytes go to enter[49] and replace[47]. */
static void exchange(tp_gw_cfg *cfg, uint8_t enter[TP_OUCH_ENTER_LEN],
                     uint8_t replace[TP_OUCH_REPLACE_LEN])
{
    static tp_gw g;
    static script s;
    strcpy(cfg->soup.password, "pw0123");
    cfg->soup.port = sc_listen(&s, poll_gw, &g);
    cfg->soup.reconnect_ms = 30;
    cfg->max_orders = 64;
    cfg->events = 0;
    char err[256];
    CHECK(tp_gw_init(&g, cfg, err, sizeof err) == 0);
    tp_soup_login l;
    CHECK(sc_login(&s, &l) == 0);
    sc_accepted(&s, "FIELDS0001", 1);
    RUN_UNTIL(&s, g.soup.state == TP_SOUP_CLI_UP);
    CHECK_EQ(g.soup.state, TP_SOUP_CLI_UP);

    tp_gw_set_bbo(&g, 0, 1889000, 1891000); /* the price collar's reference */
    tp_gw_req r;
    memset(&r, 0, sizeof r);
    r.kind = 'O';
    r.side = 'B';
    r.shares = 100;
    r.price = 1890000;
    int why;
    int64_t i = tp_gw_submit(&g, &r, tp_rt_now_ns(), &why);
    CHECK(i >= 0);
    uint8_t pl[256];
    size_t len = 0;
    CHECK_EQ(sc_read(&s, pl, sizeof pl, &len), TP_SOUP_UNSEQUENCED);
    CHECK_EQ(len, TP_OUCH_ENTER_LEN);
    memcpy(enter, pl, TP_OUCH_ENTER_LEN);

    tp_ouch_accepted a;
    memset(&a, 0, sizeof a);
    memcpy(a.token, g.orders[i].token, 14);
    a.side = 'B';
    a.shares = 100;
    memcpy(a.stock, "AAPL    ", 8);
    a.price = 1890000;
    a.order_ref = 1;
    a.order_state = 'L';
    uint8_t m[TP_OUCH_MAX_MSG];
    sc_seq_msg(&s, m, tp_ouch_enc_accepted(m, 0, &a));
    RUN_UNTIL(&s, g.orders[i].state == GW_OPEN);
    CHECK_EQ(g.orders[i].state, GW_OPEN);

    memset(&r, 0, sizeof r);
    r.kind = 'U';
    r.order = (uint32_t)i;
    r.shares = 200;
    r.price = 1890100;
    CHECK(tp_gw_submit(&g, &r, tp_rt_now_ns(), &why) >= 0);
    CHECK_EQ(sc_read(&s, pl, sizeof pl, &len), TP_SOUP_UNSEQUENCED);
    CHECK_EQ(len, TP_OUCH_REPLACE_LEN);
    memcpy(replace, pl, TP_OUCH_REPLACE_LEN);
    /* the per-order fields are the order's (the template did not freeze them) */
    CHECK(memcmp(replace + 1, g.orders[i].token, 14) == 0);
    CHECK_EQ((uint32_t)replace[29] << 24 | (uint32_t)replace[30] << 16 |
             (uint32_t)replace[31] << 8 | replace[32], 200);

    tp_gw_free(&g);
    sc_free(&s);
    unlink(cfg->token_file);
    unlink(cfg->control_file);
}

static void test_defaults_are_a_proprietary_firms(void)
{
    static tp_gw_cfg cfg;
    char err[256];
    const char *none[] = {NULL};
    CHECK(build(none, &cfg, err, sizeof err) == 0);
    uint8_t e[TP_OUCH_ENTER_LEN], u[TP_OUCH_REPLACE_LEN];
    exchange(&cfg, e, u);
    CHECK_EQ(e[0], 'O');
    CHECK(memcmp(e + E_FIRM, "    ", 4) == 0); /* blank: the OUCH account's default firm */
    CHECK_EQ(e[E_DISPLAY], 'Y');                 /* Anonymous-Price to Comply (displayed) */
    CHECK_EQ(e[E_CAPACITY], 'P');                /* principal: the firm's own account */
    CHECK_EQ(e[E_ISO], 'N');                     /* not an intermarket sweep */
    CHECK(memcmp(e + E_MINQTY, "\0\0\0\0", 4) == 0);
    CHECK_EQ(e[E_CROSS], 'N');                   /* continuous market */
    CHECK_EQ(e[E_CUSTOMER], 'N');                /* not retail designated */
    CHECK(memcmp(e + 20, "AAPL    ", 8) == 0 && e[15] == 'B');
    CHECK_EQ(u[0], 'U');
    CHECK_EQ(u[R_DISPLAY], 'Y');
    CHECK_EQ(u[R_ISO], 'N');
}

static void test_configured_values_are_sent(void)
{
    static tp_gw_cfg cfg;
    char err[256];
    const char *set[] = {"firm=ABCD", "ouch.display=A", "ouch.capacity=R", "ouch.iso=y",
                         "ouch.cross_type=E", "ouch.customer_type=R", NULL};
    CHECK(build(set, &cfg, err, sizeof err) == 0);
    uint8_t e[TP_OUCH_ENTER_LEN], u[TP_OUCH_REPLACE_LEN];
    exchange(&cfg, e, u);
    CHECK(memcmp(e + E_FIRM, "ABCD", 4) == 0);
    CHECK_EQ(e[E_DISPLAY], 'A');
    CHECK_EQ(e[E_CAPACITY], 'R');
    CHECK_EQ(e[E_ISO], 'y');
    CHECK_EQ(e[E_CROSS], 'E');
    CHECK_EQ(e[E_CUSTOMER], 'R');
    CHECK_EQ(u[R_DISPLAY], 'A');
    CHECK_EQ(u[R_ISO], 'y');

    const char *two[] = {"firm=XY", "ouch.display=N", "ouch.capacity=A", "ouch.iso=Y",
                         "ouch.cross_type=C", NULL};
    CHECK(build(two, &cfg, err, sizeof err) == 0);
    exchange(&cfg, e, u);
    CHECK(memcmp(e + E_FIRM, "XY  ", 4) == 0);
    CHECK(e[E_DISPLAY] == 'N' && e[E_CAPACITY] == 'A' && e[E_ISO] == 'Y' && e[E_CROSS] == 'C');
    CHECK_EQ(e[E_CUSTOMER], 'N');
    CHECK(u[R_DISPLAY] == 'N' && u[R_ISO] == 'Y');
}

static void refused(const char *setting, const char *fragment)
{
    static tp_gw_cfg cfg;
    char err[512] = "";
    const char *set[] = {setting, NULL};
    int rc = build(set, &cfg, err, sizeof err);
    CHECK_EQ(rc, -1);
    if (rc != -1 || !strstr(err, fragment))
        fprintf(stderr, "%s: got '%s', expected '%s'\n", setting, err, fragment);
    CHECK(strstr(err, fragment) != NULL);
}

static void test_bad_values_are_refused_naming_the_key(void)
{
    refused("ouch.customer_type=X", "ouch.customer_type: 'X' is not an OUCH 4.2 Customer Type; "
                                    "one of: R (retail designated order), N (not a retail "
                                    "designated order) (the spec's blank");
    refused("ouch.customer_type=", "ouch.customer_type: '' is not an OUCH 4.2 Customer Type");
    refused("ouch.customer_type=NN", "ouch.customer_type: 'NN'");
    refused("ouch.capacity=p", "ouch.capacity: 'p' is not an OUCH 4.2 Capacity; one of: A "
                               "(agency), P (principal), R (riskless principal), O (other)");
    refused("ouch.display=Z", "ouch.display: 'Z' is not an OUCH 4.2 Display");
    refused("ouch.iso=n", "ouch.iso: 'n' is not an OUCH 4.2 Intermarket Sweep Eligibility");
    refused("ouch.cross_type=I", "ouch.cross_type: 'I' is not an OUCH 4.2 Cross Type");
    refused("firm=abcd", "firm: 'abcd' is not 0-4 capital letters");
    refused("firm=ABCDE", "firm: 'ABCDE' is not 0-4 capital letters");
}

/* A tp_gw_cfg built by hand (the fields left 0) gets the defaults; a value the spec does not
 * list is refused by tp_gw_init too. */
static void test_init_defaults_and_refuses(void)
{
    static tp_gw_cfg cfg;
    static tp_gw g;
    char err[256];
    const char *none[] = {NULL};
    CHECK(build(none, &cfg, err, sizeof err) == 0);
    memset(&cfg.ouch, 0, sizeof cfg.ouch);
    memset(cfg.firm, 0, sizeof cfg.firm);
    cfg.soup.port = 1;
    cfg.max_orders = 4;
    CHECK(tp_gw_init(&g, &cfg, err, sizeof err) == 0);
    CHECK(memcmp(g.enter_tpl + E_FIRM, "    YPN\0\0\0\0NN", 13) == 0);
    CHECK(g.replace_tpl[R_DISPLAY] == 'Y' && g.replace_tpl[R_ISO] == 'N');
    tp_gw_free(&g);
    unlink(cfg.token_file);
    unlink(cfg.control_file);
    cfg.ouch.customer_type = 'X';
    CHECK_EQ(tp_gw_init(&g, &cfg, err, sizeof err), -1);
    CHECK(strstr(err, "ouch.customer_type") != NULL);
    unlink(cfg.token_file);
    unlink(cfg.control_file);
}

int main(void)
{
    CHECK(mkdtemp(dir) != NULL);
    test_defaults_are_a_proprietary_firms();
    test_configured_values_are_sent();
    test_bad_values_are_refused_naming_the_key();
    test_init_defaults_and_refuses();
    rmdir(dir);
    return tp_check_done("test_gw_ouch_fields");
}
