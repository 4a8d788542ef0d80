/* tests/test_explain_reference.c: sampled explainers on NON-linear models
 * against independent computations, where kernel, sampling, noise scale
 * and R^2 all matter:
 *  - LIME (masks, exponential kernel) against the population weighted least
 *    squares over all 2^M masks, weighted by the documented sampling law
 *    (k ~ U{1..M} units off, then a uniform subset) times the kernel;
 *  - C-LIME on a cubic model against the closed-form population regression
 *    (Gaussian moments), which depends on each column's own noise scale;
 *  - sampled KernelSHAP at M = 14 against exact Shapley values by
 *    enumeration of the 2^14 coalitions. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <xai/explain.h>

/* ---- LIME ------------------------------------------------------------- */

enum { LD = 5 };

/* A strongly non-linear model with an offset (so an R^2 computed without
 * the weighted mean would be near 1). */
static double lime_f(const float *x)
{
    return 3.0 + 2.0 * x[0] * x[1] * x[2] + sin(2.0 * x[3]) + x[4] * x[4] - 0.5 * x[1];
}

static int lime_predict(void *u, const float *x, size_t n, float *y)
{
    (void)u;
    for (size_t i = 0; i < n; i++)
        y[i] = (float)lime_f(x + i * LD);
    return 0;
}

/* Solves the (n x n) system A b = r in place (Gaussian elimination with
 * partial pivoting); A is row-major. */
static void solve(double *A, double *r, size_t n)
{
    for (size_t c = 0; c < n; c++) {
        size_t p = c;
        for (size_t i = c + 1; i < n; i++)
            if (fabs(A[i * n + c]) > fabs(A[p * n + c]))
                p = i;
        for (size_t k = 0; k < n; k++) {
            double t = A[c * n + k];
            A[c * n + k] = A[p * n + k];
            A[p * n + k] = t;
        }
        double t = r[c];
        r[c] = r[p];
        r[p] = t;
        for (size_t i = c + 1; i < n; i++) {
            double f = A[i * n + c] / A[c * n + c];
            for (size_t k = c; k < n; k++)
                A[i * n + k] -= f * A[c * n + k];
            r[i] -= f * r[c];
        }
    }
    for (size_t c = n; c-- > 0;) {
        for (size_t k = c + 1; k < n; k++)
            r[c] -= A[c * n + k] * r[k];
        r[c] /= A[c * n + c];
    }
}

static double binom(int n, int k)
{
    double r = 1;
    for (int i = 1; i <= k; i++)
        r = r * (n - k + i) / i;
    return r;
}

/* Population LIME fit: phi (LD), R^2, for S samples at kernel width kw. */
static void lime_reference(const float *x, const float *base, double S, double kw,
                           double *phi, double *r2)
{
    enum { P = LD + 1 };
    double A[P * P] = {0}, r[P] = {0}, W[1 << LD], Y[1 << LD];
    for (unsigned z = 0; z < (1u << LD); z++) {
        float p[LD];
        int off = 0;
        for (int j = 0; j < LD; j++) {
            int on = z >> j & 1;
            p[j] = on ? x[j] : base[j];
            off += !on;
        }
        /* the first sample is x itself; the other S - 1 have k >= 1 off */
        W[z] = off == 0 ? 1.0
                        : (S - 1) / LD / binom(LD, off) * exp(-off / (2 * kw * kw));
        Y[z] = (double)(float)lime_f(p);
        double v[P] = {1};
        for (int j = 0; j < LD; j++)
            v[j + 1] = z >> j & 1;
        for (int a = 0; a < P; a++) {
            r[a] += W[z] * v[a] * Y[z];
            for (int b = 0; b < P; b++)
                A[a * P + b] += W[z] * v[a] * v[b];
        }
    }
    solve(A, r, P);
    double sw = 0, swy = 0, res = 0, tot = 0;
    for (unsigned z = 0; z < (1u << LD); z++)
        sw += W[z], swy += W[z] * Y[z];
    for (unsigned z = 0; z < (1u << LD); z++) {
        double yh = r[0];
        for (int j = 0; j < LD; j++)
            yh += r[j + 1] * (z >> j & 1);
        res += W[z] * (Y[z] - yh) * (Y[z] - yh);
        tot += W[z] * (Y[z] - swy / sw) * (Y[z] - swy / sw);
    }
    for (int j = 0; j < LD; j++)
        phi[j] = r[j + 1];
    *r2 = 1 - res / tot;
}

