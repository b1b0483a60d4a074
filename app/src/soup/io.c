/* Non-blocking SoupBinTCP connection buffers. */
#include "soup/io.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/endian.h"
#include "soup/rtclock.h"

int tp_soup_io_init(tp_soup_io *io, size_t rx_cap, size_t tx_cap, size_t max_payload)
{
    memset(io, 0, sizeof *io);
    io->fd = -1;
    io->max_payload = max_payload ? max_payload : TP_SOUP_MAX_PAYLOAD_DEFAULT;
    if (rx_cap < io->max_payload + 3)
        rx_cap = io->max_payload + 3;
    io->rx = malloc(rx_cap);
    io->tx = malloc(tx_cap);
    if (!io->rx || !io->tx) {
        tp_soup_io_free(io);
        return -1;
    }
    memset(io->rx, 0, rx_cap); /* pre-fault */
    memset(io->tx, 0, tx_cap);
    io->rx_cap = rx_cap;
    io->tx_cap = tx_cap;
    return 0;
}

void tp_soup_io_free(tp_soup_io *io)
{
    tp_soup_io_close(io);
    free(io->rx);
    free(io->tx);
    io->rx = io->tx = NULL;
}

void tp_soup_io_attach(tp_soup_io *io, int fd, uint64_t now)
{
    int one = 1;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    io->fd = fd;
    io->rx_off = io->rx_len = io->tx_off = io->tx_len = 0;
    io->corked = 0;
    io->rx_stamps = 0;
    io->rx_kernel_ns = 0;
    io->last_rx_ns = io->last_tx_ns = now;
}

int tp_soup_io_rx_stamps(tp_soup_io *io)
{
    int one = 1;
    if (io->fd < 0 || setsockopt(io->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) != 0)
        return -1;
    io->rx_stamps = 1;
    return 0;
}

/* recv() that also returns the kernel's receive stamp of the newest segment read. */
static ssize_t recv_stamped(tp_soup_io *io, void *buf, size_t len, uint64_t *stamp_ns)
{
    union {
        char buf[CMSG_SPACE(sizeof(struct timespec))];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = {.iov_base = buf, .iov_len = len};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
                        .msg_controllen = sizeof ctl.buf};
    ssize_t n = recvmsg(io->fd, &mh, 0);
    *stamp_ns = 0;
    if (n <= 0)
        return n;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
            struct timespec ts;
            memcpy(&ts, CMSG_DATA(c), sizeof ts);
            *stamp_ns = tp_rt_ns(&ts);
        }
    return n;
}

void tp_soup_io_close(tp_soup_io *io)
{
    if (io->fd >= 0)
        close(io->fd);
    io->fd = -1;
    io->rx_off = io->rx_len = io->tx_off = io->tx_len = 0;
    io->corked = 0;
}

long tp_soup_io_read(tp_soup_io *io)
{
    if (io->fd < 0)
        return -1;
    if (io->rx_off && io->rx_off == io->rx_len)
        io->rx_off = io->rx_len = 0;
    if (io->rx_cap - io->rx_len < io->max_payload + 3 && io->rx_off) {
        memmove(io->rx, io->rx + io->rx_off, io->rx_len - io->rx_off);
        io->rx_len -= io->rx_off;
        io->rx_off = 0;
    }
    size_t room = io->rx_cap - io->rx_len;
    if (room == 0)
        return 0;
    uint64_t kernel_ns = 0;
    ssize_t n = io->rx_stamps ? recv_stamped(io, io->rx + io->rx_len, room, &kernel_ns)
                              : recv(io->fd, io->rx + io->rx_len, room, 0);
    if (n > 0) {
        io->rx_ns = tp_rt_now_ns();
        io->rx_kernel_ns = kernel_ns;
        io->last_rx_ns = io->rx_ns;
        io->rx_len += (size_t)n;
        io->bytes_rx += (uint64_t)n;
        return n;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return 0;
    return -1;
}

int tp_soup_io_next(tp_soup_io *io, tp_soup_pkt *pkt)
{
    size_t used;
    tp_soup_status s = tp_soup_parse(io->rx + io->rx_off, io->rx_len - io->rx_off,
                                     io->max_payload, pkt, &used);
    if (s == TP_SOUP_OK) {
        io->rx_off += used;
        return 1;
    }
    if (s == TP_SOUP_MORE)
        return 0;
    io->framing_errors++;
    return -1;
}

int tp_soup_io_flush(tp_soup_io *io)
{
    while (io->fd >= 0 && io->tx_off < io->tx_len) {
        ssize_t n = send(io->fd, io->tx + io->tx_off, io->tx_len - io->tx_off, MSG_NOSIGNAL);
        if (n > 0) {
            io->tx_off += (size_t)n;
            io->bytes_tx += (uint64_t)n;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return 0;
        return -1;
    }
    if (io->tx_off == io->tx_len)
        io->tx_off = io->tx_len = 0;
    return io->fd >= 0 ? 0 : -1;
}

int tp_soup_io_send(tp_soup_io *io, const uint8_t *pkt, size_t len, uint64_t now)
{
    if (io->fd < 0)
        return -1;
    if (io->tx_off == io->tx_len && !io->corked) {
        /* Fast path: nothing queued, write directly. */
        io->tx_off = io->tx_len = 0;
        ssize_t n = send(io->fd, pkt, len, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                return -1;
            n = 0;
        }
        io->bytes_tx += (uint64_t)n;
        io->last_tx_ns = now;
        if ((size_t)n == len)
            return 0;
        pkt += n;
        len -= (size_t)n;
    }
    if (io->tx_cap - io->tx_len < len && io->corked && tp_soup_io_flush(io) != 0)
        return -1; /* corked and full: send what is queued first */
    if (io->tx_cap - io->tx_len < len && io->tx_off) {
        memmove(io->tx, io->tx + io->tx_off, io->tx_len - io->tx_off);
        io->tx_len -= io->tx_off;
        io->tx_off = 0;
    }
    if (io->tx_cap - io->tx_len < len)
        return -1;
    memcpy(io->tx + io->tx_len, pkt, len);
    io->tx_len += len;
    io->last_tx_ns = now;
    return io->corked ? 0 : tp_soup_io_flush(io);
}

int tp_soup_io_send_pkt(tp_soup_io *io, uint8_t type, const void *payload, size_t len,
                        uint64_t now)
{
    uint8_t buf[3 + 2048];
    if (len > sizeof buf - 3)
        return -1;
    size_t n = tp_soup_enc(buf, sizeof buf, type, payload, len);
    return tp_soup_io_send(io, buf, n, now);
}
