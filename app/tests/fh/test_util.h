/* Minimal assertion helpers for the feed-handler unit tests. */
#ifndef TP_TEST_UTIL_H
#define TP_TEST_UTIL_H
#include <stdio.h>
#include <stdlib.h>

static int tp_test_failures;
#define CHECK(cond)                                                                        \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);       \
            tp_test_failures++;                                                            \
        }                                                                                  \
    } while (0)
#define CHECK_EQ(a, b)                                                                     \
    do {                                                                                   \
        unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b);     \
        if (a_ != b_) {                                                                    \
            fprintf(stderr, "%s:%d: %s == %llu, expected %s == %llu\n", __FILE__, __LINE__, \
                    #a, a_, #b, b_);                                                       \
            tp_test_failures++;                                                            \
        }                                                                                  \
    } while (0)
#define TEST_DONE()                                                                        \
    do {                                                                                   \
        if (tp_test_failures) {                                                            \
            fprintf(stderr, "%d failure(s)\n", tp_test_failures);                          \
            return 1;                                                                      \
        }                                                                                  \
        printf("ok\n");                                                                    \
        return 0;                                                                          \
    } while (0)
#endif
