/* explainers/query.c: the batched model query.  All requests of a block of
 * rows (x and its baselines; then every perturbation) are packed into chunks
 * of up to 1024 rows, evaluated with one forward or gradient call each, and
 * handed back to their jobs in order. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "lfa.h"

enum { PHASE_A, PHASE_B };

typedef struct chunk {
    size_t cap, n, D, K;
    float *x, *y, *g;
    int32_t *t;
    uint32_t *job;
    size_t *req;
} chunk;

static size_t n_requests(const xai_job *j, int phase)
{
    const xai_plan *p = j->plan;
    if (phase == PHASE_A)
        return 1 + p->nb;
    switch (p->spec.neighbourhood) {
    case XAI_NBHD_MASKS: return j->S * p->nb;
    case XAI_NBHD_ONEHOT: return p->U * p->nb;
    default: return j->S;
    }
}

/* The bits of x where keep is all ones, of b where it is 0 (memcpy: no
 * type punning through pointers). */
static inline float select_bits(float x, float b, uint32_t keep)
{
    uint32_t xv, bv, r;
    memcpy(&xv, &x, sizeof xv);
    memcpy(&bv, &b, sizeof bv);
    r = (xv & keep) | (bv & ~keep);
    float o;
    memcpy(&o, &r, sizeof o);
    return o;
}

/* x with the features of the off units replaced by baseline row b.  When
 * the units partition the features it is a select per feature, done on the
 * bits (a 0/1 mask is random: a branch per feature would mispredict half
 * the time), in a loop the compiler vectorises for one unit per feature;
 * occlusion windows go unit by unit. */
static void masked_input(const xai_plan *p, const float *x, const uint8_t *z,
                         size_t only_off, const float *b, float *out)
{
    size_t D = p->D;
    if (z && p->unit_is_feature) {
#pragma omp simd
        for (size_t k = 0; k < D; k++)
            out[k] = select_bits(x[k], b[k], 0u - (uint32_t)z[k]);
        return;
    }
    if (p->funit) {
        const uint32_t *fu = p->funit;
        for (size_t k = 0; k < D; k++)
            out[k] = select_bits(x[k], b[k],
                                 0u - (uint32_t)(z ? z[fu[k]] : fu[k] != only_off));
        return;
    }
    memcpy(out, x, D * sizeof *out);
    for (size_t u = 0; u < p->U; u++) {
        if (z ? z[u] : u != only_off)
            continue;
        for (size_t k = p->ustart[u]; k < p->ustart[u + 1]; k++)
            out[p->ufeat[k]] = b[p->ufeat[k]];
    }
}

static void make_input(const xai_job *j, int phase, size_t i, float *out)
{
    const xai_plan *p = j->plan;
    size_t D = p->D;
    if (phase == PHASE_A) {
        memcpy(out, i == 0 ? j->x : p->base + (i - 1) * D, D * sizeof *out);
        return;
    }
    /* request i: mask or unit i / nb with baseline row i % nb (no division
     * for the usual single baseline) */
    size_t q = p->nb == 1 ? i : i / p->nb, b = p->nb == 1 ? 0 : i % p->nb;
    switch (p->spec.neighbourhood) {
    case XAI_NBHD_MASKS:
        masked_input(p, j->x, j->mask + q * p->U, 0, p->base + b * D, out);
        break;
    case XAI_NBHD_ONEHOT:
        masked_input(p, j->x, NULL, q, p->base + b * D, out);
        break;
    default:
        memcpy(out, j->pts + i * D, D * sizeof *out);
    }
}

static void resolve_target(xai_job *j)
{
    const xai_plan *p = j->plan;
    j->target = p->opt.target;
    if (j->target == XAI_TARGET_PRED) {
        j->target = 0;
        for (size_t k = 1; k < p->K; k++)
            if (j->yx[k] > j->yx[j->target])
                j->target = (int32_t)k;
    }
    j->fx = j->yx[j->target];
}

