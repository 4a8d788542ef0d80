/* tests/test_shapley_odd.c: KernelSHAP's interaction fit
 * (explainers/shapley_odd.c) against a dense reference built here from the
 * definitions, in long double with plain loops:
 *   - the kernel sum_{|T| = 3, 5} rho_|T| chi_T(x) chi_T(x') by enumerating
 *     every parity T (not the agreement-count table of the library),
 *   - the GLS a = (X' S^-1 X)^-1 X' S^-1 d, alpha = S^-1 (d - X a) with S^-1
 *     by Gauss-Jordan elimination,
 *   - phi as the exact Shapley values of the fitted function
 *     z -> sum_i a_i x_i + sum_q alpha_q k(x_q, x), x = 2z - 1, by
 *     enumerating all 2^M coalitions (the library reads phi off the
 *     parity expansion instead).
 * Also: scratch reused across fits of different sizes gives the same bits as
 * a fresh one, and the cases the fit leaves to the linear solver. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <xai/xai.h>

#include "explainers/lfa.h"

/* The prior variances of the degree-3 and degree-5 parts (PRIOR_DEG3 and
 * PRIOR_DEG5 in shapley_odd.c), spread over the C(M, k) parities. */
#define PRIOR3 3.4e4
#define PRIOR5 1.5e3

enum { MAXM = 80 }; /* the brute-force Shapley reference: M <= 10 */

typedef struct game {
    size_t M, n;     /* units, pairs */
    uint8_t *mask;   /* 2n x M, rows 2q + 1 the complements of rows 2q */
    double *w, *y;   /* 2n */
    double fx, fb;
} game;

static long double binom(size_t m, size_t k)
{
    long double c = 1;
    for (size_t i = 0; i < k; i++)
        c = c * (long double)(m - i) / (long double)(i + 1);
    return c;
}

static long double rho(size_t M, size_t k)
{
    if (M < k)
        return 0;
    return (k == 3 ? PRIOR3 : PRIOR5) / binom(M, k);
}

/* The points' +-1 coordinates: pair q's first member for q < n, then x = 1
 * (every unit kept), row-major (n + 1) x M. */
static long double *points(const game *g)
{
    size_t M = g->M, N = g->n + 1;
    long double *X = malloc(N * M * sizeof *X);
    assert_non_null(X);
    for (size_t q = 0; q < N; q++)
        for (size_t u = 0; u < M; u++)
            X[q * M + u] = q < g->n && !g->mask[2 * q * M + u] ? -1 : 1;
    return X;
}

/* sum_{|T| = 3, 5} rho_|T| chi_T(x) chi_T(y) by enumerating every parity T
 * (M <= 10). */
static long double kernel_enum(size_t M, const long double *x, const long double *y)
{
    long double k = 0;
    for (unsigned T = 0; T < 1u << M; T++) {
        int deg = __builtin_popcount(T);
        if (deg != 3 && deg != 5)
            continue;
        long double chi = 1;
        for (size_t u = 0; u < M; u++)
            if (T >> u & 1)
                chi *= x[u] * y[u];
        k += rho(M, (size_t)deg) * chi;
    }
    return k;
}

/* e_0..e_5 of v[0..m), leaving out index `skip` (m for none): the
 * coefficients of prod_i (1 + v_i t). */
static void elementary(const long double *v, size_t m, size_t skip, long double e[6])
{
    memset(e, 0, 6 * sizeof *e);
    e[0] = 1;
    for (size_t i = 0; i < m; i++)
        if (i != skip)
            for (int k = 5; k >= 1; k--)
                e[k] += v[i] * e[k - 1];
}

/* The same kernel as e_3 and e_5 of the products x_i y_i (any M). */
static long double kernel_esym(size_t M, const long double *x, const long double *y)
{
    long double p[MAXM] = {0}, e[6];
    for (size_t u = 0; u < M; u++)
        p[u] = x[u] * y[u];
    elementary(p, M, M, e);
    return rho(M, 3) * e[3] + rho(M, 5) * e[5];
}

