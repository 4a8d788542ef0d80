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

/* ---- relative stability (Agarwal et al. 2022) ------------------------ */

/* Relative input / output / representation stability, as OpenXAI computes
 * them.  Neighbours x'_p = x + e_p, e_pj ~ N(0, (sigma s_j)^2) (s_j as for
 * every metric), p = 1..n_points; only neighbours whose predicted class
 * (arg-max; p >= 0.5 for one probability output) equals x's count.  With
 * r(a, b) = |a - b|_2 / |a|_2:
 *   RIS(x) = max_p r(phi(x), phi(x'_p)) / max(r(x, x'_p), eps)
 *   ROS(x) = max_p r(phi(x), phi(x'_p)) / max(r(z(x), z(x'_p)), eps)
 *   RRS(x) = max_p r(phi(x), phi(x'_p)) / max(r(L(x), L(x'_p)), eps)
 * z the logits (XAI_OUTPUT_SCORE, every output), L the activation of the
 * tensor `layer` (NULL: xai_model_hidden_layer_name).  A neighbour whose
 * denominator change is exactly 0, or any neighbour when phi(x) = 0, is
 * undefined and skipped (as in OpenXAI); the eps floor bounds the ratio
 * for nonzero but tiny changes.  A row with no valid neighbour gets NaN.
 * phi(x'_p) comes from explain(...) with the instance index of x (common
 * random numbers).  Any of ris, ros, rrs (n_rows each) may be NULL; rrs
 * needs an ONNX model with that layer (XAI_ERR_INVALID naming it if there
 * is no such tensor).  Lower is more stable. */
xai_status xai_audit_relative_stability(const xai_audit_setup *s,
                                        xai_attribution_fn explain, void *user,
                                        const float *x, size_t n_rows,
                                        const float *phi, const char *layer,
                                        double sigma, size_t n_points, double eps,
                                        double *ris, double *ros, double *rrs);

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

/* ---- agreement between explanations (Krishna et al. 2022) ------------- */

typedef enum xai_audit_agreement {
    XAI_AGREE_FEATURE = 0, /* |top_k(a) n top_k(b)| / k */
    XAI_AGREE_RANK,        /* positions q < k holding the same feature, / k */
    XAI_AGREE_SIGN,        /* common top-k features of the same sign, / k */
    XAI_AGREE_SIGNED_RANK, /* same feature at the same position and sign, / k */
    XAI_AGREE_RANK_CORR,   /* Spearman of |a| and |b| over every feature */
    XAI_AGREE_PAIRWISE,    /* pairs of F = top_k(a) u top_k(b) ordered alike
                              by |phi| (a tie agrees only with a tie) */
    XAI_AGREE_COUNT
} xai_audit_agreement;

/* "feature", "rank", "sign", "signed_rank", "rank_correlation",
 * "pairwise_rank"; NULL out of range. */
const char *xai_audit_agreement_name(xai_audit_agreement k);

/* The six measures for explanations a and b of one row (D features):
 * top-k by |phi|, ties broken by the lower feature index (so tied features
 * still take distinct positions); k > D counts as k = D (every feature is
 * in the top-k: feature agreement 1).  Sign: -1, 0 or +1 (0 matches only 0).
 * rank_correlation is NaN when either |phi| is constant, pairwise_rank when
 * F has fewer than 2 features.  Symmetric in a and b. */
xai_status xai_audit_agreement_row(const float *a, const float *b, size_t D,
                                   size_t k, double out[XAI_AGREE_COUNT]);

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
    XAI_AUDIT_NBHD_POINT,        /* x itself, gradient matching */
    XAI_AUDIT_NBHD_SHAPLEY       /* KernelSHAP's objective: coalitions under
                                    the Shapley kernel, intercept f(baseline),
                                    sum(phi) = f(x) - f(baseline); exact
                                    Shapley values minimise it */
} xai_audit_nbhd_kind;

typedef struct xai_audit_nbhd {
    xai_audit_nbhd_kind kind;
    double param; /* gaussian: sigma in column stds; mask: P; else 0 */
} xai_audit_nbhd;

