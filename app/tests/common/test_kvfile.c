/* The shared key=value reader (common/kvfile.h) and the key table on top of it
 * (common/kvconf.h): what a file may hold, and the FILE:LINE of everything it may not. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../check.h"
#include "common/kvconf.h"
#include "common/kvfile.h"

/* what the callback saw */
typedef struct {
    int n;
    char key[16][64];
    char value[16][5000];
    unsigned line[16];
    const char *refuse; /* a key the callback refuses, like an unknown key */
} seen;

static int record(void *ctx, const char *key, const char *value, unsigned line, char *err,
                  size_t errlen)
{
    seen *s = ctx;
    if (s->refuse && !strcmp(key, s->refuse)) {
        snprintf(err, errlen, "unknown key '%s'", key);
        return -1;
    }
    if (s->n < 16) {
        snprintf(s->key[s->n], sizeof s->key[0], "%s", key);
        snprintf(s->value[s->n], sizeof s->value[0], "%s", value);
        s->line[s->n] = line;
    }
    s->n++;
    return 0;
}

static char g_err[600];
static seen g_seen;

/* parse len bytes of data (NULs included) as file "t.conf" */
static int parse(const char *data, size_t len, unsigned flags)
{
    memset(&g_seen, 0, sizeof g_seen);
    g_err[0] = 0;
    return tp_kvfile_parse("t.conf", data, len, flags, record, &g_seen, g_err, sizeof g_err);
}

static int parse_s(const char *text, unsigned flags)
{
    return parse(text, strlen(text), flags);
}

static char g_path[] = "/tmp/tp-kvfile-XXXXXX";

static void write_file(const char *data, size_t len)
{
    FILE *f = fopen(g_path, "wb");
    CHECK(f != NULL);
    if (!f)
        exit(1);
    CHECK_EQ(fwrite(data, 1, len, f), len);
    fclose(f);
}

/* '#' followed by n-1 x: a comment line of n bytes (no line end) */
static char *comment_line(size_t n)
{
    char *s = malloc(n + 1);
    memset(s, 'x', n);
    s[0] = '#';
    s[n] = 0;
    return s;
}

static void long_lines(void)
{
    char buf[12000];
    /* the reported case: a 511-character comment line's tail became a live setting */
    for (unsigned flags = 0; flags <= TP_KVFILE_INLINE_COMMENTS; flags++) {
        char *c = comment_line(511);
        snprintf(buf, sizeof buf, "%souch=127.0.0.1:31337\nouch.port=1\n", c);
        CHECK_EQ(parse_s(buf, flags), 0);
        CHECK_EQ(g_seen.n, 1);
        CHECK(!strcmp(g_seen.key[0], "ouch.port"));
        CHECK_EQ(g_seen.line[0], 2);
        free(c);
    }
    /* a comment of exactly the limit is a comment; one byte more is an error on its line */
    char *c = comment_line(TP_KVFILE_MAX_LINE);
    snprintf(buf, sizeof buf, "a=1\n%s\nb=2\n", c);
    CHECK_EQ(parse_s(buf, 0), 0);
    CHECK_EQ(g_seen.n, 2);
    CHECK_EQ(g_seen.line[1], 3);
    free(c);
    c = comment_line(TP_KVFILE_MAX_LINE + 1);
    snprintf(buf, sizeof buf, "a=1\n%sb=2\nc=3\n", c);
    CHECK_EQ(parse_s(buf, TP_KVFILE_INLINE_COMMENTS), -1);
    CHECK(strstr(g_err, "t.conf:2: line longer than 4096 bytes") != NULL);
    CHECK_EQ(g_seen.n, 1); /* nothing after the long line was applied */
    free(c);
    /* a long value arrives whole, and is refused whole when over the limit */
    char val[5000];
    memset(val, 'v', sizeof val);
    val[600] = 0;
    snprintf(buf, sizeof buf, "k=%s\n", val);
    CHECK_EQ(parse_s(buf, 0), 0);
    CHECK_EQ(strlen(g_seen.value[0]), 600);
    val[600] = 'v';
    val[TP_KVFILE_MAX_LINE - 2] = 0; /* "k=" + value = exactly the limit */
    snprintf(buf, sizeof buf, "k=%s\r\n", val); /* the CR is the line end, not the line */
    CHECK_EQ(parse_s(buf, 0), 0);
    CHECK_EQ(strlen(g_seen.value[0]), TP_KVFILE_MAX_LINE - 2);
    val[TP_KVFILE_MAX_LINE - 2] = 'v';
    val[TP_KVFILE_MAX_LINE - 1] = 0;
    snprintf(buf, sizeof buf, "# x\nk=%s\n", val);
    CHECK_EQ(parse_s(buf, 0), -1);
    CHECK(strstr(g_err, "t.conf:2: line longer than 4096 bytes (4097)") != NULL);
    CHECK_EQ(g_seen.n, 0);
    /* the last line without a line end counts the same */
    snprintf(buf, sizeof buf, "a=1\nk=%s", val);
    CHECK_EQ(parse_s(buf, 0), -1);
    CHECK(strstr(g_err, "t.conf:2: line longer") != NULL);
}

