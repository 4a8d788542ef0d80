/* explainers/treeshap.c: the `treeshap` preset, exact Shapley values of a
 * tree ensemble's margin (treeshap_path.c, treeshap_interventional.c).
 *
 * The baseline chooses the game:
 *  - XAI_BASELINE_TREE_PATH: path-dependent TreeSHAP, v(S) = E[f | x_S]
 *    under the trees' training covers; fbaseline is v({}) (the cover-
 *    weighted mean margin, shap's expected_value);
 *  - any other baseline (mean, zero, row, background rows): interventional
 *    TreeSHAP, v(S) = mean over baseline rows b of f(x_S, b_notS), the game
 *    KernelSHAP estimates with the same baseline, so TreeSHAP is the exact
 *    minimiser of KernelSHAP's objective.
 * Units (feature groups) are players; a unit's value is spread equally over
 * its features.  Margins only: the output explained must be the score
 * (log-odds for LOGISTIC and SOFTMAX models), or the outputs of an IDENTITY
 * ensemble, where the two agree; probabilities through a sigmoid or softmax
 * are not a sum over trees and would need every coalition. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xai/trees.h>

#include "core/error.h"
#include "lfa.h"
#include "treeshap.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static xai_status resolve(const xai_model *m, xai_explain_options *o)
{
    const xai_tree_ensemble *t = xai_model_trees(m);
    if (!t)
        return xai_fail(XAI_ERR_UNSUPPORTED, "treeshap explains tree ensembles "
                        "(XGBoost JSON, ONNX-ML tree models); this model is not "
                        "one (kernelshap computes the same Shapley values by "
                        "sampling)");
    if (o->output == XAI_OUTPUT_PROB && t->transform != XAI_TREE_IDENTITY)
        return xai_fail(XAI_ERR_UNSUPPORTED, "treeshap explains the margin "
                        "(log-odds), a sum over trees; the model's probabilities "
                        "pass it through a %s, whose Shapley values no tree "
                        "algorithm gives exactly: explain the score "
                        "(--output score, XAI_OUTPUT_SCORE)",
                        t->transform == XAI_TREE_LOGISTIC ? "sigmoid" : "softmax");
    if (o->baseline == XAI_BASELINE_TREE_PATH && t->covers_unknown)
        return xai_fail(XAI_ERR_UNSUPPORTED, "path-dependent treeshap weighs "
                        "each split by the training data's cover, which this "
                        "model file does not record; give a baseline (e.g. "
                        "--baseline background:100) for interventional treeshap");
    if (t->max_depth > XAI_TREE_MAX_DEPTH)
        return xai_fail(XAI_ERR_INVALID, "tree depth %d above %d",
                        t->max_depth, XAI_TREE_MAX_DEPTH);
    o->samples = 1; /* one exact computation; resolving again keeps it */
    return XAI_OK;
}

static xai_status explain_row(xai_runner *r, const xai_explain_options *o,
                              const xai_explain_context *ctx, const float *x,
                              xai_rng *rng, int32_t target, float *phi,
                              xai_explain_diag *diag)
{
    (void)rng;
    double t0 = now();
    const xai_tree_ensemble *t = xai_model_trees(xai_runner_model(r));
    size_t D = ctx->n_features, U = ctx->groups ? ctx->n_groups : D;
    if (!t || target < 0 || (size_t)target >= t->n_margins)
        return xai_fail(XAI_ERR_INTERNAL, "treeshap: no tree ensemble or "
                        "margin %d", (int)target);
    uint32_t *unit = malloc(D * sizeof *unit);
    size_t *count = calloc(U, sizeof *count);
    double *pu = calloc(2 * U, sizeof *pu), *acc = pu + U;
    float *own = malloc(D * sizeof *own);
    xai_treeshap_work *w = xai_treeshap_work_new(t, U);
    xai_status s = XAI_OK;
    if (!unit || !count || !pu || !own || !w) {
        s = xai_fail(XAI_ERR_NOMEM, "treeshap: out of memory (%zu units, depth %d)",
                     U, t->max_depth);
        goto out;
    }
    for (size_t j = 0; j < D; j++) {
        unit[j] = ctx->groups ? ctx->groups[j] : (uint32_t)j;
        count[unit[j]]++;
    }
    size_t k = (size_t)target;
    if (o->baseline == XAI_BASELINE_TREE_PATH) {
        xai_treeshap_path(t, unit, x, k, w, acc);
        diag->fbaseline = xai_treeshap_expected(t, k);
    } else {
        size_t nb;
        const float *b = xai_baseline_rows(o, ctx, own, &nb);
        for (size_t i = 0; i < nb; i++) {
            memset(pu, 0, U * sizeof *pu);
            xai_treeshap_interventional(t, unit, x, b + i * D, k, w, pu);
            for (size_t u = 0; u < U; u++)
                acc[u] += pu[u];
        }
        for (size_t u = 0; u < U; u++)
            acc[u] /= (double)nb;
    }
    double sum = 0;
    for (size_t u = 0; u < U; u++)
        sum += acc[u];
    for (size_t j = 0; j < D; j++)
        phi[j] = (float)(acc[unit[j]] / (double)count[unit[j]]);
    diag->completeness_gap = fabs(sum - (diag->fx - diag->fbaseline));
    diag->exact = 1;
    diag->samples = 1;
    diag->seconds = now() - t0;
out:
    free(unit);
    free(count);
    free(pu);
    free(own);
    xai_treeshap_work_free(w);
    return s;
}

const xai_preset xai_preset_treeshap = {
    .name = "treeshap",
    .summary = "exact Shapley values of a tree ensemble's margin (path-dependent, "
               "or interventional with a baseline)",
    /* the exact solution of KernelSHAP's problem (interventional game) */
    .spec = {XAI_NBHD_MASKS, XAI_LOSS_FUNCTION, XAI_KERNEL_SHAPLEY, XAI_SCALE_NONE},
    .default_samples = 0,
    .default_sigma = 0,
    .explain = explain_row,
    .resolve = resolve,
    .tabular = 1,
};
