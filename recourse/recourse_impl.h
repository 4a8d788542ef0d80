/* recourse/recourse_impl.h: the recourse context and helpers shared by the
 * generators and the scores. */
#ifndef XAI_RECOURSE_IMPL_H
#define XAI_RECOURSE_IMPL_H

#include <xai/recourse.h>
#include <xai/rng.h>

/* Random-stream tags: method M draws row i from (seed ^ TAG_M, first + i). */
enum {
    RC_TAG_SCORE = 0x53434f52u,
    RC_TAG_TREX = 0x54524558u,
    RC_TAG_TREXNN = 0x54524e4eu
};

/* Rows per batch of the batched generators: fixed, so results do not depend
 * on the thread count. */
enum { RC_BLOCK = 16 };

struct xai_recourse {
    const xai_model *model;
    xai_recourse_options o;
    size_t d, n_out;
    float *lo, *hi;      /* training min / max per feature */
    float *scale;        /* training range, 1 where zero */
    uint8_t *flags;      /* XAI_RC_* per feature (group flags spread) */
    uint32_t *group;     /* group id per feature */
    uint32_t *gsize;     /* columns of each group */
    uint32_t *gfirst;    /* first column of each group (columns contiguous or not) */
    size_t n_groups;
    int needs_projection; /* integer columns or one-hot groups exist */
    float *acc;          /* accepted training rows (n_acc x d) */
    size_t n_acc;
    double *acc_kdist;   /* k-distance of each accepted row (LOF) */
    double *acc_lrd;     /* local reachability density of each accepted row */
};

/* ---- model outputs for the desired class (recourse/outputs.c) ---- */

/* m(x) of one output row y. */
double rc_prob(const xai_recourse *rc, const float *y);
/* The logit of the desired class of one output row y (see recourse.h). */
double rc_logit(const xai_recourse *rc, const float *y);
/* m and the logit for n rows x in one forward (either array may be NULL);
 * buf holds n x n_out floats. */
xai_status rc_eval(const xai_recourse *rc, xai_runner *r, const float *x, size_t n,
                   float *buf, double *prob, double *logit);
/* grad (n x d) = d logit / dx and logit of n rows; buf n x n_out, dy n x n_out. */
xai_status rc_logit_grad(const xai_recourse *rc, xai_runner *r, const float *x,
                         size_t n, float *buf, float *dy, float *grad, double *logit);
/* grad (n x d) = d m / dx and m (n) for n rows (one VJP). */
xai_status rc_prob_grad(const xai_recourse *rc, xai_runner *r, const float *x,
                        size_t n, float *buf, float *dy, float *grad, double *prob);

/* ---- constraints (recourse/constraints.c) ---- */

/* The feasible box of x' given the original x: lo/hi per feature (bounds
 * widened to contain x; immutable: x; increasing: >= x). */
void rc_box(const xai_recourse *rc, const float *x, float *lo, float *hi);
/* Projects a relaxed x' (inside the box) onto the constraints: one-hot groups
 * to their largest column, integer columns rounded (inside the box). */
void rc_project(const xai_recourse *rc, const float *x, const float *blo,
                const float *bhi, float *xp);
/* 1 if x' satisfies every constraint for the original x. */
int rc_feasible(const xai_recourse *rc, const float *x, const float *xp);
/* Scaled costs of x' from x: L1, L2 and the count of changed features. */
void rc_cost(const xai_recourse *rc, const float *x, const float *xp, double *l1,
             double *l2, uint32_t *changed);

/* ---- relaxed stability (recourse/stability.c) ---- */

/* R^(xp) and its standard error from k = rc->o.k draws of rng (model units:
 * x_i = xp + sigma s_j e_ij).  Scratch: pts (k + 1) x d, buf and dy
 * (k + 1) x n_out.  With grad != NULL (then grow is (k + 1) x d scratch) also
 * the gradient of R^ with respect to xp, through one batched VJP:
 * (1/k) sum_i [grad m(x_i) - sgn(m(xp) - m(x_i)) (grad m(xp) - grad m(x_i))]. */
xai_status rc_stability(const xai_recourse *rc, xai_runner *r, const float *xp,
                        xai_rng *rng, float *pts, float *buf, float *dy, float *grow,
                        double *R, double *se, double *grad, double *mxp);

/* ---- nearest accepted rows and LOF (recourse/nearest.c, lof.c) ---- */

/* Indices of the accepted training rows that satisfy the constraints for x,
 * nearest first (scaled L2); returns the count written to idx (n_acc long). */
size_t rc_nearest_feasible(const xai_recourse *rc, const float *x, uint32_t *idx,
                           double *dist);
xai_status rc_lof_prepare(xai_recourse *rc);
double rc_lof(const xai_recourse *rc, const float *xp);

/* ---- generators ---- */
xai_status rc_closest_block(xai_recourse *rc, xai_runner *r, const float *x, size_t n,
                            float *cf, xai_cf_result *res);
/* T-Rex from the counterfactual cf (found by closest) of x; cf is updated. */
xai_status rc_trex_row(xai_recourse *rc, xai_runner *r, const float *x,
                       uint64_t row, float *cf, xai_cf_result *res);
/* nn (need_stable 0) and trex-nn (1) for one row. */
xai_status rc_trexnn_row(xai_recourse *rc, xai_runner *r, const float *x,
                         uint64_t row, float *cf, xai_cf_result *res, int need_stable);

/* Runs fn(ctx, runner, i) for i in 0..n_tasks over OpenMP threads, one runner
 * per thread; the lowest failing task's status and message win. */
typedef xai_status (*rc_task_fn)(void *ctx, xai_runner *r, size_t i);
xai_status rc_for_tasks(const xai_model *m, size_t n_tasks, int n_threads,
                        rc_task_fn fn, void *ctx);

#endif