static void line_numbers(void)
{
    /* after long lines (a long comment, a long value), blank lines and CRLF, still exact */
    char buf[12000];
    char *c = comment_line(1500);
    char val[3001];
    memset(val, 'v', 3000);
    val[3000] = 0;
    snprintf(buf, sizeof buf, "%s\nk=%s\n\n\r\n  # indented comment\na = 1\r\nnovalue\nz=9\n", c,
             val);
    free(c);
    CHECK_EQ(parse_s(buf, 0), -1);
    CHECK(strstr(g_err, "t.conf:7: 'novalue' is not key=value") != NULL);
    CHECK_EQ(g_seen.n, 2);
    CHECK_EQ(g_seen.line[0], 2);
    CHECK_EQ(g_seen.line[1], 6);
    CHECK(!strcmp(g_seen.key[1], "a") && !strcmp(g_seen.value[1], "1"));
    /* the callback's refusal is reported on its line, and stops the reading */
    memset(&g_seen, 0, sizeof g_seen);
    g_seen.refuse = "bogus";
    static const char refused[] = "a=1\n\nbogus=2\nc=3\n";
    CHECK_EQ(tp_kvfile_parse("t.conf", refused, sizeof refused - 1, 0, record, &g_seen, g_err,
                             sizeof g_err),
             -1);
    CHECK(!strcmp(g_err, "t.conf:3: unknown key 'bogus'"));
    CHECK_EQ(g_seen.n, 1);
}

static void nul_bytes(void)
{
    /* the reported case: a NUL cut the value ("123") */
    static const char nul[] = "a=1\nouch.port=123\0junk\nb=2\n";
    CHECK_EQ(parse(nul, sizeof nul - 1, TP_KVFILE_INLINE_COMMENTS), -1);
    CHECK(!strcmp(g_err, "t.conf:2: NUL byte (column 14)"));
    CHECK_EQ(g_seen.n, 1);
    /* in a comment, and at the very end of a file without a line end: still refused */
    static const char in_comment[] = "# note\0\na=1\n";
    CHECK_EQ(parse(in_comment, sizeof in_comment - 1, 0), -1);
    CHECK(strstr(g_err, "t.conf:1: NUL byte") != NULL);
    CHECK_EQ(parse("a=1\nb=2\0", 8, 0), -1);
    CHECK(strstr(g_err, "t.conf:2: NUL byte (column 4)") != NULL);
}

static void duplicates(void)
{
    CHECK_EQ(parse_s("a=1\nb=2\n# a=0\n a = 3\n", 0), -1);
    CHECK(!strcmp(g_err, "t.conf:4: duplicate key 'a' (first set on line 1)"));
    CHECK_EQ(g_seen.n, 2);
    /* the same value twice is still a duplicate; a key commented out is not one */
    CHECK_EQ(parse_s("a=1\na=1\n", 0), -1);
    CHECK(strstr(g_err, ":2: duplicate key 'a' (first set on line 1)") != NULL);
    CHECK_EQ(parse_s("#a=1\na=1\n", TP_KVFILE_INLINE_COMMENTS), 0);
    /* many keys (the seen-set grows): none is mistaken for another, the repeat is found */
    static char big[64 * 1024];
    size_t n = 0;
    for (int i = 0; i < 3000; i++)
        n += (size_t)snprintf(big + n, sizeof big - n, "key.%d=%d\n", i, i);
    memset(&g_seen, 0, sizeof g_seen);
    CHECK_EQ(tp_kvfile_parse("t.conf", big, n, 0, record, &g_seen, g_err, sizeof g_err), 0);
    CHECK_EQ(g_seen.n, 3000);
    n += (size_t)snprintf(big + n, sizeof big - n, "key.1234=x\n");
    CHECK_EQ(parse(big, n, 0), -1);
    CHECK(!strcmp(g_err, "t.conf:3001: duplicate key 'key.1234' (first set on line 1235)"));
}

