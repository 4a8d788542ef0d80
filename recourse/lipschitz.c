/* recourse/lipschitz.c: certified upper and sampled lower bounds of the local
 * Lipschitz constant of m over an L2 ball (see xai_lipschitz_bounds), and the
 * exact Stability R with its guarantee. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "recourse_impl.h"

enum { RC_TAG_LIP = 0x4c495053u };

/* Safety factor on the certified spectral norms (floating-point rounding). */
#define NORM_MARGIN (1 + 1e-6)

static double sig(double v) { return 1 / (1 + exp(-v)); }
static double dsig(double v) { double p = sig(v); return p * (1 - p); }
static double dtanh(double v) { double t = tanh(v); return 1 - t * t; }

/* Slope range [dlo, dhi] of an activation on the input interval [l, u]. */
static void slope_range(const xai_dense *L, double l, double u, double *dlo, double *dhi,
                        uint32_t *unstable)
{
    switch (L->act) {
    case XAI_ACT_RELU:
    case XAI_ACT_LEAKY_RELU: {
        double a = L->act == XAI_ACT_RELU ? 0 : L->alpha;
        if (u <= 0)
            *dlo = *dhi = a;
        else if (l >= 0)
            *dlo = *dhi = 1;
        else {
            *dlo = a < 1 ? a : 1;
            *dhi = a < 1 ? 1 : a;
            (*unstable)++;
        }
        return;
    }
    case XAI_ACT_SIGMOID:
    case XAI_ACT_TANH: {
        double (*d)(double) = L->act == XAI_ACT_SIGMOID ? dsig : dtanh;
        /* bell-shaped: largest nearest 0, smallest at the farther end */
        double near = l > 0 ? l : u < 0 ? u : 0;
        *dhi = d(near);
        *dlo = fmin(d(l), d(u));
        return;
    }
    default:
        *dlo = *dhi = 1;
    }
}

static double act_value(const xai_dense *L, double v)
{
    switch (L->act) {
    case XAI_ACT_RELU: return v > 0 ? v : 0;
    case XAI_ACT_LEAKY_RELU: return v > 0 ? v : L->alpha * v;
    case XAI_ACT_SIGMOID: return sig(v);
    case XAI_ACT_TANH: return tanh(v);
    default: return v;
    }
}

/* Certified ||A||_2 for A (r x c, row-major): sqrt(lambda_max(A A^T)) <=
 * tr((A A^T)^(2^q))^(1/2^(q+1)), by repeated normalised squaring. */
static double spectral_upper(const double *A, size_t r, size_t c, double *G, double *T)
{
    for (size_t i = 0; i < r; i++)
        for (size_t j = 0; j < r; j++) {
            double s = 0;
            for (size_t t = 0; t < c; t++)
                s += A[i * c + t] * A[j * c + t];
            G[i * r + j] = s;
        }
    double tr = 0;
    for (size_t i = 0; i < r; i++)
        tr += G[i * r + i];
    if (!(tr > 0))
        return 0;
    double L = log(tr);
    for (size_t i = 0; i < r * r; i++)
        G[i] /= tr;
    const int q = 8;
    for (int it = 0; it < q; it++) {
        for (size_t i = 0; i < r; i++)
            for (size_t j = 0; j < r; j++) {
                double s = 0;
                for (size_t t = 0; t < r; t++)
                    s += G[i * r + t] * G[t * r + j];
                T[i * r + j] = s;
            }
        double t2 = 0;
        for (size_t i = 0; i < r; i++)
            t2 += T[i * r + i];
        if (!(t2 > 0))
            return sqrt(tr) * NORM_MARGIN; /* Frobenius fallback */
        for (size_t i = 0; i < r * r; i++)
            G[i] = T[i] / t2;
        L = 2 * L + log(t2);
    }
    double lam = exp(L / (double)(1 << q));
    double up = sqrt(lam) * NORM_MARGIN, fro = sqrt(tr) * NORM_MARGIN;
    return up < fro ? up : fro;
}

typedef struct lip_ws {
    size_t wmax;          /* widest layer */
    double *lo, *hi, *c, *r, *dlo, *dhi, *gl, *gu, *hl, *hu, *A, *G, *T;
    double **wz;          /* first layer in scaled units, others as given */
} lip_ws;

