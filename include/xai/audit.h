/* xai/audit.h: faithfulness metrics of explanations, and choosing a method.
 *
 * Worked example (error handling shortened): judge given attributions phi
 * (n x D) of rows x of a model m by their prediction gaps.
 *
 *     xai_audit_setup s = xai_audit_setup_default(m);
 *     s.stats = stats;                      // noise in units of column std
 *     double pgi[n * 4], pgu[n * 4];
 *     if (xai_audit_pgi_pgu(&s, x, n, phi, 4, 0.1, 100, pgi, pgu) != XAI_OK)
 *         fprintf(stderr, "%s\n", xai_last_error());
 *
 * Conventions shared by every metric:
 * - The explained output of row i is output target[i] of the model (kind
 *   setup.output); with setup.target NULL it is the arg-max of f(x_i) (the
 *   only output of a one-output model).
 * - Gaussian noise on feature j has std sigma * s_j, s_j the column's std
 *   from setup.stats (1 without stats; a zero std also counts as 1).
 * - Metric M draws row i's noise from the stream (seed ^ TAG_M, first + i),
 *   each metric with its own fixed tag, so results do not depend on the
 *   thread count and metrics do not reuse the explainers' draws.
 * - Outputs are caller-owned arrays of one value (or one row) per instance;
 *   the library prints nothing.
 * - Models run rows in batches: all perturbations of one instance go to the
 *   model in one call. */
#ifndef XAI_AUDIT_H
#define XAI_AUDIT_H

#include "base.h"
#include "data.h"
#include "explain.h"
#include "model.h"
#include "outfile.h"
#include "rng.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What every metric needs besides the rows and their attributions. */
typedef struct xai_audit_setup {
    const xai_model *model;
    size_t n_features;              /* must equal the model's input size */
    xai_output_kind output;         /* default XAI_OUTPUT_PROB */
    const int32_t *target;          /* n_rows output indices, or NULL */
    const xai_column_stats *stats;  /* n_features entries, or NULL */
    uint64_t seed;                  /* default 0 */
    uint64_t first_instance;        /* row i is instance first_instance + i */
    int n_threads;                  /* <= 0: OpenMP default */
} xai_audit_setup;

/* Defaults for model m: its input size, probabilities, arg-max targets, no
 * stats, seed 0, instances from 0, OpenMP default threads. */
xai_audit_setup xai_audit_setup_default(const xai_model *m);

/* An explanation method as a function, for metrics that explain inputs
 * again (max-sensitivity, the randomisation check).  Writes phi (n x D)
 * for the n rows x of model m; row i must use the random stream of instance
 * first_instance + i.  Returns XAI_OK, or a status after xai_fail(). */
typedef xai_status (*xai_attribution_fn)(void *user, const xai_model *m,
                                         const float *x, size_t n,
                                         uint64_t first_instance, float *phi);

/* ---- prediction gaps ------------------------------------------------- */

/* PGI_k(x) = mean_s |f(x) - f(x + e_s * top_k)|,
 * PGU_k(x) = mean_s |f(x) - f(x + e_s * (1 - top_k))|, e_s ~ N(0, (sigma s_j)^2),
 * top_k the indicator of the k features of largest |phi| (ties: lower index
 * first), for k = 1..K.  pgi and pgu are n_rows x K (column k-1 holds k);
 * either may be NULL.  K must be in 1..n_features, n_samples >= 1. */
xai_status xai_audit_pgi_pgu(const xai_audit_setup *s, const float *x,
                             size_t n_rows, const float *phi, size_t K,
                             double sigma, size_t n_samples, double *pgi,
                             double *pgu);

/* ---- deletion and insertion (images) ---------------------------------- */

typedef struct xai_audit_image {
    uint32_t c, h, w;   /* CHW layout of each row */
    uint32_t patch;     /* side of the square units; 1 = single pixels */
    size_t n_steps;     /* curve points minus one (units move in n_steps
                           nearly equal groups); 0: one unit per step */
    const float *fill;  /* n_features values a removed pixel takes (e.g. the
                           per-pixel mean of the data); NULL: 0 */
} xai_audit_image;

/* Units (patch x patch squares over all channels) are ordered by their
 * summed attribution, largest first (ties: lower index first).
 * Deletion:  d_t = f(x with the first t groups of units set to fill),
 * insertion: i_t = f(fill with the first t groups of units set to x),
 * t = 0..T; area = trapezoid rule over the fraction of units moved, in
 * [0, 1] x output.  Curves are n_rows x (T + 1) (T = n_steps, or the unit
 * count when n_steps is 0 or larger); any output may be NULL.  Low deletion
 * and high insertion areas are good. */
