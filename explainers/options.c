/* explainers/options.c: default options, validation and resolution of every
 * XAI_AUTO into the value used. */
#include <math.h>

#include "core/error.h"
#include "lfa.h"

#define XAI_MAX_SIGMA 1000
#define XAI_MIN_KERNEL_WIDTH 0.2

xai_explain_options xai_explain_options_default(void)
{
    xai_explain_options o = {0};
    o.method = XAI_METHOD_KERNELSHAP;
    o.target = XAI_TARGET_PRED;
    o.output = XAI_OUTPUT_PROB;
    o.samples = XAI_AUTO;
    o.baseline = XAI_BASELINE_MEAN;
    o.sigma = XAI_AUTO;
    o.ig_rule = XAI_IG_GAUSS_LEGENDRE;
    o.kernel_width = XAI_AUTO;
    o.ridge = 0;
    o.seed = 0;
    o.patch = o.window = o.stride = XAI_AUTO;
    o.custom.neighbourhood = XAI_NBHD_GAUSSIAN;
    o.custom.loss = XAI_LOSS_FUNCTION;
    o.custom.kernel = XAI_KERNEL_DEFAULT;
    o.custom.scale = XAI_SCALE_NONE;
    return o;
}

static const char *nbhd_name(xai_neighbourhood n)
{
    static const char *const names[] = {"masks", "one-hot", "gaussian",
                                        "point", "path", "user"};
    return (unsigned)n < sizeof names / sizeof names[0] ? names[n] : "?";
}

xai_status xai_explain_spec(const xai_explain_options *o, xai_lfa_spec *out)
{
    const xai_preset *p = xai_preset_get(o->method);
    if (!p)
        return xai_fail(XAI_ERR_UNSUPPORTED, "method %d is not available",
                        (int)o->method);
    if (o->method != XAI_METHOD_CUSTOM) {
        *out = p->spec;
        return XAI_OK;
    }
    xai_lfa_spec s = {o->custom.neighbourhood, o->custom.loss, o->custom.kernel,
                      o->custom.scale};
    if ((unsigned)s.neighbourhood > XAI_NBHD_USER || (unsigned)s.loss > XAI_LOSS_GRADIENT ||
        (unsigned)s.kernel > XAI_KERNEL_SHAPLEY || (unsigned)s.scale > XAI_SCALE_DELTA)
        return xai_fail(XAI_ERR_INVALID, "custom method: neighbourhood, loss, "
                                         "kernel or scale out of range");
    if (s.kernel == XAI_KERNEL_DEFAULT)
        s.kernel = XAI_KERNEL_UNIFORM;
    int masks = s.neighbourhood == XAI_NBHD_MASKS || s.neighbourhood == XAI_NBHD_ONEHOT;
    if (masks && s.loss != XAI_LOSS_FUNCTION)
        return xai_fail(XAI_ERR_INVALID, "custom method: the %s neighbourhood "
                        "has no gradients to match; use the function loss",
                        nbhd_name(s.neighbourhood));
    if (s.neighbourhood == XAI_NBHD_POINT && s.loss != XAI_LOSS_GRADIENT)
        return xai_fail(XAI_ERR_INVALID, "custom method: a single point cannot "
                        "fit a function; use the gradient loss");
    if (s.kernel == XAI_KERNEL_SHAPLEY && s.neighbourhood != XAI_NBHD_MASKS)
        return xai_fail(XAI_ERR_INVALID, "custom method: the Shapley kernel "
                        "needs the masks neighbourhood");
    if (s.neighbourhood == XAI_NBHD_ONEHOT && s.kernel != XAI_KERNEL_UNIFORM)
        return xai_fail(XAI_ERR_INVALID, "custom method: the one-hot "
                        "neighbourhood takes no kernel");
    if (s.loss == XAI_LOSS_FUNCTION && s.scale != XAI_SCALE_NONE)
        return xai_fail(XAI_ERR_INVALID, "custom method: scale applies to the "
                        "gradient loss only");
    *out = s;
    return XAI_OK;
}

