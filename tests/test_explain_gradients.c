/* tests/test_explain_gradients.c: gradient-family methods against analytic
 * answers on callback models (linear, logistic, MLP). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include <xai/explain.h>

#include "support/models.h"

enum { D = 6, N = 5 };

static xai_explain_options opts(xai_method m)
{
    xai_explain_options o = xai_explain_options_default();
    o.method = m;
    o.target = 0;
    o.baseline = XAI_BASELINE_ZERO;
    o.seed = 7;
    return o;
}

static void gradient_linear_is_weights(void **state)
{
    (void)state;
    tm_model t;
    tm_init(&t, TM_LINEAR, D, 0, 2, 1);
    xai_model *m = tm_wrap(&t, 0);
    float x[N * D], phi[N * D];
    tm_rows(N, D, 2, x);
    xai_explain_context c = {.n_features = D};
    for (int target = 0; target < 2; target++) {
        xai_explain_options o = opts(XAI_METHOD_GRADIENT);
        o.target = target;
        tm_explain(m, &o, &c, x, N, phi, NULL);
        for (size_t i = 0; i < N * D; i++)
            assert_float_equal(phi[i], t.w[target][i % D], 1e-6);
        o.method = XAI_METHOD_GRADIENT_X_INPUT;
        tm_explain(m, &o, &c, x, N, phi, NULL);
        for (size_t i = 0; i < N * D; i++)
            assert_float_equal(phi[i], t.w[target][i % D] * x[i], 1e-5);
    }
    xai_model_free(m);
}

static void gradient_logistic_and_finite_differences(void **state)
{
    (void)state;
    tm_model t;
    tm_init(&t, TM_LOGISTIC, D, 0, 1, 3);
    xai_model *m = tm_wrap(&t, 0), *mfd = tm_wrap(&t, 1);
    float x[N * D], phi[N * D], phifd[N * D];
    tm_rows(N, D, 4, x);
    xai_explain_context c = {.n_features = D};
    xai_explain_options o = opts(XAI_METHOD_GRADIENT);
    xai_explain_diag dg[N];
    tm_explain(m, &o, &c, x, N, phi, dg);
    assert_int_equal(dg[0].finite_differences, 0);
    tm_explain(mfd, &o, &c, x, N, phifd, dg);
    assert_int_equal(dg[0].finite_differences, 1);
    assert_int_equal(dg[0].evaluations, 2 + 2 * D + 1);
    for (size_t i = 0; i < N; i++) {
        double y[1];
        tm_eval(&t, x + i * D, y);
        for (size_t j = 0; j < D; j++) {
            /* d sigmoid(s) / dx = p (1 - p) w */
            double g = y[0] * (1 - y[0]) * t.w[0][j];
            assert_float_equal(phi[i * D + j], g, 1e-6);
            assert_float_equal(phifd[i * D + j], g, 2e-4);
        }
    }
    xai_model_free(m);
    xai_model_free(mfd);
}

