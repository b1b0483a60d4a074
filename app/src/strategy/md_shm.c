#include "strategy/md_shm.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Map path read-only and check the header. 0, 1 (absent), or -1 (err). */
static int attach(md_shm *m, const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return 1;
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size < 4096) {
        close(fd);
        snprintf(err, errlen, "%s: not a tickpath-fh segment (%lld bytes)", path,
                 (long long)st.st_size);
        return -1;
    }
    size_t len = (size_t)st.st_size;
    void *p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED) {
        snprintf(err, errlen, "%s: mmap: %s", path, strerror(errno));
        return -1;
    }
    const tp_shm_header *h = p;
    const char *bad = NULL;
    uint64_t magic = __atomic_load_n(&h->magic, __ATOMIC_ACQUIRE);
    if (magic != TP_SHM_MAGIC)
        bad = "bad magic (not a tickpath-fh segment, or one still being created)";
    else if (h->version != TP_SHM_VERSION)
        bad = "layout version is not " "1" " (this tickpath-strategy reads version 1)";
    else if (h->header_size < sizeof(tp_shm_header) || h->total_size != len)
        bad = "header size or total size does not match the file (truncated?)";
    else if (h->event_size != sizeof(tp_shm_event) || !h->events_cap ||
             (h->events_cap & (h->events_cap - 1)) || h->events_cap > (1ull << 32) ||
             h->events_off < h->header_size || h->events_off % 64 ||
             h->events_off > len ||
             (len - h->events_off - sizeof(tp_shm_event_ring)) / sizeof(tp_shm_event) <
                 h->events_cap)
        bad = "event ring does not fit the file, or its slot size/capacity is wrong";
    else if (h->book_off && (h->book_off > len || h->book_size > len - h->book_off))
        bad = "book region does not fit the file";
    if (bad) {
        munmap(p, len);
        snprintf(err, errlen, "%s: %s", path, bad);
        return -1;
    }
    const tp_shm_event_ring *ring =
        (const tp_shm_event_ring *)(const void *)((const uint8_t *)p + h->events_off);
    if (ring->cap != h->events_cap || ring->event_size != h->event_size) {
        munmap(p, len);
        snprintf(err, errlen, "%s: event ring header disagrees with the segment header", path);
        return -1;
    }
    m->base = p;
    m->len = len;
    m->hdr = h;
    m->ring = ring;
    m->ev = (const tp_shm_event *)(const void *)((const uint8_t *)ring + sizeof *ring);
    m->cap = h->events_cap;
    m->mask = h->events_cap - 1;
    m->book = h->book_off ? (const uint8_t *)p + h->book_off : NULL;
    m->book_len = h->book_off ? h->book_size : 0;
    m->dev = (uint64_t)st.st_dev;
    m->ino = (uint64_t)st.st_ino;
    snprintf(m->path, sizeof m->path, "%s", path);
    return 0;
}

int md_shm_open(md_shm *m, const char *name, char *err, size_t errlen)
{
    memset(m, 0, sizeof *m);
    char huge[96], shm[96];
    snprintf(huge, sizeof huge, "/dev/hugepages/tickpath-%s", name);
    snprintf(shm, sizeof shm, "/dev/shm/tickpath-%s", name);
    md_shm a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    char ea[256] = "", eb[256] = "";
    int ra = attach(&a, huge, ea, sizeof ea), rb = attach(&b, shm, eb, sizeof eb);
    if (ra != 0 && rb != 0) {
        if (ra == 1 && rb == 1)
            snprintf(err, errlen, "shm.name %s: no segment %s (is tickpath-fh running with "
                     "shm.name=%s?)", name, shm, name);
        else
            snprintf(err, errlen, "shm.name %s: %s", name, rb == -1 ? eb : ea);
        return -1;
    }
    /* both valid (a stale file of an earlier run next to the live one): the newer start */
    int pick_a = ra == 0 && (rb != 0 || a.hdr->start_realtime_ns >= b.hdr->start_realtime_ns);
    md_shm *use = pick_a ? &a : &b, *drop = pick_a ? &b : &a;
    if (drop->base)
        munmap((void *)(uintptr_t)drop->base, drop->len);
    *m = *use;
    uint32_t state = md_shm_state(m);
    if (state == TP_STATE_STOPPED) {
        snprintf(err, errlen, "%s: the feed handler has stopped (pid %llu); start tickpath-fh",
                 m->path, (unsigned long long)m->hdr->pid);
        md_shm_close(m);
        return -1;
    }
    m->r = __atomic_load_n(&m->ring->write_idx, __ATOMIC_ACQUIRE);
    snprintf(m->name, sizeof m->name, "%s", name);
    return 0;
}

