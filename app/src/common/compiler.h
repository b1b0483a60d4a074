/* Small compiler helpers shared by the data path. */
#ifndef TP_COMMON_COMPILER_H
#define TP_COMMON_COMPILER_H

#define TP_LIKELY(x) __builtin_expect(!!(x), 1)
#define TP_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define TP_CACHELINE 64
#define TP_ALIGNED_CL __attribute__((aligned(TP_CACHELINE)))
#define TP_UNUSED __attribute__((unused))

#endif