/* One row: the certified upper bound. */
static void upper_bound(const xai_mlp *mlp, const double *w1, const float *x, double radius,
                        lip_ws *ws, xai_lipschitz *out)
{
    size_t K = mlp->n_layers;
    const xai_dense *L1 = &mlp->layers[0];
    double **slo = (double **)ws->wz; /* reuse: per-layer slope arrays follow */
    (void)slo;
    double prod = 1;
    uint32_t unstable = 0;
    double *lo = ws->lo, *hi = ws->hi, *c = ws->c, *rad = ws->r;
    /* layer 1: exact over the ball */
    for (size_t i = 0; i < L1->n_out; i++) {
        double s = L1->b[i], nrm = 0;
        for (size_t j = 0; j < L1->n_in; j++) {
            s += L1->w[i * L1->n_in + j] * x[j];
            nrm += w1[i * L1->n_in + j] * w1[i * L1->n_in + j];
        }
        lo[i] = s - radius * sqrt(nrm);
        hi[i] = s + radius * sqrt(nrm);
    }
    /* slopes per hidden layer kept in dlo/dhi at offset k * wmax */
    for (size_t k = 0; k + 1 < K; k++) {
        const xai_dense *L = &mlp->layers[k], *N = &mlp->layers[k + 1];
        double *dl = ws->dlo + k * ws->wmax, *dh = ws->dhi + k * ws->wmax;
        for (size_t i = 0; i < L->n_out; i++) {
            slope_range(L, lo[i], hi[i], &dl[i], &dh[i], &unstable);
            double a = act_value(L, lo[i]), b = act_value(L, hi[i]);
            if (a > b) { double t = a; a = b; b = t; }
            c[i] = (a + b) / 2;
            rad[i] = (b - a) / 2;
        }
        /* (a): || diag(max |slope|) W_k || */
        const double *W = k == 0 ? w1 : L->w;
        for (size_t i = 0; i < L->n_out; i++) {
            double m = fmax(fabs(dl[i]), fabs(dh[i]));
            for (size_t j = 0; j < L->n_in; j++)
                ws->A[i * L->n_in + j] = m * W[i * L->n_in + j];
        }
        prod *= spectral_upper(ws->A, L->n_out, L->n_in, ws->G, ws->T);
        /* next pre-activation interval */
        for (size_t i = 0; i < N->n_out; i++) {
            double s = N->b[i], t = 0;
            for (size_t j = 0; j < N->n_in; j++) {
                s += N->w[i * N->n_in + j] * c[j];
                t += fabs(N->w[i * N->n_in + j]) * rad[j];
            }
            ws->hl[i] = s - t;
            ws->hu[i] = s + t;
        }
        memcpy(lo, ws->hl, N->n_out * sizeof *lo);
        memcpy(hi, ws->hu, N->n_out * sizeof *hi);
    }
    const xai_dense *LK = &mlp->layers[K - 1];
    const double *WK = K == 1 ? w1 : LK->w;
    double nk = 0;
    for (size_t j = 0; j < LK->n_in; j++)
        nk += WK[j] * WK[j];
    prod *= sqrt(nk) * NORM_MARGIN;
    /* (b): backward interval Jacobian of the logit */
    double *gl = ws->gl, *gu = ws->gu;
    for (size_t j = 0; j < LK->n_in; j++)
        gl[j] = gu[j] = WK[j];
    for (size_t k = K - 1; k-- > 0;) {
        const xai_dense *L = &mlp->layers[k];
        const double *W = k == 0 ? w1 : L->w;
        double *dl = ws->dlo + k * ws->wmax, *dh = ws->dhi + k * ws->wmax;
        for (size_t i = 0; i < L->n_out; i++) {
            double p[4] = {gl[i] * dl[i], gl[i] * dh[i], gu[i] * dl[i], gu[i] * dh[i]};
            gl[i] = fmin(fmin(p[0], p[1]), fmin(p[2], p[3]));
            gu[i] = fmax(fmax(p[0], p[1]), fmax(p[2], p[3]));
        }
        for (size_t j = 0; j < L->n_in; j++) {
            double cc = 0, rr = 0;
            for (size_t i = 0; i < L->n_out; i++) {
                double w = W[i * L->n_in + j];
                cc += w * (gl[i] + gu[i]) / 2;
                rr += fabs(w) * (gu[i] - gl[i]) / 2;
            }
            ws->hl[j] = cc - rr;
            ws->hu[j] = cc + rr;
        }
        memcpy(gl, ws->hl, L->n_in * sizeof *gl);
        memcpy(gu, ws->hu, L->n_in * sizeof *gu);
    }
    double nb = 0;
    for (size_t j = 0; j < L1->n_in; j++) {
        double a = fmax(fabs(gl[j]), fabs(gu[j]));
        nb += a * a;
    }
    nb = sqrt(nb) * NORM_MARGIN;
    /* the final sigmoid's largest slope on the logit interval [lo, hi] */
    double near = lo[0] > 0 ? lo[0] : hi[0] < 0 ? hi[0] : 0;
    double smax = dsig(near);
    out->upper_norms = prod * smax;
    out->upper_interval = nb * smax;
    out->upper = fmin(out->upper_norms, out->upper_interval);
    out->unstable = unstable;
}