typedef long double (*kernel_fn)(size_t M, const long double *x, const long double *y);

/* Inverts the n x n matrix A (row-major, overwritten) into B. */
static void invert(long double *A, long double *B, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            B[i * n + j] = i == j;
    for (size_t c = 0; c < n; c++) {
        size_t piv = c;
        for (size_t r = c + 1; r < n; r++)
            if (fabsl(A[r * n + c]) > fabsl(A[piv * n + c]))
                piv = r;
        for (size_t j = 0; j < n; j++) {
            long double t = A[c * n + j];
            A[c * n + j] = A[piv * n + j], A[piv * n + j] = t;
            t = B[c * n + j];
            B[c * n + j] = B[piv * n + j], B[piv * n + j] = t;
        }
        long double d = A[c * n + c];
        for (size_t j = 0; j < n; j++)
            A[c * n + j] /= d, B[c * n + j] /= d;
        for (size_t r = 0; r < n; r++)
            if (r != c) {
                long double f = A[r * n + c];
                for (size_t j = 0; j < n; j++)
                    A[r * n + j] -= f * A[c * n + j], B[r * n + j] -= f * B[c * n + j];
            }
    }
}

/* The GLS on the points X: a (M) = (X' S^-1 X)^-1 X' S^-1 d and alpha
 * (n + 1) = S^-1 (d - X a), S = kernel + per-pair noise sum(w) / w_q. */
static void gls(const game *g, const long double *X, kernel_fn kern, long double *a,
                long double *alpha)
{
    size_t M = g->M, n = g->n, N = n + 1;
    long double *S = malloc(N * N * sizeof *S), *Si = malloc(N * N * sizeof *Si);
    long double *G = malloc(M * M * sizeof *G), *Gi = malloc(M * M * sizeof *Gi);
    long double *d = malloc(N * sizeof *d), *r = malloc(M * sizeof *r);
    assert_true(S && Si && G && Gi && d && r);
    long double wsum = 0;
    for (size_t s = 0; s < 2 * n; s++)
        wsum += g->w[s];
    for (size_t q = 0; q < N; q++)
        d[q] = q < n ? ((long double)g->y[2 * q] - g->y[2 * q + 1]) / 2
                     : ((long double)g->fx - g->fb) / 2;
    for (size_t q = 0; q < N; q++)
        for (size_t t = 0; t < N; t++)
            S[q * N + t] = kern(M, X + q * M, X + t * M) +
                           (q == t && q < n ? wsum / g->w[2 * q] : 0);
    invert(S, Si, N);
    for (size_t u = 0; u < M; u++) {
        r[u] = 0;
        for (size_t v = 0; v < M; v++)
            G[u * M + v] = 0;
        for (size_t q = 0; q < N; q++)
            for (size_t t = 0; t < N; t++) {
                long double xs = X[q * M + u] * Si[q * N + t];
                for (size_t v = 0; v < M; v++)
                    G[u * M + v] += xs * X[t * M + v];
                r[u] += xs * d[t];
            }
    }
    invert(G, Gi, M);
    for (size_t u = 0; u < M; u++) {
        a[u] = 0;
        for (size_t v = 0; v < M; v++)
            a[u] += Gi[u * M + v] * r[v];
    }
    for (size_t q = 0; q < N; q++) {
        alpha[q] = 0;
        for (size_t t = 0; t < N; t++) {
            long double res = d[t];
            for (size_t u = 0; u < M; u++)
                res -= X[t * M + u] * a[u];
            alpha[q] += Si[q * N + t] * res;
        }
    }
    free(S), free(Si), free(G), free(Gi), free(d), free(r);
}

/* Reference phi (M) by brute force (M <= 10): the exact Shapley values of
 * the fitted function z -> sum_i a_i x_i + sum_q alpha_q k(x_q, x),
 * x = 2z - 1, by the Shapley formula over all 2^M coalitions. */
