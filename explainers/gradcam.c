/* explainers/gradcam.c: the CAM presets: Smooth Grad-CAM++ (Omeiza et al.
 * 2019), Grad-CAM++ (Chattopadhay et al. 2018) and Grad-CAM (Selvaraju et
 * al. 2017).  Per row: n copies x + N(0, (sigma * value range)^2) (one copy,
 * x itself, for grad-cam and grad-cam++ or sigma 0), all evaluated as one
 * batch through a layer tap (activation and d f_target / d activation), the
 * map from the separately averaged moments (gradcam_math.c), bilinear
 * upsampling to the image, the pixel's value written to each of its
 * channels. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/error.h"
#include "gradcam.h"
#include "lfa.h"

typedef struct cam_layer {
    const char *name;
    size_t C, H, W;
} cam_layer;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* "onnx model (Gemm x2, Relu, Sigmoid)" into buf: what the library knows of
 * a model (it does not keep the file name). */
static void describe_model(const xai_model *m, char *buf, size_t len)
{
    xai_model_info info;
    xai_model_info_get(m, &info);
    int k = snprintf(buf, len, "%s model (", info.format);
    for (size_t i = 0; i < info.n_op_kinds && k > 0 && (size_t)k < len; i++)
        k += snprintf(buf + k, len - (size_t)k, info.op_counts[i] > 1 ? "%s%s x%zu" : "%s%s",
                      i ? ", " : "", info.op_names[i], info.op_counts[i]);
    if (k > 0 && (size_t)k < len)
        snprintf(buf + k, len - (size_t)k, "%s)",
                 info.n_op_kinds ? "" : "no ONNX graph");
}

/* The conv layer names, comma-separated, into buf (for error messages). */
static void list_conv_layers(const xai_model *m, char *buf, size_t len)
{
    buf[0] = '\0';
    size_t n = xai_model_conv_layer_count(m);
    for (size_t i = 0; i < n; i++) {
        strncat(buf, i ? ", " : "", len - strlen(buf) - 1);
        strncat(buf, xai_model_conv_layer_name(m, i), len - strlen(buf) - 1);
    }
}

/* Per-sample C x H x W of tensor `name`; 0 if it is not such a tensor. */
static int layer_shape(const xai_model *m, const char *name, cam_layer *L)
{
    int64_t d[4];
    if (xai_model_tensor_shape(m, name, d) != 3 || d[0] < 1 || d[1] < 1 || d[2] < 1)
        return 0;
    *L = (cam_layer){name, (size_t)d[0], (size_t)d[1], (size_t)d[2]};
    return 1;
}

/* The named layer, or the last conv layer whose H x W is above 1 x 1. */
static xai_status pick_layer(const xai_model *m, const char *method, const char *want,
                             cam_layer *L)
{
    char what[512], convs[512];
    if (want) {
        if (layer_shape(m, want, L))
            return XAI_OK;
        int64_t d[4];
        int rank = xai_model_tensor_shape(m, want, d);
        list_conv_layers(m, convs, sizeof convs);
        if (rank < 0)
            return xai_fail(XAI_ERR_INVALID, "%s: the model has "
                            "no tensor named '%s' (convolutional layers: %s)",
                            method, want, convs[0] ? convs : "none");
        return xai_fail(XAI_ERR_UNSUPPORTED, "%s: tensor '%s' "
                        "has rank %d per sample; a C x H x W layer is needed "
                        "(convolutional layers: %s)", method, want, rank,
                        convs[0] ? convs : "none");
    }
    size_t n = xai_model_conv_layer_count(m);
    for (size_t i = n; i-- > 0;)
        if (layer_shape(m, xai_model_conv_layer_name(m, i), L) && L->H * L->W > 1)
            return XAI_OK;
    describe_model(m, what, sizeof what);
    if (n == 0)
        return xai_fail(XAI_ERR_UNSUPPORTED, "%s needs a "
                        "convolutional layer; the %s has none", method, what);
    list_conv_layers(m, convs, sizeof convs);
    return xai_fail(XAI_ERR_UNSUPPORTED, "%s: no convolutional "
                    "layer of the %s has a spatial size above 1x1 (layers: "
                    "%s); name a C x H x W tensor as the layer", method, what, convs);
}

