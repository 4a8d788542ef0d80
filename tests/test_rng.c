/* tests/test_rng.c: reproducibility and basic statistics of random streams. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <xai/rng.h>

#include "core/rng_step.h"

static void same_stream_same_values(void **state)
{
    (void)state;
    xai_rng a, b;
    xai_rng_init(&a, 42, 7);
    xai_rng_init(&b, 42, 7);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(xai_rng_u64(&a), xai_rng_u64(&b));
}

static void streams_differ(void **state)
{
    (void)state;
    /* neighbouring streams and seeds must not share their first values */
    uint64_t first[8];
    for (int s = 0; s < 4; s++) {
        xai_rng r;
        xai_rng_init(&r, 1, (uint64_t)s);
        first[s] = xai_rng_u64(&r);
        xai_rng_init(&r, (uint64_t)s + 2, 0);
        first[4 + s] = xai_rng_u64(&r);
    }
    for (int i = 0; i < 8; i++)
        for (int j = i + 1; j < 8; j++)
            assert_true(first[i] != first[j]);
}

static void uniform_chi_square(void **state)
{
    (void)state;
    enum { BINS = 20, N = 200000 };
    long count[BINS] = {0};
    xai_rng r;
    xai_rng_init(&r, 123, 0);
    double mean = 0;
    for (int i = 0; i < N; i++) {
        double u = xai_rng_uniform(&r);
        assert_true(u >= 0.0 && u < 1.0);
        mean += u;
        count[(int)(u * BINS)]++;
    }
    mean /= N;
    double chi = 0, e = (double)N / BINS;
    for (int b = 0; b < BINS; b++)
        chi += (count[b] - e) * (count[b] - e) / e;
    /* 19 degrees of freedom: P(chi2 > 43.8) = 0.001 */
    assert_true(chi < 43.8);
    assert_true(fabs(mean - 0.5) < 4 * sqrt(1.0 / 12 / N));
}

static void normal_moments(void **state)
{
    (void)state;
    enum { N = 200000 };
    xai_rng r;
    xai_rng_init(&r, 9, 3);
    double s1 = 0, s2 = 0, s4 = 0;
    for (int i = 0; i < N; i++) {
        double z = xai_rng_normal(&r);
        s1 += z;
        s2 += z * z;
        s4 += z * z * z * z;
    }
    double mean = s1 / N, var = s2 / N - mean * mean, kurt = s4 / N;
    assert_true(fabs(mean) < 4 / sqrt((double)N));
    assert_true(fabs(var - 1.0) < 4 * sqrt(2.0 / N));
    assert_true(fabs(kurt - 3.0) < 4 * sqrt(96.0 / N));
}

/* xai_rng_normals against Box-Muller computed with libm from a copy of the
 * same stream (an independent reference for the polynomial log and sin/cos). */
static void normals_match_libm_box_muller(void **state)
{
    (void)state;
    enum { N = 20001 }; /* odd: the last pair's sine is dropped */
    static double z[N + 1];
    xai_rng r, ref;
    xai_rng_init(&r, 5, 11);
    ref = r;
    z[N] = 12345;
    xai_rng_normals(&r, N, z);
    assert_true(z[N] == 12345);
    const double two_pi = 6.283185307179586;
    for (size_t i = 0; i < N; i += 2) {
        double u = (double)((xai_rng_u64(&ref) >> 11) + 1) * 0x1.0p-53;
        double v = (double)(xai_rng_u64(&ref) >> 11) * 0x1.0p-53;
        double rad = sqrt(-2 * log(u));
        assert_true(fabs(z[i] - rad * cos(two_pi * v)) < 1e-12);
        if (i + 1 < N)
            assert_true(fabs(z[i + 1] - rad * sin(two_pi * v)) < 1e-12);
    }
    /* the stream advanced by exactly one pair per pair of outputs */
    assert_true(xai_rng_u64(&r) == xai_rng_u64(&ref));
}

/* Distribution: moments and the Kolmogorov-Smirnov distance to Phi. */
static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void normals_distribution(void **state)
{
    (void)state;
    enum { N = 200000 };
    static double z[N];
    xai_rng r;
    xai_rng_init(&r, 9, 4);
    /* in uneven pieces: the values do not depend on how the draws are split */
    xai_rng_normals(&r, 10, z);
    xai_rng_normals(&r, 1000, z + 10);
    xai_rng_normals(&r, N - 1010, z + 1010);
    double s1 = 0, s2 = 0, s4 = 0;
    for (int i = 0; i < N; i++) {
        s1 += z[i];
        s2 += z[i] * z[i];
        s4 += z[i] * z[i] * z[i] * z[i];
    }
    double mean = s1 / N, var = s2 / N - mean * mean, kurt = s4 / N;
    assert_true(fabs(mean) < 4 / sqrt((double)N));
    assert_true(fabs(var - 1.0) < 4 * sqrt(2.0 / N));
    assert_true(fabs(kurt - 3.0) < 4 * sqrt(96.0 / N));
    qsort(z, N, sizeof *z, cmp_double);
    double ks = 0;
    for (int i = 0; i < N; i++) {
        double F = 0.5 * erfc(-z[i] / sqrt(2.0));
        double d1 = fabs(F - (double)i / N), d2 = fabs(F - (double)(i + 1) / N);
        ks = d1 > ks ? d1 : ks;
        ks = d2 > ks ? d2 : ks;
    }
    assert_true(ks < 1.95 / sqrt((double)N)); /* p = 0.001 */
}

