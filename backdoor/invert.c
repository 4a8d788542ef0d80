/* backdoor/invert.c: options, the RNG stream key and the SmoothInv
 * inversion (normalised-gradient SGD with momentum, L2 ball, value clip). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <xai/backdoor.h>

#include "backdoor/backdoor_impl.h"
#include "core/error.h"

uint64_t xai_backdoor_stream(uint32_t cls, uint32_t row, uint32_t step)
{
    return (uint64_t)cls << 46 | (uint64_t)row << 22 | (uint64_t)step;
}

xai_backdoor_options xai_backdoor_options_default(void)
{
    return (xai_backdoor_options){
        .eps = 1.0, .sigma = 0.5, .steps = 400, .noise_samples = 40,
        .lo = 0.0, .hi = 1.0, .seed = 0, .sources = 5, .target = -1,
        .threshold = 2.0, .unsmoothed = 1, .denoiser = NULL, .n_threads = 0,
    };
}

void xai_backdoor_options_for_data(xai_backdoor_options *o, const xai_dataset *ds,
                                   double eps_rel, double sigma_rel)
{
    double lo = 0, hi = 1;
    for (size_t j = 0; j < xai_dataset_features(ds); j++) {
        lo = fmin(lo, xai_dataset_stats(ds, j)->min);
        hi = fmax(hi, xai_dataset_stats(ds, j)->max);
    }
    o->lo = lo;
    o->hi = hi;
    o->eps = eps_rel * (hi - lo);
    o->sigma = sigma_rel * (hi - lo);
}

xai_status xai_backdoor_check(const xai_model *m, const xai_backdoor_options *o)
{
    if (!(o->eps > 0) || !isfinite(o->eps))
        return xai_fail(XAI_ERR_INVALID, "eps must be a finite number > 0 (got %g)", o->eps);
    if (!(o->sigma >= 0) || !isfinite(o->sigma))
        return xai_fail(XAI_ERR_INVALID, "sigma must be a finite number >= 0 (got %g)",
                        o->sigma);
    if (o->steps < 1 || o->steps >= XAI_BACKDOOR_MAX_STEPS)
        return xai_fail(XAI_ERR_INVALID, "steps must be in 1..%u (got %u)",
                        XAI_BACKDOOR_MAX_STEPS - 1, o->steps);
    if (o->noise_samples < 1 || o->noise_samples > 100000)
        return xai_fail(XAI_ERR_INVALID, "noise samples must be in 1..100000 (got %u)",
                        o->noise_samples);
    if (!(o->lo < o->hi) || !isfinite(o->lo) || !isfinite(o->hi))
        return xai_fail(XAI_ERR_INVALID, "value range [%g, %g] is empty", o->lo, o->hi);
    if (!isfinite(o->threshold))
        return xai_fail(XAI_ERR_INVALID, "threshold must be finite");
    if (o->sources < 1 || o->sources > 100000)
        return xai_fail(XAI_ERR_INVALID, "sources must be in 1..100000 (got %u)", o->sources);
    int64_t dims[4];
    int rank = xai_model_input_shape(m, dims);
    if (rank != 3)
        return xai_fail(XAI_ERR_SHAPE,
                        "the model is not an image model: its input has rank %d per sample, "
                        "a backdoor scan needs C,H,W", rank);
    size_t k = xai_model_output_size(m);
    if (k < 2)
        return xai_fail(XAI_ERR_SHAPE,
                        "the model has %zu output; a backdoor scan needs a classifier with "
                        ">= 2 class outputs", k);
    if (k > XAI_BACKDOOR_MAX_CLASSES)
        return xai_fail(XAI_ERR_UNSUPPORTED, "the model has %zu classes (at most %u)", k,
                        XAI_BACKDOOR_MAX_CLASSES);
    if (o->target >= 0 && (size_t)o->target >= k)
        return xai_fail(XAI_ERR_INVALID, "target class %d is out of range: the model has "
                        "%zu classes (0..%zu)", o->target, k, k - 1);
    if (o->target < -1)
        return xai_fail(XAI_ERR_INVALID, "target class %d is out of range", o->target);
    if (o->denoiser) {
        int64_t dd[4];
        int dr = xai_model_input_shape(o->denoiser, dd);
        size_t din = xai_model_input_size(o->denoiser);
        size_t dout = xai_model_output_size(o->denoiser);
        /* the output's per-sample shape, when the graph records it */
        xai_model_info info;
        xai_model_info_get(o->denoiser, &info);
        int64_t od[4];
        int orank = info.output_name && *info.output_name
                        ? xai_model_tensor_shape(o->denoiser, info.output_name, od)
                        : -1;
        int same = dr == rank && (orank < 0 || orank == rank);
        for (int i = 0; same && i < rank; i++)
            same = dd[i] == dims[i] && (orank < 0 || od[i] == dims[i]);
        if (!same || din != dout || din != xai_model_input_size(m))
            return xai_fail(XAI_ERR_SHAPE,
                            "the denoiser must map an image of the classifier's input shape "
                            "%lldx%lldx%lld to the same shape (its input has %zu values, "
                            "its output %zu)", (long long)dims[0], (long long)dims[1],
                            (long long)dims[2], din, dout);
    }
    return XAI_OK;
}

