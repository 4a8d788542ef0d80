/* xai/explain.h: local explanations (attributions) of model outputs.
 *
 * Every method is one local function approximation (LFA, Han et al. 2022):
 * fit a linear g to the model f around x over a neighbourhood Z under a loss.
 *
 *   method               neighbourhood Z                  loss
 *   lime                 binary masks, exponential kernel function matching
 *   kernelshap           binary masks, Shapley kernel     function matching,
 *                                                         sum(phi)=f(x)-f(b)
 *   occlusion            one unit off at a time           function matching
 *   c-lime               x + N(0, sigma^2)                function matching
 *   gradient             x itself                         gradient matching
 *   gradient-x-input     x itself                         gradient matching, * x
 *   smoothgrad           x + N(0, sigma^2)                gradient matching
 *   integrated-gradients path from baseline b to x        gradient matching,
 *                                                         * (x - b)
 *   custom               any of the above neighbourhoods + any valid loss
 *
 * and, outside the LFA family, for convolutional image models:
 *   smooth-gradcam++     Grad-CAM++ at options.layer (default: the last conv
 *                        layer with spatial size above 1x1), activations and
 *                        gradients averaged over `samples` (25) copies
 *                        x + N(0, sigma^2), sigma 0.15 of the value range;
 *                        ReLU, bilinear upsampling to the image, the map
 *                        copied to every channel.  sigma 0: one copy, plain
 *                        Grad-CAM++.  It explains options.output; use
 *                        XAI_OUTPUT_SCORE, as Grad-CAM++ assumes the
 *                        pre-softmax score.
 *   grad-cam             Grad-CAM (Selvaraju et al. 2017) at the same layer:
 *                        w_c = spatial mean of dS/dA_c at x (no noise),
 *                        map = ReLU(sum_c w_c A_c), upsampled as above
 *                        (alias "gradcam")
 *   grad-cam++           Grad-CAM++ (Chattopadhay et al. 2018) at x, one copy
 *                        (alias "gradcam++"); smooth-gradcam++ with sigma 0
 *
 * and, for tree ensembles (xai/trees.h):
 *   treeshap             exact Shapley values of the margin (XAI_OUTPUT_SCORE;
 *                        log-odds for sigmoid and softmax models; PROB is
 *                        refused unless the ensemble's transform is IDENTITY)
 *                        in polynomial time.  baseline XAI_BASELINE_TREE_PATH:
 *                        path-dependent TreeSHAP (Lundberg et al. 2020,
 *                        Algorithm 2), v(S) = E[f | x_S] under the training
 *                        covers, fbaseline = the cover-weighted mean margin;
 *                        any other baseline: interventional TreeSHAP, v(S) =
 *                        mean over baseline rows b of f(x_S, b_rest), the game
 *                        KernelSHAP samples with that baseline (TreeSHAP is its
 *                        exact answer).  Groups are players.  O(T L D^2) per
 *                        row (path), O(T L D) per row and baseline row.
 *
 * Worked example (error handling shortened):
 *
 *     xai_explain_options o = xai_explain_options_default();
 *     xai_method_lookup("kernelshap", &o.method);
 *     xai_explain_context c = {.n_features = D, .stats = stats};
 *     float phi[D];   xai_explain_diag dg;
 *     if (xai_explain_rows(model, &o, &c, x, 1, 0, phi, &dg, 1) != XAI_OK)
 *         fprintf(stderr, "%s\n", xai_last_error());
 *
 * Semantics shared by all methods:
 * - Mask methods work on interpretable units: feature groups (one-hot
 *   columns) for tabular data, square patches for images.  A unit that is
 *   "off" takes the baseline's values.  A unit's attribution is spread
 *   equally over its features, so sum(phi) over features = sum over units.
 * - Baselines: zero, the per-feature mean (default; needs stats), a given
 *   row, or k background rows; with a background, every masked or path
 *   input is evaluated against each background row and averaged.
 * - Noise: feature j gets N(0, (sigma * s_j)^2) with s_j = its std (tabular,
 *   from stats; 1 without stats) or the value range (images).
 * - Output is bit-identical for any n_threads: row i draws from the random
 *   stream (seed, first_instance_index + i) and batches are formed
 *   independently of the thread count. */
#ifndef XAI_EXPLAIN_H
#define XAI_EXPLAIN_H

#include "base.h"
#include "data.h"
#include "model.h"
#include "rng.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum xai_method {
    XAI_METHOD_LIME = 0,
    XAI_METHOD_CLIME,
    XAI_METHOD_KERNELSHAP,
    XAI_METHOD_OCCLUSION,
    XAI_METHOD_GRADIENT,
    XAI_METHOD_GRADIENT_X_INPUT,
    XAI_METHOD_SMOOTHGRAD,
    XAI_METHOD_INTEGRATED_GRADIENTS,
    XAI_METHOD_SMOOTH_GRADCAM_PP, /* convolutional models (explainers/gradcam.c) */
    XAI_METHOD_CUSTOM,            /* options.custom defines Z, loss, kernel */
    XAI_METHOD_GRADCAM,           /* plain Grad-CAM, one copy */
    XAI_METHOD_GRADCAM_PP,        /* plain Grad-CAM++, one copy */
    XAI_METHOD_TREESHAP,          /* tree ensembles (explainers/treeshap.c) */
    XAI_METHOD_COUNT
} xai_method;

