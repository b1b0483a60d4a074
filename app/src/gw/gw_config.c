#include "gw/gw_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw/secret_file.h"
#include "ouch/fields.h"

/* Money is an integer in units of 1/10000 USD (the OUCH Price(4) scale), keys ending _e4. */
const tp_kv_key TP_GW_KEYS[] = {
    {"format", "", "key=value format of a rendered file: 1 (empty: hand-written)"},
    {"program", "", "program a rendered file is for: gw or strategy (empty: hand-written)"},
    {"name", "default", "instance name (control/token file names)"},
    {"ouch.host", "127.0.0.1", "exchange OUCH host (IPv4 address or host name)"},
    {"ouch.port", "26600", ""},
    {"ouch.user", "", "SoupBinTCP username, 1..6 letters/digits"},
    {"ouch.password.env", "", "environment variable holding the password"},
    {"ouch.password.file", "", "file whose first line is the password; mode 0600"},
    {"ouch.password.credential", "", "systemd credential: $CREDENTIALS_DIRECTORY/NAME"},
    {"ouch.session", "", "requested session (blank = current)"},
    {"ouch.heartbeat_ms", "1000", "client heartbeat after this idle time (0 = never)"},
    {"ouch.dead_ms", "15000", "link dead after this silence"},
    {"ouch.reconnect_ms", "1000", "wait before reconnecting"},
    {"ouch.max_reconnects", "0", "give up after this many connection attempts (0 = never)"},
    {"ouch.resume_after_end_ms", "1000", "log in again this long after an End of Session, doubling while only 'Z' answers (0 = the end is final)"},
    {"symbols", "AAPL,MSFT,NVDA", "tradable symbols (index order = strategy symbol ids)"},
    {"firm", "", "OUCH Firm (MPID): 0-4 capital letters; empty = the OUCH account's default firm"},
    {"ouch.display", "Y", "OUCH Display of every order (Enter and Replace): Y anonymous, A attributable, N non-display, P post-only, ... (README)"},
    {"ouch.capacity", "P", "OUCH Capacity: P principal, A agency, R riskless principal, O other"},
    {"ouch.iso", "N", "OUCH Intermarket Sweep Eligibility (Enter and Replace): N not eligible, Y eligible, y trade-at ISO"},
    {"ouch.cross_type", "N", "OUCH Cross Type: N continuous market, O opening, C closing, H halt/IPO, S supplemental, R retail (BX), E extended life"},
    {"ouch.customer_type", "N", "OUCH Customer Type: N not retail designated, R retail designated"},
    {"token_file", "", "persistent day counter for tokens (default /var/lib/tickpath/gw-NAME.tokens)"},
    {"control_file", "", "kill-switch page (default /dev/shm/tickpath-gw-NAME.ctl)"},
    {"max_orders", "1048576", "orders per run"},
    {"risk.max_order_shares", "10000", "0 = no limit"},
    {"risk.max_notional_e4", "10000000000", "1/10000 USD per order (price_e4 x shares); 0 = no limit"},
    {"risk.min_price_e4", "0", "1/10000 USD: lower limit prices are rejected (min_price); 0 = none"},
    {"risk.collar_bps", "500", "price collar around the BBO mid; 0 = none"},
    {"risk.max_open_orders", "100", "0 = no limit"},
    {"risk.throttle_per_s", "1000", "orders per second (token bucket); 0 = none"},
    {"risk.throttle_burst", "100", "bucket size (0 = throttle_per_s)"},
    {"risk.max_position", "100000", "shares per symbol incl. open orders; 0 = no limit"},
    {"events", "1", "print order events as JSON lines on stdout"},
    {"duration_s", "0", "stop after this many seconds (0 = until quit/SIGTERM)"},
    {"stats_json", "", "write statistics + per-stage latency histograms here at exit (and on SIGUSR2)"},
    {"spin", "0", "1 = busy-poll"},
    {"cpu", "-1", "pin the gateway thread to this CPU (-1 = not pinned)"},
    {"rt_priority", "0", "SCHED_FIFO priority for the gateway thread (0 = SCHED_OTHER)"},
};
const size_t TP_GW_N_KEYS = sizeof TP_GW_KEYS / sizeof TP_GW_KEYS[0];