xai_status xai_audit_deletion_insertion(const xai_audit_setup *s,
                                        const xai_audit_image *img,
                                        const float *x, size_t n_rows,
                                        const float *phi, double *del_curve,
                                        double *ins_curve, double *del_area,
                                        double *ins_area);
/* The number of curve points minus one that the call above will use. */
size_t xai_audit_curve_steps(const xai_audit_image *img);

/* ---- infidelity and sensitivity --------------------------------------- */

/* Infidelity (Yeh et al. 2019) with Gaussian perturbations:
 * INFD(phi, x) = mean_s (I_s . phi - (f(x) - f(x - I_s)))^2,
 * I_s ~ N(0, diag((sigma s_j)^2)).  infd has n_rows entries. */
xai_status xai_audit_infidelity(const xai_audit_setup *s, const float *x,
                                size_t n_rows, const float *phi, double sigma,
                                size_t n_samples, double *infd);

/* Max-sensitivity (Yeh et al. 2019), relative:
 * SENS(x) = max_p |phi(x + u_p) - phi(x)|_2 / |phi(x)|_2,
 * u_pj ~ U[-r s_j, r s_j], p = 1..n_points.  phi(x + u_p) is recomputed by
 * explain(user, ...) with the same instance index as x (common random
 * numbers: the figure measures the response to the input, not Monte-Carlo
 * noise).  phi holds phi(x); a row whose |phi(x)| is 0 gets +Inf if any
 * perturbed explanation is nonzero, else 0.  sens has n_rows entries. */
xai_status xai_audit_max_sensitivity(const xai_audit_setup *s,
                                     xai_attribution_fn explain, void *user,
                                     const float *x, size_t n_rows,
                                     const float *phi, double radius,
                                     size_t n_points, double *sens);

/* ---- sanity check by model randomisation (Adebayo et al. 2018) -------- */

/* Flag threshold on the mean Spearman correlation (see README). */
#define XAI_AUDIT_SANITY_THRESHOLD 0.7

/* rho_i = Spearman(phi(m, x_i), phi(m_rand, x_i)) where m_rand is a copy of
 * the model whose last layer's weights were re-drawn (built by the caller).
 * phi holds the explanations of s->model (n_rows x D); the randomised
 * model's are computed with explain(user, randomized, ...).  rho has n_rows
 * entries (NaN when either explanation is constant).  A method is flagged
 * when the mean of the defined rho exceeds the threshold: its explanations
 * barely depend on what the model learnt.  Signed: an explanation that
 * flips its ranking did change, so it is not flagged. */
xai_status xai_audit_randomization(const xai_audit_setup *s,
                                   const xai_model *randomized,
                                   xai_attribution_fn explain, void *user,
                                   const float *x, size_t n_rows,
                                   const float *phi, double *rho);

/* Spearman's rank correlation of a and b (n values; tied values get their
 * average rank).  NaN when n < 2 or either vector is constant. */
double xai_audit_spearman(const float *a, const float *b, size_t n);

/* ---- statistics -------------------------------------------------------- */

/* Mean and standard error of the mean over the finite values of v (n
 * entries); count gives how many were finite.  Empty: NaN. */
typedef struct xai_audit_stat {
    double mean, se;
    size_t count;
} xai_audit_stat;
xai_audit_stat xai_audit_stat_of(const double *v, size_t n);

/* Two-sided 95% quantile of Student's t with df degrees of freedom
 * (df >= 1; the normal 1.96 beyond 120). */
double xai_audit_t95(size_t df);

/* Paired comparison of a and b (n instances): mean and standard error of
 * d_i = a_i - b_i over the instances where both are finite.  Returns -1 if
 * a is smaller with 95% confidence, +1 if larger, 0 for a tie within noise. */
int xai_audit_paired(const double *a, const double *b, size_t n,
                     xai_audit_stat *diff);

/* ---- neighbourhoods and the LFA loss table ----------------------------- */

typedef enum xai_audit_nbhd_kind {
    XAI_AUDIT_NBHD_GAUSSIAN = 0, /* x + N(0, (sigma s_j)^2), function matching */
    XAI_AUDIT_NBHD_MASK,         /* units off with probability P, function
                                    matching on the binary masks */
    XAI_AUDIT_NBHD_PATH,         /* straight path baseline -> x, gradient
                                    matching of (x - b) * grad f */
    XAI_AUDIT_NBHD_POINT         /* x itself, gradient matching */
} xai_audit_nbhd_kind;

typedef struct xai_audit_nbhd {
    xai_audit_nbhd_kind kind;
    double param; /* gaussian: sigma in column stds; mask: P; else 0 */
} xai_audit_nbhd;