/* Number of mask units: image patches, groups, or features. */
static size_t mask_units(const xai_explain_context *c, int32_t patch)
{
    if (c->image_c) {
        size_t gh = (c->image_h + (size_t)patch - 1) / (size_t)patch;
        size_t gw = (c->image_w + (size_t)patch - 1) / (size_t)patch;
        return gh * gw;
    }
    return c->groups ? c->n_groups : c->n_features;
}

/* Occlusion windows along a side (as explainers/units.c places them). */
static size_t windows_along(size_t side, int32_t wnd, int32_t stride)
{
    size_t n = (side - (size_t)wnd) / (size_t)stride + 1;
    return n + ((n - 1) * (size_t)stride + (size_t)wnd < side);
}

static xai_status check_rows(const float *v, size_t n, size_t d, const char *what)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++)
            if (!isfinite(v[i * d + j]))
                return xai_fail(XAI_ERR_NUMERIC, "%s row %zu, feature %zu is "
                                "not a finite number", what, i, j);
    return XAI_OK;
}

/* Outputs are read as [N] or [N, K]: an arg-max over a flattened [N, A, B]
 * would mix A distributions (see explain.h). */
xai_status xai_check_output_rank(const xai_model *m)
{
    xai_model_info info;
    xai_model_info_get(m, &info);
    int64_t d[4];
    int rank = info.output_name && info.output_name[0]
                   ? xai_model_tensor_shape(m, info.output_name, d) : -1;
    if (rank > 1)
        return xai_fail(XAI_ERR_UNSUPPORTED, "the model output '%s' has %d dimensions "
                        "per row (%lld x %lld%s); xai reads outputs as [N] or [N, K] "
                        "(K classes or scores): flatten or select the output in the "
                        "model", info.output_name, rank, (long long)d[0],
                        (long long)d[1], rank > 2 ? " x ..." : "");
    return XAI_OK;
}

static xai_status check_context(const xai_model *m, const xai_explain_context *c)
{
    size_t D = xai_model_input_size(m);
    XAI_TRY(xai_check_output_rank(m));
    if (c->n_features != D)
        return xai_fail(XAI_ERR_SHAPE, "the data has %zu features but the "
                        "model takes %zu inputs", c->n_features, D);
    if (c->image_c) {
        size_t chw = (size_t)c->image_c * c->image_h * c->image_w;
        if (!c->image_h || !c->image_w || chw != D)
            return xai_fail(XAI_ERR_SHAPE, "image shape %ux%ux%u does not "
                            "match %zu features", c->image_c, c->image_h,
                            c->image_w, D);
        /* same count, other layout (e.g. an NHWC model): refuse rather than
         * explain a model fed scrambled pixels */
        int64_t d[4];
        if (xai_model_input_shape(m, d) == 3 &&
            (d[0] != c->image_c || d[1] != c->image_h || d[2] != c->image_w))
            return xai_fail(XAI_ERR_SHAPE, "the model takes %lldx%lldx%lld per "
                            "sample but the images are CHW %ux%ux%u (an NHWC "
                            "model needs its data in its own layout, as CSV "
                            "without --image-shape)", (long long)d[0],
                            (long long)d[1], (long long)d[2], c->image_c,
                            c->image_h, c->image_w);
    } else if (c->groups) {
        if (c->n_groups == 0 || c->n_groups > D)
            return xai_fail(XAI_ERR_INVALID, "%zu feature groups for %zu "
                            "features", c->n_groups, D);
        for (size_t j = 0; j < D; j++)
            if (c->groups[j] >= c->n_groups)
                return xai_fail(XAI_ERR_INVALID, "feature %zu is in group %u "
                                "but there are %zu groups", j, c->groups[j],
                                c->n_groups);
    }
    if (c->stats)
        for (size_t j = 0; j < D; j++)
            if (!isfinite(c->stats[j].mean) || !isfinite(c->stats[j].std))
                return xai_fail(XAI_ERR_NUMERIC, "column statistics of "
                                "feature %zu are not finite", j);
    return XAI_OK;
}

