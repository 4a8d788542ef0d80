/* xai/recourse.h: counterfactual explanations and how robust they are.
 *
 * A counterfactual x' of a row x is a nearby input the model accepts: the
 * model's probability m(x') of the desired class is >= 0.5 (for more than two
 * classes: the desired class has the largest probability).  This part makes
 * counterfactuals under constraints (features that must not change, may only
 * grow, are integers, or are one-hot groups), scores any counterfactual by
 * its stability, cost, plausibility and validity on other models, and bounds
 * the model's local Lipschitz constant.
 *
 * Worked example (error handling shortened): counterfactuals of n rows x.
 *
 *     xai_recourse_options o = xai_recourse_options_default();
 *     xai_recourse *rc;
 *     xai_recourse_new(m, train_x, n_train, n_features, groups, flags, &o, &rc);
 *     xai_cf_result res[n];   float cf[n * n_features];
 *     xai_recourse_generate(rc, XAI_CF_TREX, x, n, 0, cf, res);
 *     xai_recourse_free(rc);
 *
 * Definitions (m = probability of the desired class, s_j = the training
 * range of feature j, 1 where that range is zero):
 * - the scaled difference of x' from x is d_j = (x'_j - x_j) / s_j; costs are
 *   L1 = sum |d_j| and L2 = sqrt(sum d_j^2) of it;
 * - the relaxed stability (Hamman et al., ICML 2023)
 *     R^(x') = (1/k) sum_i [ m(x_i) - |m(x') - m(x_i)| ],
 *   x_i ~ N(x', diag(sigma s_j)^2): sigma is a fraction of each feature's
 *   training range (default 0.05, the paper's 0.05 on features scaled to
 *   [0, 1]); reported with its Monte-Carlo standard error sd/sqrt(k);
 * - the logit of the desired class is log m - log(1 - m) for one sigmoid
 *   output, log p_desired - log max_{j != desired} p_j otherwise; a row is
 *   accepted when it is >= 0.
 *
 * Random draws of row i come from the stream (seed ^ TAG, first_row + i), each
 * method with its own tag: results are identical for any thread count. */
#ifndef XAI_RECOURSE_H
#define XAI_RECOURSE_H

#include "base.h"
#include "mlp.h"
#include "model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Per-feature constraint flags. */
enum {
    XAI_RC_IMMUTABLE = 1,  /* never changes */
    XAI_RC_INCREASING = 2, /* may only grow (age) */
    XAI_RC_INTEGER = 4     /* rounded to an integer, then re-checked */
};

typedef enum xai_cf_method {
    XAI_CF_CLOSEST = 0, /* sparse closest: elastic-net ISTA with binary search on c */
    XAI_CF_NN,          /* nearest accepted training row */
    XAI_CF_TREX,        /* T-Rex:I from `closest`: gradient ascent on R^ to tau */
    XAI_CF_TREX_NN,     /* nearest accepted training row with R^ >= tau */
    XAI_CF_METHOD_COUNT
} xai_cf_method;

/* "closest", "nn", "trex", "trex-nn". */
const char *xai_cf_method_name(xai_cf_method m);
/* The method called name, or -1. */
int xai_cf_method_find(const char *name);

typedef struct xai_recourse_options {
    int32_t desired;    /* the class wanted: 1 (default) or 0 for one sigmoid
                           output, an output index otherwise */
    double sigma;       /* noise sd as a fraction of s_j (default 0.05), > 0 */
    uint32_t k;         /* Monte-Carlo samples of R^ (default 1000), >= 2 */
    double tau;         /* T-Rex target for R^ (default 0.75), in (0, 1) */
    /* closest */
    double kappa;       /* required logit margin (default 0), >= 0 */
    double beta;        /* L1 weight (default 0.1), >= 0 */
    double c_init;      /* first hinge weight c (default 1), > 0 */
    uint32_t c_steps;   /* binary-search steps on c (default 10), >= 1 */
    uint32_t iters;     /* ISTA iterations per c (default 300), >= 1 */
    double lr;          /* ISTA step, decaying as sqrt(1 - t/iters) (0.01) */
    /* trex */
    double trex_step;   /* normalised gradient step in scaled units (0.01) */
    double trex_radius; /* cap on ||d_trex - d_closest||_2, scaled (1.0) */
    uint32_t trex_iters;/* most ascent steps (default 400) */
    uint32_t lof_k;     /* neighbours of the local outlier factor (10) */
    uint64_t seed;      /* default 0 */
    int n_threads;      /* <= 0: OpenMP default */
} xai_recourse_options;

xai_recourse_options xai_recourse_options_default(void);

/* A recourse context: the model, the training rows (bounds, scales, the
 * accepted rows for `nn` and plausibility), groups and constraints.
 * train: n_train x n_features rows (copied).  groups: n_features group ids
 * (xai_dataset_feature_groups) or NULL; a group of several columns must be
 * one-hot in every training row and stays one category.  flags: n_features
 * XAI_RC_* bits or NULL; a flag on one column of a group applies to the whole
 * group (XAI_RC_INCREASING on a group is refused).  The model must output
 * probabilities (a final Sigmoid or Softmax).  Free with xai_recourse_free. */
