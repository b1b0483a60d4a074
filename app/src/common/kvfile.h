/* The key=value file reader every tickpath C program uses for --config FILE and --set.
 *
 * The whole file is read (at most TP_KVFILE_MAX_BYTES) and split into lines here, so nothing
 * is cut or shifted silently. A line is a comment ('#' first after blanks), blank, or
 * `key=value`: the key is everything before the first '=', key and value are trimmed of
 * blanks, the value may be empty and may hold '='. A "\r\n" line end counts as "\n".
 * Errors name FILE:LINE (lines counted from 1, exact whatever came before):
 *   - a line longer than TP_KVFILE_MAX_LINE bytes (without its line end),
 *   - a NUL byte, or a carriage return that does not end the line,
 *   - a line without '=', or with an empty key,
 *   - a key given twice in the file (both line numbers); a later --set or a second file is
 *     an override, not a duplicate,
 *   - whatever the program's callback refuses (unknown key, bad value).
 * The callback sees the settings in file order and stops the reader at its first error; the
 * callers apply to a copy, so a refused file changes nothing. */
#ifndef TP_COMMON_KVFILE_H
#define TP_COMMON_KVFILE_H

#include <stddef.h>

#define TP_KVFILE_MAX_BYTES (1u << 20) /* a configuration file is a few KB; 1 MiB is a mistake */
#define TP_KVFILE_MAX_LINE 4096u       /* bytes per line, line end excluded */

/* flags */
/* '#' anywhere starts a comment that runs to the end of the line (tickpath-gw, -strategy and
 * -sim). Without it, as in tickpath-fh and the rendered format (app/tickpath/config/README.md),
 * only a line that starts with '#' is a comment and a value keeps its '#'. */
#define TP_KVFILE_INLINE_COMMENTS 1u

/* One setting: 0, or -1 with a message in err (the reader puts FILE:LINE in front). line is
 * the 1-based line of a file, 0 for a --set argument. */
typedef int (*tp_kvfile_fn)(void *ctx, const char *key, const char *value, unsigned line,
                            char *err, size_t errlen);

/* Read path and hand each setting to fn. 0, or -1 with "PATH[:LINE]: reason" in err. */
int tp_kvfile_load(const char *path, unsigned flags, tp_kvfile_fn fn, void *ctx, char *err,
                   size_t errlen);
/* The same on bytes in memory (len of them, NULs included); name stands for the path in
 * errors. At most TP_KVFILE_MAX_BYTES. */
int tp_kvfile_parse(const char *name, const char *data, size_t len, unsigned flags,
                    tp_kvfile_fn fn, void *ctx, char *err, size_t errlen);
/* One "key=value" command-line setting (--set): the rules of a file line (first '=', blanks
 * trimmed, non-empty key, at most TP_KVFILE_MAX_LINE bytes, no carriage return), no comments
 * (the argument is taken as given). fn gets line 0. */
int tp_kvfile_set_arg(const char *kv, tp_kvfile_fn fn, void *ctx, char *err, size_t errlen);

#endif