static void crlf_and_shape(void)
{
    CHECK_EQ(parse_s("a=1\r\n\r\n# c\r\nb = x y \r\n", 0), 0);
    CHECK_EQ(g_seen.n, 2);
    CHECK(!strcmp(g_seen.value[0], "1"));
    CHECK(!strcmp(g_seen.value[1], "x y"));
    CHECK_EQ(g_seen.line[1], 4);
    /* a carriage return that does not end the line is not a line end */
    CHECK_EQ(parse_s("a=1\rb=2\n", 0), -1);
    CHECK(!strcmp(g_err, "t.conf:1: carriage return inside the line (column 4)"));
    /* missing '=', empty key */
    CHECK_EQ(parse_s("a=1\n  just words  \n", 0), -1);
    CHECK(!strcmp(g_err, "t.conf:2: 'just words' is not key=value"));
    CHECK_EQ(parse_s("a=1\n = 2\n", 0), -1);
    CHECK(!strcmp(g_err, "t.conf:2: empty key before '='"));
    /* values: empty, holding '=', holding '#' (kept unless inline comments) */
    CHECK_EQ(parse_s("a=\nb=--vdev=x,iface=y\nc=v # note\nd=#\n", 0), 0);
    CHECK_EQ(g_seen.n, 4);
    CHECK(!strcmp(g_seen.value[0], ""));
    CHECK(!strcmp(g_seen.value[1], "--vdev=x,iface=y"));
    CHECK(!strcmp(g_seen.value[2], "v # note"));
    CHECK(!strcmp(g_seen.value[3], "#"));
    CHECK_EQ(parse_s("c=v # note\nd=#\n", TP_KVFILE_INLINE_COMMENTS), 0);
    CHECK(!strcmp(g_seen.value[0], "v"));
    CHECK(!strcmp(g_seen.value[1], ""));
    /* empty file, last line without a line end */
    CHECK_EQ(parse("", 0, 0), 0);
    CHECK_EQ(g_seen.n, 0);
    CHECK_EQ(parse_s("a=1\nb=2", 0), 0);
    CHECK_EQ(g_seen.n, 2);
    CHECK(!strcmp(g_seen.value[1], "2"));
}

static void files(void)
{
    int fd = mkstemp(g_path);
    CHECK(fd >= 0);
    close(fd);
    static const char nul[] = "# ok\nouch.port=123\0junk\n";
    write_file(nul, sizeof nul - 1);
    memset(&g_seen, 0, sizeof g_seen);
    CHECK_EQ(tp_kvfile_load(g_path, 0, record, &g_seen, g_err, sizeof g_err), -1);
    char want[128];
    snprintf(want, sizeof want, "%s:2: NUL byte (column 14)", g_path);
    CHECK(!strcmp(g_err, want));
    /* exactly the size limit is read; one byte more is refused before any line is looked at */
    size_t max = TP_KVFILE_MAX_BYTES;
    char *big = malloc(max + 1);
    for (size_t i = 0; i < max; i += 1024) {
        memset(big + i, ' ', 1024);
        big[i] = '#';
        big[i + 1023] = '\n';
    }
    memcpy(big + max - 8, "\nlast=1\n", 8);
    write_file(big, max);
    memset(&g_seen, 0, sizeof g_seen);
    CHECK_EQ(tp_kvfile_load(g_path, 0, record, &g_seen, g_err, sizeof g_err), 0);
    CHECK_EQ(g_seen.n, 1);
    CHECK_EQ(g_seen.line[0], max / 1024 + 1);
    big[max] = '\n';
    write_file(big, max + 1);
    memset(&g_seen, 0, sizeof g_seen);
    CHECK_EQ(tp_kvfile_load(g_path, 0, record, &g_seen, g_err, sizeof g_err), -1);
    snprintf(want, sizeof want, "%s: larger than 1048576 bytes", g_path);
    CHECK(!strcmp(g_err, want));
    CHECK_EQ(g_seen.n, 0);
    CHECK_EQ(parse(big, max + 1, 0), -1);
    CHECK(!strcmp(g_err, "t.conf: larger than 1048576 bytes"));
    free(big);
    CHECK_EQ(tp_kvfile_load("/nonexistent/x.conf", 0, record, &g_seen, g_err, sizeof g_err),
             -1);
    CHECK(!strcmp(g_err, "/nonexistent/x.conf: No such file or directory"));
}