#define FAIL(...)                                                                          \
    do {                                                                                   \
        snprintf(err, errlen, __VA_ARGS__);                                                \
        return -1;                                                                         \
    } while (0)

static int U(const tp_kvconf *c, const char *k, uint64_t max, uint64_t *v, char *err, size_t el)
{
    return tp_kv_u64(c, k, max, v, err, el);
}

int tp_gw_config_header(const tp_kvconf *c, const char *program, char *err, size_t errlen)
{
    const char *f = tp_kv_str(c, "format"), *p = tp_kv_str(c, "program");
    if (*f && strcmp(f, "1") != 0)
        FAIL("format: '%s' is not 1 (the key=value format this tickpath-%s reads)", f, program);
    if (*p && strcmp(p, program) != 0)
        FAIL("program: this file is for '%s', not for tickpath-%s", p, program);
    return 0;
}

void tp_gw_config_password_source(const tp_kvconf *c, char *out, size_t cap)
{
    const char *e = tp_kv_str(c, "ouch.password.env"), *f = tp_kv_str(c, "ouch.password.file");
    const char *cr = tp_kv_str(c, "ouch.password.credential");
    if (*cr)
        snprintf(out, cap, "credential:%s", cr);
    else
        snprintf(out, cap, "%s:%s", *e ? "env" : "file", *e ? e : f);
}

static int alnum_1_to(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
              (s[i] >= '0' && s[i] <= '9')))
            return 0;
    return 1;
}

static int credentials(const tp_kvconf *c, int read_secret, tp_gw_cfg *g, char *err,
                       size_t errlen)
{
    const char *user = tp_kv_str(c, "ouch.user");
    if (!alnum_1_to(user, TP_SOUP_USER_LEN))
        FAIL("ouch.user: '%s' is not 1..%d letters/digits (SoupBinTCP Username)", user,
             TP_SOUP_USER_LEN);
    memcpy(g->soup.username, user, strlen(user) + 1);
    const char *env = tp_kv_str(c, "ouch.password.env"), *file = tp_kv_str(c, "ouch.password.file");
    const char *cred = tp_kv_str(c, "ouch.password.credential");
    if ((*env != 0) + (*file != 0) + (*cred != 0) != 1)
        FAIL("ouch.password.credential / ouch.password.file / ouch.password.env: give exactly one "
             "(where the password is read from; never the password itself)");
    if (*env && !tp_secret_env_name_ok(env))
        FAIL("ouch.password.env: '%s' is not an environment variable name", env);
    if (*file && file[0] != '/')
        FAIL("ouch.password.file: '%s' is not an absolute path", file);
    if (*cred && !tp_secret_credential_name_ok(cred))
        FAIL("ouch.password.credential: '%s' is not a credential name (1..64 of A-Z a-z 0-9 _ . -, "
             "not starting with . or -)", cred);
    if (!read_secret)
        return 0;
    if (*env)
        return tp_secret_read_env("ouch.password.env", env, g->soup.password,
                                  sizeof g->soup.password, err, errlen);
    if (*cred)
        return tp_secret_read_credential("ouch.password.credential", cred, g->soup.password,
                                         sizeof g->soup.password, err, errlen);
    return tp_secret_read_file("ouch.password.file", file, g->soup.password,
                               sizeof g->soup.password, err, errlen);
}

/* The key of each tp_ouch_field, in its order. */
static const char *const OUCH_KEY[TP_OUCH_F_COUNT] = {
    "ouch.display", "ouch.capacity", "ouch.iso", "ouch.cross_type", "ouch.customer_type",
};

/* "A (agency), P (principal), ..." for an error message. */
static void list_values(tp_ouch_field f, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = 0;
    for (const char *v = tp_ouch_field_values(f); *v && n < cap; v++) {
        if (*v == ' ')
            continue; /* the blank: see ouch_field() */
        int w = snprintf(out + n, cap - n, "%s%c (%s)", n ? ", " : "", *v,
                         tp_ouch_field_meaning(f, (uint8_t)*v));
        if (w < 0)
            break;
        n += (size_t)w;
    }
}

