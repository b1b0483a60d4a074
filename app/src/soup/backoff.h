/* Failed-login backoff per IPv4 source address, in a fixed-size table (no allocation).
 *
 * Policy: a failed login (unknown username or wrong password) from a source starts a backoff
 * for that source: base_ms after its first failure, doubling with each further failure, at
 * most max_ms. While a source's backoff runs, its logins are refused before their credentials
 * are looked at, so a password guesser gets at most one check per backoff; a refusal does not
 * extend the backoff (a well-behaved client retrying every 100 ms just waits it out). A
 * source's failures are forgotten once its backoff has been over for max_ms with no new
 * failure. An accepted login does not forget them, so a user with a valid login cannot reset
 * its own address's backoff between guesses at another user's password.
 *
 * The table holds TP_BACKOFF_SLOTS sources. A failing source not in a full table takes the
 * entry whose backoff ends first (counted in `replaced`): memory stays bounded whatever the
 * number of sources, at the price that more than TP_BACKOFF_SLOTS sources failing at once can
 * push each other out.
 *
 * Times are the caller's ns clock (the server's CLOCK_REALTIME `now`).
 */
#ifndef TP_SOUP_BACKOFF_H
#define TP_SOUP_BACKOFF_H

#include <stdint.h>

#define TP_BACKOFF_SLOTS 64

typedef struct {
    uint32_t addr;     /* IPv4 source, host byte order */
    uint32_t fails;    /* failures counted; 0 = free entry */
    uint64_t until_ns; /* logins from addr are refused before this time */
} tp_backoff_entry;

typedef struct {
    uint64_t base_ns, max_ns;
    uint64_t replaced; /* entries taken over while still remembered (table full) */
    tp_backoff_entry e[TP_BACKOFF_SLOTS];
} tp_backoff;

/* base_ms >= 1; max_ms below base_ms is raised to base_ms. */
void tp_backoff_init(tp_backoff *b, uint32_t base_ms, uint32_t max_ms);
/* ns until addr may try a login again; 0 = now. */
uint64_t tp_backoff_left(tp_backoff *b, uint32_t addr, uint64_t now);
/* Count a failed login from addr; returns the backoff it starts (ns). */
uint64_t tp_backoff_fail(tp_backoff *b, uint32_t addr, uint64_t now);

#endif
