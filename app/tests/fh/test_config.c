/* key=value configuration: file parsing, overrides, and clear errors for bad input. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fh/config.h"
#include "shm/layout.h"
#include "test_util.h"

int main(void)
{
    tp_fh_config c;
    char err[512];
    tp_fh_config_defaults(&c);
    CHECK(tp_fh_config_check(&c, err, sizeof err) == -1); /* no line */
    char path[] = "/tmp/tpfh-cfg-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("# comment\n\ntransport = afxdp\nline.a.iface=feed-a\nline.a.group=239.100.1.1\n"
          "line.a.port=26400\n  mode=pipeline  \ncpu.rx=1\nrerequest.addr=198.18.1.1\n"
          "rerequest.port=26500\nsession=TEST\n",
          f);
    fclose(f);
    CHECK_EQ(tp_fh_config_load(&c, path, err, sizeof err), 0);
    CHECK_EQ(c.transport, TP_TR_AFXDP);
    CHECK_EQ(c.line[0].port, 26400);
    CHECK_EQ(c.pipeline, 1);
    CHECK_EQ(c.cpu_rx, 1);
    CHECK(!strcmp(c.session, "TEST"));
    CHECK_EQ(tp_fh_config_check(&c, err, sizeof err), 0);
    CHECK_EQ(tp_fh_config_set_kv(&c, "transport=kernel-blocking", err, sizeof err), 0);
    CHECK_EQ(c.transport, TP_TR_KERNEL_BLOCKING);
    CHECK_EQ(c.feed_snapshot, 0);
    CHECK_EQ(tp_fh_config_set_kv(&c, "feed.format=snapshot", err, sizeof err), 0);
    CHECK_EQ(c.feed_snapshot, 1);
    CHECK_EQ(tp_fh_config_set_kv(&c, "feed.format=itch", err, sizeof err), 0);
    CHECK_EQ(c.feed_snapshot, 0);
    /* bad values */
    const char *bad[] = {
        "transport=tcp", "line.a.group=10.0.0.1", "line.a.port=0", "line.a.port=70000",
        "ring.size=1000", "mode=fast", "nokey=1", "session=ELEVENCHARSX", "cpu.rx=x",
        "rt_priority=100", "afxdp.mode=turbo", "expect_end_of_session=maybe", "novalue",
        "line.c.iface=x", "duration_s=-1", "format=2", "program=gw", "ring.slot_size=128",
        "line.a.source=239.1.1.1", "line.a.source=nowhere", "shm.hugepages=2",
        "feed.format=fast", "feed.format=",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = 0;
        CHECK_EQ(tp_fh_config_set_kv(&c, bad[i], err, sizeof err), -1);
        CHECK(err[0] != 0);
    }
    /* keys written by `tickpath config render` */
    const char *rendered[] = {
        "format=1", "program=fh", "ring.slot_size=64", "line.a.source=198.18.1.1",
        "shm.hugepages=0", "onload.profile=lowlat",
    };
    for (size_t i = 0; i < sizeof rendered / sizeof rendered[0]; i++)
        CHECK_EQ(tp_fh_config_set_kv(&c, rendered[i], err, sizeof err), 0);
    CHECK_EQ(ntohl(c.line[0].source.s_addr), 0xC6120101u);
    CHECK_EQ(c.shm_hugepages, 0);
    CHECK(!strcmp(c.onload_profile, "lowlat"));
    /* the profile roles/onload installs, by path (the schema allows up to 255 characters) */
    char kv[300], want[256];
    memset(want, 'x', sizeof want - 1);
    want[sizeof want - 1] = 0;
    memcpy(want, "/etc/tickpath/onload/", 21);
    memcpy(want + sizeof want - 5, ".opf", 5);
    snprintf(kv, sizeof kv, "onload.profile=%s", want);
    CHECK_EQ(tp_fh_config_set_kv(&c, kv, err, sizeof err), 0);
    CHECK(!strcmp(c.onload_profile, want));
    snprintf(kv, sizeof kv, "onload.profile=/%s", want); /* 256 characters: too long */
    CHECK_EQ(tp_fh_config_set_kv(&c, kv, err, sizeof err), -1);
    CHECK(strstr(err, "longer than 255") != NULL);
    CHECK_EQ(tp_fh_config_set_kv(&c, "line.a.source=", err, sizeof err), 0);
    CHECK_EQ(c.line[0].source.s_addr, 0u);
    /* a bad file line is reported with its number */
    f = fopen(path, "w");
    fputs("transport=kernel\nbogus=1\n", f);
    fclose(f);
    CHECK_EQ(tp_fh_config_load(&c, path, err, sizeof err), -1);
    CHECK(strstr(err, ":2:") != NULL);
    /* the shared reader's rules (common/kvfile.h): a key twice is refused with both lines, and
     * a refused file changes nothing */
    tp_fh_config before = c;
    f = fopen(path, "w");
    fputs("transport=afxdp\n# transport=dpdk\ntransport = kernel-blocking\n", f);
    fclose(f);
    CHECK_EQ(tp_fh_config_load(&c, path, err, sizeof err), -1);
    CHECK(strstr(err, ":3: duplicate key 'transport' (first set on line 1)") != NULL);
    CHECK(!memcmp(&c, &before, sizeof c));
    /* a '#' inside a value is the value's (only whole lines are comments here) */
    f = fopen(path, "w");
    fputs("stats_json=/tmp/a#b\r\n", f);
    fclose(f);
    CHECK_EQ(tp_fh_config_load(&c, path, err, sizeof err), 0);
    CHECK(!strcmp(c.stats_json, "/tmp/a#b"));
    unlink(path);
    CHECK_EQ(tp_fh_config_load(&c, "/nonexistent/x.conf", err, sizeof err), -1);
    /* a line with only some keys */
    tp_fh_config d;
    tp_fh_config_defaults(&d);
    tp_fh_config_set_kv(&d, "line.b.iface=feed-b", err, sizeof err);
    CHECK_EQ(tp_fh_config_check(&d, err, sizeof err), -1);
    TEST_DONE();
}
