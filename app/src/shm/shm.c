/* Shared-memory region creation (see shm.h). */
#define _GNU_SOURCE
#include "shm/shm.h"

#include "common/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAGE 4096u
#define HUGE (2u << 20)

static size_t up(size_t v, size_t a)
{
    return (v + a - 1) / a * a;
}

static int name_ok(const char *n)
{
    if (!*n || strlen(n) > 64)
        return 0;
    for (const char *p = n; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_' || *p == '.'))
            return 0;
    return 1;
}

static int try_map(tp_shm *s, const char *dir, size_t size, int huge)
{
    snprintf(s->path, sizeof s->path, "%s", dir);
    unlink(s->path);
    /* readers (tickpath-strategy, tickpath status) run as the service user or in its group */
    int fd = tp_out_open(s->path, O_RDWR | O_EXCL, TP_OUT_MODE);
    if (fd < 0)
        return -1;
    /* Reserve every page now: a tmpfs too small for the segment (a container's 64 MB /dev/shm)
     * is then ENOSPC here instead of SIGBUS on the first touch. */
    if (!huge) {
        int rc = posix_fallocate(fd, 0, (off_t)size);
        if (rc != 0) {
            close(fd);
            unlink(s->path);
            errno = rc;
            return -1;
        }
    }
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
    close(fd);
    if (p == MAP_FAILED) {
        unlink(s->path);
        return -1;
    }
    s->base = p;
    s->size = size;
    s->huge = huge;
    return 0;
}

int tp_shm_create(tp_shm *s, const char *name, uint64_t events_cap, size_t book_size,
                  int try_huge, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    if (!name_ok(name)) {
        snprintf(err, errlen, "shm.name '%s' must be 1-64 chars of [A-Za-z0-9._-]", name);
        return -1;
    }
    if (!events_cap || (events_cap & (events_cap - 1))) {
        snprintf(err, errlen, "event ring capacity %llu is not a power of two",
                 (unsigned long long)events_cap);
        return -1;
    }
    size_t off = PAGE; /* header page */
    size_t counters_off = off;
    off = up(off + sizeof(tp_shm_counters), PAGE);
    size_t hist_off = off;
    size_t hist_count = TP_TR_COUNT * TP_HK_COUNT;
    off = up(off + hist_count * sizeof(tp_hist), PAGE);
    size_t events_off = off;
    off = up(off + sizeof(tp_shm_event_ring) + events_cap * sizeof(tp_shm_event), PAGE);
    size_t bbo_off = off;
    off = up(off + TP_SHM_BBO_COUNT * sizeof(tp_shm_bbo), PAGE);
    size_t book_off = book_size ? off : 0;
    off = up(off + book_size, PAGE);

    char path[256];
    int mapped = -1;
    struct stat st;
    if (try_huge && stat("/dev/hugepages", &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(path, sizeof path, "/dev/hugepages/tickpath-%s", name);
        mapped = try_map(s, path, up(off, HUGE), 1);
        if (mapped != 0)
            unlink(path);
    }
    if (mapped != 0) {
        snprintf(path, sizeof path, "/dev/shm/tickpath-%s", name);
        if (try_map(s, path, off, 0) != 0) {
            snprintf(err, errlen, "cannot create %s (%zu bytes): %s", path, off, strerror(errno));
            return -1;
        }
    }
    memset(s->base, 0, s->size); /* pre-fault every page now, not on the hot path */
    s->hdr = (tp_shm_header *)s->base;
    s->ctr = (tp_shm_counters *)(s->base + counters_off);
    s->hist = (tp_hist *)(s->base + hist_off);
    s->ring = (tp_shm_event_ring *)(s->base + events_off);
    s->events = (tp_shm_event *)(s->base + events_off + sizeof(tp_shm_event_ring));
    s->bbo = (tp_shm_bbo *)(s->base + bbo_off);
    s->book = book_size ? s->base + book_off : NULL;
    for (size_t i = 0; i < hist_count; i++)
        tp_hist_init(&s->hist[i]);
    s->ring->cap = events_cap;
    s->ring->event_size = sizeof(tp_shm_event);

    tp_shm_header *h = s->hdr;
    h->version = TP_SHM_VERSION;
    h->header_size = sizeof *h;
    h->total_size = s->size;
    h->counters_off = counters_off;
    h->counters_size = sizeof(tp_shm_counters);
    h->hist_off = hist_off;
    h->hist_count = hist_count;
    h->hist_size = sizeof(tp_hist);
    h->events_off = events_off;
    h->events_cap = events_cap;
    h->event_size = sizeof(tp_shm_event);
    h->bbo_off = bbo_off;
    h->bbo_count = TP_SHM_BBO_COUNT;
    h->bbo_size = sizeof(tp_shm_bbo);
    h->book_off = book_off;
    h->book_size = book_size;
    h->pid = (uint64_t)getpid();
    __atomic_store_n(&h->magic, TP_SHM_MAGIC, __ATOMIC_RELEASE);
    return 0;
}

void tp_shm_close(tp_shm *s, int unlink_file)
{
    if (s->base)
        munmap(s->base, s->size);
    if (unlink_file && s->path[0])
        unlink(s->path);
    s->base = NULL;
}