/* Coefficients of a least-squares explanation fit without ridge (lime
 * M + 1, kernelshap M - 1, c-lime D + 1), 0 when there is no such fit: a
 * fit needs at least this many samples, fewer are underdetermined. */
static size_t fit_coefficients(const xai_lfa_spec *s, const xai_explain_context *c,
                               int32_t patch, double ridge)
{
    if (s->loss != XAI_LOSS_FUNCTION || ridge > 0 ||
        (s->neighbourhood != XAI_NBHD_MASKS && s->neighbourhood != XAI_NBHD_GAUSSIAN))
        return 0;
    size_t units = mask_units(c, patch);
    return s->neighbourhood == XAI_NBHD_GAUSSIAN ? c->n_features + 1
           : s->kernel == XAI_KERNEL_SHAPLEY    ? (units > 1 ? units - 1 : 1)
                                                : units + 1;
}

static int64_t default_samples(const xai_preset *p, const xai_lfa_spec *s,
                               int custom, size_t units)
{
    if (s->kernel == XAI_KERNEL_SHAPLEY)
        return 2 * (int64_t)units + 2048;
    if (!custom)
        return p->default_samples;
    switch (s->neighbourhood) {
    case XAI_NBHD_MASKS: return 1000;
    case XAI_NBHD_GAUSSIAN: return s->loss == XAI_LOSS_FUNCTION ? 1000 : 50;
    case XAI_NBHD_PATH: return 50;
    case XAI_NBHD_USER: return 1000;
    default: return 1;
    }
}

