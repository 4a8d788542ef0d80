/* audit/rows.c: per-row parallel loop, targets, noise scales, ordering. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "audit_impl.h"
#include "core/error.h"
#include "core/parallel.h"

xai_audit_setup xai_audit_setup_default(const xai_model *m)
{
    xai_audit_setup s = {.model = m,
                         .n_features = m ? xai_model_input_size(m) : 0,
                         .output = XAI_OUTPUT_PROB};
    return s;
}

void *audit_alloc(size_t a, size_t b, const char *what)
{
    size_t n;
    void *p = NULL;
    if (xai_mul_size(a, b, &n))
        p = malloc(n ? n : 1);
    if (!p)
        xai_fail(XAI_ERR_NOMEM, "out of memory (%s: %zu x %zu bytes)", what, a, b);
    return p;
}

xai_status audit_wrap(xai_status st, const char *prefix)
{
    char msg[1024];
    snprintf(msg, sizeof msg, "%s", xai_last_error());
    return xai_fail(st, "%s: %s", prefix, msg);
}

xai_status audit_check(const xai_audit_setup *s, const float *x, size_t n_rows,
                       const float *phi, const char *metric)
{
    if (!s || !s->model || !x)
        return xai_fail(XAI_ERR_INVALID, "%s: setup, model and rows are required",
                        metric);
    size_t D = s->n_features;
    if (D != xai_model_input_size(s->model))
        return xai_fail(XAI_ERR_SHAPE, "%s: %zu features given but the model "
                        "takes %zu inputs", metric, D, xai_model_input_size(s->model));
    if (n_rows == 0)
        return xai_fail(XAI_ERR_INVALID, "%s: no rows", metric);
    size_t K = xai_model_output_size(s->model);
    for (size_t i = 0; i < n_rows; i++) {
        if (s->target && (s->target[i] < 0 || (size_t)s->target[i] >= K))
            return xai_fail(XAI_ERR_INVALID, "%s: row %llu: target %d out of range "
                            "(the model has %zu outputs)", metric,
                            (unsigned long long)(s->first_instance + i),
                            (int)s->target[i], K);
        for (size_t j = 0; j < D; j++) {
            if (!isfinite(x[i * D + j]))
                return xai_fail(XAI_ERR_NUMERIC, "%s: row %llu, feature %zu: input "
                                "is not a finite number", metric,
                                (unsigned long long)(s->first_instance + i), j);
            if (phi && !isfinite(phi[i * D + j]))
                return xai_fail(XAI_ERR_NUMERIC, "%s: row %llu, feature %zu: "
                                "attribution is not a finite number", metric,
                                (unsigned long long)(s->first_instance + i), j);
        }
    }
    return XAI_OK;
}

double audit_scale(const xai_audit_setup *s, size_t j)
{
    return xai_column_scale(s->stats ? &s->stats[j] : NULL); /* the one rule */
}

xai_status audit_eval_row(const xai_audit_setup *s, xai_runner *r, size_t row,
                          const float *pts, size_t n, size_t ix, float *buf,
                          int32_t *t, double *fx, double *y)
{
    size_t K = xai_model_output_size(s->model), best = 0;
    XAI_TRY(xai_runner_forward(r, s->output, pts, n, buf));
    const float *yx = buf + ix * K;
    if (s->target)
        best = (size_t)s->target[row];
    else
        for (size_t k = 1; k < K; k++)
            if (yx[k] > yx[best])
                best = k;
    *t = (int32_t)best;
    *fx = yx[best];
    for (size_t i = 0; i < n; i++)
        y[i] = buf[i * K + best];
    return XAI_OK;
}

/* Stable insertion-free ordering: merge sort on indices. */
static void merge_sort(const double *key, uint32_t *a, uint32_t *tmp, size_t n)
{
    if (n < 2)
        return;
    size_t h = n / 2;
    merge_sort(key, a, tmp, h);
    merge_sort(key, a + h, tmp, n - h);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = key[a[j]] > key[a[i]] ? a[j++] : a[i++];
    while (i < h)
        tmp[k++] = a[i++];
    while (j < n)
        tmp[k++] = a[j++];
    for (k = 0; k < n; k++)
        a[k] = tmp[k];
}

void audit_order_desc(const double *key, size_t n, uint32_t *order)
{
    uint32_t *tmp = malloc((n ? n : 1) * sizeof *tmp);
    for (size_t i = 0; i < n; i++)
        order[i] = (uint32_t)i;
    if (!tmp) { /* fall back to insertion sort: no allocation */
        for (size_t i = 1; i < n; i++)
            for (size_t j = i; j > 0 && key[order[j]] > key[order[j - 1]]; j--) {
                uint32_t t = order[j];
                order[j] = order[j - 1];
                order[j - 1] = t;
            }
        return;
    }
    merge_sort(key, order, tmp, n);
    free(tmp);
}

xai_status audit_for_rows(const xai_model *m, size_t n_rows, int n_threads,
                          audit_row_fn fn, void *ctx)
{
    return xai_parallel_tasks(m, n_rows, n_threads, fn, ctx);
}