int md_shm_check(const md_shm *m, uint64_t now_ns, char *why, size_t whylen)
{
    const tp_shm_header *h = m->hdr;
    uint32_t state = md_shm_state(m);
    uint64_t pid = h->pid;
    if (state == TP_STATE_STOPPED) {
        snprintf(why, whylen, "%s: the feed handler stopped (pid %llu)", m->path,
                 (unsigned long long)pid);
        return 1;
    }
    if (!pid || pid > INT32_MAX || (kill((pid_t)pid, 0) != 0 && errno == ESRCH)) {
        snprintf(why, whylen, "%s: the feed handler's pid %llu does not exist (killed?)",
                 m->path, (unsigned long long)pid);
        return 1;
    }
    uint64_t hb = __atomic_load_n(&h->heartbeat_ns, __ATOMIC_RELAXED);
    /* 0: still starting (INIT); a heartbeat after now_ns: written since the caller read it */
    if (state == TP_STATE_RUNNING && hb && hb < now_ns && now_ns - hb > MD_SHM_HEARTBEAT_MAX_NS) {
        snprintf(why, whylen, "%s: the feed handler's heartbeat is %.1f s old (pid %llu hung?)",
                 m->path, (double)(now_ns - hb) / 1e9, (unsigned long long)pid);
        return 1;
    }
    struct stat st;
    if (stat(m->path, &st) != 0) {
        snprintf(why, whylen, "%s: the segment file is gone (%s)", m->path, strerror(errno));
        return 1;
    }
    if ((uint64_t)st.st_dev != m->dev || (uint64_t)st.st_ino != m->ino) {
        snprintf(why, whylen, "%s: the segment file was replaced (a new feed handler)", m->path);
        return 1;
    }
    return 0;
}

int md_shm_reattach(md_shm *m, uint64_t now_ns, char *why, size_t whylen)
{
    md_shm n;
    if (md_shm_open(&n, m->name, why, whylen) != 0)
        return 1;
    if (md_shm_state(&n) != TP_STATE_RUNNING) {
        snprintf(why, whylen, "%s: the feed handler is still starting", n.path);
        md_shm_close(&n);
        return 1;
    }
    if (md_shm_check(&n, now_ns, why, whylen) != 0) {
        md_shm_close(&n);
        return 1;
    }
    n.st = m->st;
    md_shm_close(m);
    *m = n;
    return 0;
}

uint32_t md_shm_state(const md_shm *m)
{
    return __atomic_load_n(&m->hdr->state, __ATOMIC_ACQUIRE);
}

int md_shm_symbol(const md_shm *m, uint16_t locate, char name[8])
{
    return m->book ? tp_book_symbol_ro(m->book, m->book_len, locate, name) : 0;
}

/* Skip to `to` after being lapped (events r..to-1 were overwritten). */
static inline void lapped(md_shm *m, uint64_t to)
{
    m->st.lapped++;
    m->st.lost += to - m->r;
    m->r = to;
}

int md_shm_poll(md_shm *m, md_shm_bbo_fn fn, void *ctx, unsigned budget)
{
    int n = 0;
    uint64_t w = __atomic_load_n(&m->ring->write_idx, __ATOMIC_ACQUIRE);
    while ((unsigned)n < budget && m->r < w) {
        if (w - m->r > m->cap) {
            lapped(m, w - m->cap);
            continue;
        }
        const tp_shm_event *slot = &m->ev[m->r & m->mask];
        uint64_t s1 = __atomic_load_n(&slot->idx, __ATOMIC_ACQUIRE);
        if (s1 != m->r + 1) {
            if (s1 == 0 || s1 > m->r + 1) {
                /* the slot is being (or was) rewritten with a later event: lapped. s1 > r + 1:
                 * it holds event s1 - 1, so events up to s1 - 1 - cap are gone; s1 == 0: the
                 * writer is writing event r + k*cap (k >= 1), so at least r is gone. */
                uint64_t to = s1 ? s1 - m->cap : m->r + 1;
                lapped(m, to > m->r ? to : m->r + 1);
                w = __atomic_load_n(&m->ring->write_idx, __ATOMIC_ACQUIRE);
                continue;
            }
            break; /* an older event still in the slot: not published yet (cannot happen
                      once write_idx covers r; defensive) */
        }
        tp_shm_event e;
        memcpy(&e, (const void *)slot, sizeof e);
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (__atomic_load_n(&slot->idx, __ATOMIC_RELAXED) != s1) {
            m->st.retries++; /* overwritten during the copy: the checks above decide */
            continue;
        }
        m->r++;
        n++;
        m->st.events++;
        switch (e.type) {
        case TP_EV_BBO: {
            tp_bbo b = {.bid_price = e.bid_price, .ask_price = e.ask_price,
                        .bid_shares = e.bid_shares, .ask_shares = e.ask_shares,
                        .bid_orders = e.bid_orders, .ask_orders = e.ask_orders};
            m->st.bbo++;
            fn(ctx, e.locate, &b, e.mold_seq, e.ts_ns);
            break;
        }
        case TP_EV_TRADE: m->st.trades++; break;
        case TP_EV_STALE: m->st.stale++; m->books_stale = 1; break;
        case TP_EV_FRESH: m->st.fresh++; m->books_stale = 0; break;
        case TP_EV_RESTART: m->st.restarts++; m->books_stale = 1; break;
        default: break;
        }
    }
    return n;
}

void md_shm_close(md_shm *m)
{
    if (m->base)
        munmap((void *)(uintptr_t)m->base, m->len);
    m->base = NULL;
    m->hdr = NULL;
}
