/* audit/accuracy.c: accuracy = mean_i [pred(x_i) == y_i]; majority rate =
 * max_c mean_i [y_i == c]. */
#include <math.h>
#include <stdlib.h>

#include "audit_impl.h"
#include "core/error.h"

enum { ACC_CHUNK = 256 }; /* rows per model call */

typedef struct acc_call {
    const xai_model *m;
    const float *x;
    size_t n, D, K;
    int32_t *pred; /* or NULL */
    double *p1;    /* or NULL */
} acc_call;

/* Predictions of rows [b * ACC_CHUNK, ...) from one batched forward. */
static xai_status acc_chunk(void *vc, xai_runner *r, size_t b)
{
    const acc_call *c = vc;
    size_t i0 = b * ACC_CHUNK, n = c->n - i0 < ACC_CHUNK ? c->n - i0 : ACC_CHUNK;
    float *y = audit_alloc(n, c->K * sizeof *y, "model outputs");
    if (!y)
        return XAI_ERR_NOMEM;
    xai_status st = xai_runner_forward(r, XAI_OUTPUT_PROB, c->x + i0 * c->D, n, y);
    for (size_t i = 0; st == XAI_OK && i < n; i++) {
        const float *yi = y + i * c->K;
        size_t best = 0;
        if (c->K == 1)
            best = yi[0] >= 0.5f;
        else
            for (size_t k = 1; k < c->K; k++)
                if (yi[k] > yi[best])
                    best = k;
        if (c->pred)
            c->pred[i0 + i] = (int32_t)best;
        if (c->p1)
            c->p1[i0 + i] = c->K == 1 ? yi[0] : yi[1];
    }
    free(y);
    return st;
}

xai_status audit_predict(const xai_model *m, const float *x, size_t n, int n_threads,
                         int32_t *pred, double *p1)
{
    acc_call c = {m, x, n, xai_model_input_size(m), xai_model_output_size(m), pred, p1};
    return audit_for_rows(m, (n + ACC_CHUNK - 1) / ACC_CHUNK, n_threads, acc_chunk, &c);
}

xai_status xai_audit_accuracy(const xai_model *m, const float *x,
                              const float *labels, size_t n, int n_threads,
                              double *accuracy, double *majority)
{
    if (!m || !x || !labels || !n || !accuracy || !majority)
        return xai_fail(XAI_ERR_INVALID, "accuracy: model, rows, labels and "
                        "outputs are required");
    size_t K = xai_model_output_size(m), C = K == 1 ? 2 : K;
    if (K == 1 && !xai_model_outputs_probabilities(m))
        return xai_fail(XAI_ERR_UNSUPPORTED, "accuracy: a one-output model that "
                        "does not output a probability is not a classifier");
    for (size_t i = 0; i < n; i++)
        if (!(labels[i] >= 0) || labels[i] != floorf(labels[i]) || labels[i] >= (float)C)
            return xai_fail(XAI_ERR_INVALID, "accuracy: row %zu: label %g is not a "
                            "class index in 0..%zu", i, labels[i], C - 1);
    size_t *count = calloc(C, sizeof *count);
    int32_t *pred = audit_alloc(n, sizeof *pred, "predictions");
    xai_status st = XAI_ERR_NOMEM;
    if (!count || !pred) {
        free(count), free(pred);
        return xai_fail(XAI_ERR_NOMEM, "accuracy: out of memory");
    }
    st = audit_predict(m, x, n, n_threads, pred, NULL);
    if (st == XAI_OK) {
        size_t hit = 0, best = 0;
        for (size_t i = 0; i < n; i++) {
            hit += pred[i] == (int32_t)labels[i];
            count[(size_t)labels[i]]++;
        }
        for (size_t k = 0; k < C; k++)
            if (count[k] > best)
                best = count[k];
        *accuracy = (double)hit / (double)n;
        *majority = (double)best / (double)n;
    }
    free(count), free(pred);
    return st;
}
