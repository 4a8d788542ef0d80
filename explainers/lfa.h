/* explainers/lfa.h: the LFA engine's internal interface.
 *
 * A call builds one read-only plan (units, noise scales, baselines, path
 * nodes), then explains blocks of rows.  Per row a job draws its
 * neighbourhood (sampler_*.c), the block's requests go to the model packed in
 * chunks (query.c), and a solver turns the answers into phi (solve.c). */
#ifndef XAI_EXPLAINERS_LFA_H
#define XAI_EXPLAINERS_LFA_H

#include <xai/explain.h>

/* A method outside the linear family (Smooth Grad-CAM++) explains one row
 * itself; the engine has already resolved target, fx and fbaseline into
 * diag.  phi has n_features entries. */
typedef xai_status (*xai_row_explain_fn)(xai_runner *r,
                                         const xai_explain_options *resolved,
                                         const xai_explain_context *ctx,
                                         const float *x, xai_rng *rng,
                                         int32_t target, float *phi,
                                         xai_explain_diag *diag);

#define XAI_SAMPLES_SHAP_AUTO (-2) /* 2M + 2048 */

typedef struct xai_preset {
    const char *name;
    const char *summary;
    xai_lfa_spec spec;
    int64_t default_samples; /* 0: not sampled; XAI_SAMPLES_SHAP_AUTO */
    double default_sigma;    /* 0: no noise */
    xai_row_explain_fn explain; /* non-NULL: not an LFA preset */
    /* Optional method-specific checks and defaults, run at the end of
     * xai_explain_options_resolve (e.g. Grad-CAM's layer). */
    xai_status (*resolve)(const xai_model *m, xai_explain_options *o);
    int tabular; /* a non-LFA preset that explains tabular rows (treeshap);
                    the others need images */
} xai_preset;

/* The registry, indexed by xai_method; entries with a NULL name are not
 * available in this build. */
const xai_preset *xai_preset_get(xai_method m);

extern const xai_preset xai_preset_lime, xai_preset_clime,
    xai_preset_kernelshap, xai_preset_occlusion, xai_preset_gradient,
    xai_preset_gradient_x_input, xai_preset_smoothgrad,
    xai_preset_integrated_gradients, xai_preset_custom,
    xai_preset_smooth_gradcam_pp, xai_preset_gradcam, xai_preset_gradcam_pp,
    xai_preset_treeshap;

/* Read-only state shared by every row of one call. */
typedef struct xai_plan {
    xai_explain_options opt; /* resolved */
    xai_lfa_spec spec;
    const xai_preset *preset;
    const xai_explain_context *ctx;
    size_t D, K;      /* features, model outputs */
    /* units: CSR lists of features; a partition for masks, windows (maybe
     * overlapping) for image occlusion */
    size_t U;
    size_t *ustart;   /* U + 1 */
    uint32_t *ufeat;
    double *cover;    /* D: 1 / number of units holding the feature, or 0 */
    uint32_t *funit;  /* D: the unit of each feature when units partition
                         the features (NULL for occlusion windows) */
    int unit_is_feature; /* the identity partition: unit u = feature u */
    /* masks: below[n] draws uniformly from [0, n), n = 1..U (core/rng_step.h);
     * mask_weight[k]: the LIME kernel weight of k units off, k = 0..U */
    struct rng_below_n *below;
    double *mask_weight;
    float *sig;       /* D: noise std per feature */
    const float *base; /* nb x D baseline rows */
    size_t nb;
    float *base_own;  /* owned storage behind base when computed */
    double *tnode, *tweight; /* path quadrature on [0, 1], samples long */
    size_t samples;   /* resolved sample count (masks: budget) */
    int fd;           /* gradients by finite differences */
    int loss_mode;    /* evaluating xai_lfa_loss */
} xai_plan;

xai_status xai_plan_init(xai_plan *p, const xai_model *m,
                         const xai_explain_options *opt,
                         const xai_explain_context *ctx);
void xai_plan_free(xai_plan *p);
/* The baseline rows the options name: nb rows (the context's row or
 * background, or `own`, n_features floats, filled with the means or 0). */
const float *xai_baseline_rows(const xai_explain_options *o,
                               const xai_explain_context *c, float *own, size_t *nb);
/* The images' value range (the noise scale unit): ctx->value_range if
 * given, else max - min over the column statistics, else 1. */
double xai_image_value_range(const xai_explain_context *c);

/* A buffer one thread reuses across the rows it solves (scratch.c); zero
 * initialised, freed by xai_scratch_free.  A solver that leaves state in it
 * for its next call (the interaction fit's factors) sets `holds` to a tag of
 * its own and finds it there only if nothing else used the block since. */
typedef struct xai_scratch {
    void *p;
    size_t cap;
    const void *holds; /* whose state the block holds, or NULL */
} xai_scratch;

/* At least `bytes` bytes, 64-byte aligned (earlier pointers from s are
 * invalidated); the contents are kept when the block is large enough,
 * otherwise undefined and `holds` cleared; NULL when out of memory. */
void *xai_scratch_get(xai_scratch *s, size_t bytes);
void xai_scratch_free(xai_scratch *s);

