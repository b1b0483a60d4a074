#include "gw/secret_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int tp_secret_file_check(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (!path || !*path) {
        snprintf(err, errlen, "no credentials file configured");
        return -1;
    }
    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        return -1;
    }
    if (st.st_mode & 077) {
        snprintf(err, errlen, "%s: mode %03o is readable by group/others; chmod 600 it", path,
                 (unsigned)(st.st_mode & 0777));
        return -1;
    }
    return 0;
}

/* 1..cap-1 printable ASCII, no space. */
static int secret_ok(const char *s, size_t cap)
{
    size_t n = strlen(s);
    if (n == 0 || n >= cap)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] <= ' ' || s[i] > '~')
            return 0;
    return 1;
}

static void scrub(volatile char *p, size_t n)
{
    while (n--)
        *p++ = 0;
}

int tp_secret_read_file(const char *key, const char *path, char *out, size_t cap, char *err,
                        size_t errlen)
{
    memset(out, 0, cap);
    char e2[256];
    if (tp_secret_file_check(path, e2, sizeof e2) != 0) {
        snprintf(err, errlen, "%s: %s", key, e2);
        return -1;
    }
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: %s: %s", key, path, strerror(errno));
        return -1;
    }
    char line[128];
    int got = fgets(line, sizeof line, f) != NULL;
    fclose(f);
    if (got)
        line[strcspn(line, "\r\n")] = 0;
    int ok = got && secret_ok(line, cap);
    if (ok)
        memcpy(out, line, strlen(line) + 1);
    scrub(line, sizeof line);
    if (!ok) {
        snprintf(err, errlen, "%s: %s: the first line must be the password, 1..%zu printable "
                 "characters without spaces", key, path, cap - 1);
        return -1;
    }
    return 0;
}

int tp_secret_credential_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 64 || name[0] == '.' || name[0] == '-')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!(c == '_' || c == '.' || c == '-' || (c >= 'A' && c <= 'Z') ||
              (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
            return 0;
    }
    return 1;
}

int tp_secret_read_credential(const char *key, const char *name, char *out, size_t cap,
                              char *err, size_t errlen)
{
    memset(out, 0, cap);
    const char *dir = getenv("CREDENTIALS_DIRECTORY");
    if (!dir || dir[0] != '/') {
        snprintf(err, errlen, "%s: $CREDENTIALS_DIRECTORY is not set: credential %s is passed by "
                 "systemd (the unit's LoadCredential=%s:/path)", key, name, name);
        return -1;
    }
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path) {
        snprintf(err, errlen, "%s: $CREDENTIALS_DIRECTORY is too long", key);
        return -1;
    }
    return tp_secret_read_file(key, path, out, cap, err, errlen);
}

int tp_secret_env_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 128 || (name[0] >= '0' && name[0] <= '9'))
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!(c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9')))
            return 0;
    }
    return 1;
}

int tp_secret_read_env(const char *key, const char *name, char *out, size_t cap, char *err,
                       size_t errlen)
{
    memset(out, 0, cap);
    char *v = getenv(name);
    if (!v || !*v) {
        snprintf(err, errlen, "%s: environment variable %s is not set (it holds the password)",
                 key, name);
        return -1;
    }
    int ok = secret_ok(v, cap);
    if (ok)
        memcpy(out, v, strlen(v) + 1);
    scrub(v, strlen(v));
    unsetenv(name);
    if (!ok) {
        snprintf(err, errlen, "%s: the value of %s must be 1..%zu printable characters without "
                 "spaces", key, name, cap - 1);
        return -1;
    }
    return 0;
}