static void ig_linear_and_completeness(void **state)
{
    (void)state;
    tm_model t;
    tm_init(&t, TM_LINEAR, D, 0, 1, 5);
    xai_model *m = tm_wrap(&t, 0);
    float x[N * D], phi[N * D], base[D];
    tm_rows(N, D, 6, x);
    tm_rows(1, D, 9, base);
    xai_explain_context c = {.n_features = D, .baseline_row = base};
    xai_explain_options o = opts(XAI_METHOD_INTEGRATED_GRADIENTS);
    o.baseline = XAI_BASELINE_ROW;
    for (int rule = 0; rule < 2; rule++) {
        o.ig_rule = rule ? XAI_IG_TRAPEZOID : XAI_IG_GAUSS_LEGENDRE;
        tm_explain(m, &o, &c, x, N, phi, NULL);
        for (size_t i = 0; i < N * D; i++)
            assert_float_equal(phi[i], t.w[0][i % D] * (x[i] - base[i % D]), 1e-5);
    }
    xai_model_free(m);

    /* MLP: IG with 256 Gauss-Legendre points is complete */
    tm_init(&t, TM_MLP, D, 16, 2, 8);
    m = tm_wrap(&t, 0);
    o.samples = 256;
    o.ig_rule = XAI_IG_GAUSS_LEGENDRE;
    xai_explain_diag dg[N];
    tm_explain(m, &o, &c, x, N, phi, dg);
    for (size_t i = 0; i < N; i++) {
        double fx[2], fb[2], sum = 0;
        tm_eval(&t, x + i * D, fx);
        tm_eval(&t, base, fb);
        for (size_t j = 0; j < D; j++)
            sum += phi[i * D + j];
        assert_true(fabs(sum - (fx[0] - fb[0])) < 1e-5);
        assert_true(dg[i].completeness_gap < 1e-5);
        assert_int_equal(dg[i].evaluations, 2 + 256);
    }
    /* the trapezoid rule with few steps is visibly worse than with many */
    o.ig_rule = XAI_IG_TRAPEZOID;
    o.samples = 4;
    tm_explain(m, &o, &c, x, N, phi, dg);
    double coarse = 0, fine = 0;
    for (size_t i = 0; i < N; i++)
        coarse += dg[i].completeness_gap;
    o.samples = 256;
    tm_explain(m, &o, &c, x, N, phi, dg);
    for (size_t i = 0; i < N; i++)
        fine += dg[i].completeness_gap;
    assert_true(fine < coarse);
    xai_model_free(m);
}

static void smoothgrad_linear_is_weights(void **state)
{
    (void)state;
    tm_model t;
    tm_init(&t, TM_LINEAR, D, 0, 1, 10);
    xai_model *m = tm_wrap(&t, 0);
    float x[N * D], phi[N * D];
    tm_rows(N, D, 11, x);
    xai_column_stats st[D];
    for (size_t j = 0; j < D; j++)
        st[j] = (xai_column_stats){0, 1.0 + j, -3, 3};
    xai_explain_context c = {.n_features = D, .stats = st};
    xai_explain_options o = opts(XAI_METHOD_SMOOTHGRAD);
    xai_explain_diag dg[N];
    tm_explain(m, &o, &c, x, N, phi, dg);
    assert_int_equal(dg[0].samples, 50);
    for (size_t i = 0; i < N * D; i++)
        assert_float_equal(phi[i], t.w[0][i % D], 1e-6);
    xai_model_free(m);
}

/* C-LIME's slope tends to the gradient as sigma -> 0 (error shrinks with
 * sigma; at 0.003 of the std it is within 2%). */
static void clime_small_sigma_approaches_gradient(void **state)
{
    (void)state;
    tm_model t;
    tm_init(&t, TM_MLP, D, 16, 2, 12);
    xai_model *m = tm_wrap(&t, 0);
    float x[N * D], g[N * D], phi[N * D];
    tm_rows(N, D, 13, x);
    xai_explain_context c = {.n_features = D};
    xai_explain_options o = opts(XAI_METHOD_GRADIENT);
    o.output = XAI_OUTPUT_SCORE;
    tm_explain(m, &o, &c, x, N, g, NULL);
    double prev = INFINITY;
    double sig[] = {0.3, 0.03, 0.003};
    for (int k = 0; k < 3; k++) {
        o = opts(XAI_METHOD_CLIME);
        o.sigma = sig[k];
        xai_explain_diag dg[N];
        tm_explain(m, &o, &c, x, N, phi, dg);
        double err = 0, norm = 0;
        for (size_t i = 0; i < N * D; i++)
            err += (phi[i] - g[i]) * (phi[i] - g[i]), norm += g[i] * g[i];
        err = sqrt(err / norm);
        assert_true(err < prev);
        prev = err;
        assert_true(dg[0].r2 > 0.9);
    }
    assert_true(prev < 2e-2);
    xai_model_free(m);
}