static xai_status check_family(const xai_model *m, const xai_mlp *mlp, int32_t desired)
{
    size_t K = mlp->n_layers;
    const xai_dense *LK = &mlp->layers[K - 1];
    if (LK->n_out != 1 || LK->act != XAI_ACT_SIGMOID)
        return xai_fail(XAI_ERR_UNSUPPORTED, "the Lipschitz bound needs a network with one "
                        "output and a final Sigmoid (this one ends in %zu output%s)",
                        LK->n_out, LK->n_out == 1 ? " without a sigmoid" : "s");
    if (desired != 0 && desired != 1)
        return xai_fail(XAI_ERR_INVALID, "desired class %d is out of range: one sigmoid "
                        "output has classes 0 and 1", desired);
    if (mlp->layers[0].n_in != xai_model_input_size(m))
        return xai_fail(XAI_ERR_SHAPE, "the layers take %zu inputs but the model %zu",
                        mlp->layers[0].n_in, xai_model_input_size(m));
    for (size_t k = 0; k + 1 < K; k++)
        if (mlp->layers[k].act == XAI_ACT_SOFTMAX)
            return xai_fail(XAI_ERR_UNSUPPORTED, "Softmax inside the network");
    return XAI_OK;
}

xai_status xai_lipschitz_bounds(const xai_model *m, const xai_mlp *mlp, int32_t desired,
                                const float *scale, const float *x, size_t n,
                                double radius, uint32_t n_samples, uint64_t seed,
                                xai_lipschitz *out)
{
    XAI_TRY(check_family(m, mlp, desired));
    if (!(radius >= 0) || !isfinite(radius))
        return xai_fail(XAI_ERR_INVALID, "the radius must be a finite number >= 0, got %g",
                        radius);
    size_t K = mlp->n_layers, D = mlp->layers[0].n_in, wmax = D;
    for (size_t k = 0; k < K; k++)
        wmax = mlp->layers[k].n_out > wmax ? mlp->layers[k].n_out : wmax;
    lip_ws ws = {.wmax = wmax};
    double *mem = malloc((10 * wmax + 2 * K * wmax + wmax * wmax * 3) * sizeof *mem);
    double *w1 = malloc(mlp->layers[0].n_out * D * sizeof *w1);
    size_t ns = (size_t)n_samples + 1;
    float *pts = malloc(ns * D * sizeof *pts), *g = malloc(ns * D * sizeof *g);
    float *dy = malloc(ns * sizeof *dy), *y = malloc(ns * sizeof *y);
    xai_runner *r = NULL;
    xai_status s = XAI_OK;
    if (!mem || !w1 || !pts || !g || !dy || !y)
        s = xai_fail(XAI_ERR_NOMEM, "out of memory");
    if (s == XAI_OK)
        s = xai_runner_new(m, &r);
    if (s == XAI_OK) {
        double *p = mem;
        ws.lo = p; p += wmax; ws.hi = p; p += wmax; ws.c = p; p += wmax;
        ws.r = p; p += wmax; ws.gl = p; p += wmax; ws.gu = p; p += wmax;
        ws.hl = p; p += wmax; ws.hu = p; p += 2 * wmax;
        ws.dlo = p; p += K * wmax; ws.dhi = p; p += K * wmax;
        ws.A = p; p += wmax * wmax; ws.G = p; p += wmax * wmax; ws.T = p;
        const xai_dense *L1 = &mlp->layers[0];
        for (size_t i = 0; i < L1->n_out; i++)
            for (size_t j = 0; j < D; j++)
                w1[i * D + j] = L1->w[i * D + j] * (scale ? scale[j] : 1.0);
        for (size_t i = 0; i < ns; i++)
            dy[i] = desired == 1 ? 1.0f : -1.0f;
    }
    for (size_t row = 0; row < n && s == XAI_OK; row++) {
        const float *xr = x + row * D;
        for (size_t j = 0; j < D; j++)
            if (!isfinite(xr[j])) {
                s = xai_fail(XAI_ERR_NUMERIC, "row %zu, feature %zu is not finite", row, j);
                break;
            }
        if (s != XAI_OK)
            break;
        upper_bound(mlp, w1, xr, radius, &ws, &out[row]);
        /* sampled lower bound: the centre, then uniform points in the ball */
        xai_rng rng;
        xai_rng_init(&rng, seed ^ RC_TAG_LIP, row);
        memcpy(pts, xr, D * sizeof *pts);
        for (size_t i = 1; i < ns; i++) {
            double nrm = 0, u[1024], *dir = D <= 1024 ? u : NULL;
            if (!dir) {
                s = xai_fail(XAI_ERR_UNSUPPORTED, "more than 1024 inputs");
                break;
            }
            for (size_t j = 0; j < D; j++) {
                dir[j] = xai_rng_normal(&rng);
                nrm += dir[j] * dir[j];
            }
            double rr = radius * pow(xai_rng_uniform(&rng), 1.0 / (double)D) / sqrt(nrm);
            for (size_t j = 0; j < D; j++)
                pts[i * D + j] = (float)(xr[j] + (scale ? scale[j] : 1.0) * rr * dir[j]);
        }
        if (s == XAI_OK)
            s = xai_runner_vjp(r, XAI_OUTPUT_PROB, pts, ns, dy, g, y);
        double best = 0;
        for (size_t i = 0; i < ns && s == XAI_OK; i++) {
            double t = 0;
            for (size_t j = 0; j < D; j++) {
                double v = g[i * D + j] * (scale ? scale[j] : 1.0);
                t += v * v;
            }
            best = fmax(best, sqrt(t));
        }
        out[row].lower = best;
    }
    xai_runner_free(r);
    free(mem);
    free(w1);
    free(pts);
    free(g);
    free(dy);
    free(y);
    return s;
}

