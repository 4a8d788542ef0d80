/* recourse/context.c: options, the recourse context (bounds, scales, groups,
 * constraints, the accepted training rows) and the thread pool. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/parallel.h"
#include "recourse_impl.h"

static const char *const method_names[XAI_CF_METHOD_COUNT] = {"closest", "nn", "trex",
                                                             "trex-nn"};

const char *xai_cf_method_name(xai_cf_method m)
{
    return (unsigned)m < XAI_CF_METHOD_COUNT ? method_names[m] : "?";
}

int xai_cf_method_find(const char *name)
{
    for (int i = 0; i < XAI_CF_METHOD_COUNT; i++)
        if (strcmp(name, method_names[i]) == 0)
            return i;
    return -1;
}

xai_recourse_options xai_recourse_options_default(void)
{
    return (xai_recourse_options){.desired = 1, .sigma = 0.05, .k = 1000, .tau = 0.75,
                                  .kappa = 0, .beta = 0.1, .c_init = 1, .c_steps = 10,
                                  .iters = 300, .lr = 0.01, .trex_step = 0.01,
                                  .trex_radius = 1.0, .trex_iters = 400, .lof_k = 10,
                                  .seed = 0, .n_threads = 0};
}

static xai_status check_options(const xai_recourse_options *o, size_t n_out)
{
    if (n_out == 1 ? (o->desired != 0 && o->desired != 1)
                   : (o->desired < 0 || (size_t)o->desired >= n_out))
        return xai_fail(XAI_ERR_INVALID,
                        "desired class %d is out of range: the model has %zu output%s "
                        "(classes 0..%zu)", o->desired, n_out, n_out == 1 ? "" : "s",
                        n_out == 1 ? (size_t)1 : n_out - 1);
    if (!(o->sigma > 0) || !isfinite(o->sigma))
        return xai_fail(XAI_ERR_INVALID, "sigma must be a positive number, got %g", o->sigma);
    if (o->k < 2)
        return xai_fail(XAI_ERR_INVALID, "k (samples of R^) must be >= 2, got %u", o->k);
    if (!(o->tau > 0 && o->tau < 1))
        return xai_fail(XAI_ERR_INVALID, "tau must be in (0, 1), got %g", o->tau);
    if (!(o->kappa >= 0) || !isfinite(o->kappa) || !(o->beta >= 0) || !isfinite(o->beta))
        return xai_fail(XAI_ERR_INVALID, "kappa and beta must be >= 0, got %g and %g",
                        o->kappa, o->beta);
    if (!(o->c_init > 0) || !isfinite(o->c_init) || !o->c_steps || !o->iters ||
        !(o->lr > 0) || !isfinite(o->lr))
        return xai_fail(XAI_ERR_INVALID, "closest needs c_init > 0, c_steps >= 1, "
                        "iters >= 1 and lr > 0");
    if (!(o->trex_step > 0) || !(o->trex_radius > 0) || !isfinite(o->trex_step) ||
        !isfinite(o->trex_radius) || !o->trex_iters)
        return xai_fail(XAI_ERR_INVALID, "trex needs step > 0, radius > 0, iters >= 1");
    if (o->lof_k < 1 || o->lof_k > 64)
        return xai_fail(XAI_ERR_INVALID, "lof_k must be in 1..64, got %u", o->lof_k);
    return XAI_OK;
}

void xai_recourse_free(xai_recourse *rc)
{
    if (!rc)
        return;
    free(rc->lo);
    free(rc->hi);
    free(rc->scale);
    free(rc->flags);
    free(rc->group);
    free(rc->gsize);
    free(rc->gfirst);
    free(rc->acc);
    free(rc->acc_kdist);
    free(rc->acc_lrd);
    free(rc);
}

size_t xai_recourse_accepted_count(const xai_recourse *rc) { return rc->n_acc; }

/* Groups: ids, sizes, first columns; one-hot groups checked on the data. */
static xai_status setup_groups(xai_recourse *rc, const float *train, size_t n,
                               const uint32_t *groups)
{
    size_t d = rc->d;
    rc->n_groups = 0;
    for (size_t j = 0; j < d; j++) {
        uint32_t g = groups ? groups[j] : (uint32_t)j;
        if (g >= d)
            return xai_fail(XAI_ERR_INVALID, "feature %zu has group id %u, beyond the "
                            "%zu features", j, g, d);
        rc->group[j] = g;
        if ((size_t)g + 1 > rc->n_groups)
            rc->n_groups = (size_t)g + 1;
    }
    for (size_t g = 0; g < rc->n_groups; g++)
        rc->gfirst[g] = UINT32_MAX;
    for (size_t j = 0; j < d; j++) {
        uint32_t g = rc->group[j];
        rc->gsize[g]++;
        if (rc->gfirst[g] == UINT32_MAX)
            rc->gfirst[g] = (uint32_t)j;
    }
    for (size_t g = 0; g < rc->n_groups; g++) {
        if (rc->gsize[g] < 2)
            continue;
        rc->needs_projection = 1;
        for (size_t i = 0; i < n; i++) {
            int ones = 0, other = 0;
            for (size_t j = rc->gfirst[g]; j < d; j++)
                if (rc->group[j] == g) {
                    float v = train[i * d + j];
                    ones += v == 1.0f;
                    other += v != 0.0f && v != 1.0f;
                }
            if (ones != 1 || other)
                return xai_fail(XAI_ERR_INVALID,
                                "the group of column %u is not one-hot in training row "
                                "%zu (one column must be 1, the others 0)",
                                rc->gfirst[g], i);
        }
    }
    return XAI_OK;
}