/* IG on f(z) = sum_j z_j^3 / 3 + 0.5 z_0 z_1, whose path integrand is
 * quadratic in t: Gauss-Legendre (n >= 2) is exact, and the trapezoid rule
 * with step h over-estimates the integral of (b + t d)^2 by exactly
 * d^2 h^2 / 6.  With k background rows, IG averages over them. */
static int cubic_predict(void *u, const float *x, size_t n, float *y)
{
    (void)u;
    for (size_t i = 0; i < n; i++) {
        const float *z = x + i * D;
        double a = 0.5 * z[0] * z[1];
        for (int j = 0; j < D; j++)
            a += (double)z[j] * z[j] * z[j] / 3;
        y[i] = (float)a;
    }
    return 0;
}

static int cubic_vjp(void *u, const float *x, size_t n, const float *dy, float *dx)
{
    (void)u;
    for (size_t i = 0; i < n; i++) {
        const float *z = x + i * D;
        for (int j = 0; j < D; j++)
            dx[i * D + j] = (float)(dy[i] * ((double)z[j] * z[j] +
                                             (j == 0 ? 0.5 * z[1] : j == 1 ? 0.5 * z[0] : 0)));
    }
    return 0;
}

/* integral over [0, 1] of d * grad_j(b + t d), h = 0 exact, else trapezoid */
static double ig_ref(const float *x, const float *b, int j, double h)
{
    double d = (double)x[j] - b[j], q = b[j] * (double)b[j] + b[j] * d +
                                       d * d * (1.0 / 3 + h * h / 6);
    if (j < 2) {
        int o = 1 - j;
        q += 0.5 * (b[o] + ((double)x[o] - b[o]) / 2);
    }
    return d * q;
}

static void ig_quadrature_exact(void **state)
{
    (void)state;
    xai_model *m;
    assert_int_equal(xai_model_from_callbacks(D, 1, 0, cubic_predict, cubic_vjp, NULL, &m),
                     XAI_OK);
    float x[N * D], bg[2 * D];
    tm_rows(N, D, 31, x);
    tm_rows(2, D, 32, bg);
    for (int nb = 1; nb <= 2; nb++)
        for (int rule = 0; rule < 2; rule++) {
            xai_explain_context c = {.n_features = D};
            xai_explain_options o = opts(XAI_METHOD_INTEGRATED_GRADIENTS);
            o.target = 0;
            o.output = XAI_OUTPUT_SCORE;
            if (nb == 1) {
                c.baseline_row = bg;
                o.baseline = XAI_BASELINE_ROW;
            } else {
                c.background = bg;
                c.n_background = 2;
                o.baseline = XAI_BASELINE_BACKGROUND;
            }
            o.ig_rule = rule ? XAI_IG_TRAPEZOID : XAI_IG_GAUSS_LEGENDRE;
            o.samples = rule ? 4 : 3;
            float phi[N * D];
            tm_explain(m, &o, &c, x, N, phi, NULL);
            for (int i = 0; i < N; i++)
                for (int j = 0; j < D; j++) {
                    double want = 0;
                    for (int k = 0; k < nb; k++)
                        want += ig_ref(x + i * D, bg + k * D, j, rule ? 1.0 / 3 : 0) / nb;
                    if (fabs(phi[i * D + j] - want) > 1e-5 * (1 + fabs(want)))
                        fail_msg("%s, %d baseline row(s), row %d feature %d: IG %g, "
                                 "analytic %g", rule ? "trapezoid" : "Gauss-Legendre", nb,
                                 i, j, phi[i * D + j], want);
                }
        }
    xai_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gradient_linear_is_weights),
        cmocka_unit_test(gradient_logistic_and_finite_differences),
        cmocka_unit_test(ig_linear_and_completeness),
        cmocka_unit_test(ig_quadrature_exact),
        cmocka_unit_test(smoothgrad_linear_is_weights),
        cmocka_unit_test(clime_small_sigma_approaches_gradient),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
