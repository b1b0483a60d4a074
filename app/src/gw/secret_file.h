/* Credentials files: never in the repo, never logged. The lab generates them (mode 0600);
 * production renders them from ansible-vault variables. A file readable by group or others
 * is refused, so a mistake is loud rather than a leak. */
#ifndef TP_GW_SECRET_FILE_H
#define TP_GW_SECRET_FILE_H

#include <stddef.h>

/* 0 when path is a regular file with no group/other permission bits, else -1 (err). */
int tp_secret_file_check(const char *path, char *err, size_t errlen);

#endif
