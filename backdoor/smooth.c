/* backdoor/smooth.c: the smoothed classifier g and the gradient of the
 * SmoothInv objective L(z) = -log(max(g_y(z), 1e-20)),
 * g(z) = (1/N) sum_k softmax(f(D(z + sigma n_k))).
 *
 * dL/dz = -(1/(N g_y)) sum_k J_D(u_k)^T J_f(v_k)^T dp_y/dlogits_k  (g_y > 1e-20,
 * else 0), u_k = z + sigma n_k, v_k = D(u_k).  All N copies go through the
 * model in one batched call. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <xai/backdoor.h>

#include "backdoor/backdoor_impl.h"
#include "core/error.h"

struct xai_smoother {
    const xai_model *f, *d;
    xai_runner *rf, *rd;
    uint32_t n;          /* copies */
    size_t dim, k;       /* input size, classes */
    int probs;           /* f ends in softmax: its outputs are probabilities */
    float *u, *v, *y, *dy, *dv, *du; /* n x dim, n x dim, n x k, n x k, n x dim, n x dim */
};

xai_status xai_smoother_new(const xai_model *f, const xai_model *denoiser,
                            uint32_t copies, xai_smoother **out)
{
    *out = NULL;
    if (copies < 1)
        return xai_fail(XAI_ERR_INVALID, "smoothed classifier: at least 1 copy needed");
    xai_smoother *s = calloc(1, sizeof *s);
    if (!s)
        return xai_fail(XAI_ERR_NOMEM, "out of memory (smoothed classifier)");
    s->f = f;
    s->d = denoiser;
    s->n = copies;
    s->dim = xai_model_input_size(f);
    s->k = xai_model_output_size(f);
    s->probs = xai_model_outputs_probabilities(f);
    size_t nd, nk;
    xai_status st = XAI_OK;
    if (!xai_mul_size(copies, s->dim, &nd) || !xai_mul_size(copies, s->k, &nk) ||
        nd > SIZE_MAX / sizeof(float)) {
        st = xai_fail(XAI_ERR_NOMEM, "smoothed classifier: %u copies of %zu values overflow",
                      copies, s->dim);
        goto fail;
    }
    s->u = malloc(nd * sizeof(float));
    s->dv = malloc(nd * sizeof(float));
    s->y = malloc(nk * sizeof(float));
    s->dy = malloc(nk * sizeof(float));
    if (denoiser) {
        s->v = malloc(nd * sizeof(float));
        s->du = malloc(nd * sizeof(float));
    }
    if (!s->u || !s->dv || !s->y || !s->dy || (denoiser && (!s->v || !s->du))) {
        st = xai_fail(XAI_ERR_NOMEM, "out of memory (smoothed classifier, %u copies)", copies);
        goto fail;
    }
    if ((st = xai_runner_new(f, &s->rf)) != XAI_OK)
        goto fail;
    if (denoiser && (st = xai_runner_new(denoiser, &s->rd)) != XAI_OK)
        goto fail;
    *out = s;
    return XAI_OK;
fail:
    xai_smoother_free(s);
    return st;
}

void xai_smoother_free(xai_smoother *s)
{
    if (!s)
        return;
    xai_runner_free(s->rf);
    xai_runner_free(s->rd);
    free(s->u);
    free(s->v);
    free(s->y);
    free(s->dy);
    free(s->dv);
    free(s->du);
    free(s);
}

size_t backdoor_smoother_dim(const xai_smoother *s)
{
    return s->dim;
}

/* Softmax of each row of logits in place (double accumulation). */
static void softmax_rows(float *y, size_t n, size_t k)
{
    for (size_t i = 0; i < n; i++) {
        float *r = y + i * k;
        float mx = r[0];
        for (size_t j = 1; j < k; j++)
            mx = r[j] > mx ? r[j] : mx;
        double sum = 0;
        for (size_t j = 0; j < k; j++)
            sum += exp((double)r[j] - mx);
        for (size_t j = 0; j < k; j++)
            r[j] = (float)(exp((double)r[j] - mx) / sum);
    }
}

xai_status xai_smoother_loss_grad(xai_smoother *s, const float *z, int32_t y,
                                  double sigma, xai_rng *rng, double *loss,
                                  float *grad)
{
    if (y < 0 || (size_t)y >= s->k)
        return xai_fail(XAI_ERR_INVALID, "target class %d is not an output (0..%zu)", y,
                        s->k - 1);
    const size_t n = s->n, dim = s->dim, k = s->k;
    for (size_t c = 0; c < n; c++) {
        float *u = s->u + c * dim;
        if (sigma > 0)
            for (size_t j = 0; j < dim; j++)
                u[j] = (float)(z[j] + sigma * xai_rng_normal(rng));
        else
            memcpy(u, z, dim * sizeof *u);
    }
    const float *fin = s->u;
    if (s->d) {
        XAI_TRY(xai_runner_forward(s->rd, XAI_OUTPUT_PROB, s->u, n, s->v));
        fin = s->v;
    }
    /* With probability outputs the VJP of e_y gives sum_k grad p_y,k and the
     * probabilities in one call; the factor -1/(N g_y) is applied after. */
    double g = 0;
    if (s->probs) {
        memset(s->dy, 0, n * k * sizeof *s->dy);
        for (size_t c = 0; c < n; c++)
            s->dy[c * k + (size_t)y] = 1.0f;
        XAI_TRY(xai_runner_vjp(s->rf, XAI_OUTPUT_PROB, fin, n, s->dy, s->dv, s->y));
        for (size_t c = 0; c < n; c++)
            g += s->y[c * k + (size_t)y];
    } else {
        /* logits: dp_y/dl = p_y (e_y - p) */
        XAI_TRY(xai_runner_forward(s->rf, XAI_OUTPUT_SCORE, fin, n, s->y));
        softmax_rows(s->y, n, k);
        for (size_t c = 0; c < n; c++) {
            const float *p = s->y + c * k;
            float *dy = s->dy + c * k;
            g += p[y];
            for (size_t j = 0; j < k; j++)
                dy[j] = p[y] * (((size_t)y == j ? 1.0f : 0.0f) - p[j]);
        }
        if (grad)
            XAI_TRY(xai_runner_vjp(s->rf, XAI_OUTPUT_SCORE, fin, n, s->dy, s->dv, NULL));
    }
    g /= (double)n;
    if (!isfinite(g))
        return xai_fail(XAI_ERR_NUMERIC, "smoothed classifier: the model returned NaN or Inf");
    *loss = -log(fmax(g, 1e-20));
    if (!grad)
        return XAI_OK;
    const float *dz = s->dv;
    if (s->d) {
        XAI_TRY(xai_runner_vjp(s->rd, XAI_OUTPUT_PROB, s->u, n, s->dv, s->du, NULL));
        dz = s->du;
    }
    /* the clamp at 1e-20 has zero gradient below it */
    double scale = g > 1e-20 ? -1.0 / ((double)n * g) : 0.0;
    for (size_t j = 0; j < dim; j++) {
        double acc = 0;
        for (size_t c = 0; c < n; c++)
            acc += dz[c * dim + j];
        grad[j] = (float)(scale * acc);
    }
    return XAI_OK;
}
