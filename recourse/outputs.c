/* recourse/outputs.c: m(x), the logit of the desired class and their input
 * gradients through the batched forward and VJP. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "recourse_impl.h"

/* Probabilities are clamped away from 0 and 1 before taking logs. */
#define RC_PMIN 1e-12

static double clampp(double p) { return p < RC_PMIN ? RC_PMIN : p > 1 - RC_PMIN ? 1 - RC_PMIN : p; }

/* The strongest rival class of one output row (k >= 2). */
static size_t rival(const xai_recourse *rc, const float *y)
{
    size_t best = rc->o.desired == 0 ? 1 : 0;
    for (size_t j = 0; j < rc->n_out; j++)
        if ((int32_t)j != rc->o.desired && y[j] > y[best])
            best = j;
    return best;
}

double rc_prob(const xai_recourse *rc, const float *y)
{
    if (rc->n_out == 1)
        return rc->o.desired == 1 ? y[0] : 1.0 - y[0];
    return y[rc->o.desired];
}

double rc_logit(const xai_recourse *rc, const float *y)
{
    if (rc->n_out == 1) {
        double p = clampp(y[0]);
        double l = log(p) - log1p(-p);
        return rc->o.desired == 1 ? l : -l;
    }
    return log(clampp(y[rc->o.desired])) - log(clampp(y[rival(rc, y)]));
}

xai_status rc_eval(const xai_recourse *rc, xai_runner *r, const float *x, size_t n,
                   float *buf, double *prob, double *logit)
{
    XAI_TRY(xai_runner_forward(r, XAI_OUTPUT_PROB, x, n, buf));
    for (size_t i = 0; i < n; i++) {
        const float *y = buf + i * rc->n_out;
        if (prob)
            prob[i] = rc_prob(rc, y);
        if (logit)
            logit[i] = rc_logit(rc, y);
    }
    return XAI_OK;
}

xai_status rc_prob_grad(const xai_recourse *rc, xai_runner *r, const float *x,
                        size_t n, float *buf, float *dy, float *grad, double *prob)
{
    size_t k = rc->n_out;
    memset(dy, 0, n * k * sizeof *dy);
    for (size_t i = 0; i < n; i++) {
        if (k == 1)
            dy[i] = rc->o.desired == 1 ? 1.0f : -1.0f;
        else
            dy[i * k + (size_t)rc->o.desired] = 1.0f;
    }
    XAI_TRY(xai_runner_vjp(r, XAI_OUTPUT_PROB, x, n, dy, grad, buf));
    if (prob)
        for (size_t i = 0; i < n; i++)
            prob[i] = rc_prob(rc, buf + i * k);
    return XAI_OK;
}

xai_status rc_logit_grad(const xai_recourse *rc, xai_runner *r, const float *x,
                         size_t n, float *buf, float *dy, float *grad, double *logit)
{
    size_t k = rc->n_out, d = rc->d;
    if (k == 1) {
        /* d logit / dx = (dp/dx) / (p (1 - p)) (sign for the desired class
         * included in dp/dx): one VJP, then a per-row factor. */
        double p[RC_BLOCK];
        for (size_t i0 = 0; i0 < n; i0 += RC_BLOCK) {
            size_t b = n - i0 < RC_BLOCK ? n - i0 : RC_BLOCK;
            XAI_TRY(rc_prob_grad(rc, r, x + i0 * d, b, buf, dy, grad + i0 * d, p));
            for (size_t i = 0; i < b; i++) {
                double q = clampp(p[i]);
                double f = 1.0 / (q * (1 - q));
                for (size_t j = 0; j < d; j++)
                    grad[(i0 + i) * d + j] = (float)(grad[(i0 + i) * d + j] * f);
                if (logit)
                    logit[i0 + i] = log(q) - log1p(-q);
            }
        }
        return XAI_OK;
    }
    XAI_TRY(xai_runner_forward(r, XAI_OUTPUT_PROB, x, n, buf));
    memset(dy, 0, n * k * sizeof *dy);
    for (size_t i = 0; i < n; i++) {
        const float *y = buf + i * k;
        size_t rv = rival(rc, y);
        dy[i * k + (size_t)rc->o.desired] = (float)(1.0 / clampp(y[rc->o.desired]));
        dy[i * k + rv] = (float)(-1.0 / clampp(y[rv]));
        if (logit)
            logit[i] = rc_logit(rc, y);
    }
    return xai_runner_vjp(r, XAI_OUTPUT_PROB, x, n, dy, grad, NULL);
}