static void bernoulli_rate(void **state)
{
    (void)state;
    enum { N = 100000 };
    xai_rng r;
    xai_rng_init(&r, 5, 5);
    int ones = 0;
    for (int i = 0; i < N; i++)
        ones += xai_rng_bernoulli(&r, 0.3);
    assert_true(fabs(ones / (double)N - 0.3) < 4 * sqrt(0.21 / N));
}

static void below_is_uniform(void **state)
{
    (void)state;
    enum { N = 70000 };
    long c[7] = {0};
    xai_rng r;
    xai_rng_init(&r, 77, 1);
    for (int i = 0; i < N; i++)
        c[xai_rng_below(&r, 7)]++;
    double chi = 0, e = N / 7.0;
    for (int b = 0; b < 7; b++)
        chi += (c[b] - e) * (c[b] - e) / e;
    assert_true(chi < 22.5); /* 6 dof, p = 0.001 */
}

/* The division-free draws (core/rng_step.h) against the % operator and
 * xai_rng_below: the same remainders for edge and random (v, n), and the
 * same draws from the same stream, rejections included. */
static void below_prepared_matches_division(void **state)
{
    (void)state;
    const uint64_t ns[] = {1, 2, 3, 7, 23, 1000, 65537, 4294967291u, 4294967296u,
                           4294967297u, (1ull << 63) - 1, 1ull << 63, (1ull << 63) + 1,
                           UINT64_MAX - 1, UINT64_MAX};
    uint64_t st[4] = {1, 2, 3, 4};
    for (size_t i = 0; i < sizeof ns / sizeof *ns; i++) {
        rng_below_n b;
        rng_below_prepare(&b, ns[i]);
        const uint64_t vs[] = {0, 1, ns[i] - 1, ns[i], ns[i] + 1, b.limit - 1, b.limit,
                               UINT64_MAX - 1, UINT64_MAX};
        for (size_t k = 0; k < sizeof vs / sizeof *vs; k++)
            assert_true(rng_mod_prepared(vs[k], &b) == vs[k] % ns[i]);
        for (int k = 0; k < 20000; k++) {
            uint64_t v = rng_step(st);
            assert_true(rng_mod_prepared(v, &b) == v % ns[i]);
        }
    }
    for (int k = 0; k < 200000; k++) {
        uint64_t n = rng_step(st) >> (rng_step(st) % 64), v = rng_step(st);
        rng_below_n b;
        rng_below_prepare(&b, n ? n : 1);
        assert_true(rng_mod_prepared(v, &b) == v % (n ? n : 1));
    }
    /* n = 2^63 + 1 rejects almost half of all values */
    const uint64_t drawn[] = {5, 23, (1ull << 63) + 1, UINT64_MAX - 1};
    for (size_t i = 0; i < sizeof drawn / sizeof *drawn; i++) {
        xai_rng a, c;
        xai_rng_init(&a, 9, i);
        xai_rng_init(&c, 9, i);
        rng_below_n b;
        rng_below_prepare(&b, drawn[i]);
        for (int k = 0; k < 5000; k++)
            assert_true(rng_below_prepared(c.s, &b) == xai_rng_below(&a, drawn[i]));
    }
}

static void choose_distinct_and_uniform(void **state)
{
    (void)state;
    enum { N = 10, K = 3, T = 30000 };
    long hits[N] = {0};
    xai_rng r;
    xai_rng_init(&r, 2024, 0);
    uint32_t out[K];
    for (int t = 0; t < T; t++) {
        assert_int_equal(xai_rng_choose(&r, N, K, out), XAI_OK);
        for (int i = 0; i < K; i++) {
            assert_true(out[i] < N);
            for (int j = 0; j < i; j++)
                assert_true(out[i] != out[j]);
            hits[out[i]]++;
        }
    }
    /* every item is chosen with probability K/N */
    double chi = 0, e = (double)T * K / N;
    for (int b = 0; b < N; b++)
        chi += (hits[b] - e) * (hits[b] - e) / e;
    assert_true(chi < 27.9); /* 9 dof, p = 0.001 */
    assert_int_equal(xai_rng_choose(&r, 3, 4, out), XAI_ERR_INVALID);
    /* k == n gives a permutation */
    uint32_t all[5];
    assert_int_equal(xai_rng_choose(&r, 5, 5, all), XAI_OK);
    int seen[5] = {0};
    for (int i = 0; i < 5; i++)
        seen[all[i]]++;
    for (int i = 0; i < 5; i++)
        assert_int_equal(seen[i], 1);
}

static void choose_first_position_uniform(void **state)
{
    /* the order of the chosen items is random too */
    (void)state;
    enum { T = 40000 };
    long first[4] = {0};
    xai_rng r;
    xai_rng_init(&r, 8, 8);
    uint32_t out[4];
    for (int t = 0; t < T; t++) {
        xai_rng_choose(&r, 4, 4, out);
        first[out[0]]++;
    }
    double chi = 0, e = T / 4.0;
    for (int b = 0; b < 4; b++)
        chi += (first[b] - e) * (first[b] - e) / e;
    assert_true(chi < 16.3); /* 3 dof, p = 0.001 */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_stream_same_values),
        cmocka_unit_test(streams_differ),
        cmocka_unit_test(uniform_chi_square),
        cmocka_unit_test(normal_moments),
        cmocka_unit_test(normals_match_libm_box_muller),
        cmocka_unit_test(normals_distribution),
        cmocka_unit_test(bernoulli_rate),
        cmocka_unit_test(below_is_uniform),
        cmocka_unit_test(below_prepared_matches_division),
        cmocka_unit_test(choose_distinct_and_uniform),
        cmocka_unit_test(choose_first_position_uniform),
    };
    return cmocka_run_group_tests_name("rng", tests, NULL, NULL);
}