/* Parses "gaussian:SIGMA" (SIGMA > 0), "mask:P" (0 < P < 1), "path" or
 * "point".  XAI_ERR_INVALID with the accepted forms otherwise. */
xai_status xai_audit_nbhd_parse(const char *text, xai_audit_nbhd *out);
/* Writes the canonical text ("gaussian:0.1") into buf (NUL-terminated). */
void xai_audit_nbhd_format(const xai_audit_nbhd *z, char *buf, size_t len);

/* The standard set: gaussian:0.1 (the primary one), gaussian:0.5, mask:0.5,
 * path, point.  Writes up to cap entries, returns the set's size (5). */
size_t xai_audit_default_nbhds(xai_audit_nbhd *out, size_t cap);

/* LFA loss of attributions phi (n_rows x D) on neighbourhood z, per row:
 *  gaussian:s  min_b mean_s (f(z_s) - b - phi . (z_s - x))^2,
 *              z_s = x + N(0, (s s_j)^2)   (xai_lfa_loss of C-LIME's Z)
 *  mask:P      min_b mean_s (f(z_s) - b - sum_u phi_u m_su)^2, m_su = 0
 *              with probability P (unit u at the baseline), phi_u the sum of
 *              phi over the unit's features; f averaged over background rows
 *  path        sum_t w_t |(x - b) * grad f(b + t (x - b)) - phi|^2 / sum w
 *              (xai_lfa_loss of Integrated Gradients' Z)
 *  point       |grad f(x) - phi|^2   (xai_lfa_loss of the gradient's Z)
 * `base` supplies output, target, baseline, patch, ig_rule and the seed;
 * samples (XAI_AUTO: 1000 gaussian and mask, 50 path) are drawn from the
 * stream (seed ^ TAG_LOSS, first + i): fresh draws, not the explainers'
 * own, so a method is judged out of sample. */
xai_status xai_audit_lfa_loss(const xai_model *m, const xai_explain_options *base,
                              const xai_explain_context *ctx,
                              const xai_audit_nbhd *z, int64_t samples,
                              const float *x, size_t n_rows,
                              uint64_t first_instance, const float *phi,
                              double *loss, int n_threads);

/* ---- selection: methods x neighbourhoods, metrics, recommendation ------ */

typedef struct xai_audit_method {
    char name[48];               /* label, e.g. "c-lime" or "c-lime(0.3)" */
    xai_explain_options options; /* the method and its settings */
} xai_audit_method;

/* Adapts xai_explain_rows to xai_attribution_fn; user points to this. */
typedef struct xai_audit_explainer {
    const xai_explain_options *options;
    const xai_explain_context *ctx;
    int n_threads;
} xai_audit_explainer;
xai_status xai_audit_explain_fn(void *user, const xai_model *m, const float *x,
                                size_t n, uint64_t first_instance, float *phi);

/* Per-method metrics, in the result's metric table. */
typedef enum xai_audit_metric {
    XAI_AUDIT_PGI = 0,      /* mean over k = 1..K of PGI_k; higher is better */
    XAI_AUDIT_PGU,          /* mean over k of PGU_k; lower is better */
    XAI_AUDIT_INFIDELITY,   /* lower is better */
    XAI_AUDIT_SENSITIVITY,  /* max-sensitivity; lower is better */
    XAI_AUDIT_SANITY,       /* randomisation Spearman rho; lower is better */
    XAI_AUDIT_DELETION,     /* deletion area (images); lower is better */
    XAI_AUDIT_INSERTION,    /* insertion area (images); higher is better */
    XAI_AUDIT_METRIC_COUNT
} xai_audit_metric;

/* "pgi", "pgu", "infidelity", "max_sensitivity", "sanity_rho",
 * "deletion_area", "insertion_area"; NULL out of range. */
const char *xai_audit_metric_name(xai_audit_metric k);
/* 1 if higher values are better. */
int xai_audit_metric_higher_is_better(xai_audit_metric k);

typedef struct xai_audit_options {
    const xai_audit_method *methods; /* NULL: every available method for the
                                        data kind, with base's settings */
    size_t n_methods;
    const xai_audit_nbhd *nbhds;     /* NULL: xai_audit_default_nbhds() */
    size_t n_nbhds;
    int declared;       /* nonzero: nbhds[0] is the user's neighbourhood */
    xai_explain_options base;        /* output, target, baseline, seed... */
    int64_t loss_samples;            /* XAI_AUTO: see xai_audit_lfa_loss */
    size_t pgi_k;                    /* 0: min(8, features) */
    double pgi_sigma;                /* default 0.1 */
    size_t pgi_samples;              /* default 50 */
    double infid_sigma;              /* default 0.1 */
    size_t infid_samples;            /* default 100 */
    double sens_radius;              /* default 0.05 */
    size_t sens_points;              /* default 5; 0 skips max-sensitivity */
    const xai_model *randomized;     /* NULL skips the randomisation check */
    double sanity_threshold;         /* default XAI_AUDIT_SANITY_THRESHOLD */
    uint32_t del_patch;              /* images: deletion unit side; 0: the
                                        explainers' patch */
    size_t del_steps;                /* images: default 32 */
    int n_threads;
} xai_audit_options;
xai_audit_options xai_audit_options_default(void);

