/* Writes the small seed corpora (app/fuzz/corpus/<target>/): for the decoder, every message type
 * at its size (type_*), one byte short (short_*) and with trailing bytes (long_*), unknown types
 * and length-prefixed streams; short BinaryFILE streams for the framing and book targets. Run once:
 *   cc -Iapp/src app/fuzz/make_corpus.c app/src/itch/decode.c -o /tmp/mk && /tmp/mk app/fuzz/corpus */
#include <stdio.h>
#include <string.h>

#include "itch/encode.h"

static void write_file(const char *dir, const char *target, const char *name, const uint8_t *p,
                       size_t n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s/%s", dir, target, name);
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        return;
    }
    fwrite(p, 1, n, f);
    fclose(f);
}

static size_t frame(uint8_t *out, const uint8_t *m, size_t n)
{
    tp_put_be16(out, (uint16_t)n);
    memcpy(out + 2, m, n);
    return n + 2;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "corpus";
    static const char types[] = "SRHYLVWKJhAFECXDUPQBINO";
    uint8_t m[64];
    uint8_t s[2048];
    size_t n = 0;
    for (const char *t = types; *t; t++) {
        const size_t size = tp_itch_msg_size((uint8_t)*t);
        tp_enc_header(m, (uint8_t)*t, 0x0102, 0x0304, 0x050607080910ull);
        /* every body byte different, so a field read from the wrong offset shows */
        for (size_t i = 11; i < sizeof m; i++)
            m[i] = (uint8_t)(0x20 + i * 3);
        const char *lc = (*t >= 'a') ? "_lc" : ""; /* 'h' and 'H' on a case-insensitive fs */
        char name[32];
        snprintf(name, sizeof name, "type_%c%s", *t, lc);
        write_file(dir, "fuzz_itch_decode", name, m, size);
        snprintf(name, sizeof name, "short_%c%s", *t, lc);
        write_file(dir, "fuzz_itch_decode", name, m, size - 1);
        snprintf(name, sizeof name, "long_%c%s", *t, lc);
        write_file(dir, "fuzz_itch_decode", name, m, size + 6);
        n += frame(s + n, m, size);
    }
    /* the stream seed: all 23 types above, then a long record, a short one, a zero-length one,
     * an unknown type, and a record whose length runs past the end */
    n += frame(s + n, m, tp_itch_msg_size('O') + 6);
    n += frame(s + n, m, tp_itch_msg_size('O') - 1);
    n += frame(s + n, m, 0);
    m[0] = 'Z';
    n += frame(s + n, m, 20);
    m[0] = 'P';
    tp_put_be16(s + n, 44);
    memcpy(s + n + 2, m, 10);
    n += 12;
    write_file(dir, "fuzz_itch_decode", "stream", s, n);
    for (unsigned u = 0; u < 3; u++) {
        static const uint8_t unknown[3] = {'Z', 0x00, 0xff};
        m[0] = unknown[u];
        char name[32];
        snprintf(name, sizeof name, "unknown_%02x", unknown[u]);
        write_file(dir, "fuzz_itch_decode", name, m, TP_ITCH_MAX_MSG_LEN);
    }
    n = 0;
    const uint8_t stock[8] = {'A', 'B', 'C', ' ', ' ', ' ', ' ', ' '};
    n += frame(s + n, m, tp_enc_stock_directory(m, 1, 1, "ABC"));
    n += frame(s + n, m, tp_enc_add(m, 1, 2, 10, 'B', 100, stock, 10000, NULL));
    n += frame(s + n, m, tp_enc_add(m, 1, 3, 11, 'B', 200, stock, 10000, NULL));
    n += frame(s + n, m, tp_enc_add(m, 1, 4, 12, 'S', 300, stock, 10100, "MPID"));
    n += frame(s + n, m, tp_enc_executed(m, 1, 5, 10, 50, 1));
    n += frame(s + n, m, tp_enc_executed_price(m, 1, 6, 11, 20, 2, 'Y', 10000));
    n += frame(s + n, m, tp_enc_cancel(m, 1, 7, 12, 100));
    n += frame(s + n, m, tp_enc_replace(m, 1, 8, 11, 13, 400, 9900));
    n += frame(s + n, m, tp_enc_delete(m, 1, 9, 10));
    n += frame(s + n, m, tp_enc_trade(m, 1, 10, 'B', 100, stock, 10050, 3));
    n += frame(s + n, m, tp_enc_system_event(m, 11, 'C'));
    write_file(dir, "fuzz_book", "day", s, n);
    write_file(dir, "fuzz_binaryfile", "day", s, n);
    write_file(dir, "fuzz_binaryfile", "truncated", s, n - 5);
    uint8_t odd[] = {0, 0, 0, 1, 'Z', 0, 3, 'A', 0, 0};
    write_file(dir, "fuzz_binaryfile", "odd", odd, sizeof odd);
    write_file(dir, "fuzz_book", "odd", odd, sizeof odd);
    return 0;
}
