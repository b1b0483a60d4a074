/* Files the programs create (statistics and book JSON, the simulator's BinaryFILE and CSV, the
 * shared-memory segment, state files) get an explicit mode, whatever the umask they were
 * started with: open() alone applies the umask (0666 & ~umask for fopen), so a process started
 * under umask 000 would leave world-readable, even world-writable, files. The mode is set with
 * fchmod() after open(), so it is exact both for a new file and for one left by an earlier run.
 * Readers of these files (tickpath status, the strategy, the operator's tools) run as the
 * service user or in its group: 0640. */
#ifndef TP_COMMON_OUTFILE_H
#define TP_COMMON_OUTFILE_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

/* Owner read-write, group read, nothing for others. */
#define TP_OUT_MODE 0640

/* open(path, flags | O_CREAT | O_CLOEXEC) with exactly `mode` (no umask). The file descriptor,
 * or -1 with errno set (nothing left open). */
static inline int tp_out_open(const char *path, int flags, mode_t mode)
{
    int fd = open(path, flags | O_CREAT | O_CLOEXEC, mode);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) != 0 || ((st.st_mode & 07777) != mode && fchmod(fd, mode) != 0)) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

/* fopen(path, "w") with exactly `mode`: created or truncated. NULL with errno set. */
static inline FILE *tp_out_fopen(const char *path, mode_t mode)
{
    int fd = tp_out_open(path, O_WRONLY | O_TRUNC, mode);
    if (fd < 0)
        return NULL;
    FILE *f = fdopen(fd, "w");
    if (!f) {
        int e = errno;
        close(fd);
        errno = e;
    }
    return f;
}

/* A document written whole or not at all: PATH.tmp is written, then renamed over PATH, so a
 * reader (tickpath status, the smoke test polling for a stats snapshot) sees the previous
 * document or the new one, never half of it. */
typedef struct {
    FILE *f;
    const char *path;
    char tmp[4096 + 8];
} tp_out_whole;

/* Open PATH.tmp with exactly `mode`. The stream, or NULL with errno set. */
static inline FILE *tp_out_whole_begin(tp_out_whole *w, const char *path, mode_t mode)
{
    w->f = NULL;
    w->path = path;
    if (snprintf(w->tmp, sizeof w->tmp, "%s.tmp", path) >= (int)sizeof w->tmp) {
        errno = ENAMETOOLONG;
        return NULL;
    }
    w->f = tp_out_fopen(w->tmp, mode);
    return w->f;
}

/* Close and rename over PATH when `ok` (the writer's own result) is true. 0, or -1 with errno
 * set and the temporary file removed. */
static inline int tp_out_whole_end(tp_out_whole *w, int ok)
{
    int closed = fclose(w->f) == 0;
    w->f = NULL;
    if (closed && ok && rename(w->tmp, w->path) == 0)
        return 0;
    int e = errno ? errno : EIO;
    unlink(w->tmp);
    errno = e;
    return -1;
}

#endif