/* One of the Enter Order's firm-specific fields: exactly one letter the OUCH 4.2 spec lists
 * for it. Customer Type's blank ("the port's default") is not offered: a value in the file
 * cannot be a blank, and the gateway states what it is rather than leave it to a setting at
 * the exchange that may say retail. */
static int ouch_field(const tp_kvconf *c, tp_ouch_field f, uint8_t *out, char *err,
                      size_t errlen)
{
    const char *k = OUCH_KEY[f], *v = tp_kv_str(c, k);
    if (strlen(v) == 1 && v[0] != ' ' && tp_ouch_field_ok(f, (uint8_t)v[0])) {
        *out = (uint8_t)v[0];
        return 0;
    }
    char allowed[512];
    list_values(f, allowed, sizeof allowed);
    FAIL("%s: '%s' is not an OUCH 4.2 %s; one of: %s%s", k, v, tp_ouch_field_name(f), allowed,
         f == TP_OUCH_F_CUSTOMER_TYPE ? " (the spec's blank, the port's default, is not "
                                        "offered: the gateway says which)" : "");
}

void tp_gw_config_order_fields(const tp_gw_cfg *g, char *out, size_t cap)
{
    int fl = 4;
    while (fl && g->firm[fl - 1] == ' ')
        fl--;
    snprintf(out, cap, "firm=%.*s%s display=%c capacity=%c iso=%c cross_type=%c "
             "customer_type=%c", fl, g->firm, fl ? "" : "(account default)", g->ouch.display,
             g->ouch.capacity, g->ouch.iso, g->ouch.cross_type, g->ouch.customer_type);
}

