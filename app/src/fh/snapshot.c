/* Snapshot client for late join and mid-session resynchronisation (SNAPSHOT.md): connect, log in, apply the SoupBinTCP-framed
 * ITCH messages of the current book to the (empty) book, and resume the live feed at the
 * sequence the final 'G' message names. Non-blocking: tp_engine_poll() drives it while the
 * live packets keep being buffered in the reorder window. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/endian.h"
#include "fh/engine.h"

#define SNAP_TIMEOUT_NS (30ull * 1000000000ull)

static void snap_fail(tp_engine *e, const char *why)
{
    tp_snapshot_client *s = e->snap;
    char msg[201];
    snprintf(msg, sizeof msg, "%.200s", why);
    snprintf(e->last_error, sizeof e->last_error, "snapshot: %s", msg);
    fprintf(stderr, "tickpath-fh: snapshot failed (%s); recovering by re-request from 1\n", msg);
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
    s->state = SNAP_FAILED;
    e->snap_failed = 1;
    tp_engine_snapshot_failed(e, tp_mono_ns());
    tp_book_clear(e->book);
    tp_seq_start_at(&e->seq, 1);
}

void tp_snapshot_abort(tp_engine *e)
{
    tp_snapshot_client *s = e->snap;
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
    s->have = 0;
    s->state = SNAP_IDLE;
}

int tp_snapshot_start(tp_engine *e, uint64_t now)
{
    tp_snapshot_client *s = e->snap;
    s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (s->fd < 0)
        return -1;
    s->have = 0;
    s->msgs = 0;
    s->started_ns = now;
    tp_book_clear(e->book);
    if (connect(s->fd, (struct sockaddr *)&e->snap_addr, sizeof e->snap_addr) != 0 &&
        errno != EINPROGRESS) {
        close(s->fd);
        s->fd = -1;
        return -1;
    }
    s->state = SNAP_CONNECTING;
    return 0;
}

static int send_login(tp_engine *e)
{
    uint8_t p[2 + 1 + 46];
    tp_put_be16(p, 47);
    p[2] = 'L';
    memset(p + 3, ' ', 46);
    memcpy(p + 3 + 16, e->guard.session, TP_MOLD_SESSION_LEN);
    p[3 + 46 - 1] = '0'; /* requested sequence: 0 = the current state */
    return send(e->snap->fd, p, sizeof p, MSG_NOSIGNAL) == (ssize_t)sizeof p ? 0 : -1;
}

/* Returns 1 when the snapshot ended (resume set), -1 on a protocol error, 0 for more. */
static int frame(tp_engine *e, uint8_t type, const uint8_t *pl, size_t n)
{
    switch (type) {
    case 'A':
    case 'H':
    case '+':
        return 0;
    case 'J':
        snprintf(e->last_error, sizeof e->last_error, "login rejected");
        return -1;
    case 'Z':
        snprintf(e->last_error, sizeof e->last_error, "end of session before 'G'");
        return -1;
    case 'S':
        if (n >= 1 && pl[0] == 'G') {
            if (n < 21)
                return -1;
            char num[21];
            memcpy(num, pl + 1, 20);
            num[20] = 0;
            char *end;
            unsigned long long v = strtoull(num, &end, 10);
            if (!v)
                return -1;
            e->snap_resume = v;
            return 1;
        }
        if (n) {
            e->cur_seq = 0;
            tp_apply_status st = tp_book_apply(e->book, pl, n);
            if (st >= TP_APPLY_ERRORS)
                e->ctr->book_errors++;
            e->snap->msgs++;
            e->ctr->snapshot_msgs++;
        }
        return 0;
    default:
        return 0; /* unknown packet types are skipped by their length */
    }
}

void tp_snapshot_poll(tp_engine *e, uint64_t now)
{
    tp_snapshot_client *s = e->snap;
    if (now - s->started_ns > SNAP_TIMEOUT_NS) {
        snap_fail(e, "timeout");
        return;
    }
    if (s->state == SNAP_CONNECTING) {
        struct pollfd pfd = {.fd = s->fd, .events = POLLOUT};
        if (poll(&pfd, 1, 0) <= 0)
            return;
        int soerr = 0;
        socklen_t sl = sizeof soerr;
        getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
        if (soerr) {
            snap_fail(e, strerror(soerr));
            return;
        }
        if (send_login(e) != 0) {
            snap_fail(e, "login send failed");
            return;
        }
        s->state = SNAP_RECEIVING;
    }
    for (int rounds = 0; rounds < 16; rounds++) {
        ssize_t n = recv(s->fd, s->buf + s->have, sizeof s->buf - s->have, MSG_DONTWAIT);
        if (n == 0) {
            snap_fail(e, "server closed before 'G'");
            return;
        }
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                snap_fail(e, strerror(errno));
            return;
        }
        s->have += (uint32_t)n;
        uint32_t off = 0;
        while (s->have - off >= 3) {
            uint16_t fl = tp_be16(s->buf + off);
            if (fl == 0) {
                snap_fail(e, "zero-length SoupBinTCP packet");
                return;
            }
            if (s->have - off - 2 < fl)
                break;
            int r = frame(e, s->buf[off + 2], s->buf + off + 3, (size_t)fl - 1);
            off += 2u + fl;
            if (r < 0) {
                snap_fail(e, e->last_error[0] ? e->last_error : "bad snapshot message");
                return;
            }
            if (r == 1) {
                close(s->fd);
                s->fd = -1;
                s->state = SNAP_IDLE;
                e->ctr->snapshots++;
                e->ctr->packets[TP_LINE_SNAPSHOT] += s->msgs;
                tp_engine_snapshot_done(e);
                tp_seq_start_at(&e->seq, e->snap_resume);
                return;
            }
        }
        memmove(s->buf, s->buf + off, s->have - off);
        s->have -= off;
    }
}