/* One cell: mean and standard error over instances, the rank among methods
 * (1 + the number of methods better with 95% paired confidence; equal
 * ranks are ties within noise) and the 95% interval half-width. */
typedef struct xai_audit_cell {
    double mean, se, ci95;
    size_t count;  /* instances with a finite value */
    int rank;      /* 0: not computed */
} xai_audit_cell;

/* Everything the audit found; plain fields, read directly (a report reads
 * them).  Free with xai_audit_result_free. */
typedef struct xai_audit_result {
    size_t n_rows, n_features, n_methods, n_nbhds;
    uint64_t first_instance;
    xai_audit_method *methods;   /* n_methods, options resolved */
    xai_audit_nbhd *nbhds;       /* n_nbhds */
    char (*nbhd_names)[32];      /* n_nbhds canonical texts */
    int declared;                /* the user declared nbhds[0] */
    /* the LFA loss table: cell [m * n_nbhds + z]; raw per-instance losses
     * in loss[(m * n_nbhds + z) * n_rows + i] */
    xai_audit_cell *table;
    double *loss;
    /* metrics: cell [m * XAI_AUDIT_METRIC_COUNT + k]; count 0 when the
     * metric was not computed (e.g. deletion on tabular data) */
    xai_audit_cell *metrics;
    size_t pgi_k;
    double *pgi_curve, *pgu_curve; /* n_methods x pgi_k means over rows */
    int *sanity_flag;             /* n_methods: 1 flagged, 0 passed, -1 not run */
    double sanity_threshold;
    /* per method: mean surrogate R^2 and completeness gap (NaN if none),
     * model rows evaluated, seconds explaining */
    double *mean_r2, *mean_gap, *seconds;
    uint64_t *evaluations;
    /* winner per neighbourhood (lowest mean among rank 1, skipping methods
     * flagged by the sanity check when another is tied or available) */
    size_t *best;                 /* n_nbhds method indices */
    size_t rec_method, rec_nbhd;  /* the recommendation */
    /* model quality on labelled rows (n_labelled 0: no labels; NaN) */
    size_t n_labelled;
    double accuracy, majority_rate;
    double mean_output;           /* mean explained output over the rows */
    /* every method's attributions: phi[(m * n_rows + i) * n_features + j],
     * and the output explained for each row */
    float *phi;
    int32_t *target;              /* n_rows */
} xai_audit_result;

/* Runs the audit on n_rows rows x (row i is instance first + i): explains
 * them with every method, fills the loss table and metrics, ranks, and
 * recommends.  labels (n_rows class indices, or NULL) give the accuracy.
 * On success *out is a new result (caller frees). */
xai_status xai_audit_run(const xai_model *m, const xai_explain_context *ctx,
                         const xai_audit_options *opt, const float *x,
                         size_t n_rows, uint64_t first_instance,
                         const float *labels, xai_audit_result **out);
void xai_audit_result_free(xai_audit_result *r);

/* Writes the result as JSON (schema in README "Audit metrics") to path
 * through a temporary file renamed into place.  `provenance` (may be NULL)
 * is an object body inserted under key "input" verbatim, e.g.
 * "\"model\": \"m.onnx\"". */
xai_status xai_audit_write_json(const xai_audit_result *r,
                                const char *provenance, const char *path);

/* The same into an open output file (xai/outfile.h), not committed. */
xai_status xai_audit_write_json_to(const xai_audit_result *r,
                                   const char *provenance, xai_outfile *out);

/* ---- model quality ----------------------------------------------------- */

/* Accuracy of the model's predicted class against labels (class indices as
 * floats) over n rows: the arg-max output, or for a one-output probability
 * model p >= 0.5 -> class 1.  majority receives the rate of the most frequent
 * label (what predicting one class everywhere would score). */
xai_status xai_audit_accuracy(const xai_model *m, const float *x,
                              const float *labels, size_t n, int n_threads,
                              double *accuracy, double *majority);

#ifdef __cplusplus
}
#endif
#endif
