/* Zeroed anonymous memory for large tables, asking for transparent huge pages.
 *
 * A table of tens of MB read at scattered places (order maps, token maps) costs one TLB entry
 * per 4 KiB page; on a VM a cold page can also take a hypervisor fault. With 2 MiB pages the
 * whole table needs a few dozen entries. The advice must come before the pages are first
 * touched: mlockall(MCL_FUTURE) would fault them in at mmap time, as 4 KiB pages, so the
 * programs lock their memory after allocating it. */
#ifndef TP_COMMON_HUGE_ALLOC_H
#define TP_COMMON_HUGE_ALLOC_H

#include <stddef.h>
#include <sys/mman.h>

static inline void *tp_huge_alloc(size_t len)
{
    if (len == 0)
        len = 1;
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
#ifdef MADV_HUGEPAGE
    madvise(p, len, MADV_HUGEPAGE);
#endif
    return p;
}

static inline void tp_huge_free(void *p, size_t len)
{
    if (p)
        munmap(p, len ? len : 1);
}

#endif
