/* tickpath-gen: deterministic synthetic ITCH 5.0 day in BinaryFILE framing.
 *
 * A day starts with system events and a stock directory (one 'R' + 'H' per symbol), then a
 * pre-open build-up of resting orders (--preload, default 5% of the messages, with the same
 * price distribution as the session's adds: mostly near the inside, 5% deep), then the session, whose mix is adds 41.5% (A ~37.7,
 * F ~3.8), deletes 44.5%, replaces 5%, executes 3%, executes with price 0.5%, cancels 2%,
 * non-cross trades 2.5%, other types 1% (so the whole day is ~44% adds, ~42% deletes), and
 * ends with the closing system events. Most cancels/deletes/executes hit recently added orders. Each
 * symbol has a fixed mid price: buys are always below it and sells above, so books never
 * cross. Same arguments + seed = same bytes.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/outfile.h"
#include "common/rng.h"
#include "itch/binaryfile.h"
#include "itch/encode.h"

typedef struct {
    uint64_t ref;
    uint32_t price;
    uint32_t shares;
    uint16_t locate;
    uint8_t side;
} live_order;

typedef struct {
    FILE *out;
    uint8_t *buf;
    size_t used, cap;
    uint64_t written, limit;
    uint64_t ts;
    tp_rng rng;
} writer;

static void flush(writer *w)
{
    if (w->used && fwrite(w->buf, 1, w->used, w->out) != w->used) {
        perror("tickpath-gen: write");
        exit(1);
    }
    w->used = 0;
}

static int emit(writer *w, const uint8_t *msg, size_t len)
{
    if (w->written >= w->limit)
        return 0;
    if (w->cap - w->used < len + 2)
        flush(w);
    w->used += tp_bf_put(w->buf + w->used, w->cap - w->used, msg, (uint16_t)len);
    w->written++;
    return 1;
}

static uint64_t tick(writer *w, uint64_t mean)
{
    w->ts += 1 + tp_rng_below(&w->rng, (uint32_t)(2 * mean));
    return w->ts;
}

static void usage(void)
{
    fprintf(stderr, "usage: tickpath-gen --messages N --symbols S [--seed X] --out FILE "
                    "[--max-live N] [--preload N]\n");
}

static uint64_t parse_u64(const char *s, const char *what)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *s == '\0' || *end != '\0' || *s == '-') {
        fprintf(stderr, "tickpath-gen: bad %s: %s\n", what, s);
        exit(2);
    }
    return v;
}

static void symbol_name(uint32_t i, uint8_t out[8])
{
    char tmp[9];
    int n = 0;
    uint32_t x = i;
    /* A.., Z.., then AA.. in base 26, at least 3 letters: AAA, AAB, ... */
    do {
        tmp[n++] = (char)('A' + x % 26);
        x /= 26;
    } while (x && n < 8);
    while (n < 3)
        tmp[n++] = 'A';
    for (int k = 0; k < 8; k++)
        out[k] = (uint8_t)(k < n ? tmp[n - 1 - k] : ' ');
}

/* Distance from the mid in ticks: mostly close (geometric), sometimes deep. */
static uint32_t distance(tp_rng *r, uint32_t max_ticks)
{
    uint32_t d = 1;
    if (tp_rng_below(r, 100) < 5)
        d += tp_rng_below(r, max_ticks);
    else
        while (d < max_ticks && tp_rng_below(r, 100) < 55)
            d++;
    return d;
}

static uint32_t lot(tp_rng *r)
{
    uint32_t u = tp_rng_below(r, 100);
    if (u < 10)
        return 1 + tp_rng_below(r, 99); /* odd lot */
    if (u < 95)
        return 100 * (1 + tp_rng_below(r, 10));
    return 100 * (1 + tp_rng_below(r, 100));
}

