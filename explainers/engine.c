/* explainers/engine.c: xai_explain_rows and xai_lfa_loss.  Rows are cut into
 * blocks whose size depends only on the method (never on the thread count);
 * OpenMP threads take blocks, each with its own runner, and OpenBLAS is held
 * to one thread meanwhile.  Row i draws from stream (seed, first + i). */
#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xai/trees.h>

#include "core/error.h"
#include "lfa.h"

void xai_job_free(xai_job *j)
{
    free(j->yx), free(j->mask), free(j->pts), free(j->w), free(j->y), free(j->gacc);
    memset(j, 0, sizeof *j);
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static xai_status sample(xai_job *j)
{
    const xai_plan *p = j->plan;
    switch (p->spec.neighbourhood) {
    case XAI_NBHD_MASKS:
        return p->spec.kernel == XAI_KERNEL_SHAPLEY ? xai_sample_shapley(j)
                                                    : xai_sample_masks(j);
    case XAI_NBHD_ONEHOT: j->S = p->U; return XAI_OK;
    case XAI_NBHD_GAUSSIAN: return xai_sample_gaussian(j);
    case XAI_NBHD_POINT: return xai_sample_point(j);
    case XAI_NBHD_PATH: return xai_sample_path(j);
    case XAI_NBHD_USER: return xai_sample_user(j);
    }
    return xai_fail(XAI_ERR_INTERNAL, "unknown neighbourhood");
}

/* Rows per block: about 1024 model rows per block. */
static size_t block_rows(const xai_plan *p)
{
    /* treeshap: a row costs a walk of every tree, not model rows; small
     * blocks keep both threads busy on a few hundred rows */
    if (p->preset->explain && p->preset->tabular)
        return 16;
    size_t per = 1 + p->nb;
    if (p->spec.neighbourhood == XAI_NBHD_ONEHOT)
        per += p->U * p->nb;
    else if (p->spec.neighbourhood == XAI_NBHD_MASKS || p->spec.neighbourhood == XAI_NBHD_PATH)
        per += p->samples * p->nb;
    else
        per += p->samples;
    size_t r = 1024 / per;
    return r < 1 ? 1 : r > 256 ? 256 : r;
}

typedef struct call {
    const xai_plan *plan;
    const xai_model *m;
    const float *x;
    uint64_t first;
    float *phi;                /* explain */
    xai_explain_diag *diag;    /* explain, may be NULL */
    const float *phi_in;       /* loss */
    double *loss;              /* loss */
} call;

static xai_status run_block(const call *c, xai_runner *r, xai_scratch *scr, size_t r0,
                            size_t n)
{
    const xai_plan *p = c->plan;
    double t0 = now();
    xai_job *jobs = calloc(n, sizeof *jobs);
    if (!jobs)
        return xai_fail(XAI_ERR_NOMEM, "out of memory (%zu jobs)", n);
    xai_status s = XAI_OK;
    for (size_t a = 0; a < n; a++) {
        xai_job *j = &jobs[a];
        j->plan = p;
        j->scratch = scr;
        j->x = c->x + (r0 + a) * p->D;
        xai_rng_init(&j->rng, p->opt.seed, c->first + r0 + a);
        j->phi_in = c->phi_in ? c->phi_in + (r0 + a) * p->D : NULL;
        if (!(j->yx = malloc(p->K * sizeof *j->yx)))
            s = xai_fail(XAI_ERR_NOMEM, "out of memory");
    }
    if (s == XAI_OK)
        s = xai_query_phase_a(r, jobs, n);
    xai_explain_diag dg0 = {0};
    if (s == XAI_OK && p->preset->explain) {
        for (size_t a = 0; s == XAI_OK && a < n; a++) {
            xai_explain_diag *dg = c->diag ? &c->diag[r0 + a] : &dg0;
            *dg = (xai_explain_diag){.target = jobs[a].target, .fx = jobs[a].fx,
                                     .fbaseline = jobs[a].fb, .intercept = NAN,
                                     .r2 = NAN, .completeness_gap = NAN,
                                     .evaluations = jobs[a].evals};
            s = p->preset->explain(r, &p->opt, p->ctx, jobs[a].x, &jobs[a].rng,
                                   jobs[a].target, c->phi + (r0 + a) * p->D, dg);
        }
        goto done;
    }
    for (size_t a = 0; s == XAI_OK && a < n; a++)
        s = sample(&jobs[a]);
    if (s == XAI_OK)
        s = xai_query_phase_b(r, jobs, n);
    double dt = (now() - t0) / (double)n;
    for (size_t a = 0; s == XAI_OK && a < n; a++) {
        xai_job *j = &jobs[a];
        if (c->loss) {
            s = xai_loss_job(j, &c->loss[r0 + a]);
            continue;
        }
        xai_explain_diag *dg = c->diag ? &c->diag[r0 + a] : &dg0;
        s = xai_solve_job(j, c->phi + (r0 + a) * p->D, dg);
        dg->target = j->target;
        dg->fx = j->fx;
        dg->fbaseline = j->fb;
        dg->evaluations = j->evals;
        dg->samples = j->S;
        dg->finite_differences = p->fd && p->spec.loss == XAI_LOSS_GRADIENT;
        dg->exact = j->exact;
        dg->seconds = dt;
    }
    if (s != XAI_OK && s != XAI_ERR_NOMEM) {
        /* name the row in the message */
        char msg[900];
        snprintf(msg, sizeof msg, "%s", xai_last_error());
        if (n == 1)
            s = xai_fail(s, "row %llu: %s", (unsigned long long)(c->first + r0), msg);
        else
            s = xai_fail(s, "rows %llu..%llu: %s", (unsigned long long)(c->first + r0),
                         (unsigned long long)(c->first + r0 + n - 1), msg);
    }
done:
    for (size_t a = 0; a < n; a++)
        xai_job_free(&jobs[a]);
    free(jobs);
    return s;
}

/* Inputs are finite, or missing (NaN) for a model that defines missing
 * values and a method that only swaps whole values (masks), never adds
 * noise to them. */
static xai_status check_input(const xai_plan *p, const xai_model *m, const float *x,
                              size_t n, size_t D, uint64_t first, int may_miss)
{
    int masks = p->spec.neighbourhood == XAI_NBHD_MASKS ||
                p->spec.neighbourhood == XAI_NBHD_ONEHOT;
    may_miss = may_miss && xai_model_accepts_missing(m);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < D; k++) {
            float v = x[i * D + k];
            if (isfinite(v) || (may_miss && masks && isnan(v)))
                continue;
            if (may_miss && isnan(v))
                return xai_fail(XAI_ERR_UNSUPPORTED, "row %llu, feature %zu is "
                                "missing: %s perturbs values and cannot perturb a "
                                "missing one; use kernelshap, lime or occlusion",
                                (unsigned long long)(first + i), k, p->preset->name);
            return xai_fail(XAI_ERR_NUMERIC, "row %llu, feature %zu: input "
                            "is not a finite number",
                            (unsigned long long)(first + i), k);
        }
    return XAI_OK;
}

