/* tp_hist -> JSON. */
#include "gw/hist_json.h"

void tp_hist_write_json(FILE *f, const tp_hist *h)
{
    fprintf(f,
            "{\"count\": %llu, \"sum\": %llu, \"min\": %llu, \"max\": %llu, \"overflow\": %llu, "
            "\"p50\": %llu, \"p90\": %llu, \"p99\": %llu, \"p99_9\": %llu, \"p100\": %llu, "
            "\"buckets\": [",
            (unsigned long long)h->count, (unsigned long long)h->sum,
            (unsigned long long)(h->count ? h->min : 0), (unsigned long long)h->max,
            (unsigned long long)h->overflow, (unsigned long long)tp_hist_quantile(h, 0.50),
            (unsigned long long)tp_hist_quantile(h, 0.90),
            (unsigned long long)tp_hist_quantile(h, 0.99),
            (unsigned long long)tp_hist_quantile(h, 0.999),
            (unsigned long long)tp_hist_quantile(h, 1.0));
    int first = 1;
    for (unsigned b = 0; b < TP_HIST_BUCKETS; b++)
        if (h->buckets[b]) {
            fprintf(f, "%s[%u, %llu]", first ? "" : ", ", b, (unsigned long long)h->buckets[b]);
            first = 0;
        }
    fputs("]}", f);
}
