/* Minimal test harness for the C unit tests (TAP-ish output, exit status = failures). */
#ifndef TP_TESTS_CHECK_H
#define TP_TESTS_CHECK_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int tp_failures;
static int tp_checks;

#define CHECK(cond)                                                                            \
    do {                                                                                       \
        tp_checks++;                                                                           \
        if (!(cond)) {                                                                         \
            tp_failures++;                                                                     \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);           \
        }                                                                                      \
    } while (0)

#define CHECK_EQ(a, b)                                                                         \
    do {                                                                                       \
        unsigned long long va_ = (unsigned long long)(a), vb_ = (unsigned long long)(b);       \
        tp_checks++;                                                                           \
        if (va_ != vb_) {                                                                      \
            tp_failures++;                                                                     \
            fprintf(stderr, "%s:%d: %s == %s failed: %llu != %llu\n", __FILE__, __LINE__, #a,  \
                    #b, va_, vb_);                                                             \
        }                                                                                      \
    } while (0)

#define CHECK_MEM(a, s) CHECK(memcmp((a), (s), strlen(s)) == 0)

static inline int tp_test_done(const char *name)
{
    printf("%s: %d checks, %d failed\n", name, tp_checks, tp_failures);
    return tp_failures ? 1 : 0;
}

/* Hand-written big-endian byte placement (deliberately not the library's endian.h). */
static inline void put_n(uint8_t *p, unsigned off, unsigned width, uint64_t v)
{
    for (unsigned i = 0; i < width; i++)
        p[off + i] = (uint8_t)(v >> (8 * (width - 1 - i)));
}

static inline void put_s(uint8_t *p, unsigned off, const char *s, unsigned width)
{
    size_t n = strlen(s);
    for (unsigned i = 0; i < width; i++)
        p[off + i] = (uint8_t)(i < n ? s[i] : ' ');
}

/* type, locate, tracking, 48-bit timestamp */
static inline void put_hdr(uint8_t *p, char type, uint16_t loc, uint16_t trk, uint64_t ts)
{
    p[0] = (uint8_t)type;
    put_n(p, 1, 2, loc);
    put_n(p, 3, 2, trk);
    put_n(p, 5, 6, ts);
}

#endif