static xai_status run_call(const call *c, size_t n_rows, int n_threads)
{
    const xai_plan *p = c->plan;
    size_t R = block_rows(p), nblocks = (n_rows + R - 1) / R;
    int nt = n_threads > 0 ? n_threads : omp_get_max_threads();
    if ((size_t)nt > nblocks)
        nt = (int)(nblocks ? nblocks : 1);
    /* one BLAS thread always: the same kernels run for any nt, so sums are
     * formed in the same order and results are bit-identical */
    int blas_threads = openblas_get_num_threads();
    openblas_set_num_threads(1);
    size_t bad = SIZE_MAX;
    xai_status bad_s = XAI_OK;
    char bad_msg[1024] = "";
#pragma omp parallel num_threads(nt)
    {
        xai_runner *r = NULL;
        xai_scratch scr = {0}; /* the solvers' buffers, reused across this thread's rows */
        xai_status s = xai_runner_new(c->m, &r);
#pragma omp for schedule(dynamic, 1)
        for (size_t b = 0; b < nblocks; b++) {
            size_t cur;
#pragma omp atomic read
            cur = bad;
            if (cur < b)
                continue;
            if (s == XAI_OK)
                s = run_block(c, r, &scr, b * R, b * R + R > n_rows ? n_rows - b * R : R);
            if (s != XAI_OK) {
#pragma omp critical(xai_explain_error)
                if (b < bad) {
                    bad = b;
                    bad_s = s;
                    snprintf(bad_msg, sizeof bad_msg, "%s", xai_last_error());
                }
                s = XAI_OK; /* report once per failing block */
                if (!r)
                    s = XAI_ERR_NOMEM;
            }
        }
        xai_runner_free(r);
        xai_scratch_free(&scr);
    }
    openblas_set_num_threads(blas_threads);
    if (bad_s != XAI_OK)
        return xai_fail(bad_s, "%s", bad_msg);
    return XAI_OK;
}

xai_status xai_explain_rows(const xai_model *m, const xai_explain_options *opt,
                            const xai_explain_context *ctx, const float *x,
                            size_t n_rows, uint64_t first_instance_index,
                            float *phi, xai_explain_diag *diag, int n_threads)
{
    if (!m || !opt || !ctx || (n_rows && (!x || !phi)))
        return xai_fail(XAI_ERR_INVALID, "xai_explain_rows: model, options, "
                        "context, inputs and phi are required");
    xai_plan p;
    XAI_TRY(xai_plan_init(&p, m, opt, ctx));
    xai_status s = check_input(&p, m, x, n_rows, p.D, first_instance_index, 1);
    call c = {.plan = &p, .m = m, .x = x, .first = first_instance_index,
              .phi = phi, .diag = diag};
    if (s == XAI_OK && n_rows)
        s = run_call(&c, n_rows, n_threads);
    xai_plan_free(&p);
    return s;
}

xai_status xai_lfa_loss(const xai_model *m, const xai_explain_options *opt,
                        const xai_explain_context *ctx, const float *x,
                        size_t n_rows, uint64_t first_instance_index,
                        const float *phi, double *loss, int n_threads)
{
    if (!m || !opt || !ctx || (n_rows && (!x || !phi || !loss)))
        return xai_fail(XAI_ERR_INVALID, "xai_lfa_loss: model, options, "
                        "context, inputs, phi and loss are required");
    xai_plan p;
    XAI_TRY(xai_plan_init(&p, m, opt, ctx));
    xai_status s = XAI_OK;
    if (p.preset->explain)
        s = xai_fail(XAI_ERR_UNSUPPORTED, "method '%s' is not a local function "
                     "approximation; it has no LFA loss", p.preset->name);
    if (s == XAI_OK)
        s = check_input(&p, m, x, n_rows, p.D, first_instance_index, 1);
    if (s == XAI_OK)
        s = check_input(&p, m, phi, n_rows, p.D, first_instance_index, 0);
    call c = {.plan = &p, .m = m, .x = x, .first = first_instance_index,
              .phi_in = phi, .loss = loss};
    if (s == XAI_OK && n_rows)
        s = run_call(&c, n_rows, n_threads);
    xai_plan_free(&p);
    return s;
}
