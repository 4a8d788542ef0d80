/* backdoor/score.c: scoring a candidate trigger (ASR on the base classifier,
 * where its energy sits) and the anomaly index of a scan. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <xai/backdoor.h>

#include "core/error.h"

enum { ASR_BATCH = 256 };

xai_status xai_backdoor_asr(xai_runner *r, const float *x, size_t n,
                            const uint8_t *mask, const float *delta, double lo,
                            double hi, int32_t y, double *asr, size_t *counted)
{
    const xai_model *m = xai_runner_model(r);
    size_t d = xai_model_input_size(m), k = xai_model_output_size(m);
    if (y < 0 || (size_t)y >= k)
        return xai_fail(XAI_ERR_INVALID, "ASR: class %d is not an output (0..%zu)", y, k - 1);
    float *b = malloc((size_t)ASR_BATCH * d * sizeof *b);
    float *p = malloc((size_t)ASR_BATCH * k * sizeof *p);
    if (!b || !p) {
        free(b);
        free(p);
        return xai_fail(XAI_ERR_NOMEM, "out of memory (ASR)");
    }
    size_t hits = 0, count = 0;
    xai_status st = XAI_OK;
    for (size_t i = 0; i < n && st == XAI_OK;) {
        size_t nb = 0;
        for (; i < n && nb < ASR_BATCH; i++) {
            if (mask && !mask[i])
                continue;
            const float *xi = x + i * d;
            float *bi = b + nb * d;
            for (size_t j = 0; j < d; j++) {
                double v = (double)xi[j] + delta[j];
                bi[j] = (float)(v < lo ? lo : (v > hi ? hi : v));
            }
            nb++;
        }
        if (!nb)
            break;
        /* the arg-max is the same for probabilities and scores */
        st = xai_runner_forward(r, XAI_OUTPUT_PROB, b, nb, p);
        for (size_t q = 0; st == XAI_OK && q < nb; q++) {
            const float *pq = p + q * k;
            size_t best = 0;
            for (size_t j = 1; j < k; j++)
                if (pq[j] > pq[best])
                    best = j;
            hits += best == (size_t)y;
        }
        count += nb;
    }
    free(b);
    free(p);
    if (st != XAI_OK)
        return st;
    *asr = count ? (double)hits / (double)count : 0.0;
    if (counted)
        *counted = count;
    return XAI_OK;
}

xai_status xai_backdoor_energy_window(const float *delta, uint32_t c, uint32_t h,
                                      uint32_t w, xai_energy_window *out)
{
    /* prefix sums of the per-pixel energy e(y, x) = sum_c delta^2 */
    size_t W1 = (size_t)w + 1;
    double *ps = calloc(((size_t)h + 1) * W1, sizeof *ps);
    memset(out, 0, sizeof *out);
    if (!h || !w) {
        free(ps);
        return xai_fail(XAI_ERR_SHAPE, "energy window: empty image");
    }
    if (!ps)
        return xai_fail(XAI_ERR_NOMEM, "out of memory (energy window)");
    for (uint32_t yy = 0; yy < h; yy++)
        for (uint32_t xx = 0; xx < w; xx++) {
            double e = 0;
            for (uint32_t ch = 0; ch < c; ch++) {
                double v = delta[((size_t)ch * h + yy) * w + xx];
                e += v * v;
            }
            ps[(yy + 1) * W1 + xx + 1] = e + ps[yy * W1 + xx + 1] + ps[(yy + 1) * W1 + xx] -
                                         ps[yy * W1 + xx];
        }
    double total = ps[(size_t)h * W1 + w];
    uint32_t smax = h > w ? h : w;
    for (uint32_t s = 1; s <= smax; s++) {
        uint32_t sh = s < h ? s : h, sw = s < w ? s : w;
        double best = -1;
        uint32_t bx = 0, by = 0;
        for (uint32_t yy = 0; yy + sh <= h; yy++)
            for (uint32_t xx = 0; xx + sw <= w; xx++) {
                double e = ps[(yy + sh) * W1 + xx + sw] - ps[yy * W1 + xx + sw] -
                           ps[(yy + sh) * W1 + xx] + ps[yy * W1 + xx];
                if (e > best) {
                    best = e;
                    bx = xx;
                    by = yy;
                }
            }
        if (best >= 0.5 * total || s == smax) {
            out->x = bx;
            out->y = by;
            out->size = s;
            out->share = total > 0 ? best / total : 0.0;
            out->uniform_share = (double)sh * sw / ((double)h * w);
            break;
        }
    }
    free(ps);
    return XAI_OK;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median_of(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

xai_status xai_backdoor_anomaly(const double *v, size_t n, double mad_floor,
                                double *index, double *median, double *mad)
{
    if (!n)
        return xai_fail(XAI_ERR_INVALID, "anomaly index of an empty scan");
    double *t = malloc(n * sizeof *t);
    if (!t)
        return xai_fail(XAI_ERR_NOMEM, "out of memory (anomaly index)");
    memcpy(t, v, n * sizeof *t);
    double med = median_of(t, n);
    for (size_t i = 0; i < n; i++)
        t[i] = fabs(v[i] - med);
    double md = median_of(t, n);
    double den = 1.4826 * (md > mad_floor ? md : mad_floor);
    for (size_t i = 0; i < n; i++)
        index[i] = (v[i] - med) / den;
    if (median)
        *median = med;
    if (mad)
        *mad = md;
    free(t);
    return XAI_OK;
}
