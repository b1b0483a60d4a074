/* Minimal assertion helpers for the gateway/simulator C unit tests. */
#ifndef TP_TESTS_GW_CHECK_H
#define TP_TESTS_GW_CHECK_H

#include <stdio.h>
#include <stdlib.h>

static int tp_check_failures;

#define CHECK(cond)                                                                \
    do {                                                                           \
        if (!(cond)) {                                                             \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
            tp_check_failures++;                                                   \
        }                                                                          \
    } while (0)

#define CHECK_EQ(a, b)                                                                   \
    do {                                                                                 \
        unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b);  \
        if (a_ != b_) {                                                                  \
            fprintf(stderr, "%s:%d: %s == %s failed: %llu != %llu\n", __FILE__, __LINE__, \
                    #a, #b, a_, b_);                                                     \
            tp_check_failures++;                                                         \
        }                                                                                \
    } while (0)

static inline int tp_check_done(const char *name)
{
    if (tp_check_failures) {
        fprintf(stderr, "%s: %d failures\n", name, tp_check_failures);
        return 1;
    }
    printf("%s: ok\n", name);
    return 0;
}

#endif