/* Parses "gaussian:SIGMA" (SIGMA > 0), "mask:P" (0 < P < 1), "path",
 * "point" or "shapley".  XAI_ERR_INVALID with the accepted forms otherwise. */
xai_status xai_audit_nbhd_parse(const char *text, xai_audit_nbhd *out);
/* Writes the canonical text ("gaussian:0.1") into buf (NUL-terminated). */
void xai_audit_nbhd_format(const xai_audit_nbhd *z, char *buf, size_t len);

/* The standard set: gaussian:0.1 (the primary one), gaussian:0.5, mask:0.5,
 * path, point.  Writes up to cap entries, returns the set's size (5). */
size_t xai_audit_default_nbhds(xai_audit_nbhd *out, size_t cap);

/* The standard set for model m: for a piecewise-constant model (a tree
 * ensemble), whose gradients are zero almost everywhere, gaussian:0.1,
 * gaussian:0.5, mask:0.5 and shapley (no gradient matching); otherwise
 * xai_audit_default_nbhds. */
size_t xai_audit_default_nbhds_for(const xai_model *m, xai_audit_nbhd *out,
                                   size_t cap);

/* LFA loss of attributions phi (n_rows x D) on neighbourhood z, per row:
 *  gaussian:s  min_b mean_s (f(z_s) - b - phi . (z_s - x))^2,
 *              z_s = x + N(0, (s s_j)^2)   (xai_lfa_loss of C-LIME's Z)
 *  mask:P      min_b mean_s (f(z_s) - b - sum_u phi_u m_su)^2, m_su = 0
 *              with probability P (unit u at the baseline), phi_u the sum of
 *              phi over the unit's features; f averaged over background rows
 *  path        sum_t w_t |(x - b) * grad f(b + t (x - b)) - phi|^2 / sum w
 *              (xai_lfa_loss of Integrated Gradients' Z)
 *  point       |grad f(x) - phi|^2   (xai_lfa_loss of the gradient's Z)
 *  shapley     KernelSHAP's weighted least squares with the intercept
 *              f(baseline) and the efficiency constraint (xai_lfa_loss of
 *              KernelSHAP's Z; samples XAI_AUTO: 2M + 2048 coalitions, all
 *              of them when they fit)
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

/* A method of the default set that does not apply to the model, and why
 * (e.g. gradient methods on a tree ensemble). */
typedef struct xai_audit_skip {
    char name[48];
    char reason[320];
} xai_audit_skip;

/* Adapts xai_explain_rows to xai_attribution_fn; user points to this. */
typedef struct xai_audit_explainer {
    const xai_explain_options *options;
    const xai_explain_context *ctx;
    int n_threads;
} xai_audit_explainer;
xai_status xai_audit_explain_fn(void *user, const xai_model *m, const float *x,
                                size_t n, uint64_t first_instance, float *phi);

/* How the noise of PGI/PGU and infidelity is scaled (sigma times ...). */
typedef enum xai_audit_noise {
    XAI_AUDIT_NOISE_STD = 0, /* column j's std s_j (default; "std:S") */
    XAI_AUDIT_NOISE_ABS,     /* 1: absolute noise ("abs:S", OpenXAI on [0,1]
                                data) */
    XAI_AUDIT_NOISE_RANGE    /* column j's max - min: absolute noise on the
                                min-max-scaled feature ("range:S") */
} xai_audit_noise;

/* Parses "std:S", "abs:S" or "range:S" (S > 0 finite). */
xai_status xai_audit_noise_parse(const char *text, xai_audit_noise *kind,
                                 double *sigma);
/* "std", "abs" or "range". */
const char *xai_audit_noise_name(xai_audit_noise kind);

/* How a PGI/PGU curve over k = k0..K is summarised into one number. */
typedef enum xai_audit_pgi_summary {
    XAI_AUDIT_PGI_MEAN = 0, /* mean of the curve points */
    XAI_AUDIT_PGI_AUC       /* trapezoid over k (end points half weight),
                               divided by the span K - k0 (a single point:
                               its value), so it stays on the PGI_k scale */
} xai_audit_pgi_summary;

