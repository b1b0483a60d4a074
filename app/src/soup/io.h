/* One non-blocking SoupBinTCP connection: a receive buffer that reassembles packets across
 * partial reads, and a send buffer that holds what the socket did not take yet.
 *
 * Buffers are allocated once by tp_soup_io_init (never on the hot path). A framing error
 * (tp_soup_parse < 0) is counted in framing_errors; the owner then drops the connection.
 */
#ifndef TP_SOUP_IO_H
#define TP_SOUP_IO_H

#include <stddef.h>
#include <stdint.h>

#include "soup/soup.h"

typedef struct {
    int fd;             /* -1 when closed */
    size_t max_payload;
    uint8_t *rx;
    size_t rx_cap, rx_off, rx_len; /* unparsed bytes are rx[rx_off .. rx_len) */
    uint8_t *tx;
    size_t tx_cap, tx_off, tx_len; /* unsent bytes are tx[tx_off .. tx_len) */
    uint64_t last_rx_ns;           /* CLOCK_REALTIME of the last byte received */
    uint64_t last_tx_ns;           /* ... and of the last packet queued */
    uint64_t rx_ns;                /* time taken right after the last recv() that got data */
    uint64_t rx_kernel_ns;         /* kernel receive stamp of that data (the newest segment's,
                                    * CLOCK_REALTIME); 0 if not asked for or not given */
    uint64_t framing_errors;
    uint64_t bytes_rx, bytes_tx;
    int corked;                    /* queue only: the next uncork sends everything at once */
    int rx_stamps;                 /* read with recvmsg and take the kernel receive stamp */
} tp_soup_io;

int tp_soup_io_init(tp_soup_io *io, size_t rx_cap, size_t tx_cap, size_t max_payload);
void tp_soup_io_free(tp_soup_io *io);
/* Adopt a connected socket (made non-blocking, TCP_NODELAY); resets the buffers. */
void tp_soup_io_attach(tp_soup_io *io, int fd, uint64_t now);
void tp_soup_io_close(tp_soup_io *io);
/* Ask the kernel for a software receive stamp of every segment (SO_TIMESTAMPNS): from now on
 * tp_soup_io_read fills rx_kernel_ns. The stamp is taken where the segment enters the host's
 * IP stack, so it excludes this process's own stack and poll loop (an exchange uses it to
 * time an order's arrival at its door). Returns 0, or -1 if the socket refused. */
int tp_soup_io_rx_stamps(tp_soup_io *io);
/* Read what the socket has. Returns bytes read (> 0), 0 if nothing, -1 on EOF/error. */
long tp_soup_io_read(tp_soup_io *io);
/* Next complete packet: 1 (filled), 0 (need more), -1 (framing error, counted). */
int tp_soup_io_next(tp_soup_io *io, tp_soup_pkt *pkt);
/* Queue one packet and try to send it. Returns 0, or -1 if the send buffer overflowed or the
 * socket failed (the owner drops the connection). */
int tp_soup_io_send(tp_soup_io *io, const uint8_t *pkt, size_t len, uint64_t now);
/* Queue a packet with type + payload. */
int tp_soup_io_send_pkt(tp_soup_io *io, uint8_t type, const void *payload, size_t len,
                        uint64_t now);
int tp_soup_io_flush(tp_soup_io *io);
/* Cork: tp_soup_io_send only queues until tp_soup_io_uncork, which sends the queue with one
 * send() (one TCP segment for several packets). Returns as tp_soup_io_flush. */
static inline void tp_soup_io_cork(tp_soup_io *io) { io->corked = 1; }
static inline int tp_soup_io_uncork(tp_soup_io *io)
{
    io->corked = 0;
    return tp_soup_io_flush(io);
}
static inline size_t tp_soup_io_pending(const tp_soup_io *io) { return io->tx_len - io->tx_off; }
static inline size_t tp_soup_io_room(const tp_soup_io *io) { return io->tx_cap - io->tx_len + io->tx_off; }

#endif
