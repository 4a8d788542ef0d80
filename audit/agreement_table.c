/* audit/agreement_table.c: the six agreement measures for every pair of
 * methods (and against a ground truth when given), averaged over rows, on
 * the interpretable units (feature groups when the data have them). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audit_impl.h"
#include "core/error.h"

/* phi (D) summed into units (G) through groups (NULL: identity). */
static void to_units(const float *phi, size_t D, const uint32_t *groups, size_t G,
                     float *out)
{
    if (!groups) {
        memcpy(out, phi, D * sizeof *phi);
        return;
    }
    memset(out, 0, G * sizeof *out);
    for (size_t j = 0; j < D; j++)
        out[groups[j]] += phi[j];
}

/* Mean over rows of the finite values of each measure into acc. */
static xai_status mean_rows(const float *ua, const float *ub, size_t n, size_t G, size_t k,
                            int same_b_every_row, double acc[XAI_AGREE_COUNT])
{
    size_t cnt[XAI_AGREE_COUNT] = {0};
    for (int q = 0; q < XAI_AGREE_COUNT; q++)
        acc[q] = 0;
    for (size_t i = 0; i < n; i++) {
        double v[XAI_AGREE_COUNT];
        XAI_TRY(xai_audit_agreement_row(ua + i * G, ub + (same_b_every_row ? 0 : i * G), G,
                                        k, v));
        for (int q = 0; q < XAI_AGREE_COUNT; q++)
            if (isfinite(v[q]))
                acc[q] += v[q], cnt[q]++;
    }
    for (int q = 0; q < XAI_AGREE_COUNT; q++)
        acc[q] = cnt[q] ? acc[q] / (double)cnt[q] : NAN;
    return XAI_OK;
}

xai_status audit_agreement_all(xai_audit_result *r, const float *phi,
                               const xai_explain_context *ctx, size_t k,
                               const float *ground_truth)
{
    size_t M = r->n_methods, n = r->n_rows, D = r->n_features;
    const uint32_t *groups = ctx->groups && ctx->n_groups < D && !ctx->image_c
                                 ? ctx->groups : NULL;
    size_t G = groups ? ctx->n_groups : D;
    r->agree_units = G;
    r->agree_k = k ? (k < G ? k : G) : (G < 5 ? G : 5);
    size_t MM = M * M;
    r->agreement = calloc(XAI_AGREE_COUNT * MM, sizeof *r->agreement);
    if (ground_truth)
        r->gt_agreement = calloc(XAI_AGREE_COUNT * M, sizeof *r->gt_agreement);
    float *u = audit_alloc(M * n + 1, G * sizeof *u, "agreement units");
    if (!r->agreement || (ground_truth && !r->gt_agreement) || !u) {
        free(u);
        return xai_fail(XAI_ERR_NOMEM, "audit: out of memory for the agreement");
    }
    for (size_t m = 0; m < M; m++)
        for (size_t i = 0; i < n; i++)
            to_units(phi + (m * n + i) * D, D, groups, G, u + (m * n + i) * G);
    xai_status st = XAI_OK;
    double v[XAI_AGREE_COUNT];
    for (size_t a = 0; a < M && st == XAI_OK; a++)
        for (size_t b = a; b < M && st == XAI_OK; b++) {
            st = mean_rows(u + a * n * G, u + b * n * G, n, G, r->agree_k, 0, v);
            for (int q = 0; st == XAI_OK && q < XAI_AGREE_COUNT; q++)
                r->agreement[q * MM + a * M + b] = r->agreement[q * MM + b * M + a] = v[q];
        }
    if (st == XAI_OK && ground_truth) {
        float *gt = u + M * n * G;
        to_units(ground_truth, D, groups, G, gt);
        for (size_t a = 0; a < M && st == XAI_OK; a++) {
            st = mean_rows(u + a * n * G, gt, n, G, r->agree_k, 1, v);
            for (int q = 0; st == XAI_OK && q < XAI_AGREE_COUNT; q++)
                r->gt_agreement[q * M + a] = v[q];
        }
    }
    free(u);
    return st;
}