/* The summary of curve[k0-1 .. K-1] (curve holds k = 1..K); NaN if
 * k0 < 1 or k0 > K. */
double xai_audit_pgi_summarise(const double *curve, size_t k0, size_t K,
                               xai_audit_pgi_summary how);

/* Per-method metrics, in the result's metric table. */
typedef enum xai_audit_metric {
    XAI_AUDIT_PGI = 0,      /* summary of PGI_k over k (default: mean over
                               k = 1..K); higher is better */
    XAI_AUDIT_PGU,          /* same for PGU_k; lower is better */
    XAI_AUDIT_INFIDELITY,   /* lower is better */
    XAI_AUDIT_SENSITIVITY,  /* max-sensitivity; lower is better */
    XAI_AUDIT_SANITY,       /* randomisation Spearman rho; lower is better */
    XAI_AUDIT_DELETION,     /* deletion area (images); lower is better */
    XAI_AUDIT_INSERTION,    /* insertion area (images); higher is better */
    XAI_AUDIT_RIS,          /* relative input stability; lower is better */
    XAI_AUDIT_ROS,          /* relative output stability; lower is better */
    XAI_AUDIT_RRS,          /* relative representation stability; lower */
    XAI_AUDIT_METRIC_COUNT
} xai_audit_metric;

/* "pgi", "pgu", "infidelity", "max_sensitivity", "sanity_rho",
 * "deletion_area", "insertion_area", "ris", "ros", "rrs"; NULL out of
 * range. */
const char *xai_audit_metric_name(xai_audit_metric k);
/* 1 if higher values are better. */
int xai_audit_metric_higher_is_better(xai_audit_metric k);

typedef struct xai_audit_options {
    const xai_audit_method *methods; /* NULL: every available method for the
                                        data kind, with base's settings; on
                                        a piecewise-constant model (trees)
                                        those that refuse it are skipped,
                                        with the reason, and treeshap joins */
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
    /* literature settings (README "Comparing with OpenXAI") */
    xai_audit_noise metric_noise;    /* scale of pgi_sigma and infid_sigma */
    size_t pgi_k_first;              /* summarise k = first..K; 0: 1 */
    double pgi_k_fraction;           /* in (0, 1]: K = ceil(fraction x
                                        features), overriding pgi_k */
    xai_audit_pgi_summary pgi_summary; /* default XAI_AUDIT_PGI_MEAN */
    const char *compat;              /* a label such as "openxai" (recorded
                                        only), or NULL */
    size_t stab_points;              /* neighbours for RIS/ROS/RRS; 0 (the
                                        default) skips them */
    double stab_sigma;               /* default 0.05, scaled as metric_noise */
    double stab_eps;                 /* denominator floor, default 1e-6 */
    const char *stab_layer;          /* RRS layer; NULL: the last hidden
                                        layer (RRS skipped if there is none) */
    size_t agree_k;                  /* top-k of the agreement measures;
                                        0: min(5, units) */
    const float *ground_truth;       /* n_features values (a linear or
                                        logistic model's weights), or NULL */
    /* cost matrix of a binary classifier (both 0: none): the cost of
     * predicting class 1 for a class-0 row (credit: a bad applicant
     * accepted) and of predicting 0 for a class-1 row; see
     * xai_model_quality */
    double cost_fp, cost_fn;
    /* the rows split over processes (NULL: this process does every row);
     * see xai_audit_shard */
    const struct xai_audit_shard *shard;
} xai_audit_options;
xai_audit_options xai_audit_options_default(void);

/* xai_audit_run over `size` processes (MPI ranks, say: the library itself
 * has no MPI) that all call it with the same arguments.  Process `rank`
 * does the per-row work (explanations, losses, per-row metrics) of rows
 * [n * rank / size, n * (rank + 1) / size) of the n rows, and exchange()
 * hands every process every row's values before anything is summed,
 * ranked or compared, so each process gets the result one process would
 * (each row keeps its random stream).  exchange is collective: every
 * process calls it, in the same order.  buf holds n_rows rows of
 * row_bytes bytes, this process's block filled; failed says that this
 * process's step failed, msg (cap bytes) holding why.  It returns 0 with
 * every row of buf filled, or nonzero on every process when any failed,
 * with the failing process's reason in msg. */
