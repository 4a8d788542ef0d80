/* recourse/generate.c: xai_recourse_generate, xai_recourse_score and
 * xai_recourse_validity: blocks of RC_BLOCK rows over the threads (T-Rex's
 * ascent then one row per task). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "recourse_impl.h"

typedef struct gen_ctx {
    xai_recourse *rc;
    xai_cf_method method;
    const float *x;
    size_t n;
    uint64_t first;
    float *cf;
    xai_cf_result *res;
    const float *orig;
    xai_cf_score *sc;
} gen_ctx;

static xai_status gen_block(void *vctx, xai_runner *r, size_t b)
{
    gen_ctx *c = vctx;
    xai_recourse *rc = c->rc;
    const size_t D = rc->d;
    size_t i0 = b * RC_BLOCK, n = c->n - i0 < RC_BLOCK ? c->n - i0 : RC_BLOCK;
    float buf[RC_BLOCK * 16], *ybuf = buf;
    double logit[RC_BLOCK];
    if (rc->n_out > 16 && !(ybuf = malloc(RC_BLOCK * rc->n_out * sizeof *ybuf)))
        return xai_fail(XAI_ERR_NOMEM, "out of memory");
    xai_status s = rc_eval(rc, r, c->x + i0 * D, n, ybuf, NULL, logit);
    if (ybuf != buf)
        free(ybuf);
    XAI_TRY(s);
    /* Rows still to search, gathered for the batched closest. */
    size_t todo[RC_BLOCK], m = 0;
    for (size_t i = 0; i < n; i++) {
        size_t g = i0 + i;
        memcpy(c->cf + g * D, c->x + g * D, D * sizeof(float));
        if (logit[i] >= 0)
            c->res[g] = (xai_cf_result){0, 1, "already accepted"};
        else
            todo[m++] = g;
    }
    if (!m)
        return XAI_OK;
    if (c->method == XAI_CF_NN || c->method == XAI_CF_TREX_NN) {
        for (size_t t = 0; t < m; t++) {
            size_t g = todo[t];
            XAI_TRY(rc_trexnn_row(rc, r, c->x + g * D, c->first + g, c->cf + g * D,
                                  &c->res[g], c->method == XAI_CF_TREX_NN));
        }
        return XAI_OK;
    }
    float *xs = malloc(2 * m * D * sizeof *xs);
    xai_cf_result rs[RC_BLOCK];
    if (!xs)
        return xai_fail(XAI_ERR_NOMEM, "out of memory");
    for (size_t t = 0; t < m; t++)
        memcpy(xs + t * D, c->x + todo[t] * D, D * sizeof *xs);
    s = rc_closest_block(rc, r, xs, m, xs + m * D, rs);
    for (size_t t = 0; t < m && s == XAI_OK; t++) {
        size_t g = todo[t];
        memcpy(c->cf + g * D, xs + (m + t) * D, D * sizeof(float));
        c->res[g] = rs[t];
    }
    free(xs);
    return s;
}

static xai_status trex_task(void *vctx, xai_runner *r, size_t g)
{
    gen_ctx *c = vctx;
    const size_t D = c->rc->d;
    return rc_trex_row(c->rc, r, c->x + g * D, c->first + g, c->cf + g * D, &c->res[g]);
}

static xai_status check_rows(const xai_recourse *rc, const float *x, size_t n,
                             const char *what)
{
    for (size_t i = 0; i < n * rc->d; i++)
        if (!isfinite(x[i]))
            return xai_fail(XAI_ERR_NUMERIC, "%s row %zu, feature %zu is not finite", what,
                            i / rc->d, i % rc->d);
    return XAI_OK;
}

