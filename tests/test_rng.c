/* tests/test_rng.c: reproducibility and basic statistics of random streams. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <xai/rng.h>

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
        cmocka_unit_test(bernoulli_rate),
        cmocka_unit_test(below_is_uniform),
        cmocka_unit_test(choose_distinct_and_uniform),
        cmocka_unit_test(choose_first_position_uniform),
    };
    return cmocka_run_group_tests_name("rng", tests, NULL, NULL);
}
