/* xai/backdoor.h: backdoor scan of image classifiers by SmoothInv.
 *
 * SmoothInv (Sun & Kolter, CVPR 2023) inverts a backdoor trigger from a few
 * clean images: it makes the classifier f robust by randomized smoothing,
 *
 *     g(x) = (1/N) sum_k softmax(f(D(x + sigma n_k))),  n_k ~ N(0, I),
 *
 * (D an optional image-to-image denoiser, the identity by default) and runs
 * projected gradient steps from a clean image x towards a class y:
 *
 *     minimise -log(max(g_y(x + delta), 1e-20)),  ||delta||_2 <= eps,
 *     x + delta inside the value range [lo, hi].
 *
 * Against a robust model only a pattern that really moves the model (the
 * trigger) can flip the decision, so the perturbation that appears is the
 * trigger.  Each candidate is scored by its attack success rate (ASR) on held-out
 * clean images under the BASE classifier f; the class scan inverts every
 * class and flags classes whose ASR is an outlier on the high side.
 *
 * Worked example (error handling shortened):
 *
 *     xai_backdoor_options o = xai_backdoor_options_default();
 *     o.eps = 1.0;  o.sigma = 0.5;  o.seed = 1;
 *     xai_backdoor_result *res;
 *     if (xai_backdoor_scan(model, images, &o, &res) != XAI_OK)
 *         fprintf(stderr, "%s\n", xai_last_error());
 *     for (size_t i = 0; i < res->n_classes; i++)
 *         printf("class %d: ASR %.2f, A %.2f%s\n", res->classes[i].cls,
 *                res->classes[i].asr, res->classes[i].anomaly,
 *                res->classes[i].flagged ? " FLAGGED" : "");
 *     xai_backdoor_result_free(res);
 *
 * Randomness: the noise of step t of the inversion of class c from source
 * image (dataset row) s is drawn from the stream (seed, xai_backdoor_stream(c,
 * s, t)); source images of class c are drawn from the stream (seed,
 * xai_backdoor_stream(c, XAI_BACKDOOR_SELECT_ROW, 0)).  Results are therefore
 * bit-identical for any thread count. */
#ifndef XAI_BACKDOOR_H
#define XAI_BACKDOOR_H

#include "base.h"
#include "data.h"
#include "model.h"
#include "outfile.h"
#include "rng.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The MAD of a scan is floored at this value (an ASR difference, i.e. 5
 * percentage points) before the anomaly index divides by it, so a flat or
 * nearly flat scan does not divide by zero and small ASR differences (a few
 * held-out images) cannot flag a class: with the default threshold 2 a class
 * must exceed the median ASR by more than 2 * 1.4826 * 0.05 = 0.148. */
#define XAI_BACKDOOR_MAD_FLOOR 0.05

/* Limits of the stream key packing (see xai_backdoor_stream). */
#define XAI_BACKDOOR_MAX_CLASSES (1u << 16)
#define XAI_BACKDOOR_MAX_ROWS ((1u << 24) - 1u)
#define XAI_BACKDOOR_MAX_STEPS (1u << 22)
#define XAI_BACKDOOR_SELECT_ROW XAI_BACKDOOR_MAX_ROWS

/* The RNG stream index of (class, source row, step):
 * class << 46 | row << 22 | step.  Arguments must be below the limits. */
uint64_t xai_backdoor_stream(uint32_t cls, uint32_t row, uint32_t step);

typedef struct xai_backdoor_options {
    double eps;              /* L2 radius of delta over the whole image (value units) */
    double sigma;            /* noise std in value units; 0: plain targeted PGD */
    uint32_t steps;          /* S, default 400 */
    uint32_t noise_samples;  /* N copies per step, default 40 (1 is used when sigma = 0) */
    double lo, hi;           /* value range, default [0, 1] */
    uint64_t seed;           /* default 0 */
    /* scan only: */
    uint32_t sources;        /* M source images per class, default 5 */
    int32_t target;          /* -1 (default): scan every class; else that class only */
    double threshold;        /* anomaly index above which a class is flagged, default 2 */
    int unsmoothed;          /* nonzero (default): also run the sigma 0 ablation */
    const xai_model *denoiser; /* image-to-image model before f, or NULL */
    int n_threads;           /* <= 0: OpenMP default */
    /* called after each finished inversion task (from a worker thread, one
     * call at a time); may be NULL */
    void (*progress)(void *user, size_t done, size_t total);
    void *progress_user;
} xai_backdoor_options;