xai_status xai_recourse_stability_exact(xai_recourse *rc, const xai_mlp *mlp,
                                        const float *cf, size_t n, uint64_t first_row,
                                        double radius, xai_stability_exact *out)
{
    const size_t D = rc->d, k = rc->o.k;
    if (!(radius > 0) || !isfinite(radius))
        return xai_fail(XAI_ERR_INVALID, "the radius must be a positive number, got %g",
                        radius);
    float *pts = malloc((k + 1) * (D + rc->n_out) * sizeof *pts);
    xai_runner *r = NULL;
    xai_status s = pts ? xai_runner_new(rc->model, &r) : xai_fail(XAI_ERR_NOMEM, "out of memory");
    float *buf = pts ? pts + (k + 1) * D : NULL;
    for (size_t row = 0; row < n && s == XAI_OK; row++) {
        const float *xp = cf + row * D;
        xai_lipschitz lb;
        /* the upper bound alone: no samples needed */
        if ((s = xai_lipschitz_bounds(rc->model, mlp, rc->o.desired, rc->scale, xp, 1, radius,
                                      0, 0, &lb)) != XAI_OK)
            break;
        /* the same draws as the relaxed score (stream SCORE, row) */
        xai_rng rng;
        xai_rng_init(&rng, rc->o.seed ^ RC_TAG_SCORE, first_row + row);
        memcpy(pts, xp, D * sizeof *pts);
        for (size_t i = 1; i <= k; i++)
            for (size_t j = 0; j < D; j++)
                pts[i * D + j] =
                    (float)(xp[j] + rc->o.sigma * rc->scale[j] * xai_rng_normal(&rng));
        if ((s = xai_runner_forward(r, XAI_OUTPUT_PROB, pts, k + 1, buf)) != XAI_OK)
            break;
        double sum = 0;
        uint32_t kin = 0;
        for (size_t i = 1; i <= k; i++) {
            double d2 = 0;
            for (size_t j = 0; j < D; j++) {
                double t = ((double)pts[i * D + j] - xp[j]) / rc->scale[j];
                d2 += t * t;
            }
            if (sqrt(d2) > radius)
                continue;
            sum += rc_prob(rc, buf + i * rc->n_out) - lb.upper * sqrt(d2);
            kin++;
        }
        xai_stability_exact *e = &out[row];
        e->gamma = lb.upper;
        e->k_in = kin;
        e->R = kin ? sum / kin : NAN;
        e->vacuous = !(kin && e->R > 0.5);
        e->guarantee = e->vacuous ? 1.0 : exp(-2.0 * kin * (e->R - 0.5) * (e->R - 0.5));
    }
    xai_runner_free(r);
    free(pts);
    return s;
}
