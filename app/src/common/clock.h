/* Monotonic nanosecond clock for tools and benchmarks (not used on the hot path). */
#ifndef TP_COMMON_CLOCK_H
#define TP_COMMON_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t tp_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#endif
