/* tests/test_wls.c: the weighted least-squares solver (explainers/solve.c):
 * the Cholesky path against an independent Gaussian elimination in long
 * double, the SVD fallback on a rank-deficient design (analytic
 * minimum-norm answer), ill-posed fits (all weights 0, a neighbourhood
 * too wide, non-finite outputs) refused with a message naming what to
 * change, with nothing printed on stdout; a reused workspace and designs read
 * straight from masks or points give the bits of fresh, written-out ones. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <xai/xai.h>

#include "explainers/lfa.h"

/* Solves (A^T W A + ridge on beta) theta = A^T W y with A = [1 X] by
 * Gaussian elimination with partial pivoting in long double. */
static void reference(const double *X, const double *y, const double *w, size_t S,
                      size_t P, double ridge, double *theta)
{
    size_t n = P + 1;
    long double G[16][17] = {{0}};
    for (size_t s = 0; s < S; s++)
        for (size_t i = 0; i < n; i++) {
            long double ai = i ? X[s * P + i - 1] : 1.0L;
            for (size_t j = 0; j < n; j++)
                G[i][j] += (long double)w[s] * ai * (j ? X[s * P + j - 1] : 1.0L);
            G[i][n] += (long double)w[s] * ai * y[s];
        }
    for (size_t k = 1; k < n; k++)
        G[k][k] += ridge;
    for (size_t c = 0; c < n; c++) {
        size_t piv = c;
        for (size_t r = c + 1; r < n; r++)
            if (fabsl(G[r][c]) > fabsl(G[piv][c]))
                piv = r;
        for (size_t j = 0; j <= n; j++) {
            long double t = G[c][j];
            G[c][j] = G[piv][j];
            G[piv][j] = t;
        }
        for (size_t r = 0; r < n; r++)
            if (r != c) {
                long double f = G[r][c] / G[c][c];
                for (size_t j = c; j <= n; j++)
                    G[r][j] -= f * G[c][j];
            }
    }
    for (size_t i = 0; i < n; i++)
        theta[i] = (double)(G[i][n] / G[i][i]);
}

static void well_conditioned(void **state)
{
    (void)state;
    enum { S = 200, P = 7 };
    double X[S * P], y[S], w[S], beta[P], b, r2, ref[P + 1];
    xai_rng rng;
    xai_rng_init(&rng, 3, 0);
    for (size_t s = 0; s < S; s++) {
        double t = 0.3;
        for (size_t k = 0; k < P; k++)
            t += (double)(k + 1) * (X[s * P + k] = xai_rng_normal(&rng));
        y[s] = sin(t) + 0.1 * xai_rng_normal(&rng); /* not linear: a real residual */
        w[s] = exp(-xai_rng_uniform(&rng));
    }
    for (int r = 0; r < 2; r++) {
        double ridge = r ? 2.5 : 0.0;
        assert_int_equal(xai_wls(X, y, w, S, P, 1, ridge, beta, &b, &r2), XAI_OK);
        reference(X, y, w, S, P, ridge, ref);
        assert_true(fabs(b - ref[0]) < 1e-10);
        for (size_t k = 0; k < P; k++)
            assert_true(fabs(beta[k] - ref[k + 1]) < 1e-10);
        assert_true(r2 > 0 && r2 < 1);
    }
}

/* x2 = x1: y = 2 x1 has many fits; the minimum-norm one is beta = (1, 1). */
static void rank_deficient(void **state)
{
    (void)state;
    enum { S = 50 };
    double X[S * 2], y[S], w[S], beta[2], b, r2;
    for (size_t s = 0; s < S; s++) {
        X[2 * s] = X[2 * s + 1] = (double)s / 7.0 - 3.0;
        y[s] = 2.0 * X[2 * s];
        w[s] = 1.0 + (double)(s % 3);
    }
    assert_int_equal(xai_wls(X, y, w, S, 2, 0, 0.0, beta, &b, &r2), XAI_OK);
    assert_true(fabs(beta[0] - 1.0) < 1e-9 && fabs(beta[1] - 1.0) < 1e-9);
}