static void lime_matches_population_fit(void **state)
{
    (void)state;
    xai_model *m;
    assert_int_equal(xai_model_from_callbacks(LD, 1, 0, lime_predict, NULL, NULL, &m), XAI_OK);
    xai_column_stats st[LD];
    float base[LD];
    for (int j = 0; j < LD; j++) {
        st[j] = (xai_column_stats){0.2 * j - 0.3, 1.0, -5, 5};
        base[j] = (float)st[j].mean;
    }
    static const float x[3 * LD] = {1.2f, -0.9f, 1.5f, 0.8f, 1.1f,
                                    -1.0f, 1.3f, 0.7f, -0.6f, -1.4f,
                                    0.9f, 1.1f, -1.2f, 1.7f, 0.3f};
    xai_explain_context c = {.n_features = LD, .stats = st};
    const double widths[] = {XAI_AUTO, 0.8};
    for (int wi = 0; wi < 2; wi++) {
        xai_explain_options o = xai_explain_options_default();
        o.method = XAI_METHOD_LIME;
        o.samples = 40000;
        o.seed = 11;
        o.kernel_width = widths[wi];
        double kw = widths[wi] == XAI_AUTO ? 0.75 * sqrt((double)LD) : widths[wi];
        float phi[3 * LD];
        xai_explain_diag dg[3];
        if (xai_explain_rows(m, &o, &c, x, 3, 0, phi, dg, 1) != XAI_OK)
            fail_msg("%s", xai_last_error());
        for (int i = 0; i < 3; i++) {
            double want[LD], r2;
            lime_reference(x + i * LD, base, (double)o.samples, kw, want, &r2);
            for (int j = 0; j < LD; j++)
                if (fabs(phi[i * LD + j] - want[j]) > 0.03 + 0.02 * fabs(want[j]))
                    fail_msg("width %g row %d feature %d: LIME %g, population fit %g",
                             kw, i, j, phi[i * LD + j], want[j]);
            if (fabs(dg[i].r2 - r2) > 0.02)
                fail_msg("width %g row %d: R^2 %g, population %g", kw, i, dg[i].r2, r2);
        }
    }
    xai_model_free(m);
}

/* ---- C-LIME ----------------------------------------------------------- */

enum { CD = 4 };
static const double ca[CD] = {0.5, -1.0, 2.0, 0.25}, cb1 = 0.8, cb2 = -0.3, cc = 5.0;

/* f = c + a.z + b1 z1^3 + b2 z2^3 */
static int clime_predict(void *u, const float *x, size_t n, float *y)
{
    (void)u;
    for (size_t i = 0; i < n; i++) {
        const float *z = x + i * CD;
        double v = cc + cb1 * z[1] * z[1] * z[1] + cb2 * z[2] * z[2] * z[2];
        for (int j = 0; j < CD; j++)
            v += ca[j] * z[j];
        y[i] = (float)v;
    }
    return 0;
}

/* For d ~ N(0, s^2): the regression of (x + d)^3 on d has slope
 * 3x^2 + 3s^2 and residual variance 18 x^2 s^4 + 6 s^6. */
/* kw > 0: a custom Gaussian neighbourhood with the exponential kernel
 * exp(-|(z - x) / s|^2 / (2 kw^2)); weighting N(0, s^2) by it gives
 * N(0, s^2 kw^2 / (1 + kw^2)), so the same closed form applies with that
 * scale (and fewer effective samples). */
