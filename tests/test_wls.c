/* tests/test_wls.c: the weighted least-squares solver (explainers/solve.c):
 * the Cholesky path against an independent Gaussian elimination in long
 * double, the SVD fallback on a rank-deficient design (analytic
 * minimum-norm answer), and ill-posed fits (all weights 0, a neighbourhood
 * too wide, non-finite outputs) refused with a message naming what to
 * change, with nothing printed on stdout. */
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(well_conditioned),
        cmocka_unit_test(rank_deficient),
        cmocka_unit_test(ill_posed),
    };
    return cmocka_run_group_tests_name("wls", tests, NULL, NULL);
}