typedef struct xai_recourse xai_recourse;
xai_status xai_recourse_new(const xai_model *m, const float *train, size_t n_train,
                            size_t n_features, const uint32_t *groups,
                            const uint8_t *flags, const xai_recourse_options *o,
                            xai_recourse **out);
void xai_recourse_free(xai_recourse *rc);

/* Training rows the model accepts (the candidates of nn and trex-nn). */
size_t xai_recourse_accepted_count(const xai_recourse *rc);

/* Per-row outcome of a generator.  reason is "" when found, else a static
 * sentence ("already accepted", "no accepted training row satisfies the
 * constraints", ...). */
typedef struct xai_cf_result {
    int found;
    int already_accepted; /* the model accepts x itself: nothing searched */
    const char *reason;
} xai_cf_result;

/* Counterfactuals of the n rows x (row i is row first_row + i for the random
 * streams): cf (n x n_features) gets x' (a copy of x when not found). */
xai_status xai_recourse_generate(xai_recourse *rc, xai_cf_method method,
                                 const float *x, size_t n, uint64_t first_row,
                                 float *cf, xai_cf_result *res);

/* Scores of one counterfactual. */
typedef struct xai_cf_score {
    double output;       /* m(x') */
    int accepted;        /* the model accepts x' */
    double stability;    /* R^(x') */
    double stability_se; /* its Monte-Carlo standard error */
    double cost_l1, cost_l2; /* scaled; NaN without the original row */
    uint32_t changed;    /* features with x'_j != x_j; 0 without the original */
    double lof;          /* local outlier factor among accepted training rows */
} xai_cf_score;

/* Scores the n counterfactuals cf; orig (n x n_features, may be NULL) holds
 * the original rows for the costs.  Streams (seed ^ TAG_SCORE, first_row + i). */
xai_status xai_recourse_score(xai_recourse *rc, const float *cf, const float *orig,
                              size_t n, uint64_t first_row, xai_cf_score *sc);

/* Validity on another model: valid[i] = 1 if alt accepts cf row i for the
 * context's desired class, else 0.  alt must take the same input width and
 * give the same number of outputs. */
xai_status xai_recourse_validity(const xai_recourse *rc, const xai_model *alt,
                                 const float *cf, size_t n, uint8_t *valid);

/* ---- certified local Lipschitz bounds (MLPs, see xai/mlp.h) ----------- */

/* Bounds of L = max ||grad_z m(z)||_2 over the ball ||z - z0||_2 <= radius,
 * z = x / s in units of the scales s (NULL: model units): m is the
 * probability of class `desired` of a network whose last layer has one
 * output and a final Sigmoid.
 * - upper: a sound upper bound: interval bounds on every pre-activation over
 *   the ball (exact for the first layer: W z0 + b +- radius ||W_i||_2) fix
 *   the stable ReLUs and each activation's slope range; the logit's gradient
 *   is bounded by the smaller of (a) the product of the spectral norms of the
 *   slope-scaled weight matrices (certified by the trace of a power of the
 *   Gram matrix) and (b) a backward interval bound on the Jacobian; times the
 *   final sigmoid's largest slope on its input interval.
 * - lower: the largest gradient norm seen at the centre and n_samples points
 *   drawn uniformly in the ball from the stream (seed, row) (so lower <= L
 *   <= upper). */
typedef struct xai_lipschitz {
    double upper, upper_norms, upper_interval; /* upper = min of the two, x slope */
    double lower;
    uint32_t unstable; /* hidden units whose slope is not fixed on the ball */
} xai_lipschitz;

xai_status xai_lipschitz_bounds(const xai_model *m, const xai_mlp *mlp, int32_t desired,
                                const float *scale, const float *x, size_t n,
                                double radius, uint32_t n_samples, uint64_t seed,
                                xai_lipschitz *out);

/* The Stability of the definition, R = (1/k) sum_i [m(x_i) - gamma ||z_i - z'||_2]
 * (z in units of the training ranges, x_i ~ N(x', (sigma s)^2) drawn from the
 * scoring streams), with gamma the certified upper bound over the ball of
 * radius `radius` around z'.  Only the k_in samples inside that ball count
 * (the bound holds there).  guarantee: for any new model M that is
 * gamma-Lipschitz on the ball and whose values at the samples are independent
 * with means m(x_i) (the naturally-occurring change of Hamman et al.),
 * P(M(x') < 0.5) <= exp(-2 k_in (R - 0.5)^2); 1 (vacuous) when R <= 0.5. */
typedef struct xai_stability_exact {
    double R, gamma, guarantee;
    uint32_t k_in;
    int vacuous;
} xai_stability_exact;
xai_status xai_recourse_stability_exact(xai_recourse *rc, const xai_mlp *mlp,
                                        const float *cf, size_t n, uint64_t first_row,
                                        double radius, xai_stability_exact *out);

#ifdef __cplusplus
}
#endif
#endif
