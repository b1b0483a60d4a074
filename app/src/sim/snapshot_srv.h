/* Snapshot service for late joiners (the feed handler's client: src/fh/snapshot.c).
 *
 * GLIMPSE-like, over SoupBinTCP on its own port: the client sends a Login Request (the
 * service is read-only market data: any username/password is accepted), the server answers
 * Login Accepted, then one Sequenced Data packet per ITCH message of the current book:
 * a Stock Directory 'R' per symbol, an Add Order 'A' per displayed resting order (the same
 * order reference numbers the live feed uses, in price-time order), and finally a 'G'
 * message: 'G' + 20 ASCII digits (right-justified) = the MoldUDP64 sequence number the live
 * feed must be resumed from (everything before it is reflected in the snapshot). Then the
 * server closes the connection. Served synchronously between two loop passes. */
#ifndef TP_SIM_SNAPSHOT_SRV_H
#define TP_SIM_SNAPSHOT_SRV_H

#include <stdint.h>

#include "sim/venue.h"

typedef struct {
    int lfd;
    uint64_t served, failed;
} snapshot_srv;

int snapshot_srv_init(snapshot_srv *s, const char *bind_addr, uint16_t port);
void snapshot_srv_poll(snapshot_srv *s, venue *v);
void snapshot_srv_close(snapshot_srv *s);

#endif