/* XAI_OK when the model's output is [N] or [N, K] (one value per class or
 * score), as explanations, predictions and audits read it; an output with
 * more dimensions per row ([N, A, B]) is refused naming its shape. */
xai_status xai_check_output_rank(const xai_model *m);

/* Number of methods (XAI_METHOD_COUNT). */
size_t xai_method_count(void);
/* Canonical name ("lime", "c-lime", "kernelshap", ...); NULL if out of range. */
const char *xai_method_name(xai_method m);
/* One-line description; NULL if out of range. */
const char *xai_method_summary(xai_method m);
/* 1 if the method is implemented in this build. */
int xai_method_available(xai_method m);
/* Looks a method up by name (case-insensitive; also "clime", "shap", "ig",
 * "gxi", "gradcam").  XAI_ERR_INVALID with the list of names if unknown. */
xai_status xai_method_lookup(const char *name, xai_method *out);

typedef enum xai_neighbourhood {
    XAI_NBHD_MASKS = 0,  /* random binary masks over units */
    XAI_NBHD_ONEHOT,     /* x, and x with one unit (or image window) off */
    XAI_NBHD_GAUSSIAN,   /* x + N(0, diag(sigma_j^2)) */
    XAI_NBHD_POINT,      /* x itself */
    XAI_NBHD_PATH,       /* b + t (x - b), t from the quadrature rule */
    XAI_NBHD_USER        /* points from custom.sample */
} xai_neighbourhood;

typedef enum xai_loss {
    XAI_LOSS_FUNCTION = 0, /* sum_s w_s (f(z_s) - g(z_s))^2 / sum_s w_s */
    XAI_LOSS_GRADIENT      /* sum_s w_s |scale * grad f(z_s) - phi|^2 / sum w */
} xai_loss;

typedef enum xai_kernel {
    XAI_KERNEL_DEFAULT = 0, /* the method's own (uniform for custom) */
    XAI_KERNEL_UNIFORM,
    XAI_KERNEL_EXPONENTIAL, /* exp(-d^2 / (2 width^2)); d: units off, or
                               |(z - x) / sigma| for points */
    XAI_KERNEL_SHAPLEY      /* masks only: (M-1) / (C(M,s) s (M-s)), plus
                               the efficiency constraint */
} xai_kernel;

typedef enum xai_scale {
    XAI_SCALE_NONE = 0,
    XAI_SCALE_INPUT, /* gradient matching of x * grad */
    XAI_SCALE_DELTA  /* gradient matching of (x - b) * grad */
} xai_scale;

typedef enum xai_baseline_kind {
    XAI_BASELINE_MEAN = 0, /* per-feature mean (context stats) */
    XAI_BASELINE_ZERO,
    XAI_BASELINE_ROW,       /* context baseline_row */
    XAI_BASELINE_BACKGROUND, /* context background rows, averaged */
    XAI_BASELINE_TREE_PATH   /* treeshap only: features outside S follow
                                both children of a split, weighted by the
                                training covers (path-dependent TreeSHAP) */
} xai_baseline_kind;

typedef enum xai_ig_rule {
    XAI_IG_GAUSS_LEGENDRE = 0,
    XAI_IG_TRAPEZOID
} xai_ig_rule;

/* User sampler for XAI_NBHD_USER: writes n_samples points (n_samples x
 * n_features) and their weights (preset to 1).  Returns 0 on success. */
typedef int (*xai_sample_fn)(void *user, xai_rng *rng, const float *x,
                             size_t n_features, size_t n_samples,
                             float *points, double *weights);

#define XAI_TARGET_PRED (-1) /* explain the arg-max output of f(x) */
#define XAI_AUTO (-1)        /* "use the method's default" */

typedef struct xai_explain_options {
    xai_method method;
    int32_t target;         /* output index, or XAI_TARGET_PRED (default) */
    xai_output_kind output; /* XAI_OUTPUT_PROB (default) or _SCORE */
    /* LIME/C-LIME samples, KernelSHAP coalitions, SmoothGrad copies, IG
     * path points; XAI_AUTO: 1000, 2M+2048, 50, 50.  0 is an error. */
    int64_t samples;
    xai_baseline_kind baseline;
    double sigma;        /* noise; XAI_AUTO: 0.15 SmoothGrad, 0.1 C-LIME */
    xai_ig_rule ig_rule; /* default Gauss-Legendre */
    double kernel_width; /* XAI_AUTO: 0.75 * sqrt(M) */
    double ridge;        /* added to the WLS normal equations; default 0 */
    uint64_t seed;
    /* images: side of square patches (mask methods; XAI_AUTO: about 8 x 8
     * patches), occlusion window side and stride (XAI_AUTO: the patch) */
    int32_t patch, window, stride;
    /* smooth-gradcam++: the layer (a tensor name, C x H x W per sample);
     * NULL: the last convolutional layer with spatial size above 1x1.
     * Resolving sets it to the layer used (a name owned by the model). */
    const char *layer;
    struct {
        xai_neighbourhood neighbourhood;
        xai_loss loss;
        xai_kernel kernel;
        xai_scale scale;
        xai_sample_fn sample; /* XAI_NBHD_USER */
        void *user;
    } custom;
} xai_explain_options;

