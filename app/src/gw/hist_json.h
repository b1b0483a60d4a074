/* JSON form of a tp_hist (shm/hist.h, docs/histogram.md): count, sum, min, max, overflow,
 * p50/p90/p99/p99.9/p100 (bucket upper bounds, never below the true value) and the sparse
 * bucket list [[bucket, count], ...] that tickpath.histogram reads back. */
#ifndef TP_GW_HIST_JSON_H
#define TP_GW_HIST_JSON_H

#include <stdio.h>

#include "shm/hist.h"

void tp_hist_write_json(FILE *f, const tp_hist *h);

#endif