static void clime_check(double kw)
{
    xai_model *m;
    assert_int_equal(xai_model_from_callbacks(CD, 1, 0, clime_predict, NULL, NULL, &m),
                     XAI_OK);
    const double sd[CD] = {0.5, 1.0, 1.2, 1.0}, sigma = 0.5;
    xai_column_stats st[CD];
    for (int j = 0; j < CD; j++)
        st[j] = (xai_column_stats){0, sd[j], -10, 10};
    static const float x[2 * CD] = {0.3f, -0.7f, 1.1f, 0.2f, -1.0f, 0.4f, -0.5f, 2.0f};
    xai_explain_context c = {.n_features = CD, .stats = st};
    xai_explain_options o = xai_explain_options_default();
    o.method = XAI_METHOD_CLIME;
    o.sigma = sigma;
    double shrink = 1, slack = 5;
    if (kw > 0) {
        o.method = XAI_METHOD_CUSTOM;
        o.custom.neighbourhood = XAI_NBHD_GAUSSIAN;
        o.custom.loss = XAI_LOSS_FUNCTION;
        o.custom.kernel = XAI_KERNEL_EXPONENTIAL;
        o.kernel_width = kw;
        shrink = kw / sqrt(1 + kw * kw);
        slack = 8; /* the weights cost effective samples */
    }
    o.samples = 40000;
    o.seed = 21;
    float phi[2 * CD];
    xai_explain_diag dg[2];
    if (xai_explain_rows(m, &o, &c, x, 2, 0, phi, dg, 1) != XAI_OK)
        fail_msg("%s", xai_last_error());
    for (int i = 0; i < 2; i++) {
        const float *xi = x + i * CD;
        double s[CD], want[CD], resid = 0, expl = 0;
        for (int j = 0; j < CD; j++) {
            s[j] = sigma * sd[j] * shrink;
            want[j] = ca[j];
        }
        want[1] += cb1 * 3 * (xi[1] * xi[1] + s[1] * s[1]);
        want[2] += cb2 * 3 * (xi[2] * xi[2] + s[2] * s[2]);
        resid = cb1 * cb1 * (18 * xi[1] * xi[1] * pow(s[1], 4) + 6 * pow(s[1], 6)) +
                cb2 * cb2 * (18 * xi[2] * xi[2] * pow(s[2], 4) + 6 * pow(s[2], 6));
        for (int j = 0; j < CD; j++) {
            expl += want[j] * want[j] * s[j] * s[j];
        }
        /* five standard errors of a least-squares slope on S samples */
        for (int j = 0; j < CD; j++) {
            double tol = slack * sqrt(resid / (double)o.samples) / s[j];
            if (fabs(phi[i * CD + j] - want[j]) > tol)
                fail_msg("row %d feature %d: C-LIME %g, analytic %g", i, j,
                         phi[i * CD + j], want[j]);
        }
        double r2 = expl / (expl + resid);
        if (fabs(dg[i].r2 - r2) > 0.02)
            fail_msg("width %g row %d: R^2 %g, analytic %g", kw, i, dg[i].r2, r2);
        /* intercept: f's mean over the neighbourhood */
        double icpt = cc + cb1 * (pow(xi[1], 3) + 3 * xi[1] * s[1] * s[1]) +
                      cb2 * (pow(xi[2], 3) + 3 * xi[2] * s[2] * s[2]);
        for (int j = 0; j < CD; j++)
            icpt += ca[j] * xi[j];
        assert_true(fabs(dg[i].intercept - icpt) < 0.02 * fabs(icpt) + 0.02);
    }
    xai_model_free(m);
}

static void clime_noise_scale_per_column(void **state)
{
    (void)state;
    clime_check(0);
}

static void gaussian_exponential_kernel(void **state)
{
    (void)state;
    clime_check(1.0);
    clime_check(0.6);
}

/* ---- sampled KernelSHAP ----------------------------------------------- */

enum { KM = 14, KN = 32 };

/* Non-linear with interactions of every order up to 3. */
static double shap_f(const float *x)
{
    double a = 0.3, q = 0;
    for (int j = 0; j < KM; j++)
        a += (j % 3 == 0 ? 0.6 : -0.4) * x[j];
    for (int j = 0; j + 1 < KM; j += 2)
        q += x[j] * x[j + 1];
    return tanh(a) + 0.3 * q + 0.2 * x[0] * x[5] * x[9] + exp(0.3 * x[13]);
}