static void ill_posed(void **state)
{
    (void)state;
    enum { S = 20, P = 3 };
    double X[S * P], y[S], w[S], beta[P], b, r2;
    for (size_t i = 0; i < S * P; i++)
        X[i] = (double)(i % 7) - 3.0;
    for (size_t s = 0; s < S; s++)
        y[s] = (double)s, w[s] = 0.0;
    /* stdout must stay empty (no LAPACK messages) */
    char path[] = "/tmp/xai_wls_XXXXXX";
    int fd = mkstemp(path), saved = dup(1);
    assert_true(fd >= 0 && saved >= 0);
    fflush(stdout);
    dup2(fd, 1);
    xai_status s0 = xai_wls(X, y, w, S, P, 1, 0.0, beta, &b, &r2);
    char m0[512];
    snprintf(m0, sizeof m0, "%s", xai_last_error());
    for (size_t s = 0; s < S; s++)
        w[s] = 1.0;
    X[5] = 1e300;
    xai_status s1 = xai_wls(X, y, w, S, P, 1, 0.0, beta, &b, &r2);
    char m1[512];
    snprintf(m1, sizeof m1, "%s", xai_last_error());
    X[5] = 0;
    y[3] = NAN;
    xai_status s2 = xai_wls(X, y, w, S, P, 1, 0.0, beta, &b, &r2);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    off_t printed = lseek(fd, 0, SEEK_END);
    close(fd);
    unlink(path);
    assert_int_equal(s0, XAI_ERR_NUMERIC);
    assert_non_null(strstr(m0, "larger kernel width"));
    assert_int_equal(s1, XAI_ERR_NUMERIC);
    assert_non_null(strstr(m1, "smaller sigma"));
    assert_int_equal(s2, XAI_ERR_NUMERIC);
    assert_int_equal(printed, 0);
}

/* Bitwise equality of two fits' answers. */
static void assert_same_fit(const double *beta, double b, double r2, const double *beta0,
                            double b0, double r20, size_t P)
{
    assert_memory_equal(beta, beta0, P * sizeof *beta);
    assert_memory_equal(&b, &b0, sizeof b);
    assert_memory_equal(&r2, &r20, sizeof r2);
}

/* A non-linear target on a design row, so the fit leaves a residual. */
static double target(const double *x, size_t P, double noise)
{
    double t = 0.2;
    for (size_t k = 0; k < P; k++)
        t += (double)(k % 5 + 1) * x[k] * (k % 2 ? -1 : 1);
    return tanh(t) + 0.05 * noise;
}

/* One workspace reused across fits of growing and shrinking sizes (and left
 * holding the previous fit's numbers) gives the bits of fresh ones. */
static void workspace_reuse(void **state)
{
    (void)state;
    static const size_t shape[][2] = {{300, 9}, {40, 3}, {500, 12}, {17, 1}, {200, 7}};
    size_t cap = 0;
    for (size_t c = 0; c < 5; c++)
        cap = xai_wls_work(shape[c][0], shape[c][1]) > cap
                  ? xai_wls_work(shape[c][0], shape[c][1]) : cap;
    double *work = malloc(cap * sizeof *work);
    assert_non_null(work);
    for (size_t i = 0; i < cap; i++)
        work[i] = NAN;
    xai_rng rng;
    xai_rng_init(&rng, 11, 0);
    for (int pass = 0; pass < 2; pass++)
        for (size_t c = 0; c < 5; c++) {
            size_t S = shape[c][0], P = shape[c][1];
            int intercept = (int)((c + (size_t)pass) % 2 == 0);
            double ridge = pass ? 0.75 : 0.0;
            double *X = malloc(S * P * sizeof *X), *y = malloc(S * sizeof *y);
            double *w = malloc(S * sizeof *w), beta[12], beta0[12], b, b0, r2, r20;
            assert_true(X && y && w);
            for (size_t s = 0; s < S; s++) {
                for (size_t k = 0; k < P; k++)
                    X[s * P + k] = xai_rng_normal(&rng);
                y[s] = target(X + s * P, P, xai_rng_normal(&rng));
                w[s] = exp(-2 * xai_rng_uniform(&rng));
            }
            xai_wls_design d = {.X = X};
            assert_int_equal(xai_wls_fit(&d, y, w, S, P, intercept, ridge, work, beta, &b,
                                         &r2), XAI_OK);
            assert_int_equal(xai_wls(X, y, w, S, P, intercept, ridge, beta0, &b0, &r20),
                             XAI_OK);
            assert_same_fit(beta, b, r2, beta0, b0, r20, P);
            free(X), free(y), free(w);
        }
    free(work);
}