/* eps 1, sigma 0.5, 400 steps, 40 copies, [0, 1], seed 0, 5 sources, all
 * classes, threshold 2, with the ablation, no denoiser, default threads. */
xai_backdoor_options xai_backdoor_options_default(void);

/* Sets o->lo, o->hi to the data's value range [min(0, data min), max(1,
 * data max)] and o->eps, o->sigma to eps_rel, sigma_rel times its width. */
void xai_backdoor_options_for_data(xai_backdoor_options *o, const xai_dataset *ds,
                                   double eps_rel, double sigma_rel);

/* Checks options for model m (and its denoiser): eps > 0, sigma >= 0, steps
 * and copies in range, lo < hi, threshold finite, m an image classifier with
 * >= 2 outputs, the denoiser's input and output the shape of m's input.
 * XAI_ERR_INVALID / XAI_ERR_SHAPE with a message naming the option. */
xai_status xai_backdoor_check(const xai_model *m, const xai_backdoor_options *o);

/* ---- the smoothed classifier and one inversion ---- */

/* Execution state for g: runners for f (and D) and buffers for N copies.
 * One per thread. */
typedef struct xai_smoother xai_smoother;

/* copies: the N of the smoothed classifier (>= 1). */
xai_status xai_smoother_new(const xai_model *f, const xai_model *denoiser,
                            uint32_t copies, xai_smoother **out);
void xai_smoother_free(xai_smoother *s);

/* The smoothed objective L(z) = -log(max(g_y(z), 1e-20)) at z (one image)
 * with the N noise vectors drawn from rng (sigma 0: no draws, g = f), and its
 * gradient dL/dz into grad (input size; may be NULL).  One batched forward
 * and one batched VJP over the copies (plus one of D). */
xai_status xai_smoother_loss_grad(xai_smoother *s, const float *z, int32_t y,
                                  double sigma, xai_rng *rng, double *loss,
                                  float *grad);

/* The inversion of class y from image x (dataset row `row`, for the stream):
 * delta = 0, momentum 0, then for t < steps: gradient of L at x + delta with
 * the noise of stream (seed, (y, row, t)), normalised to unit L2 norm;
 * v = 0.9 v + g; delta -= lr v with lr = eps/20, eps/40 once t >= 3 steps/4;
 * delta scaled into the L2 ball of radius eps; then clipped so that x + delta
 * stays in [lo, hi].  Writes the last iterate to delta (input size).  The
 * smoother's copy count must be o->noise_samples (1 when sigma is 0). */
xai_status xai_backdoor_invert(xai_smoother *s, const xai_backdoor_options *o,
                               double sigma, const float *x, uint32_t row,
                               int32_t y, float *delta);

/* ---- scoring ---- */

/* Attack success rate of delta for class y: the share of the n images
 * (row-major, d values each) whose mask[i] is nonzero for which
 * argmax f(clip(x_i + delta, lo, hi)) == y.  *counted receives the number of
 * images scored (0 gives ASR 0).  Batched forwards of up to 256 rows. */
xai_status xai_backdoor_asr(xai_runner *r, const float *x, size_t n,
                            const uint8_t *mask, const float *delta, double lo,
                            double hi, int32_t y, double *asr, size_t *counted);

/* Where a perturbation's energy sits: the smallest square window (side s,
 * clipped to the image) whose sum of delta^2 over all channels is at least
 * half the total; ties go to the first window in row-major order. */
