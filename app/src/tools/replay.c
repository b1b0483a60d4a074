/* tickpath-replay: feed a BinaryFILE through the order book (or only the decoder) and report
 * the speed, the anomaly counters and optionally the final book as JSON. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "book/book.h"
#include "book/book_json.h"
#include "book/stream.h"
#include "common/clock.h"
#include "common/compiler.h"
#include "common/outfile.h"
#include "itch/binaryfile.h"
#include "itch/decode_inline.h"
#include "itch/itch.h"

static void usage(void)
{
    fputs("usage: tickpath-replay FILE [--book-json OUT] [--symbols A,B] [--decode-only] "
          "[--json] [--no-prefetch] [--no-lock] [--max-orders N] [--max-levels N]\n",
          stderr);
}

static uint32_t parse_u32(const char *s, const char *what)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 0);
    if (errno || *end || *s == '-' || v > UINT32_MAX) {
        fprintf(stderr, "tickpath-replay: bad %s: %s\n", what, s);
        exit(2);
    }
    return (uint32_t)v;
}

typedef struct {
    uint64_t records, unknown_type, short_msg, long_msg, checksum;
} decode_stats;

/* --decode-only: frame every record and decode every field of every message into a
 * tp_itch_msg with the same decoder tp_itch_decode() uses (TICKPATH_ITCH_DECODER; inlined
 * here except the switch: the AVX-512 VBMI permutation when the CPU has it, else the table path). The empty asm with the
 * struct as a memory input makes every store of the decode observable, so the compiler
 * cannot drop fields even with LTO; the checksum (timestamp + first union word, which is
 * the order reference for the order-flow types) is printed so the loop is not dead; it is
 * the same for every decoder (the bytes of the first union word a type does not define,
 * i.e. 7 of 'S' and 'W', are masked out). */
static inline uint64_t first_word_mask(uint8_t type)
{
    return type == 'S' || type == 'W' ? 0xff : ~0ull; /* cmov, not a branch */
}

#define DECODE_ONLY_LOOP(decode)                                                            \
    tp_bf_reader r = *rp; /* local copy: the reader stays in registers */                    \
    const uint8_t *msg;                                                                      \
    size_t len;                                                                              \
    tp_itch_msg m;                                                                           \
    memset(&m, 0, sizeof m);                                                                 \
    uint64_t sum = 0, long_msg = 0, unknown = 0, short_msg = 0;                              \
    while (tp_bf_next(&r, &msg, &len)) {                                                     \
        tp_itch_status s = decode(msg, len, &m);                                             \
        __asm__ volatile("" : : "m"(m));                                                     \
        if (TP_LIKELY(s == TP_ITCH_OK)) {                                                    \
            sum += m.timestamp + (m.u.add.order_ref & first_word_mask(m.type));               \
            long_msg += len > tp_itch_msg_size(m.type);                                      \
        } else if (s == TP_ITCH_UNKNOWN) {                                                   \
            unknown++;                                                                       \
        } else {                                                                             \
            short_msg++;                                                                     \
        }                                                                                    \
    }                                                                                        \
    *rp = r;                                                                                 \
    st->records = r.records;                                                                 \
    st->checksum = sum;                                                                      \
    st->long_msg = long_msg;                                                                 \
    st->unknown_type = unknown;                                                              \
    st->short_msg = short_msg

static void decode_only_switch(tp_bf_reader *rp, decode_stats *st)
{
    DECODE_ONLY_LOOP(tp_itch_decode_cold);
}

static void decode_only_table(tp_bf_reader *rp, decode_stats *st)
{
    DECODE_ONLY_LOOP(tp_itch_decode_inline);
}

#if TP_ITCH_HAVE_VBMI
TP_ITCH_VBMI_TARGET static void decode_only_vbmi(tp_bf_reader *rp, decode_stats *st)
{
    DECODE_ONLY_LOOP(tp_itch_decode_vbmi);
}
#endif

static const char *decode_only(tp_bf_reader *rp, decode_stats *st)
{
    tp_itch_impl impl = tp_itch_decoder();
    switch (impl) {
#if TP_ITCH_HAVE_VBMI
    case TP_ITCH_IMPL_VBMI: decode_only_vbmi(rp, st); break;
#endif
    case TP_ITCH_IMPL_TABLE: decode_only_table(rp, st); break;
    default: decode_only_switch(rp, st); break;
    }
    return tp_itch_decoder_name(impl);
}