int tp_gw_config_build(const tp_kvconf *c, int read_secret, tp_gw_cfg *g, char *err,
                       size_t errlen)
{
    memset(g, 0, sizeof *g);
    uint64_t v;
    const char *name = tp_kv_str(c, "name");
    if (!*name || strlen(name) > 64 || strchr(name, '/'))
        FAIL("name: '%s' is not 1..64 characters without '/'", name);
    const char *host = tp_kv_str(c, "ouch.host");
    if (!*host || strlen(host) >= sizeof g->soup.host)
        FAIL("ouch.host: '%s' is empty or longer than %zu characters", host,
             sizeof g->soup.host - 1);
    snprintf(g->soup.host, sizeof g->soup.host, "%s", host);
    if (U(c, "ouch.port", 65535, &v, err, errlen))
        return -1;
    if (!v)
        FAIL("ouch.port: 0 is not a port");
    g->soup.port = (uint16_t)v;
    const char *sess = tp_kv_str(c, "ouch.session");
    if (strlen(sess) > 10)
        FAIL("ouch.session: '%s' is longer than 10 characters", sess);
    snprintf(g->soup.session, sizeof g->soup.session, "%s", sess);
    if (U(c, "ouch.heartbeat_ms", 3600000, &v, err, errlen))
        return -1;
    g->soup.hb_ms = (uint32_t)v;
    if (U(c, "ouch.dead_ms", 3600000, &v, err, errlen))
        return -1;
    g->soup.dead_ms = (uint32_t)v;
    if (U(c, "ouch.reconnect_ms", 3600000, &v, err, errlen))
        return -1;
    g->soup.reconnect_ms = (uint32_t)v;
    if (U(c, "ouch.max_reconnects", 1000000, &v, err, errlen))
        return -1;
    g->soup.max_reconnects = (uint32_t)v;
    if (U(c, "ouch.resume_after_end_ms", 3600000, &v, err, errlen))
        return -1;
    g->soup.resume_after_end_ms = (uint32_t)v;
    g->soup.max_payload = 256;
    /* symbols */
    char sy[TP_KV_VAL];
    snprintf(sy, sizeof sy, "%s", tp_kv_str(c, "symbols"));
    for (char *save = NULL, *t = strtok_r(sy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (strlen(t) > 8 || g->n_symbols >= TP_RISK_MAX_SYMBOLS)
            FAIL("symbols: '%s' is longer than 8 characters or there are more than %d symbols",
                 t, TP_RISK_MAX_SYMBOLS);
        memset(g->symbols[g->n_symbols], ' ', 8);
        memcpy(g->symbols[g->n_symbols++], t, strlen(t));
    }
    if (!g->n_symbols)
        FAIL("symbols: none");
    const char *firm = tp_kv_str(c, "firm");
    size_t fl = strlen(firm);
    if (fl > 4 || strspn(firm, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != fl)
        FAIL("firm: '%s' is not 0-4 capital letters (OUCH Firm, an MPID; empty = the OUCH "
             "account's default firm)", firm);
    memset(g->firm, ' ', 4);
    memcpy(g->firm, firm, fl);
    uint8_t *ouch[TP_OUCH_F_COUNT] = {&g->ouch.display, &g->ouch.capacity, &g->ouch.iso,
                                      &g->ouch.cross_type, &g->ouch.customer_type};
    for (int i = 0; i < TP_OUCH_F_COUNT; i++)
        if (ouch_field(c, (tp_ouch_field)i, ouch[i], err, errlen) != 0)
            return -1;
    const char *tf = tp_kv_str(c, "token_file"), *cf = tp_kv_str(c, "control_file");
    if (*tf)
        snprintf(g->token_file, sizeof g->token_file, "%s", tf);
    else
        snprintf(g->token_file, sizeof g->token_file, "/var/lib/tickpath/gw-%s.tokens", name);
    if (*cf)
        snprintf(g->control_file, sizeof g->control_file, "%s", cf);
    else
        snprintf(g->control_file, sizeof g->control_file, "/dev/shm/tickpath-gw-%s.ctl", name);
    if (U(c, "max_orders", 1u << 26, &v, err, errlen))
        return -1;
    g->max_orders = (uint32_t)(v ? v : 1);
    if (U(c, "risk.max_order_shares", 0xffffffffu, &v, err, errlen))
        return -1;
    g->risk.max_order_shares = (uint32_t)v;
    if (U(c, "risk.max_notional_e4", 1000000000000000000ull, &v, err, errlen))
        return -1;
    g->risk.max_notional = v;
    if (U(c, "risk.min_price_e4", 0xffffffffu, &v, err, errlen))
        return -1;
    g->risk.min_price = (uint32_t)v;
    if (U(c, "risk.collar_bps", 100000, &v, err, errlen))
        return -1;
    g->risk.collar_bps = (uint32_t)v;
    if (U(c, "risk.max_open_orders", 0xffffffffu, &v, err, errlen))
        return -1;
    g->risk.max_open_orders = (uint32_t)v;
    if (U(c, "risk.throttle_per_s", 1000000000u, &v, err, errlen))
        return -1;
    g->risk.throttle_per_s = (uint32_t)v;
    if (U(c, "risk.throttle_burst", 1000000000u, &v, err, errlen))
        return -1;
    g->risk.throttle_burst = (uint32_t)v;
    if (U(c, "risk.max_position", 1ull << 40, &v, err, errlen))
        return -1;
    g->risk.max_position = (int64_t)v;
    if (U(c, "events", 1, &v, err, errlen))
        return -1;
    g->events = (int)v;
    uint64_t tmp;
    int64_t i64;
    if (U(c, "duration_s", 86400 * 7, &tmp, err, errlen) || U(c, "spin", 1, &tmp, err, errlen) ||
        U(c, "rt_priority", 99, &tmp, err, errlen) || tp_kv_i64(c, "cpu", &i64, err, errlen))
        return -1;
    if (i64 < -1 || i64 > 1023)
        FAIL("cpu: %lld is not -1 (not pinned) or a CPU number 0..1023", (long long)i64);
    /* last: the secret is only read once everything else is valid */
    return credentials(c, read_secret, g, err, errlen);
}