static void reference_enum(const game *g, double *phi)
{
    size_t M = g->M, N = g->n + 1;
    long double *X = points(g), a[MAXM], *alpha = malloc(N * sizeof *alpha);
    long double *v = malloc(((size_t)1 << M) * sizeof *v);
    assert_true(alpha && v);
    gls(g, X, kernel_enum, a, alpha);
    for (unsigned z = 0; z < 1u << M; z++) {
        long double x[MAXM];
        v[z] = 0;
        for (size_t u = 0; u < M; u++) {
            x[u] = z >> u & 1 ? 1 : -1;
            v[z] += a[u] * x[u];
        }
        for (size_t q = 0; q < N; q++)
            v[z] += alpha[q] * kernel_enum(M, X + q * M, x);
    }
    for (size_t i = 0; i < M; i++) {
        long double acc = 0;
        for (unsigned z = 0; z < 1u << M; z++) {
            if (z >> i & 1)
                continue;
            size_t s = (size_t)__builtin_popcount(z);
            /* s! (M - s - 1)! / M! */
            acc += (v[z | 1u << i] - v[z]) / ((long double)M * binom(M - 1, s));
        }
        phi[i] = (double)acc;
    }
    free(X), free(alpha), free(v);
}

/* Reference phi for any M: the Shapley value of a parity chi_T of odd
 * degree is 2 / |T| to each member (checked by reference_enum's cases), so
 * phi_i = 2 a_i + sum_q alpha_q sum_k rho_k (2 / k) sum_{T ni i, |T| = k}
 * chi_T(x_q), and that inner sum is x_qi e_{k-1}(x_q without i). */
static void reference_expansion(const game *g, double *phi)
{
    size_t M = g->M, N = g->n + 1;
    long double *X = points(g), a[MAXM], *alpha = malloc(N * sizeof *alpha);
    assert_non_null(alpha);
    gls(g, X, kernel_esym, a, alpha);
    for (size_t i = 0; i < M; i++) {
        long double acc = 2 * a[i];
        for (size_t q = 0; q < N; q++) {
            long double e[6];
            elementary(X + q * M, M, i, e);
            acc += alpha[q] * X[q * M + i] *
                   (rho(M, 3) * 2 / 3 * e[2] + rho(M, 5) * 2 / 5 * e[4]);
        }
        phi[i] = (double)acc;
    }
    free(X), free(alpha);
}

/* A game on M units with n random pairs, non-linear outputs and unequal
 * pair weights. */
static void make_game(game *g, size_t M, size_t n, uint64_t seed)
{
    g->M = M, g->n = n;
    g->mask = malloc(2 * n * M);
    g->w = malloc(2 * n * sizeof *g->w);
    g->y = malloc(2 * n * sizeof *g->y);
    assert_non_null(g->mask);
    assert_non_null(g->w);
    assert_non_null(g->y);
    xai_rng rng;
    xai_rng_init(&rng, seed, 0);
    for (size_t q = 0; q < n; q++) {
        uint8_t *z = g->mask + 2 * q * M;
        size_t on = 0;
        do {
            on = 0;
            for (size_t u = 0; u < M; u++)
                on += z[u] = xai_rng_uniform(&rng) < 0.4;
        } while (on == 0 || on == M);
        for (size_t u = 0; u < M; u++)
            z[M + u] = !z[u];
        double w = 0.2 + xai_rng_uniform(&rng);
        g->w[2 * q] = g->w[2 * q + 1] = w;
        for (int h = 0; h < 2; h++) {
            const uint8_t *zz = z + (size_t)h * M;
            double t = 0, p = 1;
            for (size_t u = 0; u < M; u++) {
                t += (double)(u + 1) * 0.3 * zz[u];
                p *= zz[u] ? 1.5 : 0.8;
            }
            g->y[2 * q + (size_t)h] = sin(t) + 0.2 * p + 0.05 * xai_rng_normal(&rng);
        }
    }
    g->fx = 1.7, g->fb = 0.2;
}

static void free_game(game *g)
{
    free(g->mask), free(g->w), free(g->y);
}

