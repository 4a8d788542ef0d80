/* core/dataset_stats_stream.c: column statistics of a CSV file in two
 * streaming passes (see xai_dataset_csv_stats in xai/data.h).  The sums run
 * over the rows in file order exactly as xai_dataset_compute_stats does,
 * so a streamed run and an in-memory one agree to the bit; like it, they
 * run over the values present (missing ones, NaN, are skipped). */
#include <math.h>
#include <stdlib.h>

#include "dataset_impl.h"
#include "error.h"

typedef struct stats_pass {
    int second;          /* 0: sum, min, max; 1: squared deviations */
    size_t features;
    double *sum, *ss, *mean;
    size_t *present;     /* values present per column */
    xai_column_stats *out;
} stats_pass;

static xai_status on_chunk(void *user, const xai_dataset *chunk, size_t first_row)
{
    (void)first_row;
    stats_pass *p = user;
    size_t D = xai_dataset_features(chunk), n = xai_dataset_rows(chunk);
    if (!p->out) {
        p->features = D;
        p->out = calloc(D ? D : 1, sizeof *p->out);
        p->sum = calloc(D ? D : 1, sizeof *p->sum);
        p->ss = calloc(D ? D : 1, sizeof *p->ss);
        p->mean = calloc(D ? D : 1, sizeof *p->mean);
        p->present = calloc(D ? D : 1, sizeof *p->present);
        if (!p->out || !p->sum || !p->ss || !p->mean || !p->present)
            return xai_fail(XAI_ERR_NOMEM, "out of memory for column summaries");
        for (size_t j = 0; j < D; j++)
            p->out[j].min = INFINITY, p->out[j].max = -INFINITY;
    }
    const float *x = xai_dataset_values(chunk);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < D; j++) {
            double v = x[i * D + j];
            if (isnan(v))
                continue;
            if (p->second) {
                double d = v - p->mean[j];
                p->ss[j] += d * d;
            } else {
                p->present[j]++;
                p->sum[j] += v;
                p->out[j].min = v < p->out[j].min ? v : p->out[j].min;
                p->out[j].max = v > p->out[j].max ? v : p->out[j].max;
            }
        }
    return XAI_OK;
}

xai_status xai_dataset_csv_stats(const char *path, const xai_csv_options *opt,
                                 size_t chunk_rows, xai_column_stats **stats,
                                 size_t *features, size_t *rows)
{
    *stats = NULL;
    stats_pass p = {0};
    xai_csv_stream st = {chunk_rows, NULL, on_chunk, &p};
    size_t n = 0, n2 = 0;
    xai_status s = xai_dataset_stream_csv(NULL, path, opt, &st, &n);
    if (s == XAI_OK) {
        for (size_t j = 0; j < p.features; j++)
            p.mean[j] = p.present[j] ? p.sum[j] / (double)p.present[j] : 0;
        p.second = 1;
        s = xai_dataset_stream_csv(NULL, path, opt, &st, &n2);
    }
    if (s == XAI_OK && n2 != n)
        s = xai_fail(XAI_ERR_IO, "%s: the file changed between two passes (%zu rows, "
                     "then %zu)", path, n, n2);
    if (s == XAI_OK) {
        for (size_t j = 0; j < p.features; j++) {
            size_t k = p.present[j];
            p.out[j].mean = p.mean[j];
            p.out[j].std = k ? sqrt(p.ss[j] / (double)k) : 0;
            if (!k) /* no value present: summarised as 0, as in memory */
                p.out[j].min = p.out[j].max = 0;
        }
        *stats = p.out;
        *features = p.features;
        *rows = n;
        p.out = NULL;
    }
    free(p.out);
    free(p.sum);
    free(p.ss);
    free(p.mean);
    free(p.present);
    return s;
}
