/* Secrets (the OUCH password): never in the repo, in a rendered config file, on a command line
 * or in a log. A config names WHERE the secret is -- a systemd credential, a file or an
 * environment variable -- and the program reads it once at start. A file readable by group or others is refused, so a
 * mistake is loud rather than a leak. Error messages never contain the secret. */
#ifndef TP_GW_SECRET_FILE_H
#define TP_GW_SECRET_FILE_H

#include <stddef.h>

/* 0 when path is a regular file with no group/other permission bits, else -1 (err). */
int tp_secret_file_check(const char *path, char *err, size_t errlen);

/* The secret is the file's first line (without its line end): 1..cap-1 printable ASCII
 * characters, no spaces. Checks the file first (tp_secret_file_check). key: the config key
 * named in errors. 0, or -1 (err; out is zeroed). */
int tp_secret_read_file(const char *key, const char *path, char *out, size_t cap, char *err,
                        size_t errlen);

/* The secret is the value of environment variable `name` (same rules). After reading, the
 * value is overwritten in place (it no longer shows in /proc/PID/environ) and unset. */
int tp_secret_read_env(const char *key, const char *name, char *out, size_t cap, char *err,
                       size_t errlen);

/* The secret is systemd credential `name`: the file $CREDENTIALS_DIRECTORY/name, which systemd
 * fills from the unit's LoadCredential=name:/path before the program starts (mode 0400, owned
 * by the service user, on a private mount; nothing in the environment but the directory's
 * path). Same rules as tp_secret_read_file. */
int tp_secret_read_credential(const char *key, const char *name, char *out, size_t cap,
                              char *err, size_t errlen);

/* A valid credential name: 1..64 of [A-Za-z0-9_.-], not starting with '.' or '-'. */
int tp_secret_credential_name_ok(const char *name);

/* A valid environment variable name: [A-Za-z_][A-Za-z0-9_]*, at most 128 characters. */
int tp_secret_env_name_ok(const char *name);

#endif