/* delta <- delta * min(1, eps / ||delta||_2), then x + delta into [lo, hi].
 * Clipping only moves entries towards 0 (x is inside the range), so the
 * norm stays <= eps. */
static void project(float *delta, const float *x, size_t d, double eps, double lo, double hi)
{
    double ss = 0;
    for (size_t j = 0; j < d; j++)
        ss += (double)delta[j] * delta[j];
    double nrm = sqrt(ss);
    if (nrm > eps) {
        double f = eps / nrm;
        for (size_t j = 0; j < d; j++)
            delta[j] = (float)(delta[j] * f);
    }
    for (size_t j = 0; j < d; j++) {
        double v = (double)x[j] + delta[j];
        double c = v < lo ? lo : (v > hi ? hi : v);
        delta[j] = (float)(c - x[j]);
    }
}

xai_status xai_backdoor_invert(xai_smoother *s, const xai_backdoor_options *o,
                               double sigma, const float *x, uint32_t row,
                               int32_t y, float *delta)
{
    if (row > XAI_BACKDOOR_MAX_ROWS || y < 0 || (uint32_t)y >= XAI_BACKDOOR_MAX_CLASSES ||
        o->steps >= XAI_BACKDOOR_MAX_STEPS)
        return xai_fail(XAI_ERR_INVALID, "inversion: row %u, class %d or %u steps out of range",
                        row, y, o->steps);
    /* the input size of the smoother's classifier */
    size_t d = backdoor_smoother_dim(s);
    float *z = malloc(d * sizeof *z), *g = malloc(d * sizeof *g), *v = calloc(d, sizeof *v);
    xai_status st = XAI_OK;
    if (!z || !g || !v) {
        st = xai_fail(XAI_ERR_NOMEM, "out of memory (inversion)");
        goto done;
    }
    memset(delta, 0, d * sizeof *delta);
    uint32_t late = (uint32_t)(((uint64_t)o->steps * 3) / 4);
    for (uint32_t t = 0; t < o->steps; t++) {
        double lr = o->eps / (t >= late ? 40.0 : 20.0);
        for (size_t j = 0; j < d; j++)
            z[j] = x[j] + delta[j];
        xai_rng rng;
        xai_rng_init(&rng, o->seed, xai_backdoor_stream((uint32_t)y, row, t));
        double loss;
        if ((st = xai_smoother_loss_grad(s, z, y, sigma, &rng, &loss, g)) != XAI_OK)
            goto done;
        double ss = 0;
        for (size_t j = 0; j < d; j++)
            ss += (double)g[j] * g[j];
        double inv = ss > 0 ? 1.0 / sqrt(ss) : 0.0;
        for (size_t j = 0; j < d; j++) {
            v[j] = (float)(0.9 * v[j] + g[j] * inv);
            delta[j] = (float)(delta[j] - lr * v[j]);
        }
        project(delta, x, d, o->eps, o->lo, o->hi);
    }
done:
    free(z);
    free(g);
    free(v);
    return st;
}
