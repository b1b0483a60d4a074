/* Names and offsets of the shm layout, for the exit statistics and `tickpath-fh
 * --print-layout` (the machine-readable twin of LAYOUT.md). */
#ifndef TP_SHM_DESCRIBE_H
#define TP_SHM_DESCRIBE_H

#include <stddef.h>
#include <stdio.h>

#include "shm/layout.h"

typedef struct {
    const char *name;
    size_t offset; /* inside tp_shm_counters */
} tp_counter_desc;

extern const tp_counter_desc tp_counter_descs[];
extern const size_t tp_counter_ndescs;

void tp_shm_print_layout(FILE *out);
/* Counters as JSON object members (no braces). */
void tp_shm_print_counters(FILE *out, const tp_shm_counters *c);

#endif