static void set_args(void)
{
    memset(&g_seen, 0, sizeof g_seen);
    CHECK_EQ(tp_kvfile_set_arg("  a = 1 # not a comment ", record, &g_seen, g_err, sizeof g_err),
             0);
    CHECK(!strcmp(g_seen.value[0], "1 # not a comment"));
    CHECK_EQ(g_seen.line[0], 0);
    CHECK_EQ(tp_kvfile_set_arg("#x=1", record, &g_seen, g_err, sizeof g_err), 0);
    CHECK(!strcmp(g_seen.key[1], "#x")); /* taken as given: the program says "unknown key" */
    CHECK_EQ(tp_kvfile_set_arg("novalue", record, &g_seen, g_err, sizeof g_err), -1);
    CHECK(!strcmp(g_err, "'novalue' is not key=value"));
    CHECK_EQ(tp_kvfile_set_arg("=1", record, &g_seen, g_err, sizeof g_err), -1);
    CHECK(!strcmp(g_err, "empty key before '='"));
    CHECK_EQ(tp_kvfile_set_arg("a=1\nb=2", record, &g_seen, g_err, sizeof g_err), -1);
    CHECK(strstr(g_err, "a line end inside the setting") != NULL);
    char *c = comment_line(TP_KVFILE_MAX_LINE + 1);
    c[0] = 'k';
    c[1] = '=';
    CHECK_EQ(tp_kvfile_set_arg(c, record, &g_seen, g_err, sizeof g_err), -1);
    CHECK(!strcmp(g_err, "setting longer than 4096 bytes"));
    free(c);
    CHECK_EQ(g_seen.n, 2);
}

/* the key table of gw / strategy / sim on top of the reader */
static void table(void)
{
    static const tp_kv_key keys[] = {
        {"ouch", "", ""}, {"ouch.port", "26600", ""}, {"stats_json", "", ""},
    };
    static tp_kvconf c;
    tp_kv_init(&c, keys, 3);
    char err[600];
    char *cm = comment_line(600);
    char buf[2048];
    snprintf(buf, sizeof buf, "%souch=127.0.0.1:31337\nouch.port = 1000 # inline\n", cm);
    free(cm);
    write_file(buf, strlen(buf));
    CHECK_EQ(tp_kv_load(&c, g_path, err, sizeof err), 0);
    CHECK(!strcmp(tp_kv_str(&c, "ouch"), ""));
    CHECK(!strcmp(tp_kv_str(&c, "ouch.port"), "1000"));
    /* --set after the file overrides it (not a duplicate), later --set wins */
    CHECK_EQ(tp_kv_set_kv(&c, "ouch.port=2000", err, sizeof err), 0);
    CHECK_EQ(tp_kv_set_kv(&c, "ouch.port=3000", err, sizeof err), 0);
    CHECK(!strcmp(tp_kv_str(&c, "ouch.port"), "3000"));
    CHECK_EQ(tp_kv_set_kv(&c, "nokey=1", err, sizeof err), -1);
    CHECK(!strcmp(err, "unknown key 'nokey'"));
    /* a refused file changes nothing, whatever line it fails on */
#define BAD(text, why) {text, sizeof text - 1, why}
    static const struct {
        const char *data;
        size_t len;
        const char *err;
    } bad[] = {
        BAD("ouch.port=1\nstats_json=/x\nouch.port=2\n",
            ":3: duplicate key 'ouch.port' (first set on line 1)"),
        BAD("stats_json=/x\nnokey=1\n", ":2: unknown key 'nokey'"),
        BAD("stats_json=/x\nouch.port=1\0\n", ":2: NUL byte (column 12)"),
    };
#undef BAD
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_file(bad[i].data, bad[i].len);
        CHECK_EQ(tp_kv_load(&c, g_path, err, sizeof err), -1);
        CHECK(strstr(err, bad[i].err) != NULL);
        CHECK(!strcmp(tp_kv_str(&c, "ouch.port"), "3000"));
        CHECK(!strcmp(tp_kv_str(&c, "stats_json"), ""));
    }
    /* a second file overrides the first, like --set */
    write_file("stats_json=/y\n", 14);
    CHECK_EQ(tp_kv_load(&c, g_path, err, sizeof err), 0);
    CHECK_EQ(tp_kv_load(&c, g_path, err, sizeof err), 0);
    CHECK(!strcmp(tp_kv_str(&c, "stats_json"), "/y"));
}

int main(void)
{
    long_lines();
    line_numbers();
    nul_bytes();
    duplicates();
    crlf_and_shape();
    files();
    set_args();
    table();
    unlink(g_path);
    return tp_test_done("test_kvfile");
}
