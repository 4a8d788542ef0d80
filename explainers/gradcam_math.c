/* explainers/gradcam_math.c: Grad-CAM / Grad-CAM++ / Smooth Grad-CAM++ maps
 * from layer activations and gradients, and bilinear upsampling. */
#include <math.h>
#include <stdlib.h>

#include "core/error.h"
#include "gradcam.h"

xai_status xai_cam_map(const float *act, const float *grad, size_t n,
                       size_t C, size_t hw, xai_cam_weights kind, float *map)
{
    if (!act || !grad || !map || n == 0 || C == 0 || hw == 0)
        return xai_fail(XAI_ERR_INVALID, "gradcam: empty activations or "
                        "gradients (%zu copies, %zu channels, %zu positions)",
                        n, C, hw);
    if (kind != XAI_CAM_PLUSPLUS && kind != XAI_CAM_PLAIN)
        return xai_fail(XAI_ERR_INVALID, "gradcam: unknown weighting %d", (int)kind);
    size_t chw, bytes;
    if (!xai_mul_size(C, hw, &chw) || !xai_mul_size(hw, sizeof(double), &bytes))
        return xai_fail(XAI_ERR_NOMEM, "gradcam: layer size overflows");
    double *acc = calloc(hw, sizeof *acc); /* sum_c w_c mean(A)_c */
    if (!acc)
        return xai_fail(XAI_ERR_NOMEM, "gradcam: out of memory (%zu bytes)", bytes);
    const double inv_n = 1.0 / (double)n;
    for (size_t c = 0; c < C; c++) {
        /* S_c = sum_ab mean(A)_cab */
        double S = 0;
        for (size_t k = 0; k < n; k++) {
            const float *a = act + k * chw + c * hw;
            for (size_t p = 0; p < hw; p++)
                S += a[p];
        }
        S *= inv_n;
        double w = 0;
        for (size_t p = 0; p < hw; p++) {
            double g1 = 0, g2 = 0, g3 = 0;
            for (size_t k = 0; k < n; k++) {
                double g = grad[k * chw + c * hw + p];
                g1 += g;
                g2 += g * g;
                g3 += g * g * g;
            }
            g1 *= inv_n;
            g2 *= inv_n;
            g3 *= inv_n;
            if (kind == XAI_CAM_PLAIN) {
                w += g1;
            } else {
                double den = 2.0 * g2 + S * g3;
                double alpha = den != 0.0 ? g2 / den : 0.0;
                w += alpha * (g1 > 0 ? g1 : 0.0);
            }
        }
        if (kind == XAI_CAM_PLAIN)
            w /= (double)hw;
        /* map += w_c mean(A)_c */
        for (size_t k = 0; k < n; k++) {
            const float *a = act + k * chw + c * hw;
            for (size_t p = 0; p < hw; p++)
                acc[p] += w * inv_n * a[p];
        }
    }
    xai_status s = XAI_OK;
    for (size_t p = 0; p < hw; p++) {
        map[p] = (float)(acc[p] > 0 ? acc[p] : 0.0);
        if (!isfinite(map[p]) && s == XAI_OK)
            s = xai_fail(XAI_ERR_NUMERIC, "gradcam: map value at position %zu "
                         "is not finite in float (activations or gradients "
                         "too large)", p);
    }
    free(acc);
    return s;
}

/* Source index pair and weight of output coordinate i (align_corners=False). */
static void src_coord(size_t i, size_t in, size_t out, size_t *i0, size_t *i1,
                      double *t)
{
    double x = ((double)i + 0.5) * (double)in / (double)out - 0.5;
    if (x < 0)
        x = 0;
    size_t f = (size_t)x;
    if (f > in - 1)
        f = in - 1;
    *i0 = f;
    *i1 = f + 1 < in ? f + 1 : f;
    *t = x - (double)f;
    if (*i1 == f)
        *t = 0;
}

xai_status xai_cam_upsample(const float *in, size_t ih, size_t iw, float *out,
                            size_t oh, size_t ow)
{
    if (!in || !out || ih == 0 || iw == 0 || oh == 0 || ow == 0)
        return xai_fail(XAI_ERR_INVALID, "gradcam: cannot resize %zux%zu to "
                        "%zux%zu", ih, iw, oh, ow);
    for (size_t y = 0; y < oh; y++) {
        size_t y0, y1;
        double ty;
        src_coord(y, ih, oh, &y0, &y1, &ty);
        for (size_t x = 0; x < ow; x++) {
            size_t x0, x1;
            double tx;
            src_coord(x, iw, ow, &x0, &x1, &tx);
            /* (1-ty)((1-tx) a + tx b) + ty((1-tx) c + tx d) */
            double top = (1 - tx) * in[y0 * iw + x0] + tx * in[y0 * iw + x1];
            double bot = (1 - tx) * in[y1 * iw + x0] + tx * in[y1 * iw + x1];
            out[y * ow + x] = (float)((1 - ty) * top + ty * bot);
        }
    }
    return XAI_OK;
}