/* Defaults: method KernelSHAP, target XAI_TARGET_PRED, probabilities,
 * every numeric field XAI_AUTO, mean baseline, seed 0, ridge 0. */
xai_explain_options xai_explain_options_default(void);

/* What the data says about the input space.  Pointers are borrowed for the
 * duration of the call. */
typedef struct xai_explain_context {
    size_t n_features;              /* must equal the model's input size */
    const xai_column_stats *stats;  /* n_features entries, or NULL */
    const uint32_t *groups;         /* feature -> group, or NULL (tabular) */
    size_t n_groups;
    const float *baseline_row;      /* n_features, for XAI_BASELINE_ROW */
    const float *background;        /* n_background x n_features */
    size_t n_background;
    uint32_t image_c, image_h, image_w; /* nonzero: inputs are CHW images */
    double value_range; /* images: noise scale; 0: from stats, else 1 */
} xai_explain_context;

/* Validates options against model and context and replaces every XAI_AUTO
 * by the value that will be used (for printing defaults).  The method and
 * custom fields then describe the resolved neighbourhood. */
xai_status xai_explain_options_resolve(const xai_model *m,
                                       const xai_explain_options *in,
                                       const xai_explain_context *ctx,
                                       xai_explain_options *out);

/* For resolved options (xai_explain_options_resolve): fails when a
 * least-squares explanation (lime, c-lime, kernelshap, custom function fits
 * on masks or Gaussian noise) has fewer samples than coefficients and no
 * ridge, an underdetermined fit whose answer would be meaningless.  The
 * CLI and xai_audit_run call it; the LFA loss (which fits no phi) does
 * not. */
xai_status xai_explain_fit_check(const xai_explain_options *resolved,
                                 const xai_explain_context *ctx);


/* The resolved LFA triple of a method (custom: options.custom). */
typedef struct xai_lfa_spec {
    xai_neighbourhood neighbourhood;
    xai_loss loss;
    xai_kernel kernel;
    xai_scale scale;
} xai_lfa_spec;
xai_status xai_explain_spec(const xai_explain_options *resolved,
                            xai_lfa_spec *out);

typedef struct xai_explain_diag {
    int32_t target;          /* the output explained */
    double fx;               /* f_target(x) */
    double fbaseline;        /* f_target(baseline), averaged over background */
    double intercept;        /* surrogate intercept, NaN if none */
    double r2;               /* weighted R^2 of the surrogate, NaN if none */
    double completeness_gap; /* |sum(phi) - (fx - fbaseline)| */
    uint64_t evaluations;    /* model rows evaluated (a finite-difference
                                gradient counts 2D+1) */
    uint64_t samples;        /* neighbourhood points used */
    double seconds;          /* wall time (rows of one batch share it) */
    int finite_differences;  /* gradients were finite differences */
    int exact;               /* KernelSHAP enumerated every coalition */
} xai_explain_diag;

/* Explains n_rows rows x (n_rows x n_features).  phi (n_rows x n_features)
 * and diag (n_rows, or NULL) are caller-owned.  Row i uses the random
 * stream (seed, first_instance_index + i).  n_threads <= 0: OpenMP default.
 * Errors name the row and feature; on error phi is unspecified. */
xai_status xai_explain_rows(const xai_model *m, const xai_explain_options *opt,
                            const xai_explain_context *ctx, const float *x,
                            size_t n_rows, uint64_t first_instance_index,
                            float *phi, xai_explain_diag *diag, int n_threads);

/* LFA loss of given attributions phi (n_rows x n_features) on the
 * neighbourhood and loss of `opt` (a method or custom), drawn exactly as the
 * method itself draws it, so the method's own phi minimises it:
 *  - masks / one-hot / points, function matching: weighted mean squared
 *    residual of f against b + phi_units . z (mask units: phi summed over
 *    the unit's features; points: z - x), the intercept b chosen optimally;
 *    Shapley kernel: b = f(baseline) and 1e4 * (sum phi - (fx - fb))^2 is
 *    added (the constraint's infinite weights, made finite);
 *  - gradient matching: sum_s w_s |scale_s * grad f(z_s) - phi|^2 / sum w.
 * loss has n_rows entries. */
xai_status xai_lfa_loss(const xai_model *m, const xai_explain_options *opt,
                        const xai_explain_context *ctx, const float *x,
                        size_t n_rows, uint64_t first_instance_index,
                        const float *phi, double *loss, int n_threads);

#ifdef __cplusplus
}
#endif
#endif
