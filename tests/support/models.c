/* tests/support/models.c: analytic callback models (see models.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "models.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void tm_init(tm_model *t, tm_kind kind, size_t d, size_t h, size_t k, uint64_t seed)
{
    memset(t, 0, sizeof *t);
    t->kind = kind;
    t->d = d;
    t->h = h;
    t->k = kind == TM_MLP || kind == TM_LINEAR ? k : 1;
    xai_rng r;
    xai_rng_init(&r, seed, 0);
    for (size_t o = 0; o < TM_MAX_OUT; o++) {
        t->c[o] = 0.3 * xai_rng_normal(&r);
        for (size_t j = 0; j < d; j++)
            t->w[o][j] = xai_rng_normal(&r);
        for (size_t i = 0; i < h; i++)
            t->V[o][i] = xai_rng_normal(&r);
    }
    for (size_t j = 0; j < d; j++)
        t->v[j] = 0.5 * xai_rng_normal(&r);
    for (size_t i = 0; i < h; i++) {
        t->a[i] = 0.5 * xai_rng_normal(&r);
        for (size_t j = 0; j < d; j++)
            t->W[i][j] = xai_rng_normal(&r) / sqrt((double)d);
    }
}

static void hidden(const tm_model *t, const float *x, double *hv)
{
    for (size_t i = 0; i < t->h; i++) {
        double s = t->a[i];
        for (size_t j = 0; j < t->d; j++)
            s += t->W[i][j] * x[j];
        hv[i] = tanh(s);
    }
}

void tm_eval(const tm_model *t, const float *x, double *y)
{
    double hv[TM_MAX_HID];
    switch (t->kind) {
    case TM_LINEAR:
    case TM_LOGISTIC:
        for (size_t o = 0; o < t->k; o++) {
            double s = t->c[o];
            for (size_t j = 0; j < t->d; j++)
                s += t->w[o][j] * x[j];
            y[o] = t->kind == TM_LOGISTIC ? 1 / (1 + exp(-s)) : s;
        }
        break;
    case TM_MLP:
        hidden(t, x, hv);
        for (size_t o = 0; o < t->k; o++) {
            double s = t->c[o];
            for (size_t i = 0; i < t->h; i++)
                s += t->V[o][i] * hv[i];
            y[o] = s;
        }
        break;
    case TM_ADDITIVE: {
        double s = t->c[0];
        for (size_t j = 0; j < t->d; j++)
            s += t->w[0][j] * sin(x[j]) + t->v[j] * x[j] * x[j];
        y[0] = s;
        break;
    }
    }
}

static int predict(void *user, const float *x, size_t n, float *y)
{
    tm_model *t = user;
    double yy[TM_MAX_OUT];
#pragma omp atomic
    t->calls++;
    for (size_t r = 0; r < n; r++) {
        tm_eval(t, x + r * t->d, yy);
        for (size_t o = 0; o < t->k; o++)
            y[r * t->k + o] = (float)yy[o];
    }
    return 0;
}

static int vjp(void *user, const float *x, size_t n, const float *dy, float *dx)
{
    tm_model *t = user;
    for (size_t r = 0; r < n; r++) {
        const float *xr = x + r * t->d, *dyr = dy + r * t->k;
        double g[TM_MAX_IN] = {0}, hv[TM_MAX_HID], yy[TM_MAX_OUT];
        switch (t->kind) {
        case TM_LINEAR:
        case TM_LOGISTIC:
            tm_eval(t, xr, yy);
            for (size_t o = 0; o < t->k; o++) {
                double s = t->kind == TM_LOGISTIC ? yy[o] * (1 - yy[o]) : 1.0;
                for (size_t j = 0; j < t->d; j++)
                    g[j] += dyr[o] * s * t->w[o][j];
            }
            break;
        case TM_MLP:
            hidden(t, xr, hv);
            for (size_t i = 0; i < t->h; i++) {
                double dh = 0;
                for (size_t o = 0; o < t->k; o++)
                    dh += dyr[o] * t->V[o][i];
                dh *= 1 - hv[i] * hv[i];
                for (size_t j = 0; j < t->d; j++)
                    g[j] += dh * t->W[i][j];
            }
            break;
        case TM_ADDITIVE:
            for (size_t j = 0; j < t->d; j++)
                g[j] = dyr[0] * (t->w[0][j] * cos(xr[j]) + 2 * t->v[j] * xr[j]);
            break;
        }
        for (size_t j = 0; j < t->d; j++)
            dx[r * t->d + j] = (float)g[j];
    }
    return 0;
}

xai_model *tm_wrap(tm_model *t, int fd)
{
    xai_model *m = NULL;
    if (xai_model_from_callbacks(t->d, t->k, t->kind == TM_LOGISTIC, predict,
                                 fd ? NULL : vjp, t, &m) != XAI_OK)
        return NULL;
    return m;
}

void tm_rows(size_t n, size_t d, uint64_t seed, float *out)
{
    xai_rng r;
    xai_rng_init(&r, seed, 1);
    for (size_t i = 0; i < n * d; i++)
        out[i] = (float)xai_rng_normal(&r);
}

void tm_explain(xai_model *m, const xai_explain_options *o, const xai_explain_context *c,
                const float *x, size_t n, float *phi, xai_explain_diag *dg)
{
    if (xai_explain_rows(m, o, c, x, n, 0, phi, dg, 1) != XAI_OK)
        fail_msg("%s", xai_last_error());
}