/* Spreads flags over groups; refuses increasing one-hot groups. */
static xai_status setup_flags(xai_recourse *rc, const uint8_t *flags)
{
    size_t d = rc->d;
    for (size_t j = 0; j < d; j++)
        rc->flags[j] = flags ? flags[j] & (XAI_RC_IMMUTABLE | XAI_RC_INCREASING |
                                           XAI_RC_INTEGER) : 0;
    for (size_t j = 0; j < d; j++) {
        uint32_t g = rc->group[j];
        if (rc->gsize[g] < 2)
            continue;
        if (rc->flags[j] & XAI_RC_INCREASING)
            return xai_fail(XAI_ERR_INVALID, "column %zu is in a one-hot group: "
                            "'increasing' is defined for single numeric columns", j);
        if (rc->flags[j] & XAI_RC_IMMUTABLE)
            for (size_t t = 0; t < d; t++)
                if (rc->group[t] == g)
                    rc->flags[t] |= XAI_RC_IMMUTABLE;
    }
    size_t free_cols = 0;
    for (size_t j = 0; j < d; j++) {
        if (rc->flags[j] & XAI_RC_INTEGER)
            rc->needs_projection = 1;
        free_cols += !(rc->flags[j] & XAI_RC_IMMUTABLE);
    }
    if (free_cols == 0)
        return xai_fail(XAI_ERR_INVALID, "every feature is immutable: no counterfactual "
                        "can change anything");
    return XAI_OK;
}

xai_status xai_recourse_new(const xai_model *m, const float *train, size_t n_train,
                            size_t n_features, const uint32_t *groups,
                            const uint8_t *flags, const xai_recourse_options *o,
                            xai_recourse **out)
{
    *out = NULL;
    if (!m || !train || !o)
        return xai_fail(XAI_ERR_INVALID, "recourse: model, training rows and options "
                        "are required");
    size_t d = xai_model_input_size(m), no = xai_model_output_size(m);
    if (n_features != d)
        return xai_fail(XAI_ERR_SHAPE, "the training data has %zu features but the "
                        "model takes %zu inputs", n_features, d);
    if (!xai_model_outputs_probabilities(m))
        return xai_fail(XAI_ERR_UNSUPPORTED, "counterfactuals need a model whose outputs "
                        "are probabilities (a final Sigmoid or Softmax)");
    if (n_train < 2)
        return xai_fail(XAI_ERR_INVALID, "recourse needs at least 2 training rows, got %zu",
                        n_train);
    XAI_TRY(check_options(o, no));
    for (size_t i = 0; i < n_train * d; i++)
        if (!isfinite(train[i]))
            return xai_fail(XAI_ERR_NUMERIC, "training row %zu, feature %zu is not finite",
                            i / d, i % d);
    xai_recourse *rc = calloc(1, sizeof *rc);
    if (!rc)
        return xai_fail(XAI_ERR_NOMEM, "out of memory");
    rc->model = m;
    rc->o = *o;
    rc->d = d;
    rc->n_out = no;
    rc->lo = malloc(d * sizeof *rc->lo);
    rc->hi = malloc(d * sizeof *rc->hi);
    rc->scale = malloc(d * sizeof *rc->scale);
    rc->flags = calloc(d, 1);
    rc->group = calloc(d, sizeof *rc->group);
    rc->gsize = calloc(d, sizeof *rc->gsize);
    rc->gfirst = calloc(d, sizeof *rc->gfirst);
    float *y = NULL;
    size_t bytes;
    xai_status s = XAI_OK;
    if (!rc->lo || !rc->hi || !rc->scale || !rc->flags || !rc->group || !rc->gsize ||
        !rc->gfirst || !xai_mul3_size(n_train, d, sizeof(float), &bytes) ||
        !(rc->acc = malloc(bytes)) || !(y = malloc(n_train * no * sizeof *y))) {
        s = xai_fail(XAI_ERR_NOMEM, "out of memory for %zu training rows", n_train);
        goto fail;
    }
    for (size_t j = 0; j < d; j++) {
        float lo = train[j], hi = train[j];
        for (size_t i = 1; i < n_train; i++) {
            float v = train[i * d + j];
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
        }
        rc->lo[j] = lo;
        rc->hi[j] = hi;
        rc->scale[j] = hi > lo ? hi - lo : 1.0f;
    }
    if ((s = setup_groups(rc, train, n_train, groups)) != XAI_OK ||
        (s = setup_flags(rc, flags)) != XAI_OK)
        goto fail;
    xai_runner *r;
    if ((s = xai_runner_new(m, &r)) != XAI_OK)
        goto fail;
    s = xai_runner_forward(r, XAI_OUTPUT_PROB, train, n_train, y);
    xai_runner_free(r);
    if (s != XAI_OK)
        goto fail;
    for (size_t i = 0; i < n_train; i++)
        if (rc_logit(rc, y + i * no) >= 0)
            memcpy(rc->acc + rc->n_acc++ * d, train + i * d, d * sizeof(float));
    if ((s = rc_lof_prepare(rc)) != XAI_OK)
        goto fail;
    free(y);
    *out = rc;
    return XAI_OK;
fail:
    free(y);
    xai_recourse_free(rc);
    return s;
}

xai_status rc_for_tasks(const xai_model *m, size_t n_tasks, int n_threads,
                        rc_task_fn fn, void *ctx)
{
    return xai_parallel_tasks(m, n_tasks, n_threads, fn, ctx);
}