typedef struct xai_audit_shard {
    int rank, size;
    int (*exchange)(void *user, int failed, void *buf, size_t row_bytes, size_t n_rows,
                    char *msg, size_t cap);
    void *user;
} xai_audit_shard;

/* One cell: mean and standard error over instances, the rank among methods
 * (1 + the number of methods better with 95% paired confidence; equal
 * ranks are ties within noise) and the 95% interval half-width. */
typedef struct xai_audit_cell {
    double mean, se, ci95;
    size_t count;  /* instances with a finite value */
    int rank;      /* 0: not computed */
} xai_audit_cell;

/* ---- model quality of a binary classifier ------------------------------ */

#define XAI_QUALITY_BINS 10

/* Rows whose predictions fall in one calibration bin. */
typedef struct xai_calibration_bin {
    size_t count;
    double p_min, p_max;      /* smallest and largest prediction in the bin */
    double mean_predicted;    /* mean P(class 1) */
    double observed;          /* share of class-1 labels */
} xai_calibration_bin;

/* Quality of probabilities p = P(class 1) against 0/1 labels; class 1 is
 * "positive" (credit: good risk), the decision is p >= threshold (0.5). */
typedef struct xai_model_quality {
    size_t n, positives;
    double accuracy, majority_rate; /* at the threshold; best constant answer */
    /* ROC AUC (ties count 1/2) with its DeLong standard error and 95%
     * interval (clipped to [0, 1]); NaN when only one class is present */
    double auc, auc_se, auc_lo, auc_hi;
    double brier;                   /* mean (p - y)^2 */
    double threshold;
    size_t tp, fp, tn, fn;          /* confusion matrix at the threshold */
    /* calibration: the rows sorted by p in n_bins (10, or n if fewer) bins
     * of equal size (+-1); calibration_error = sum_b n_b/n |mean p - observed| */
    size_t n_bins;
    xai_calibration_bin bins[XAI_QUALITY_BINS];
    double calibration_error;
    /* with a cost matrix (has_cost): expected cost per row at the threshold,
     * at the cost-optimal threshold for calibrated probabilities
     * (bayes_threshold = cost_fp / (cost_fp + cost_fn)), and of always
     * predicting class 1 / class 0 */
    int has_cost;
    double cost_fp, cost_fn;
    double expected_cost, bayes_threshold, expected_cost_bayes;
    double cost_all_positive, cost_all_negative;
} xai_model_quality;

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
    /* the settings that produced the metrics */
    size_t pgi_k_first, pgi_samples, infid_samples;
    xai_audit_pgi_summary pgi_summary;
    xai_audit_noise metric_noise;
    double pgi_sigma, infid_sigma;
    char compat[16];              /* "" when no compatibility preset */
    size_t stab_points;           /* 0: stability not computed */
    double stab_sigma, stab_eps;
    char stab_layer[128];         /* the RRS layer, "" when RRS was skipped */
    /* agreement between methods (Krishna et al. 2022) on agree_units units
     * (feature groups when the data have them, else features), averaged
     * over rows: agreement[(q * n_methods + a) * n_methods + b] for measure
     * q; gt_agreement[q * n_methods + a] against the ground truth, or NULL */
    size_t agree_k, agree_units;
    double *agreement, *gt_agreement;
    /* per-row metric values: metric_rows[(k * n_methods + m) * n_rows + i]
     * (NaN where not computed) */
    double *metric_rows;
    struct xai_audit_groups *groups; /* xai_audit_subgroups, or NULL */
    int *sanity_flag;             /* n_methods: 1 flagged, 0 passed, -1 not run */
    double sanity_threshold;
    /* per method: mean surrogate R^2 and completeness gap (NaN if none),
     * model rows evaluated, seconds explaining */
    double *mean_r2, *mean_gap, *seconds;
    uint64_t *evaluations;
    /* default methods left out because they do not apply to this model
     * (only when the options named no methods) */
    size_t n_skipped;
    xai_audit_skip *skipped;
    /* winner per neighbourhood (lowest mean among rank 1, skipping methods
     * flagged by the sanity check when another is tied or available) */
    size_t *best;                 /* n_nbhds method indices */
    size_t rec_method, rec_nbhd;  /* the recommendation */
    /* model quality on labelled rows (n_labelled 0: no labels; NaN) */
    size_t n_labelled;
    double accuracy, majority_rate;
    /* binary classifiers: AUC, Brier, calibration, confusion matrix, cost
     * (quality.n 0: not computed, e.g. no labels or more than two classes) */
    xai_model_quality quality;
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