static xai_status cam_row(xai_runner *r, const xai_explain_options *o,
                          const xai_explain_context *ctx, const float *x,
                          xai_rng *rng, int32_t target, float *phi,
                          xai_explain_diag *diag, xai_cam_weights kind)
{
    double t0 = now();
    const xai_model *m = xai_runner_model(r);
    const char *method = xai_method_name(o->method);
    cam_layer L = {0};
    XAI_TRY(pick_layer(m, method, o->layer, &L));
    size_t D = ctx->n_features, HW = (size_t)ctx->image_h * ctx->image_w;
    size_t n = o->sigma > 0 ? (size_t)o->samples : 1; /* sigma 0: copies agree */
    size_t lhw, chw, nD, nA;
    if (!xai_mul_size(L.H, L.W, &lhw) || !xai_mul_size(L.C, lhw, &chw) ||
        !xai_mul_size(n, D, &nD) || !xai_mul_size(n, chw, &nA) ||
        nA > SIZE_MAX / 2 / sizeof(float))
        return xai_fail(XAI_ERR_NOMEM, "%s: %zu copies of layer "
                        "'%s' (%zux%zux%zu) overflow", method, n, L.name, L.C, L.H, L.W);
    float *xs = malloc(nD * sizeof *xs), *act = malloc(2 * nA * sizeof *act);
    float *map = malloc((lhw + HW) * sizeof *map);
    int32_t *tg = malloc(n * sizeof *tg);
    xai_status s = XAI_OK;
    if (!xs || !act || !map || !tg) {
        s = xai_fail(XAI_ERR_NOMEM, "%s: out of memory (%zu "
                     "copies of %zu inputs, layer '%s')", method, n, D, L.name);
        goto out;
    }
    /* copy k, feature j: x_j + sd * N(0, 1), drawn in that order */
    double sd = o->sigma * xai_image_value_range(ctx);
    for (size_t k = 0; k < n; k++) {
        tg[k] = target;
        for (size_t j = 0; j < D; j++)
            xs[k * D + j] = sd > 0 ? x[j] + (float)(sd * xai_rng_normal(rng)) : x[j];
    }
    float *grad = act + nA;
    s = xai_runner_tap(r, o->output, L.name, xs, n, tg, act, grad, NULL);
    if (s == XAI_OK)
        s = xai_cam_map(act, grad, n, L.C, lhw, kind, map);
    if (s != XAI_OK) {
        char msg[900];
        snprintf(msg, sizeof msg, "%s", xai_last_error());
        s = xai_fail(s, "%s at layer '%s': %s", method, L.name, msg);
        goto out;
    }
    float *up = map + lhw;
    s = xai_cam_upsample(map, L.H, L.W, up, ctx->image_h, ctx->image_w);
    for (size_t c = 0; s == XAI_OK && c < ctx->image_c; c++)
        memcpy(phi + c * HW, up, HW * sizeof *phi);
    diag->evaluations += n;
    diag->samples = n;
    diag->seconds = now() - t0;
out:
    free(xs);
    free(act);
    free(map);
    free(tg);
    return s;
}

static xai_status explain_plusplus(xai_runner *r, const xai_explain_options *o,
                                   const xai_explain_context *ctx, const float *x,
                                   xai_rng *rng, int32_t target, float *phi,
                                   xai_explain_diag *diag)
{
    return cam_row(r, o, ctx, x, rng, target, phi, diag, XAI_CAM_PLUSPLUS);
}

static xai_status explain_plain(xai_runner *r, const xai_explain_options *o,
                                const xai_explain_context *ctx, const float *x,
                                xai_rng *rng, int32_t target, float *phi,
                                xai_explain_diag *diag)
{
    return cam_row(r, o, ctx, x, rng, target, phi, diag, XAI_CAM_PLAIN);
}

/* Names the layer in the resolved options (the default one when none was
 * given), so a bad name fails before any work and outputs can report it. */
static xai_status resolve_layer(const xai_model *m, xai_explain_options *o)
{
    cam_layer L = {0};
    XAI_TRY(pick_layer(m, xai_method_name(o->method), o->layer, &L));
    o->layer = L.name;
    return XAI_OK;
}

const xai_preset xai_preset_smooth_gradcam_pp = {
    .name = "smooth-gradcam++",
    .summary = "Grad-CAM++ at a conv layer, moments averaged over noisy copies",
    .spec = {XAI_NBHD_GAUSSIAN, XAI_LOSS_GRADIENT, XAI_KERNEL_UNIFORM, XAI_SCALE_NONE},
    .default_samples = 25,
    .default_sigma = 0.15,
    .explain = explain_plusplus,
    .resolve = resolve_layer,
};

/* The point neighbourhood: one copy, x itself (samples 1, sigma 0). */
const xai_preset xai_preset_gradcam_pp = {
    .name = "grad-cam++",
    .summary = "Grad-CAM++ at a conv layer, at x (no noise)",
    .spec = {XAI_NBHD_POINT, XAI_LOSS_GRADIENT, XAI_KERNEL_UNIFORM, XAI_SCALE_NONE},
    .default_samples = 1,
    .default_sigma = 0,
    .explain = explain_plusplus,
    .resolve = resolve_layer,
};

const xai_preset xai_preset_gradcam = {
    .name = "grad-cam",
    .summary = "Grad-CAM: channel weights = spatial mean of the gradients, at x",
    .spec = {XAI_NBHD_POINT, XAI_LOSS_GRADIENT, XAI_KERNEL_UNIFORM, XAI_SCALE_NONE},
    .default_samples = 1,
    .default_sigma = 0,
    .explain = explain_plain,
    .resolve = resolve_layer,
};