int main(int argc, char **argv)
{
    const char *book_json = NULL, *symbols_arg = NULL;
    int decode = 0, json = 0, no_prefetch = 0, no_lock = 0;
    tp_book_cfg cfg = {0};
    static const struct option opts[] = {
        {"book-json", required_argument, NULL, 'b'}, {"symbols", required_argument, NULL, 's'},
        {"decode-only", no_argument, NULL, 'd'},     {"json", no_argument, NULL, 'j'},
        {"max-orders", required_argument, NULL, 'o'}, {"max-levels", required_argument, NULL, 'l'},
        {"no-prefetch", no_argument, NULL, 'P'},     {"no-lock", no_argument, NULL, 'L'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "b:s:djo:l:PLh", opts, NULL)) != -1) {
        switch (c) {
        case 'b': book_json = optarg; break;
        case 's': symbols_arg = optarg; break;
        case 'd': decode = 1; break;
        case 'j': json = 1; break;
        case 'o': cfg.max_orders = parse_u32(optarg, "--max-orders"); break;
        case 'l': cfg.max_levels = parse_u32(optarg, "--max-levels"); break;
        case 'P': no_prefetch = 1; break;
        case 'L': no_lock = 1; break;
        case 'h': usage(); return 0;
        default: usage(); return 2;
        }
    }
    if (optind != argc - 1) {
        usage();
        return 2;
    }
    const char *path = argv[optind];

    /* --symbols A,B -> list */
    char *sym_buf = NULL;
    const char **only = NULL;
    size_t n_only = 0;
    if (symbols_arg) {
        sym_buf = strdup(symbols_arg);
        only = calloc(strlen(symbols_arg) + 1, sizeof *only);
        if (!sym_buf || !only)
            return 1;
        for (char *save = NULL, *t = strtok_r(sym_buf, ",", &save); t;
             t = strtok_r(NULL, ",", &save))
            if (*t)
                only[n_only++] = t;
    }

    uint64_t t_map = tp_now_ns();
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        fprintf(stderr, "tickpath-replay: %s: %s\n", path, strerror(errno));
        return 1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        perror(path);
        return 1;
    }
    size_t size = (size_t)st.st_size;
    static const uint8_t empty[1];
    const uint8_t *data = empty;
    if (size) {
        void *p = mmap(NULL, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
        if (p == MAP_FAILED) {
            fprintf(stderr, "tickpath-replay: mmap %s: %s\n", path, strerror(errno));
            return 1;
        }
        madvise(p, size, MADV_SEQUENTIAL);
        data = p;
    }
    close(fd);

    tp_book *book = NULL;
    if (!decode) {
        book = tp_book_init(&cfg);
        if (!book) {
            fputs("tickpath-replay: cannot allocate the book\n", stderr);
            return 1;
        }
    }
    /* Fault the book in before the timed loop, as tickpath-fh does at start (mlockall): the
     * loop then measures the book, not first-touch page faults. On the bench VM a run after a
     * few idle seconds took up to 2x longer without this (the hypervisor backs freed guest
     * pages lazily). --no-lock measures the faults too. The file is already populated. */
    int locked = 0;
    if (book && !no_lock) {
        int e = tp_book_lock(book);
        locked = e == 0;
        if (e)
            fprintf(stderr, "tickpath-replay: mlock book: %s (continuing; faults are timed)\n", strerror(e));
    }
    t_map = tp_now_ns() - t_map;

    tp_bf_reader r;
    tp_bf_init(&r, data, size);
    decode_stats ds = {0};
    struct timespec c0, c1;
    struct rusage ru0;
    getrusage(RUSAGE_SELF, &ru0);
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
    uint64_t t0 = tp_now_ns();
    const char *decoder = "none";
    if (decode) {
        decoder = decode_only(&r, &ds);
    } else {
        tp_book_apply_stream(book, &r, !no_prefetch);
    }
    uint64_t elapsed = tp_now_ns() - t0;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
    /* on-CPU time of the timed loop: less sensitive to other load on a shared machine */
    double cpu_secs = (double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) / 1e9;

    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    /* page faults taken inside the timed loop (0 expected when locked) */
    long loop_faults = (ru.ru_minflt - ru0.ru_minflt) + (ru.ru_majflt - ru0.ru_majflt);
    double secs = (double)elapsed / 1e9;
    uint64_t n = r.records;
    double rate = secs > 0 ? (double)n / secs : 0.0;
    double nspm = n ? (double)elapsed / (double)n : 0.0;

    const tp_book_counters *bc = book ? tp_book_stats(book) : NULL;
    uint64_t unknown = bc ? bc->unknown_type : ds.unknown_type;
    uint64_t shortm = bc ? bc->short_msg : ds.short_msg;
    uint64_t longm = bc ? bc->long_msg : ds.long_msg;

    if (json) {
        printf("{\"mode\": \"%s\", \"prefetch\": %d, \"messages\": %llu, \"bytes\": %zu, \"seconds\": %.6f, "
               "\"msgs_per_s\": %.0f, \"ns_per_msg\": %.2f, \"cpu_ns_per_msg\": %.2f, \"map_seconds\": %.6f, "
               "\"unknown_type\": %llu, \"short\": %llu, \"long\": %llu, "
               "\"zero_length\": %llu, \"truncated_tail\": %llu, \"tail_bytes\": %llu",
               decode ? "decode" : "book", !no_prefetch && !decode, (unsigned long long)n, size, secs, rate, nspm,
               n ? cpu_secs * 1e9 / (double)n : 0.0,
               (double)t_map / 1e9, (unsigned long long)unknown, (unsigned long long)shortm,
               (unsigned long long)longm, (unsigned long long)r.zero_length,
               (unsigned long long)r.truncated_tail, (unsigned long long)r.tail_bytes);
        if (bc)
            printf(", \"unknown_order\": %llu, \"dup_order\": %llu, \"bad_field\": %llu, "
                   "\"nomem\": %llu, \"bbo_changes\": %llu, \"live_orders\": %llu, "
                   "\"peak_orders\": %llu, \"live_levels\": %llu, \"peak_levels\": %llu, "
                   "\"book_bytes\": %zu",
                   (unsigned long long)bc->unknown_order, (unsigned long long)bc->dup_order,
                   (unsigned long long)bc->bad_field, (unsigned long long)bc->nomem,
                   (unsigned long long)bc->bbo_changes, (unsigned long long)bc->live_orders,
                   (unsigned long long)bc->peak_orders, (unsigned long long)bc->live_levels,
                   (unsigned long long)bc->peak_levels, tp_book_mem_size(&cfg));
        else
            printf(", \"decoder\": \"%s\", \"checksum\": %llu", decoder,
                   (unsigned long long)ds.checksum);
        printf(", \"locked\": %d, \"loop_page_faults\": %ld, \"peak_rss_kb\": %ld}\n", locked, loop_faults,
               ru.ru_maxrss);
    } else {
        printf("mode            %s\n", decode ? "decode-only" : "book");
        printf("messages        %llu\n", (unsigned long long)n);
        printf("seconds         %.6f\n", secs);
        printf("msgs/s          %.0f\n", rate);
        printf("ns/msg          %.2f\n", nspm);
        printf("cpu ns/msg      %.2f\n", n ? cpu_secs * 1e9 / (double)n : 0.0);
        printf("unknown_type    %llu\n", (unsigned long long)unknown);
        printf("short           %llu\n", (unsigned long long)shortm);
        printf("long            %llu\n", (unsigned long long)longm);
        printf("zero_length     %llu\n", (unsigned long long)r.zero_length);
        printf("truncated_tail  %llu (%llu bytes)\n", (unsigned long long)r.truncated_tail,
               (unsigned long long)r.tail_bytes);
        if (bc) {
            printf("unknown_order   %llu\n", (unsigned long long)bc->unknown_order);
            printf("dup_order       %llu\n", (unsigned long long)bc->dup_order);
            printf("bad_field       %llu\n", (unsigned long long)bc->bad_field);
            printf("nomem           %llu\n", (unsigned long long)bc->nomem);
            printf("bbo_changes     %llu\n", (unsigned long long)bc->bbo_changes);
            printf("live_orders     %llu (peak %llu)\n", (unsigned long long)bc->live_orders,
                   (unsigned long long)bc->peak_orders);
            printf("live_levels     %llu (peak %llu)\n", (unsigned long long)bc->live_levels,
                   (unsigned long long)bc->peak_levels);
        }
        if (!bc) {
            printf("decoder         %s\n", decoder);
            printf("checksum        %llu\n", (unsigned long long)ds.checksum);
        }
        printf("locked          %s (page faults in the loop: %ld)\n", locked ? "yes" : "no", loop_faults);
        printf("peak_rss_kb     %ld\n", ru.ru_maxrss);
    }

    int rc = 0;
    if (book_json && book) {
        FILE *f = strcmp(book_json, "-") == 0 ? stdout : tp_out_fopen(book_json, TP_OUT_MODE);
        if (!f || tp_book_write_json(book, f, only, n_only) != 0) {
            fprintf(stderr, "tickpath-replay: cannot write %s\n", book_json);
            rc = 1;
        }
        if (f && f != stdout && fclose(f) != 0)
            rc = 1;
    } else if (book_json) {
        fputs("tickpath-replay: --book-json ignored with --decode-only\n", stderr);
    }
    tp_book_free(book);
    if (size)
        munmap((void *)(uintptr_t)data, size);
    free(only);
    free(sym_buf);
    return rc;
}