/* The scale of gradient matching for request i: 1, x, or x - b. */
static double grad_scale(const xai_job *j, size_t i, size_t k)
{
    const xai_plan *p = j->plan;
    switch (p->spec.scale) {
    case XAI_SCALE_INPUT:
        return j->x[k];
    case XAI_SCALE_DELTA: {
        if (p->spec.neighbourhood == XAI_NBHD_PATH)
            return (double)j->x[k] - p->base[(i / p->samples) * p->D + k];
        double m = 0;
        for (size_t b = 0; b < p->nb; b++)
            m += p->base[b * p->D + k];
        return (double)j->x[k] - m / (double)p->nb;
    }
    default:
        return 1.0;
    }
}

static void take(xai_job *j, int phase, size_t i, const float *y, const float *g)
{
    const xai_plan *p = j->plan;
    if (phase == PHASE_A) {
        if (i == 0) {
            memcpy(j->yx, y, p->K * sizeof *y);
            resolve_target(j);
        } else {
            j->fb += y[j->target] / (double)p->nb;
        }
        return;
    }
    switch (p->spec.neighbourhood) {
    case XAI_NBHD_MASKS:
    case XAI_NBHD_ONEHOT:
        j->y[p->nb == 1 ? i : i / p->nb] += y[j->target] / (double)p->nb;
        return;
    default:
        break;
    }
    if (!g) {
        j->y[i] = y[j->target];
        return;
    }
    double sq = 0;
    if (!j->phi_in) { /* the loop below without its per-feature switch */
        double w = j->w[i], *acc = j->gacc;
        const float *x = j->x;
        if (p->spec.scale == XAI_SCALE_NONE) {
#pragma omp simd
            for (size_t k = 0; k < p->D; k++)
                acc[k] += w * g[k];
            return;
        }
        if (p->spec.scale == XAI_SCALE_INPUT) {
#pragma omp simd
            for (size_t k = 0; k < p->D; k++)
                acc[k] += w * ((double)x[k] * g[k]);
            return;
        }
        if (p->spec.scale == XAI_SCALE_DELTA && p->spec.neighbourhood == XAI_NBHD_PATH) {
            const float *b = p->base + (i / p->samples) * p->D;
#pragma omp simd
            for (size_t k = 0; k < p->D; k++)
                acc[k] += w * (((double)x[k] - b[k]) * g[k]);
            return;
        }
    }
    for (size_t k = 0; k < p->D; k++) {
        double v = grad_scale(j, i, k) * g[k];
        j->gacc[k] += j->w[i] * v;
        if (j->phi_in) {
            double d = v - j->phi_in[k];
            sq += d * d;
        }
    }
    j->gloss += j->w[i] * sq;
}

/* 1 when every one of v[0..n-1] is finite: its exponent bits are not all
 * ones (no branch per value, a loop the compiler vectorises). */
static int all_finite(const float *v, size_t n)
{
    uint32_t bad = 0;
#pragma omp simd reduction(| : bad)
    for (size_t i = 0; i < n; i++) {
        uint32_t b;
        memcpy(&b, &v[i], sizeof b);
        bad |= (uint32_t)((b & 0x7f800000u) == 0x7f800000u);
    }
    return !bad;
}

/* Names the first non-finite output or gradient of a chunk. */
static xai_status non_finite(const chunk *c, int grad)
{
    for (size_t q = 0; q < c->n; q++) {
        for (size_t k = 0; k < c->K; k++)
            if (!isfinite(c->y[q * c->K + k]))
                return xai_fail(XAI_ERR_NUMERIC, "the model returned a "
                                "non-finite output %zu", k);
        for (size_t k = 0; grad && k < c->D; k++)
            if (!isfinite(c->g[q * c->D + k]))
                return xai_fail(XAI_ERR_NUMERIC, "the model returned a "
                                "non-finite gradient (input %zu)", k);
    }
    return xai_fail(XAI_ERR_INTERNAL, "non-finite chunk without a non-finite value");
}

static xai_status run_chunk(xai_runner *r, xai_job *jobs, int phase, int grad,
                            chunk *c)
{
    const xai_plan *p = jobs[0].plan;
    xai_status s;
    if (grad)
        s = xai_runner_grad(r, p->opt.output, c->x, c->n, c->t, c->g, c->y);
    else
        s = xai_runner_forward(r, p->opt.output, c->x, c->n, c->y);
    if (s != XAI_OK)
        return s;
    if (!all_finite(c->y, c->n * c->K) || (grad && !all_finite(c->g, c->n * c->D)))
        return non_finite(c, grad);
    for (size_t q = 0; q < c->n; q++)
        take(&jobs[c->job[q]], phase, c->req[q], c->y + q * c->K,
             grad ? c->g + q * c->D : NULL);
    c->n = 0;
    return XAI_OK;
}