int main(int argc, char **argv)
{
    uint64_t messages = 0, symbols = 0, seed = 1, max_live = 2000000, preload = UINT64_MAX;
    const char *out_path = NULL;
    static const struct option opts[] = {
        {"messages", required_argument, NULL, 'n'}, {"symbols", required_argument, NULL, 's'},
        {"seed", required_argument, NULL, 'x'},     {"out", required_argument, NULL, 'o'},
        {"max-live", required_argument, NULL, 'm'}, {"preload", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "n:s:x:o:m:p:h", opts, NULL)) != -1) {
        switch (c) {
        case 'n': messages = parse_u64(optarg, "--messages"); break;
        case 's': symbols = parse_u64(optarg, "--symbols"); break;
        case 'x': seed = parse_u64(optarg, "--seed"); break;
        case 'o': out_path = optarg; break;
        case 'm': max_live = parse_u64(optarg, "--max-live"); break;
        case 'p': preload = parse_u64(optarg, "--preload"); break;
        case 'h': usage(); return 0;
        default: usage(); return 2;
        }
    }
    if (!out_path || symbols == 0 || symbols > 65535 || max_live == 0) {
        usage();
        return 2;
    }

    writer w = {0};
    w.out = strcmp(out_path, "-") == 0 ? stdout : tp_out_fopen(out_path, TP_OUT_MODE);
    if (!w.out) {
        perror(out_path);
        return 1;
    }
    w.cap = 1 << 20;
    w.buf = malloc(w.cap);
    w.limit = messages;
    w.ts = 4ull * 3600 * 1000000000ull; /* 04:00, system start */
    tp_rng_seed(&w.rng, seed);
    tp_rng *r = &w.rng;

    uint32_t nsym = (uint32_t)symbols;
    uint8_t(*names)[8] = malloc(sizeof *names * (nsym + 1));
    uint32_t *mid = malloc(sizeof *mid * (nsym + 1));
    live_order *live = malloc(sizeof *live * max_live);
    if (!w.buf || !names || !mid || !live) {
        fputs("tickpath-gen: out of memory\n", stderr);
        return 1;
    }
    uint8_t m[TP_ITCH_MAX_MSG_LEN];

    emit(&w, m, tp_enc_system_event(m, tick(&w, 1000), 'O'));
    emit(&w, m, tp_enc_system_event(m, tick(&w, 1000), 'S'));
    for (uint32_t s = 1; s <= nsym; s++) {
        symbol_name(s - 1, names[s]);
        char z[9];
        memcpy(z, names[s], 8);
        z[8] = '\0';
        /* $2 .. $400 in cents, as 1/10000 USD */
        mid[s] = (200 + tp_rng_below(r, 40000)) * 100;
        emit(&w, m, tp_enc_stock_directory(m, (uint16_t)s, tick(&w, 1000), z));
    }
    for (uint32_t s = 1; s <= nsym; s++) {
        tp_enc_header(m, 'H', (uint16_t)s, 0, tick(&w, 1000));
        memcpy(m + 11, names[s], 8);
        m[19] = 'T';
        m[20] = ' ';
        memcpy(m + 21, "    ", 4);
        emit(&w, m, 25);
    }
    if (preload == UINT64_MAX)
        preload = messages / 20;
    if (preload > max_live)
        preload = max_live;
    uint64_t nlive = 0, next_ref = 1000 + tp_rng_below(r, 1000), match = 1;
    w.ts = 7ull * 3600 * 1000000000ull; /* 07:00 pre-market */
    for (uint64_t k = 0; k < preload && w.written + 4 < w.limit; k++) {
        uint16_t loc = (uint16_t)(1 + tp_rng_below(r, nsym));
        uint8_t side = tp_rng_below(r, 2) ? 'B' : 'S';
        uint32_t maxd = mid[loc] / 100 / 2;
        if (maxd > 400)
            maxd = 400;
        if (maxd < 2)
            maxd = 2;
        uint32_t d = distance(r, maxd) * 100;
        uint32_t price = side == 'B' ? mid[loc] - d : mid[loc] + d;
        uint32_t shares = lot(r);
        next_ref += 1 + tp_rng_below(r, 4);
        emit(&w, m, tp_enc_add(m, loc, tick(&w, 100000), next_ref, side, shares, names[loc],
                               price, NULL));
        live[nlive++] = (live_order){next_ref, price, shares, loc, side};
    }
    w.ts = 34200ull * 1000000000ull; /* 09:30 */
    emit(&w, m, tp_enc_system_event(m, tick(&w, 1000), 'Q'));

    const uint64_t trailer = 3;
    uint64_t body_end = w.limit > w.written + trailer ? w.limit - trailer : w.written;
    uint64_t mean_gap = 23400ull * 1000000000ull / (body_end - w.written + 1);
    if (mean_gap < 1)
        mean_gap = 1;
    if (mean_gap > 1000000000ull)
        mean_gap = 1000000000ull;

    while (w.written < body_end) {
        uint64_t ts = tick(&w, mean_gap);
        uint32_t u = tp_rng_below(r, 1000);
        /* pick the op: adds 415, deletes 445, replaces 50, exec 30, exec-price 5,
         * cancels 20, trades 25, other 10 (per mille) */
        int op;
        if (u < 415) op = 'A';
        else if (u < 860) op = 'D';
        else if (u < 910) op = 'U';
        else if (u < 940) op = 'E';
        else if (u < 945) op = 'C';
        else if (u < 965) op = 'X';
        else if (u < 990) op = 'P';
        else op = '?';
        if (op != 'P' && op != '?') {
            if (op == 'A' && nlive >= max_live)
                op = 'D';
            else if (op != 'A' && nlive == 0)
                op = 'A';
        }
        if (op == 'A') {
            /* skewed symbol activity: low locates are the busy names */
            uint32_t a = tp_rng_below(r, nsym), b2 = tp_rng_below(r, nsym);
            uint16_t loc = (uint16_t)(1 + (a < b2 ? a : b2));
            uint8_t side = tp_rng_below(r, 2) ? 'B' : 'S';
            uint32_t maxd = mid[loc] / 100 / 2; /* keep buy prices > 0 */
            if (maxd > 400)
                maxd = 400;
            if (maxd < 2)
                maxd = 2;
            uint32_t d = distance(r, maxd) * 100;
            uint32_t price = side == 'B' ? mid[loc] - d : mid[loc] + d;
            uint32_t shares = lot(r);
            next_ref += 1 + tp_rng_below(r, 4);
            int mpid = tp_rng_below(r, 11) == 0;
            emit(&w, m, tp_enc_add(m, loc, ts, next_ref, side, shares, names[loc], price,
                                   mpid ? "MPID" : NULL));
            live[nlive++] = (live_order){next_ref, price, shares, loc, side};
            continue;
        }
        if (op == 'P') {
            uint16_t loc = (uint16_t)(1 + tp_rng_below(r, nsym));
            emit(&w, m, tp_enc_trade(m, loc, ts, tp_rng_below(r, 2) ? 'B' : 'S', lot(r),
                                     names[loc], mid[loc], match++));
            continue;
        }
        if (op == '?') {
            static const char other[] = "IYLNhKJOB";
            uint8_t t = (uint8_t)other[tp_rng_below(r, sizeof other - 1)];
            uint16_t loc = (uint16_t)(1 + tp_rng_below(r, nsym));
            tp_enc_header(m, t, t == 'B' ? 0 : loc, 0, ts);
            size_t at = (t == 'L') ? 15 : (t == 'I') ? 28 : 11;
            if (t != 'B')
                memcpy(m + at, names[loc], 8);
            else
                tp_put_be64(m + 11, match > 1 ? match - 1 : 1);
            if (t == 'L')
                memcpy(m + 11, "MPID", 4);
            emit(&w, m, tp_itch_msg_size(t));
            continue;
        }
        /* the rest act on a live order, mostly a recent one */
        uint64_t i;
        if (tp_rng_below(r, 100) < 85) {
            uint64_t win = nlive < 512 ? nlive : 512;
            i = nlive - 1 - tp_rng_below(r, (uint32_t)win);
        } else {
            i = ((uint64_t)tp_rng_below(r, 1u << 31) << 1 ^ tp_rng_below(r, 2)) % nlive;
        }
        live_order *o = &live[i];
        int gone = 0;
        switch (op) {
        case 'D':
            emit(&w, m, tp_enc_delete(m, o->locate, ts, o->ref));
            gone = 1;
            break;
        case 'E':
        case 'C': {
            uint32_t n = tp_rng_below(r, 2) ? o->shares : 1 + tp_rng_below(r, o->shares);
            if (op == 'E')
                emit(&w, m, tp_enc_executed(m, o->locate, ts, o->ref, n, match++));
            else
                emit(&w, m, tp_enc_executed_price(m, o->locate, ts, o->ref, n, match++, 'Y',
                                                  o->price));
            o->shares -= n;
            gone = o->shares == 0;
            break;
        }
        case 'X':
            if (o->shares < 2) {
                emit(&w, m, tp_enc_delete(m, o->locate, ts, o->ref));
                gone = 1;
            } else {
                uint32_t n = 1 + tp_rng_below(r, o->shares - 1);
                emit(&w, m, tp_enc_cancel(m, o->locate, ts, o->ref, n));
                o->shares -= n;
            }
            break;
        case 'U': {
            uint32_t maxd = mid[o->locate] / 100 / 2;
            if (maxd > 400)
                maxd = 400;
            if (maxd < 2)
                maxd = 2;
            uint32_t d = distance(r, maxd) * 100;
            uint32_t price = o->side == 'B' ? mid[o->locate] - d : mid[o->locate] + d;
            uint32_t shares = lot(r);
            next_ref += 1 + tp_rng_below(r, 4);
            emit(&w, m, tp_enc_replace(m, o->locate, ts, o->ref, next_ref, shares, price));
            /* the replacement is a new order: move it to the recent end */
            live_order nw = {next_ref, price, shares, o->locate, o->side};
            *o = live[nlive - 1];
            live[nlive - 1] = nw;
            break;
        }
        default:
            break;
        }
        if (gone)
            live[i] = live[--nlive];
    }
    w.ts = 57600ull * 1000000000ull; /* 16:00 */
    emit(&w, m, tp_enc_system_event(m, tick(&w, 1000), 'M'));
    emit(&w, m, tp_enc_system_event(m, tick(&w, 1000), 'E'));
    emit(&w, m, tp_enc_system_event(m, tick(&w, 1000), 'C'));
    flush(&w);
    if (w.out != stdout && fclose(w.out) != 0) {
        perror(out_path);
        return 1;
    }
    fprintf(stderr, "tickpath-gen: %llu messages, %u symbols, %llu live orders at the end\n",
            (unsigned long long)w.written, nsym, (unsigned long long)nlive);
    free(live);
    free(mid);
    free(names);
    free(w.buf);
    return 0;
}
