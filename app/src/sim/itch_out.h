/* The simulator's market-data publisher: ITCH 5.0 messages packed into MoldUDP64 packets,
 * sent on line A and line B (the same bytes to two destinations: multicast groups on the
 * lab's feed interfaces, or unicast on loopback), kept in a retransmission store for the
 * re-request server, optionally dumped as a BinaryFILE (--itch-out).
 *
 * Every packet is stamped at send time: the ITCH Timestamp of each message in it is
 * rewritten to the send time (CLOCK_REALTIME ns since midnight), and the send time is kept
 * per sequence number so tick-to-trade can be computed for an order naming that sequence.
 * A second time is kept per sequence: the kernel's transmit stamp of line A's datagram (where
 * the packet leaves this host's stack: the "wire"), or the send time if there is none.
 */
#ifndef TP_SIM_ITCH_OUT_H
#define TP_SIM_ITCH_OUT_H

#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>

#define IO_MAX_PKT 1400
#define IO_STAMP_SLOTS (1u << 22)

typedef struct {
    uint64_t packets, messages, bytes, heartbeats, rerequests, retrans_msgs, bad_requests,
        store_full, send_errors,
        tx_stamped, tx_unstamped; /* data packets with / without line A's transmit stamp */
} itch_out_stats;

typedef struct {
    int fd[2];
    struct sockaddr_in dst[2];
    int n_lines;
    uint8_t session[10];
    uint64_t next_seq;  /* sequence of the next message */
    uint8_t pkt[IO_MAX_PKT];
    size_t pkt_len;
    uint16_t pkt_count;
    uint16_t msg_off[128]; /* offsets of the messages in pkt, for stamping */
    uint64_t last_send_ns;
    /* retransmission store */
    uint8_t *store;
    size_t store_cap, store_used;
    uint64_t *store_off; /* by sequence - 1 */
    uint64_t store_max;
    /* per-sequence send time */
    uint64_t *stamp_seq, *stamp_ns, *stamp_wire_ns;
    int tx_stamps;      /* line A's socket gives transmit stamps */
    uint32_t tx_id;     /* number of the next datagram sent on line A (SOF_TIMESTAMPING_OPT_ID) */
    FILE *bf;
    int rr_fd;
    itch_out_stats st;
} itch_out;

typedef struct {
    char addr[2][64];   /* destination address (multicast group or unicast) */
    uint16_t port[2];
    char source[2][64]; /* local address to send from (the feed interface's); "" = any */
    int n_lines;
    char session[11];
    size_t store_bytes;
    uint64_t store_msgs;
    const char *itch_out; /* BinaryFILE path or NULL */
    char rr_bind[64];
    uint16_t rr_port;     /* 0 = no re-request server */
} itch_out_cfg;

int itch_out_init(itch_out *o, const itch_out_cfg *cfg, char *err, size_t errlen);
void itch_out_close(itch_out *o);
/* Append one message (type byte first); sends the current packet first if it is full.
 * Returns the message's sequence number. */
uint64_t itch_out_put(itch_out *o, const uint8_t *msg, size_t len);
/* Send the current packet (if any) on every line. */
void itch_out_flush(itch_out *o);
/* Heartbeat when nothing was sent for idle_ns. */
void itch_out_idle(itch_out *o, uint64_t now, uint64_t idle_ns);
/* End of session packet (count 0xFFFF) on every line. */
void itch_out_end(itch_out *o);
/* Serve pending re-requests (non-blocking). */
void itch_out_serve_rerequests(itch_out *o);
/* Send time (CLOCK_REALTIME ns, taken before sendto) of the packet that carried seq; 0 if
 * unknown/expired. */
static inline uint64_t itch_out_sent_ns(const itch_out *o, uint64_t seq)
{
    uint64_t i = seq & (IO_STAMP_SLOTS - 1);
    return o->stamp_seq[i] == seq ? o->stamp_ns[i] : 0;
}
/* Kernel transmit stamp of that packet on line A (the send time if there was none); 0 if
 * unknown/expired. */
static inline uint64_t itch_out_wire_ns(const itch_out *o, uint64_t seq)
{
    uint64_t i = seq & (IO_STAMP_SLOTS - 1);
    return o->stamp_seq[i] == seq ? o->stamp_wire_ns[i] : 0;
}

#endif