/* One row's work. */
typedef struct xai_job {
    const xai_plan *plan;
    const float *x;
    xai_rng rng;
    int32_t target;
    float *yx;      /* K outputs of f(x) */
    double fx, fb;
    /* the neighbourhood: S samples; masks (S x U) or points (S x D) */
    size_t S;
    uint8_t *mask;
    float *pts;
    double *w;
    double *y;      /* S: f_target at each sample (background-averaged) */
    double *gacc;   /* D: weighted sum of scale * gradients */
    const float *phi_in; /* loss mode: the attributions judged */
    double gloss;   /* loss mode, gradient matching accumulator */
    int exact;
    int paired;     /* masks: rows 2q and 2q + 1 are complements, same weight */
    xai_scratch *scratch; /* the solving thread's scratch, or NULL */
    uint64_t evals;
    xai_status status;
    /* The buffers (yx, mask, pts, w, y, gacc, perm, eps) outlive the row: a
     * thread's jobs serve its next block, each buffer grown to the largest
     * row so far (cap_*: elements); xai_job_reset keeps them. */
    uint32_t *perm;  /* masks: U, the partial Fisher-Yates state */
    double *eps;     /* Gaussian noise: one batch of normals */
    size_t cap_yx, cap_mask, cap_pts, cap_w, cap_y, cap_gacc, cap_perm, cap_eps;
} xai_job;

/* Clears j for a new row, keeping its buffers. */
void xai_job_reset(xai_job *j);
/* Frees j's buffers and clears it. */
void xai_job_free(xai_job *j);
/* Makes *buf hold at least n elements of elem bytes (contents not kept);
 * XAI_ERR_NOMEM with a message when it cannot. */
xai_status xai_reserve(void **buf, size_t *cap, size_t n, size_t elem);

/* Samplers: fill j->S, j->mask or j->pts, and j->w from j->rng. */
xai_status xai_sample_masks(xai_job *j);       /* LIME-style masks */
xai_status xai_sample_shapley(xai_job *j);     /* KernelSHAP coalitions */
xai_status xai_sample_gaussian(xai_job *j);
xai_status xai_sample_point(xai_job *j);
xai_status xai_sample_path(xai_job *j);
xai_status xai_sample_user(xai_job *j);
/* Gauss-Legendre (rule 0) or trapezoid (rule 1) nodes/weights on [0, 1]. */
xai_status xai_quadrature(xai_ig_rule rule, size_t n, double *t, double *w);
/* Units: feature groups or image patches (partition), or occlusion windows. */
xai_status xai_units_build(xai_plan *p, int windows);

/* The chunk buffers of the batched model query (rows x D inputs, rows x K
 * outputs, gradients, and whose request each row is), reused by one thread
 * across its blocks; zero-initialise, free with xai_query_buf_free. */
typedef struct xai_query_buf {
    float *x, *y, *g;
    int32_t *t;
    uint32_t *job;
    size_t *req;
    size_t cap_x, cap_y, cap_g, cap_t, cap_job, cap_req;
} xai_query_buf;

void xai_query_buf_free(xai_query_buf *b);

/* Query phases over a block of jobs, in chunks of rows. */
xai_status xai_query_phase_a(xai_runner *r, xai_query_buf *b, xai_job *jobs, size_t n);
xai_status xai_query_phase_b(xai_runner *r, xai_query_buf *b, xai_job *jobs, size_t n);

/* Solvers.  WLS: min sum_s w_s (y_s - b - X_s beta)^2 + ridge |beta|^2 over
 * (b, beta) (b fixed to 0 when !intercept); X is S x P row-major. */
xai_status xai_wls(const double *X, const double *y, const double *w,
                   size_t S, size_t P, int intercept, double ridge,
                   double *beta, double *b, double *r2);
/* Where a WLS design X (S x P) comes from: X itself, or, with X NULL, masks
 * (S x U bytes, U = P + drop_last; x_sk = z_sk, or z_sk - z_s,U-1 when
 * drop_last: KernelSHAP with its last unit eliminated), or, with mask NULL
 * too, points (S x P floats) minus the explained row x0 (x_sk = pts_sk -
 * x0_k).  The fit weighs the rows straight from the source. */
typedef struct xai_wls_design {
    const double *X;
    const uint8_t *mask;
    int drop_last;
    const float *pts, *x0;
} xai_wls_design;
/* Doubles of workspace xai_wls_fit needs for S samples of P features; 0 when
 * the size does not fit in memory. */
size_t xai_wls_work(size_t S, size_t P);
/* xai_wls in a caller-owned workspace (xai_wls_work(S, P) doubles, contents
 * on entry unused, 64-byte alignment is best): no allocation unless the
 * normal equations are too ill-conditioned and the SVD fallback runs.  The
 * same bits as xai_wls on the same X. */
xai_status xai_wls_fit(const xai_wls_design *d, const double *y, const double *w,
                       size_t S, size_t P, int intercept, double ridge, double *work,
                       double *beta, double *b, double *r2);
/* KernelSHAP's fit with interaction terms on complementary pairs
 * (shapley_odd.c): fills pu (U) and sets *used, or leaves *used 0 when the
 * job is not paired, too large or the fit is ill-posed. */
xai_status xai_shapley_odd_fit(const xai_job *j, double *pu, int *used);
/* Turns a finished job into phi (D) and diag. */
xai_status xai_solve_job(xai_job *j, float *phi, xai_explain_diag *diag);
/* Loss mode: the LFA loss of j->phi_in. */
xai_status xai_loss_job(xai_job *j, double *loss);

#endif