/* ---- differences between groups of rows -------------------------------- */

/* Groups with fewer rows are reported but not compared. */
#define XAI_AUDIT_GROUP_MIN_ROWS 10

/* Per-group values of the model's quality and of every metric, the largest
 * gap between compared groups and its bootstrap 95% interval. */
typedef struct xai_audit_groups {
    char column[64];              /* what the rows were grouped by */
    size_t n_groups, n_quantities, bootstrap;
    uint64_t seed;
    char (*group_names)[48];      /* n_groups */
    size_t *rows;                 /* n_groups: audited rows in each group */
    int *compared;                /* n_groups: rows >= XAI_AUDIT_GROUP_MIN_ROWS */
    char (*quantity)[96];         /* n_quantities: "accuracy", "auc",
                                     "METHOD: METRIC", "METHOD: lfa_loss" */
    int *higher_is_better;        /* n_quantities */
    double *value;                /* n_quantities x n_groups, every group
                                     (NaN: undefined, e.g. AUC of one class) */
    double *gap;                  /* value[hi] - value[lo] >= 0, or NaN */
    int32_t *hi, *lo;             /* the two groups (-1: fewer than two) */
    double *ci_lo, *ci_hi;        /* bootstrap 95% percentile interval */
    int *flagged;                 /* the interval excludes 0 */
} xai_audit_groups;

/* Splits the audited rows of r into groups (group[i] in 0..n_groups-1 for
 * row i, names[g] the label of group g) and computes, per group, the
 * accuracy and (two classes) the AUC of the model against labels (may be
 * NULL: no quality), and the mean of every per-row metric and of the LFA
 * loss on the recommended neighbourhood for every method.  For each
 * quantity the largest gap max_g - min_g over compared groups gets a 95%
 * interval from `bootstrap` resamples of the rows within those two groups
 * (stream (seed ^ tag, quantity)); the interval does not account for the
 * choice of the pair among all groups.  x holds the audited rows.  The
 * result is attached to r (r->groups; freed with r). */
xai_status xai_audit_subgroups(xai_audit_result *r, const xai_model *m,
                               const float *x, const float *labels,
                               const int32_t *group, size_t n_groups,
                               const char *const *names, const char *column,
                               size_t bootstrap, uint64_t seed, int n_threads);

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

/* Model quality from probabilities p (n values in [0, 1]) and labels (0 or
 * 1).  cost_fp, cost_fn: both 0 (no cost matrix) or both positive and
 * finite (see xai_audit_options). */
xai_status xai_quality_from_scores(const double *p, const float *labels, size_t n,
                                   double cost_fp, double cost_fn,
                                   xai_model_quality *q);

/* The same for a binary classifier's P(class 1) on the rows x (n x inputs):
 * a model with one probability output, or with two outputs (output 1). */
xai_status xai_audit_quality(const xai_model *m, const float *x, const float *labels,
                             size_t n, int n_threads, double cost_fp, double cost_fn,
                             xai_model_quality *q);

/* XAI_OK when (cost_fp, cost_fn) is a valid cost matrix (see above). */
xai_status xai_quality_check_costs(double cost_fp, double cost_fn);

#ifdef __cplusplus
}
#endif
#endif