void xai_query_buf_free(xai_query_buf *b)
{
    free(b->x), free(b->y), free(b->g), free(b->t), free(b->job), free(b->req);
    memset(b, 0, sizeof *b);
}

static xai_status run_phase(xai_runner *r, xai_query_buf *b, xai_job *jobs, size_t n,
                            int phase)
{
    const xai_plan *p = jobs[0].plan;
    int grad = phase == PHASE_B && p->spec.loss == XAI_LOSS_GRADIENT;
    chunk c = {0};
    c.D = p->D;
    c.K = p->K;
    c.cap = (size_t)1 << 22;
    c.cap /= p->D;
    c.cap = c.cap < 1 ? 1 : c.cap > 1024 ? 1024 : c.cap;
    size_t total = 0; /* the buffers need min(cap, requests) rows */
    for (size_t a = 0; a < n && total < c.cap; a++)
        total += n_requests(&jobs[a], phase);
    size_t rows = total < c.cap ? total : c.cap;
    xai_status s = XAI_OK;
    if (rows && ((s = xai_reserve((void **)&b->x, &b->cap_x, rows * p->D, sizeof *b->x)) != XAI_OK ||
                 (s = xai_reserve((void **)&b->y, &b->cap_y, rows * p->K, sizeof *b->y)) != XAI_OK ||
                 (grad && (s = xai_reserve((void **)&b->g, &b->cap_g, rows * p->D,
                                           sizeof *b->g)) != XAI_OK) ||
                 (s = xai_reserve((void **)&b->t, &b->cap_t, rows, sizeof *b->t)) != XAI_OK ||
                 (s = xai_reserve((void **)&b->job, &b->cap_job, rows, sizeof *b->job)) != XAI_OK ||
                 (s = xai_reserve((void **)&b->req, &b->cap_req, rows, sizeof *b->req)) != XAI_OK))
        return s;
    c.x = b->x, c.y = b->y, c.g = grad ? b->g : NULL;
    c.t = b->t, c.job = b->job, c.req = b->req;
    for (size_t a = 0; s == XAI_OK && a < n; a++) {
        size_t nr = n_requests(&jobs[a], phase);
        uint64_t cost = grad && p->fd ? 2 * p->D + 1 : 1;
        jobs[a].evals += (uint64_t)nr * cost;
        for (size_t i = 0; s == XAI_OK && i < nr; i++) {
            make_input(&jobs[a], phase, i, c.x + c.n * p->D);
            c.t[c.n] = jobs[a].target;
            c.job[c.n] = (uint32_t)a;
            c.req[c.n] = i;
            if (++c.n == c.cap)
                s = run_chunk(r, jobs, phase, grad, &c);
        }
    }
    if (s == XAI_OK && c.n)
        s = run_chunk(r, jobs, phase, grad, &c);
    return s;
}

xai_status xai_query_phase_a(xai_runner *r, xai_query_buf *b, xai_job *jobs, size_t n)
{
    for (size_t a = 0; a < n; a++)
        jobs[a].fb = 0;
    return run_phase(r, b, jobs, n, PHASE_A);
}

xai_status xai_query_phase_b(xai_runner *r, xai_query_buf *b, xai_job *jobs, size_t n)
{
    for (size_t a = 0; a < n; a++) {
        xai_job *j = &jobs[a];
        const xai_plan *p = j->plan;
        size_t ny = p->spec.neighbourhood == XAI_NBHD_ONEHOT ? p->U : j->S;
        XAI_TRY(xai_reserve((void **)&j->y, &j->cap_y, ny, sizeof *j->y));
        XAI_TRY(xai_reserve((void **)&j->gacc, &j->cap_gacc, p->D, sizeof *j->gacc));
        memset(j->y, 0, ny * sizeof *j->y);
        memset(j->gacc, 0, p->D * sizeof *j->gacc);
        j->gloss = 0;
    }
    return run_phase(r, b, jobs, n, PHASE_B);
}