xai_status xai_recourse_generate(xai_recourse *rc, xai_cf_method method,
                                 const float *x, size_t n, uint64_t first_row,
                                 float *cf, xai_cf_result *res)
{
    if ((unsigned)method >= XAI_CF_METHOD_COUNT)
        return xai_fail(XAI_ERR_INVALID, "unknown counterfactual method %d", (int)method);
    XAI_TRY(check_rows(rc, x, n, "input"));
    gen_ctx c = {rc, method, x, n, first_row, cf, res, NULL, NULL};
    XAI_TRY(rc_for_tasks(rc->model, (n + RC_BLOCK - 1) / RC_BLOCK, rc->o.n_threads,
                         gen_block, &c));
    if (method != XAI_CF_TREX)
        return XAI_OK;
    /* T-Rex from each closest counterfactual: one task per row, so that every
     * thread has work even when there are few rows. */
    return rc_for_tasks(rc->model, n, rc->o.n_threads, trex_task, &c);
}

static xai_status score_block(void *vctx, xai_runner *r, size_t b)
{
    gen_ctx *c = vctx;
    xai_recourse *rc = c->rc;
    const size_t D = rc->d, k = rc->o.k, no = rc->n_out;
    size_t i0 = b * RC_BLOCK, n = c->n - i0 < RC_BLOCK ? c->n - i0 : RC_BLOCK;
    /* buf receives the block's n outputs first, then the k + 1 samples' */
    size_t rows_out = k + 1 > RC_BLOCK ? k + 1 : RC_BLOCK;
    float *pts = malloc(((k + 1) * D + rows_out * no) * sizeof *pts);
    if (!pts)
        return xai_fail(XAI_ERR_NOMEM, "out of memory");
    float *buf = pts + (k + 1) * D;
    double logit[RC_BLOCK];
    xai_status s = rc_eval(rc, r, c->x + i0 * D, n, buf, NULL, logit);
    for (size_t i = 0; i < n && s == XAI_OK; i++) {
        size_t g = i0 + i;
        const float *xp = c->x + g * D;
        xai_cf_score *q = &c->sc[g];
        xai_rng rng;
        xai_rng_init(&rng, rc->o.seed ^ RC_TAG_SCORE, c->first + g);
        s = rc_stability(rc, r, xp, &rng, pts, buf, NULL, NULL, &q->stability,
                         &q->stability_se, NULL, &q->output);
        q->accepted = logit[i] >= 0;
        q->cost_l1 = q->cost_l2 = NAN;
        q->changed = 0;
        if (c->orig)
            rc_cost(rc, c->orig + g * D, xp, &q->cost_l1, &q->cost_l2, &q->changed);
        q->lof = rc_lof(rc, xp);
    }
    free(pts);
    return s;
}

xai_status xai_recourse_score(xai_recourse *rc, const float *cf, const float *orig,
                              size_t n, uint64_t first_row, xai_cf_score *sc)
{
    XAI_TRY(check_rows(rc, cf, n, "counterfactual"));
    gen_ctx c = {rc, 0, cf, n, first_row, NULL, NULL, orig, sc};
    return rc_for_tasks(rc->model, (n + RC_BLOCK - 1) / RC_BLOCK, rc->o.n_threads,
                        score_block, &c);
}

xai_status xai_recourse_validity(const xai_recourse *rc, const xai_model *alt,
                                 const float *cf, size_t n, uint8_t *valid)
{
    size_t di = xai_model_input_size(alt), no = xai_model_output_size(alt);
    if (di != rc->d || no != rc->n_out)
        return xai_fail(XAI_ERR_SHAPE, "the alternative model takes %zu inputs and gives "
                        "%zu outputs; the model takes %zu and gives %zu", di, no, rc->d,
                        rc->n_out);
    if (!xai_model_outputs_probabilities(alt))
        return xai_fail(XAI_ERR_UNSUPPORTED, "the alternative model's outputs are not "
                        "probabilities (no final Sigmoid or Softmax)");
    float *y = malloc((n ? n : 1) * no * sizeof *y);
    xai_runner *r = NULL;
    if (!y)
        return xai_fail(XAI_ERR_NOMEM, "out of memory");
    xai_status s = xai_runner_new(alt, &r);
    if (s == XAI_OK)
        s = xai_runner_forward(r, XAI_OUTPUT_PROB, cf, n, y);
    for (size_t i = 0; i < n && s == XAI_OK; i++)
        valid[i] = rc_logit(rc, y + i * no) >= 0;
    xai_runner_free(r);
    free(y);
    return s;
}
