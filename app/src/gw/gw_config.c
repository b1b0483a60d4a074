#include "gw/gw_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw/secret_file.h"

const tp_kv_key TP_GW_KEYS[] = {
    {"name", "default", "instance name (control/token file names)"},
    {"ouch.host", "127.0.0.1", "exchange OUCH host"},
    {"ouch.port", "26600", ""},
    {"ouch.credentials", "", "file 'username password' (first line, or the line of ouch.user); mode 0600"},
    {"ouch.user", "", "pick this user's line from the credentials file"},
    {"ouch.session", "", "requested session (blank = current)"},
    {"ouch.heartbeat_ms", "1000", "client heartbeat after this idle time (0 = never)"},
    {"ouch.dead_ms", "15000", "link dead after this silence"},
    {"ouch.reconnect_ms", "1000", "wait before reconnecting"},
    {"ouch.max_reconnects", "0", "give up after this many connection attempts (0 = never)"},
    {"symbols", "AAPL,MSFT,NVDA", "tradable symbols (index order = strategy symbol ids)"},
    {"firm", "TPFM", "OUCH firm (4 chars)"},
    {"token_file", "", "persistent day counter for tokens (default /var/lib/tickpath/gw-NAME.tokens)"},
    {"control_file", "", "kill-switch page (default /dev/shm/tickpath-gw-NAME.ctl)"},
    {"max_orders", "1048576", "orders per run"},
    {"risk.max_order_shares", "10000", "0 = no limit"},
    {"risk.max_notional", "1000000", "USD per order; 0 = no limit"},
    {"risk.collar_bps", "500", "price collar around the BBO mid; 0 = none"},
    {"risk.max_open_orders", "100", "0 = no limit"},
    {"risk.throttle_per_s", "1000", "orders per second (token bucket); 0 = none"},
    {"risk.throttle_burst", "100", "bucket size"},
    {"risk.max_position", "100000", "shares per symbol incl. open orders; 0 = no limit"},
    {"events", "1", "print order events as JSON lines on stdout"},
    {"duration_s", "0", "stop after this many seconds (0 = until quit/SIGTERM)"},
    {"stats_json", "", "write statistics + per-stage latency histograms here at exit"},
    {"spin", "0", "1 = busy-poll"},
    {"cpu", "-1", "pin the gateway thread to this CPU"},
    {"rt_priority", "0", "SCHED_FIFO priority for the gateway thread (0 = SCHED_OTHER)"},
    /* strategy keys (tickpath-strategy) */
    {"strategy.mode", "take", "take | quote | ping"},
    {"strategy.source", "udp", "udp (own MoldUDP64 receiver + book) | shm:NAME (feed handler event ring)"},
    {"strategy.md_addr", "239.100.1.1", "udp: group or local address to receive"},
    {"strategy.md_port", "26400", ""},
    {"strategy.md_iface_addr", "0.0.0.0", "udp: interface address for the multicast join"},
    {"strategy.symbol", "AAPL", "the symbol traded"},
    {"strategy.size", "100", "shares per order"},
    {"strategy.buy_below", "0", "take: buy IOC at the ask when ask < this (dollars; 0 = off)"},
    {"strategy.sell_above", "0", "take: sell IOC at the bid when bid > this (0 = off)"},
    {"strategy.every", "1", "ping: one order per this many BBO changes"},
    {"strategy.max_orders", "1000000", "stop sending after this many orders"},
    {"strategy.cpu", "-1", "pin the strategy thread to this CPU"},
    {"strategy.threads", "1", "1 = strategy and gateway on two threads (SPSC ring); 0 = one thread"},
    {"strategy.rt_priority", "0", ""},
};
const size_t TP_GW_N_KEYS = sizeof TP_GW_KEYS / sizeof TP_GW_KEYS[0];

static int U(const tp_kvconf *c, const char *k, uint64_t max, uint64_t *v, char *err, size_t el)
{
    return tp_kv_u64(c, k, max, v, err, el);
}

int tp_gw_config_build(const tp_kvconf *c, tp_gw_cfg *g, char *err, size_t errlen)
{
    memset(g, 0, sizeof *g);
    uint64_t v;
    const char *name = tp_kv_str(c, "name");
    if (!*name || strlen(name) > 32 || strchr(name, '/')) {
        snprintf(err, errlen, "name: 1..32 characters, no '/'");
        return -1;
    }
    snprintf(g->soup.host, sizeof g->soup.host, "%s", tp_kv_str(c, "ouch.host"));
    if (U(c, "ouch.port", 65535, &v, err, errlen))
        return -1;
    g->soup.port = (uint16_t)v;
    const char *sess = tp_kv_str(c, "ouch.session");
    if (strlen(sess) > 10) {
        snprintf(err, errlen, "ouch.session: at most 10 characters");
        return -1;
    }
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
    g->soup.max_payload = 256;
    /* credentials: never on the command line, never logged */
    const char *cp = tp_kv_str(c, "ouch.credentials");
    if (!*cp)
        cp = getenv("TICKPATH_GW_CREDENTIALS");
    if (!cp || tp_secret_file_check(cp, err, errlen) != 0) {
        if (!cp)
            snprintf(err, errlen, "ouch.credentials: not set (nor TICKPATH_GW_CREDENTIALS)");
        return -1;
    }
    FILE *f = fopen(cp, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open", cp);
        return -1;
    }
    char line[256], u[64], p[64];
    int found = 0;
    const char *want = tp_kv_str(c, "ouch.user");
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || sscanf(line, "%63s %63s", u, p) != 2)
            continue;
        if (*want && strcmp(want, u) != 0)
            continue;
        found = 1;
        break;
    }
    fclose(f);
    memset(line, 0, sizeof line);
    if (!found || strlen(u) > 6 || strlen(p) > 10) {
        snprintf(err, errlen, "%s: no usable 'username password' line%s%s", cp,
                 *want ? " for user " : "", want);
        return -1;
    }
    /* lengths checked above (<= 6 and <= 10): copy with the terminator */
    memcpy(g->soup.username, u, strlen(u) + 1);
    memcpy(g->soup.password, p, strlen(p) + 1);
    memset(p, 0, sizeof p);
    /* symbols */
    char sy[TP_KV_VAL];
    snprintf(sy, sizeof sy, "%s", tp_kv_str(c, "symbols"));
    for (char *save = NULL, *t = strtok_r(sy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (strlen(t) > 8 || g->n_symbols >= TP_RISK_MAX_SYMBOLS) {
            snprintf(err, errlen, "symbols: '%s' too long or too many symbols", t);
            return -1;
        }
        memset(g->symbols[g->n_symbols], ' ', 8);
        memcpy(g->symbols[g->n_symbols++], t, strlen(t));
    }
    if (!g->n_symbols) {
        snprintf(err, errlen, "symbols: none");
        return -1;
    }
    const char *firm = tp_kv_str(c, "firm");
    if (strlen(firm) > 4) {
        snprintf(err, errlen, "firm: at most 4 characters");
        return -1;
    }
    memset(g->firm, ' ', 4);
    memcpy(g->firm, firm, strlen(firm));
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
    if (U(c, "risk.max_notional", 1000000000000ull, &v, err, errlen))
        return -1;
    g->risk.max_notional = v * 10000;
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
    return 0;
}
