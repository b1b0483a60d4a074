#include "gw/token_store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/outfile.h"

static uint32_t today(void)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    return (uint32_t)((tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday);
}

static int write_state(const tp_token_store *t, uint64_t upto)
{
    char tmp[300], line[64];
    snprintf(tmp, sizeof tmp, "%s.tmp", t->path);
    int fd = tp_out_open(tmp, O_WRONLY | O_TRUNC, 0600);
    if (fd < 0)
        return -1;
    int n = snprintf(line, sizeof line, "%u %llu\n", t->day, (unsigned long long)upto);
    int ok = write(fd, line, (size_t)n) == n && fsync(fd) == 0;
    close(fd);
    if (!ok || rename(tmp, t->path) != 0)
        return -1;
    return 0;
}

int tp_token_store_open(tp_token_store *t, const char *path, uint64_t block, char *err,
                        size_t errlen)
{
    memset(t, 0, sizeof *t);
    if (strlen(path) >= sizeof t->path - 8) {
        snprintf(err, errlen, "token file path too long");
        return -1;
    }
    strcpy(t->path, path);
    t->block = block ? block : 4096;
    t->day = today();
    t->next = 1;
    FILE *f = fopen(path, "r");
    if (f) {
        unsigned day;
        unsigned long long next;
        int k = fscanf(f, "%u %llu", &day, &next);
        fclose(f);
        if (k != 2 || next == 0) {
            snprintf(err, errlen, "%s: not 'YYYYMMDD NEXT'", path);
            return -1;
        }
        if (day == t->day)
            t->next = next;
    } else if (errno != ENOENT) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    t->reserved = t->next;
    if (write_state(t, t->next) != 0) {
        snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

uint64_t tp_token_store_next(tp_token_store *t)
{
    if (t->next >= t->reserved) {
        if (write_state(t, t->next + t->block) != 0)
            return 0;
        t->reserved = t->next + t->block;
        t->reservations++;
    }
    return t->next++;
}