static int shap_predict(void *u, const float *x, size_t n, float *y)
{
    (void)u;
    for (size_t i = 0; i < n; i++)
        y[i] = (float)shap_f(x + i * KM);
    return 0;
}

static void exact_shapley(const float *x, const float *b, double *phi)
{
    static double v[1 << KM];
    double fact[KM + 1] = {1};
    for (int i = 1; i <= KM; i++)
        fact[i] = fact[i - 1] * i;
    for (unsigned S = 0; S < (1u << KM); S++) {
        float p[KM];
        for (int j = 0; j < KM; j++)
            p[j] = S >> j & 1 ? x[j] : b[j];
        v[S] = (double)(float)shap_f(p);
    }
    for (int i = 0; i < KM; i++) {
        phi[i] = 0;
        for (unsigned S = 0; S < (1u << KM); S++)
            if (!(S >> i & 1)) {
                int s = __builtin_popcount(S);
                phi[i] += fact[s] * fact[KM - s - 1] / fact[KM] * (v[S | 1u << i] - v[S]);
            }
    }
}

/* With the default budget (2M + 2048 = 2076 < 2^14 - 2) the coalitions of
 * sizes 1-3 and 11-13 are enumerated completely and the rest sampled.
 * Bound: the mean absolute error over 32 rows (mean |phi| 0.22) must stay
 * below 0.005.  Measured at seeds 1-6 (XAI_SEED=k XAI_TEST_VERBOSE=1):
 * 0.0037-0.0043 for this sampler, 0.0057-0.0062 for one that samples
 * every size instead of enumerating the complete ones. */
static void kernelshap_sampled_near_exact(void **state)
{
    (void)state;
    xai_model *m;
    assert_int_equal(xai_model_from_callbacks(KM, 1, 0, shap_predict, NULL, NULL, &m),
                     XAI_OK);
    float x[KN * KM], b[KM];
    xai_rng r;
    xai_rng_init(&r, 5, 0);
    for (int i = 0; i < KN * KM; i++)
        x[i] = (float)xai_rng_normal(&r);
    for (int j = 0; j < KM; j++)
        b[j] = (float)(0.3 * xai_rng_normal(&r));
    xai_explain_context c = {.n_features = KM, .baseline_row = b};
    xai_explain_options o = xai_explain_options_default();
    o.method = XAI_METHOD_KERNELSHAP;
    o.baseline = XAI_BASELINE_ROW;
    o.seed = getenv("XAI_SEED") ? strtoull(getenv("XAI_SEED"), NULL, 10) : 1;
    float phi[KN * KM];
    xai_explain_diag dg[KN];
    if (xai_explain_rows(m, &o, &c, x, KN, 0, phi, dg, 1) != XAI_OK)
        fail_msg("%s", xai_last_error());
    double err = 0, scale = 0;
    for (int i = 0; i < KN; i++) {
        double ref[KM];
        exact_shapley(x + i * KM, b, ref);
        assert_int_equal(dg[i].exact, 0);
        /* the budget is used exactly: enumerated sizes plus sampled pairs */
        assert_int_equal(dg[i].samples, 2 * KM + 2048);
        assert_true(dg[i].completeness_gap < 1e-4);
        for (int j = 0; j < KM; j++) {
            err += fabs(phi[i * KM + j] - ref[j]) / (KN * KM);
            scale += fabs(ref[j]) / (KN * KM);
        }
    }
    if (getenv("XAI_TEST_VERBOSE"))
        printf("kernelshap M=%d: mean |error| %.5f (mean |phi| %.4f)\n", KM, err, scale);
    if (!(err < 0.005))
        fail_msg("sampled KernelSHAP mean |error| %g against exact Shapley", err);
    xai_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lime_matches_population_fit),
        cmocka_unit_test(clime_noise_scale_per_column),
        cmocka_unit_test(gaussian_exponential_kernel),
        cmocka_unit_test(kernelshap_sampled_near_exact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