static int fit(const game *g, xai_scratch *scr, int paired, double ridge, double *pu)
{
    xai_plan p;
    memset(&p, 0, sizeof p);
    p.U = g->M;
    p.opt.ridge = ridge;
    xai_job j;
    memset(&j, 0, sizeof j);
    j.plan = &p;
    j.S = 2 * g->n;
    j.mask = g->mask;
    j.w = g->w;
    j.y = g->y;
    j.fx = g->fx, j.fb = g->fb;
    j.paired = paired;
    j.scratch = scr;
    int used = -1;
    assert_int_equal(xai_shapley_odd_fit(&j, pu, &used), XAI_OK);
    return used;
}

static void compare(const game *g, const double *phi, const double *ref)
{
    double num = 0, den = 0, sum = 0, mag = 0;
    for (size_t u = 0; u < g->M; u++) {
        num += (phi[u] - ref[u]) * (phi[u] - ref[u]);
        den += ref[u] * ref[u];
        sum += phi[u];
        mag += fabs(phi[u]);
    }
    print_message("M = %zu, %zu pairs: |phi - ref| / |ref| = %.2g\n", g->M, g->n,
                  sqrt(num / den));
    if (!(sqrt(num / den) < 1e-10))
        fail_msg("M = %zu, %zu pairs: relative error %.3g", g->M, g->n, sqrt(num / den));
    /* efficiency: the constraint is exact (to the rounding of the sum) */
    if (!(fabs(sum - (g->fx - g->fb)) < 1e-12 * mag))
        fail_msg("M = %zu: sum of phi %.17g, f(x) - f(b) %.17g (sum |phi| %g)", g->M, sum,
                 g->fx - g->fb, mag);
}

/* Small M: phi against the brute-force Shapley values of the reference fit. */
static void matches_reference(void **state)
{
    (void)state;
    /* M = 3, 4: no degree-5 parities; M = 5: one */
    static const size_t cases[][2] = {{3, 3}, {4, 6}, {5, 8}, {6, 10}, {7, 30}, {10, 50}};
    for (size_t c = 0; c < 6; c++) {
        game g;
        make_game(&g, cases[c][0], cases[c][1], 11 + c);
        double phi[MAXM], ref[MAXM], ref2[MAXM];
        assert_int_equal(fit(&g, NULL, 1, 0, phi), 1);
        reference_enum(&g, ref);
        compare(&g, phi, ref);
        /* the expansion reference agrees with the brute force one */
        reference_expansion(&g, ref2);
        for (size_t u = 0; u < g.M; u++)
            assert_true(fabs(ref2[u] - ref[u]) < 1e-12 * (1 + fabs(ref[u])));
        free_game(&g);
    }
}

/* M at and beyond one 64-bit word of units (the library's bit sets), against
 * the expansion reference. */
static void many_units(void **state)
{
    (void)state;
    static const size_t cases[][2] = {{64, 80}, {65, 80}, {70, 100}};
    for (size_t c = 0; c < 3; c++) {
        game g;
        make_game(&g, cases[c][0], cases[c][1], 31 + c);
        double phi[MAXM], ref[MAXM];
        assert_int_equal(fit(&g, NULL, 1, 0, phi), 1);
        reference_expansion(&g, ref);
        compare(&g, phi, ref);
        free_game(&g);
    }
}

/* One scratch through fits of growing and shrinking size: bit-identical to
 * fits with their own buffers. */
static void scratch_reuse(void **state)
{
    (void)state;
    static const size_t cases[][2] = {{10, 50}, {6, 10}, {8, 40}, {10, 50}};
    xai_scratch scr = {0};
    for (size_t c = 0; c < 4; c++) {
        game g;
        make_game(&g, cases[c][0], cases[c][1], 21 + c);
        double a[MAXM], b[MAXM];
        assert_int_equal(fit(&g, &scr, 1, 0, a), 1);
        assert_int_equal(fit(&g, NULL, 1, 0, b), 1);
        assert_memory_equal(a, b, g.M * sizeof *a);
        /* leave the scratch dirty for the next, smaller fit */
        memset(scr.p, 0x5a, scr.cap);
        free_game(&g);
    }
    xai_scratch_free(&scr);
}

