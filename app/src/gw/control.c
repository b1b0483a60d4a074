#include "gw/control.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/outfile.h"

tp_gw_ctl *tp_gw_ctl_open(const char *path, char *err, size_t errlen)
{
    int fd = tp_out_open(path, O_RDWR, 0600);
    if (fd < 0 || ftruncate(fd, TP_GW_CTL_SIZE) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    void *p = mmap(NULL, TP_GW_CTL_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED) {
        snprintf(err, errlen, "mmap %s: %s", path, strerror(errno));
        return NULL;
    }
    tp_gw_ctl *c = p;
    memcpy(c->magic, "TPGWCTL1", 8);
    c->pid = (uint64_t)getpid();
    return c;
}
