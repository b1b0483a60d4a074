/* The lab's latency clock: CLOCK_REALTIME in ns.
 *
 * Tick-to-trade subtracts the kernel's transmit stamp of the simulator's packet from the
 * kernel's receive stamp of the order (both this clock), and
 * the strategy compares ITCH timestamps (ns since midnight) with its receive time: all of it
 * needs one clock readable by every process of the lab host. CLOCK_REALTIME is that clock
 * (exch1 and trader1 share this VM's clock; on real hosts it is PTP-disciplined).
 */
#ifndef TP_SOUP_RTCLOCK_H
#define TP_SOUP_RTCLOCK_H

#include <stdint.h>
#include <time.h>

/* A CLOCK_REALTIME timespec in ns: what clock_gettime gives, and the kernel's software
 * socket stamps (SO_TIMESTAMPNS, SO_TIMESTAMPING), which are on the same clock. */
static inline uint64_t tp_rt_ns(const struct timespec *ts)
{
    return (uint64_t)ts->tv_sec * 1000000000ull + (uint64_t)ts->tv_nsec;
}

static inline uint64_t tp_rt_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return tp_rt_ns(&ts);
}

/* ns since local midnight UTC for the ITCH/OUCH timestamp fields. */
static inline uint64_t tp_rt_since_midnight(uint64_t rt_ns)
{
    return rt_ns % (86400ull * 1000000000ull);
}

#endif