/* Rows with the same coalitions and weights share the factors the scratch
 * keeps: a fit with new outputs on them gives the bits of a fresh fit (and
 * the reference's answer); new weights or coalitions are not mistaken for
 * the kept ones. */
static void factors_kept(void **state)
{
    (void)state;
    game g;
    make_game(&g, 8, 40, 41);
    xai_scratch scr = {0};
    double a[MAXM], b[MAXM], ref[MAXM];
    assert_int_equal(fit(&g, &scr, 1, 0, a), 1);
    for (size_t s = 0; s < 2 * g.n; s++)
        g.y[s] = cos(3.0 * g.y[s] + (double)s);
    g.fx = -0.4, g.fb = 0.3;
    assert_int_equal(fit(&g, &scr, 1, 0, a), 1);
    assert_int_equal(fit(&g, NULL, 1, 0, b), 1);
    assert_memory_equal(a, b, g.M * sizeof *a);
    reference_enum(&g, ref);
    compare(&g, a, ref);
    /* one pair's weight */
    g.w[10] = g.w[11] = 1.5 * g.w[10];
    assert_int_equal(fit(&g, &scr, 1, 0, a), 1);
    assert_int_equal(fit(&g, NULL, 1, 0, b), 1);
    assert_memory_equal(a, b, g.M * sizeof *a);
    reference_enum(&g, ref);
    compare(&g, a, ref);
    /* one pair's members swapped: the point is -x, its d changes sign */
    for (size_t u = 0; u < g.M; u++) {
        uint8_t t = g.mask[14 * g.M + u];
        g.mask[14 * g.M + u] = g.mask[15 * g.M + u];
        g.mask[15 * g.M + u] = t;
    }
    assert_int_equal(fit(&g, &scr, 1, 0, a), 1);
    assert_int_equal(fit(&g, NULL, 1, 0, b), 1);
    assert_memory_equal(a, b, g.M * sizeof *a);
    reference_enum(&g, ref);
    compare(&g, a, ref);
    xai_scratch_free(&scr);
    free_game(&g);
}

/* Cases left to the linear fit: *used stays 0, pu untouched. */
static void declined(void **state)
{
    (void)state;
    game g;
    make_game(&g, 8, 20, 5);
    double pu[MAXM];
    assert_int_equal(fit(&g, NULL, 0, 0, pu), 0);    /* not paired */
    assert_int_equal(fit(&g, NULL, 1, 1e-12, pu), 0); /* ridge asked for */
    g.w[6] = 0;
    assert_int_equal(fit(&g, NULL, 1, 0, pu), 0);    /* a weight 0 */
    g.w[6] = 1;
    g.y[3] = NAN;
    assert_int_equal(fit(&g, NULL, 1, 0, pu), 0);    /* a non-finite output */
    free_game(&g);
    /* more units than points: the degree-1 terms are not determined (this
     * game's X' S^-1 X factors in double, to a meaningless answer) */
    make_game(&g, 10, 7, 0);
    assert_int_equal(fit(&g, NULL, 1, 0, pu), 0);
    free_game(&g);
    /* as many points as units but only 5 distinct pairs: rank 6 < 8 */
    make_game(&g, 8, 12, 7);
    for (size_t q = 5; q < 12; q++) {
        memcpy(g.mask + 2 * q * 8, g.mask + 2 * (q % 5) * 8, 16);
        g.y[2 * q] += 0.01 * (double)q; /* noisy repeats */
    }
    assert_int_equal(fit(&g, NULL, 1, 0, pu), 0);
    free_game(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(matches_reference),
        cmocka_unit_test(many_units),
        cmocka_unit_test(scratch_reuse),
        cmocka_unit_test(factors_kept),
        cmocka_unit_test(declined),
    };
    return cmocka_run_group_tests_name("shapley_odd", tests, NULL, NULL);
}