xai_status xai_explain_options_resolve(const xai_model *m,
                                       const xai_explain_options *in,
                                       const xai_explain_context *c,
                                       xai_explain_options *out)
{
    if (!m || !in || !c || !out)
        return xai_fail(XAI_ERR_INVALID, "explain: model, options and "
                        "context are required");
    if ((unsigned)in->method >= XAI_METHOD_COUNT)
        return xai_fail(XAI_ERR_INVALID, "unknown method %d", (int)in->method);
    const xai_preset *p = xai_preset_get(in->method);
    if (!p)
        return xai_fail(XAI_ERR_UNSUPPORTED, "method '%s' is not available in "
                        "this build", xai_method_name(in->method));
    XAI_TRY(check_context(m, c));
    xai_explain_options o = *in;
    xai_lfa_spec s;
    XAI_TRY(xai_explain_spec(&o, &s));
    /* finite differences of a step function measure nothing: zero almost
     * everywhere, a spike where a step meets x */
    if (s.loss == XAI_LOSS_GRADIENT && xai_model_piecewise_constant(m))
        return xai_fail(XAI_ERR_UNSUPPORTED, "method '%s' matches gradients, but "
                        "the model is a tree ensemble: piecewise constant, its "
                        "gradient is zero almost everywhere and undefined at the "
                        "splits; use kernelshap, lime, occlusion or c-lime",
                        xai_method_name(o.method));
    int custom = o.method == XAI_METHOD_CUSTOM;
    size_t K = xai_model_output_size(m), D = c->n_features;

    if (o.target != XAI_TARGET_PRED && (o.target < 0 || (size_t)o.target >= K))
        return xai_fail(XAI_ERR_INVALID, "target %d out of range (the model "
                        "has %zu outputs)", (int)o.target, K);
    if (o.output != XAI_OUTPUT_PROB && o.output != XAI_OUTPUT_SCORE)
        return xai_fail(XAI_ERR_INVALID, "unknown output kind %d", (int)o.output);
    if (o.ig_rule != XAI_IG_GAUSS_LEGENDRE && o.ig_rule != XAI_IG_TRAPEZOID)
        return xai_fail(XAI_ERR_INVALID, "unknown integration rule %d",
                        (int)o.ig_rule);

    if (c->image_c) {
        int32_t side = (int32_t)(c->image_h > c->image_w ? c->image_h : c->image_w);
        int32_t small = (int32_t)(c->image_h < c->image_w ? c->image_h : c->image_w);
        if (o.patch == XAI_AUTO)
            o.patch = (side + 7) / 8;
        if (o.patch < 1 || o.patch > side)
            return xai_fail(XAI_ERR_INVALID, "patch size %d outside 1..%d",
                            (int)o.patch, (int)side);
        if (o.window == XAI_AUTO)
            o.window = o.patch < small ? o.patch : small;
        if (o.window < 1 || o.window > small)
            return xai_fail(XAI_ERR_INVALID, "occlusion window %d outside "
                            "1..%d", (int)o.window, (int)small);
        if (o.stride == XAI_AUTO)
            o.stride = o.window;
        if (o.stride < 1)
            return xai_fail(XAI_ERR_INVALID, "occlusion stride %d must be "
                            "positive", (int)o.stride);
    } else {
        o.patch = o.window = o.stride = 0;
    }
    size_t units = mask_units(c, o.patch);

    if (o.samples == XAI_AUTO) {
        o.samples = default_samples(p, &s, custom, units);
        /* a default never underdetermines an explanation fit (c-lime on
         * images of more than 999 pixels); the LFA loss's custom options
         * set their samples explicitly */
        size_t coef = fit_coefficients(&s, c, o.patch, o.ridge);
        if ((uint64_t)o.samples < coef)
            o.samples = (int64_t)coef;
    } else if (o.samples <= 0)
        return xai_fail(XAI_ERR_INVALID, "samples must be positive (got %lld)",
                        (long long)o.samples);
    if (o.samples > ((int64_t)1 << 30))
        return xai_fail(XAI_ERR_INVALID, "samples %lld too large",
                        (long long)o.samples);
    if (s.neighbourhood == XAI_NBHD_POINT)
        o.samples = 1;
    if (s.neighbourhood == XAI_NBHD_ONEHOT) /* one per unit or window */
        o.samples = c->image_c ? (int64_t)(windows_along(c->image_h, o.window, o.stride) *
                                           windows_along(c->image_w, o.window, o.stride))
                               : (int64_t)units;
    if (s.neighbourhood == XAI_NBHD_PATH && o.ig_rule == XAI_IG_TRAPEZOID &&
        o.samples < 2)
        return xai_fail(XAI_ERR_INVALID, "the trapezoid rule needs at least 2 "
                        "points (got %lld)", (long long)o.samples);

    if (s.neighbourhood == XAI_NBHD_GAUSSIAN) {
        if (o.sigma == XAI_AUTO)
            o.sigma = custom ? 0.1 : p->default_sigma;
        if (!(o.sigma >= 0) || !isfinite(o.sigma))
            return xai_fail(XAI_ERR_INVALID, "sigma must be >= 0 (got %g)", o.sigma);
        /* noise beyond MAX_SIGMA scales (column stds or value ranges) leaves
         * the data's region altogether and overflows float inputs */
        if (o.sigma > XAI_MAX_SIGMA)
            return xai_fail(XAI_ERR_INVALID, "sigma %g is too large: the noise is "
                            "sigma times each column's std, defined up to %g", o.sigma,
                            (double)XAI_MAX_SIGMA);
        /* a fit of f(z) on z - x needs z != x: with sigma 0 every sample is x */
        if (s.loss == XAI_LOSS_FUNCTION && o.sigma == 0)
            return xai_fail(XAI_ERR_INVALID, "sigma 0 gives no variation to fit "
                            "(every sample is x); %s needs sigma > 0",
                            custom ? "a gaussian function fit" : p->name);
    } else {
        o.sigma = 0;
    }
    if (s.kernel == XAI_KERNEL_EXPONENTIAL) {
        size_t M = s.neighbourhood == XAI_NBHD_MASKS ? units : D;
        if (o.kernel_width == XAI_AUTO)
            o.kernel_width = 0.75 * sqrt((double)M);
        if (!(o.kernel_width > 0) || !isfinite(o.kernel_width))
            return xai_fail(XAI_ERR_INVALID, "kernel width must be positive "
                            "(got %g)", o.kernel_width);
        /* weight exp(-k / (2 w^2)) for k units off: below XAI_MIN_KERNEL_WIDTH
         * two units off weigh < 4e-6 of one, the weighted fit degenerates
         * (equal attributions, a meaningless R^2) */
        if (s.neighbourhood == XAI_NBHD_MASKS && o.kernel_width < XAI_MIN_KERNEL_WIDTH)
            return xai_fail(XAI_ERR_INVALID, "kernel width %g is too small: below "
                            "%g samples with two or more units off get weight < 4e-6 "
                            "and the fit degenerates (for single-unit effects use "
                            "occlusion)", o.kernel_width, XAI_MIN_KERNEL_WIDTH);
    } else {
        o.kernel_width = 0;
    }
    if (!(o.ridge >= 0) || !isfinite(o.ridge))
        return xai_fail(XAI_ERR_INVALID, "ridge must be >= 0 (got %g)", o.ridge);
    if (s.neighbourhood == XAI_NBHD_USER && !o.custom.sample)
        return xai_fail(XAI_ERR_INVALID, "custom method: the user neighbourhood "
                        "needs a sample callback");
    if (p->explain && !p->tabular && !c->image_c)
        return xai_fail(XAI_ERR_UNSUPPORTED, "method '%s' needs image inputs",
                        p->name);

    int uses_baseline = s.neighbourhood == XAI_NBHD_MASKS ||
                        s.neighbourhood == XAI_NBHD_ONEHOT ||
                        s.neighbourhood == XAI_NBHD_PATH ||
                        s.scale == XAI_SCALE_DELTA;
    switch (o.baseline) {
    case XAI_BASELINE_MEAN:
        if (!c->stats && uses_baseline)
            return xai_fail(XAI_ERR_INVALID, "the mean baseline needs column "
                            "statistics (give the data set or another baseline)");
        break;
    case XAI_BASELINE_ZERO:
        break;
    case XAI_BASELINE_ROW:
        if (!c->baseline_row)
            return xai_fail(XAI_ERR_INVALID, "baseline 'row' needs a baseline row");
        XAI_TRY(check_rows(c->baseline_row, 1, D, "baseline"));
        break;
    case XAI_BASELINE_BACKGROUND:
        if (!c->background || c->n_background == 0)
            return xai_fail(XAI_ERR_INVALID, "baseline 'background' needs at "
                            "least one background row");
        XAI_TRY(check_rows(c->background, c->n_background, D, "background"));
        break;
    case XAI_BASELINE_TREE_PATH:
        if (o.method != XAI_METHOD_TREESHAP)
            return xai_fail(XAI_ERR_INVALID, "baseline 'tree-path' (the trees' "
                            "cover-weighted paths) applies to treeshap only, not "
                            "to %s", p->name);
        break;
    default:
        return xai_fail(XAI_ERR_INVALID, "unknown baseline kind %d", (int)o.baseline);
    }
    o.custom.neighbourhood = s.neighbourhood;
    o.custom.loss = s.loss;
    o.custom.kernel = s.kernel;
    o.custom.scale = s.scale;
    if (p->resolve)
        XAI_TRY(p->resolve(m, &o));
    *out = o;
    return XAI_OK;
}

xai_status xai_explain_fit_check(const xai_explain_options *o,
                                 const xai_explain_context *c)
{
    xai_lfa_spec s;
    XAI_TRY(xai_explain_spec(o, &s));
    const xai_preset *p = xai_preset_get(o->method);
    if (p && p->explain) /* fits nothing */
        return XAI_OK;
    size_t coef = fit_coefficients(&s, c, o->patch, o->ridge);
    if (o->samples >= 0 && (uint64_t)o->samples < coef)
        return xai_fail(XAI_ERR_INVALID, "%s fits %zu coefficients and needs at "
                        "least %zu samples (got %lld); raise --samples or add "
                        "a ridge", xai_method_name(o->method), coef, coef,
                        (long long)o->samples);
    return XAI_OK;
}