/* Designs read from masks (LIME's z, KernelSHAP's z - z_last) and from points
 * (pts - x0) give the bits of the same X written out, and the mask fit
 * matches the long-double reference. */
static void design_sources(void **state)
{
    (void)state;
    enum { S = 400, U = 10, D = 6 };
    static uint8_t mask[S * U];
    static float pts[S * D];
    static double X[S * U], y[S], w[S], work[(S + U + 8) * (U + 2)];
    float x0[D] = {0.5f, -1.25f, 3.0f, 0.1f, -0.3f, 7.0f};
    double beta[U], beta0[U], b, b0, r2, r20, ref[U + 1];
    assert_true(xai_wls_work(S, U) <= sizeof work / sizeof *work);
    xai_rng rng;
    xai_rng_init(&rng, 5, 0);
    for (size_t s = 0; s < S; s++) {
        for (size_t u = 0; u < U; u++)
            mask[s * U + u] = xai_rng_uniform(&rng) < 0.6;
        w[s] = exp(-xai_rng_uniform(&rng));
    }
    for (int drop = 0; drop < 2; drop++) {
        size_t P = U - (size_t)drop;
        for (size_t s = 0; s < S; s++) {
            for (size_t k = 0; k < P; k++)
                X[s * P + k] = (double)mask[s * U + k] - (drop ? mask[s * U + U - 1] : 0);
            y[s] = target(X + s * P, P, xai_rng_normal(&rng));
        }
        xai_wls_design d = {.mask = mask, .drop_last = drop};
        assert_int_equal(xai_wls_fit(&d, y, w, S, P, !drop, 0.0, work, beta, &b, &r2),
                         XAI_OK);
        assert_int_equal(xai_wls(X, y, w, S, P, !drop, 0.0, beta0, &b0, &r20), XAI_OK);
        assert_same_fit(beta, b, r2, beta0, b0, r20, P);
        if (!drop) {
            reference(X, y, w, S, P, 0.0, ref);
            assert_true(fabs(b - ref[0]) < 1e-10);
            for (size_t k = 0; k < P; k++)
                assert_true(fabs(beta[k] - ref[k + 1]) < 1e-10);
        }
    }
    for (size_t s = 0; s < S; s++) {
        for (size_t k = 0; k < D; k++) {
            pts[s * D + k] = x0[k] + (float)xai_rng_normal(&rng);
            X[s * D + k] = (double)pts[s * D + k] - x0[k];
        }
        y[s] = target(X + s * D, D, xai_rng_normal(&rng));
    }
    xai_wls_design d = {.pts = pts, .x0 = x0};
    assert_int_equal(xai_wls_fit(&d, y, w, S, D, 1, 0.5, work, beta, &b, &r2), XAI_OK);
    assert_int_equal(xai_wls(X, y, w, S, D, 1, 0.5, beta0, &b0, &r20), XAI_OK);
    assert_same_fit(beta, b, r2, beta0, b0, r20, D);
    reference(X, y, w, S, D, 0.5, ref);
    for (size_t k = 0; k < D; k++)
        assert_true(fabs(beta[k] - ref[k + 1]) < 1e-10);
    /* a point too far away is named as before */
    pts[7 * D + 2] = INFINITY;
    assert_int_equal(xai_wls_fit(&d, y, w, S, D, 1, 0.5, work, beta, &b, &r2),
                     XAI_ERR_NUMERIC);
    assert_non_null(strstr(xai_last_error(), "sample 7, feature 2"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(well_conditioned),
        cmocka_unit_test(rank_deficient),
        cmocka_unit_test(ill_posed),
        cmocka_unit_test(workspace_reuse),
        cmocka_unit_test(design_sources),
    };
    return cmocka_run_group_tests_name("wls", tests, NULL, NULL);
}