typedef struct xai_energy_window {
    uint32_t x, y, size;   /* top-left corner and side, in pixels */
    double share;          /* the window's share of sum delta^2 */
    double uniform_share;  /* the same window's share for a uniform perturbation */
} xai_energy_window;

xai_status xai_backdoor_energy_window(const float *delta, uint32_t c, uint32_t h,
                                      uint32_t w, xai_energy_window *out);

/* Anomaly index of each of n values: A_i = (v_i - median) / (1.4826 MAD),
 * MAD = median |v_j - median| floored at mad_floor.  Writes index (n) and the
 * median and the unfloored MAD when not NULL.  n >= 1. */
xai_status xai_backdoor_anomaly(const double *v, size_t n, double mad_floor,
                                double *index, double *median, double *mad);

/* ---- the class scan ---- */

typedef struct xai_backdoor_class {
    int32_t cls;
    double asr, asr_unsmoothed;         /* best ASR of the M triggers */
    double anomaly, anomaly_unsmoothed; /* NaN for a single-target run */
    int flagged;                        /* anomaly > threshold */
    int64_t best_source, best_source_unsmoothed; /* dataset rows */
    size_t n_heldout;                   /* images the ASR counts */
    double l2, linf;                    /* of the best smoothed trigger */
    double l2_unsmoothed, linf_unsmoothed;
    xai_energy_window window, window_unsmoothed;
    float *delta, *delta_unsmoothed;    /* input size each (unsmoothed NULL
                                           without the ablation) */
    uint32_t n_sources;                 /* M' = min(M, images not of the class - 1) */
    int64_t *sources;                   /* n_sources dataset rows, ascending */
    double *source_asr, *source_asr_unsmoothed; /* n_sources each (NaN: no ablation) */
} xai_backdoor_class;

typedef struct xai_backdoor_result {
    size_t n_classes;                /* classes scanned */
    xai_backdoor_class *classes;
    size_t n_flagged;
    double median, mad;              /* of the smoothed ASRs (mad unfloored) */
    double median_unsmoothed, mad_unsmoothed;
    double clean_accuracy;           /* with labels, else NaN */
    uint32_t c, h, w;                /* image shape */
    uint64_t model_evaluations;      /* copies through f (forward + VJP each) */
} xai_backdoor_result;

/* Scans the classes of image classifier m with the images of ds (its labels,
 * when present, choose sources not of class c and exclude class-c images
 * from the ASR; without labels f's predictions do).  Sources of class c are
 * M images not of class c drawn from the stream given above; the ASR of a
 * trigger counts every other image not of class c.  Needs >= 2 images and
 * at least one eligible source per class.  *out is freed with
 * xai_backdoor_result_free. */
xai_status xai_backdoor_scan(const xai_model *m, const xai_dataset *ds,
                             const xai_backdoor_options *o,
                             xai_backdoor_result **out);

void xai_backdoor_result_free(xai_backdoor_result *r);

/* The verdict in plain words (one paragraph, NUL-terminated, truncated to
 * len): the flagged class(es) with their ASR against the median and their
 * anomaly index, or that no class stands out and what that does not prove. */
void xai_backdoor_verdict(const xai_backdoor_result *r, const xai_backdoor_options *o,
                          char *buf, size_t len);

/* Writes the result as JSON, schema "xai-backdoor/1" (README, section
 * "Backdoor scan"), atomically.  `input` (may be NULL) is an object body
 * inserted under key "input" verbatim (paths and SHA-256s).  Nothing in it
 * depends on the thread count or the time. */
xai_status xai_backdoor_write_json(const xai_backdoor_result *r,
                                   const xai_backdoor_options *o, const char *input,
                                   const char *path);

/* The same into an open output file (xai/outfile.h), not committed. */
xai_status xai_backdoor_write_json_to(const xai_backdoor_result *r,
                                      const xai_backdoor_options *o, const char *input,
                                      xai_outfile *out);

#ifdef __cplusplus
}
#endif
#endif
