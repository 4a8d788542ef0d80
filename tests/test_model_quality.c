/* tests/test_model_quality.c: AUC, its interval, Brier score, calibration
 * bins, confusion matrix and expected cost (audit/quality.c) against
 * independent computations written here: a brute-force pairwise count for
 * the AUC (ties 1/2), a bootstrap of that count for the interval, and
 * direct sums for the rest. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <xai/xai.h>

/* A small LCG so the test's data do not depend on xai's RNG. */
static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 33;
}
static double unif(uint64_t *s) { return (double)lcg(s) / 2147483648.0; }

/* n rows; label 1 with probability 0.7; score = a noisy increasing function
 * of the label, rounded to 0.05 so that ties occur (within and across
 * classes). */
static void make_data(size_t n, uint64_t seed, double *p, float *y)
{
    uint64_t s = seed;
    for (size_t k = 0; k < n; k++) {
        y[k] = unif(&s) < 0.7 ? 1.0f : 0.0f;
        double z = 0.45 + 0.18 * y[k] + 0.25 * (unif(&s) - 0.5) + 0.2 * (unif(&s) - 0.5);
        z = round(z * 20) / 20;
        p[k] = z < 0 ? 0 : z > 1 ? 1 : z;
    }
}

/* AUC by counting every (positive, negative) pair; ties count 1/2. */
static double brute_auc(const double *p, const float *y, const size_t *idx, size_t n)
{
    double wins = 0, pairs = 0;
    for (size_t a = 0; a < n; a++)
        for (size_t b = 0; b < n; b++) {
            size_t i = idx ? idx[a] : a, j = idx ? idx[b] : b;
            if (y[i] != 1.0f || y[j] != 0.0f)
                continue;
            pairs++;
            wins += p[i] > p[j] ? 1 : p[i] == p[j] ? 0.5 : 0;
        }
    return pairs ? wins / pairs : NAN;
}

static void auc_matches_pair_count(void **state)
{
    (void)state;
    enum { N = 300 };
    double p[N];
    float y[N];
    for (uint64_t seed = 1; seed <= 5; seed++) {
        make_data(N, seed, p, y);
        xai_model_quality q;
        assert_int_equal(xai_quality_from_scores(p, y, N, 0, 0, &q), XAI_OK);
        assert_float_equal(q.auc, brute_auc(p, y, NULL, N), 1e-12);
    }
    /* hand-made: positives {0.9, 0.5}, negatives {0.5, 0.1}: pairs
     * (0.9,0.5)=1 (0.9,0.1)=1 (0.5,0.5)=1/2 (0.5,0.1)=1 -> 3.5/4 */
    double hp[4] = {0.9, 0.5, 0.5, 0.1};
    float hy[4] = {1, 1, 0, 0};
    xai_model_quality q;
    assert_int_equal(xai_quality_from_scores(hp, hy, 4, 0, 0, &q), XAI_OK);
    assert_float_equal(q.auc, 3.5 / 4, 1e-15);
    /* one class only: no AUC, the rest is still defined */
    float one[4] = {1, 1, 1, 1};
    assert_int_equal(xai_quality_from_scores(hp, one, 4, 0, 0, &q), XAI_OK);
    assert_true(isnan(q.auc) && isnan(q.auc_lo));
    assert_float_equal(q.accuracy, 0.75, 1e-15); /* 0.9, 0.5, 0.5 are >= 0.5 */
}

/* DeLong's standard error against the spread of the brute-force AUC over
 * bootstrap resamples of the rows (2000 resamples, seeded here). */
static void interval_matches_bootstrap(void **state)
{
    (void)state;
    enum { N = 200, B = 2000 };
    double p[N];
    float y[N];
    make_data(N, 11, p, y);
    xai_model_quality q;
    assert_int_equal(xai_quality_from_scores(p, y, N, 0, 0, &q), XAI_OK);
    static double boot[B];
    size_t idx[N];
    uint64_t s = 99;
    double mean = 0, ss = 0;
    for (int b = 0; b < B; b++) {
        for (size_t k = 0; k < N; k++)
            idx[k] = lcg(&s) % N;
        boot[b] = brute_auc(p, y, idx, N);
        mean += boot[b] / B;
    }
    for (int b = 0; b < B; b++)
        ss += (boot[b] - mean) * (boot[b] - mean);
    double se_boot = sqrt(ss / (B - 1));
    /* the bootstrap's own error on its s.e. is about 1.6% (B = 2000) */
    assert_true(fabs(q.auc_se / se_boot - 1) < 0.10);
    assert_float_equal(q.auc_lo, q.auc - 1.959963984540054 * q.auc_se, 1e-12);
    assert_float_equal(q.auc_hi, q.auc + 1.959963984540054 * q.auc_se, 1e-12);
    assert_true(q.auc_lo > 0.5 && q.auc_hi < 1);
    printf("AUC %.4f, DeLong s.e. %.4f, bootstrap s.e. %.4f\n", q.auc, q.auc_se, se_boot);
}

static int cmp_pair(const void *a, const void *b)
{
    const double *x = a, *y = b;
    return x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : (x[1] > y[1]) - (x[1] < y[1]);
}

/* Brier score, confusion matrix and calibration deciles by direct sums. */
static void brier_confusion_calibration(void **state)
{
    (void)state;
    enum { N = 57 }; /* bins of 5 and 6 rows */
    double p[N], pairs[N][2];
    float y[N];
    make_data(N, 3, p, y);
    for (size_t k = 0; k < N; k++)
        p[k] = fmin(1, p[k] + 0.001 * (double)k); /* distinct scores */
    xai_model_quality q;
    assert_int_equal(xai_quality_from_scores(p, y, N, 0, 0, &q), XAI_OK);
    double brier = 0;
    size_t tp = 0, fp = 0, tn = 0, fn = 0, pos = 0;
    for (size_t k = 0; k < N; k++) {
        brier += (p[k] - y[k]) * (p[k] - y[k]) / N;
        tp += p[k] >= 0.5 && y[k] == 1;
        fp += p[k] >= 0.5 && y[k] == 0;
        tn += p[k] < 0.5 && y[k] == 0;
        fn += p[k] < 0.5 && y[k] == 1;
        pos += y[k] == 1;
        pairs[k][0] = p[k];
        pairs[k][1] = y[k];
    }
    assert_float_equal(q.brier, brier, 1e-12);
    assert_int_equal(q.tp, tp);
    assert_int_equal(q.fp, fp);
    assert_int_equal(q.tn, tn);
    assert_int_equal(q.fn, fn);
    assert_int_equal(q.positives, pos);
    assert_float_equal(q.accuracy, (double)(tp + tn) / N, 1e-12);
    assert_float_equal(q.majority_rate, (double)(pos > N - pos ? pos : N - pos) / N, 1e-12);
    /* deciles: sorted by p, bin b holds sorted rows floor(bN/10) .. */
    qsort(pairs, N, sizeof pairs[0], cmp_pair);
    assert_int_equal(q.n_bins, 10);
    double ece = 0;
    for (size_t b = 0; b < 10; b++) {
        size_t lo = b * N / 10, hi = (b + 1) * N / 10;
        double sp = 0, sy = 0;
        for (size_t k = lo; k < hi; k++)
            sp += pairs[k][0], sy += pairs[k][1];
        assert_int_equal(q.bins[b].count, hi - lo);
        assert_float_equal(q.bins[b].p_min, pairs[lo][0], 0);
        assert_float_equal(q.bins[b].p_max, pairs[hi - 1][0], 0);
        assert_float_equal(q.bins[b].mean_predicted, sp / (double)(hi - lo), 1e-12);
        assert_float_equal(q.bins[b].observed, sy / (double)(hi - lo), 1e-12);
        ece += fabs(sp - sy) / N;
    }
    assert_float_equal(q.calibration_error, ece, 1e-12);
    /* hand-made bins: 4 rows give 4 bins of one row */
    double hp[4] = {0.8, 0.2, 0.6, 0.4};
    float hy[4] = {1, 0, 0, 1};
    assert_int_equal(xai_quality_from_scores(hp, hy, 4, 0, 0, &q), XAI_OK);
    assert_int_equal(q.n_bins, 4);
    assert_float_equal(q.bins[0].mean_predicted, 0.2, 0);
    assert_float_equal(q.bins[1].observed, 1, 0); /* p 0.4 was a 1 */
    assert_float_equal(q.bins[2].observed, 0, 0); /* p 0.6 was a 0 */
    assert_float_equal(q.brier, (0.04 + 0.04 + 0.36 + 0.36) / 4, 1e-15);
}

/* Expected cost with the German credit matrix (5 for a bad applicant
 * accepted, 1 for a good one refused), at 0.5 and at 5/6. */
static void expected_cost(void **state)
{
    (void)state;
    enum { N = 400 };
    double p[N];
    float y[N];
    make_data(N, 7, p, y);
    xai_model_quality q;
    assert_int_equal(xai_quality_from_scores(p, y, N, 5, 1, &q), XAI_OK);
    assert_true(q.has_cost);
    double c05 = 0, c56 = 0;
    size_t pos = 0;
    for (size_t k = 0; k < N; k++) {
        int good = y[k] == 1;
        pos += good;
        if (p[k] >= 0.5)
            c05 += good ? 0 : 5;
        else
            c05 += good ? 1 : 0;
        if (p[k] >= 5.0 / 6)
            c56 += good ? 0 : 5;
        else
            c56 += good ? 1 : 0;
    }
    assert_float_equal(q.expected_cost, c05 / N, 1e-12);
    assert_float_equal(q.bayes_threshold, 5.0 / 6, 1e-15);
    assert_float_equal(q.expected_cost_bayes, c56 / N, 1e-12);
    assert_float_equal(q.cost_all_positive, 5.0 * (double)(N - pos) / N, 1e-12);
    assert_float_equal(q.cost_all_negative, 1.0 * (double)pos / N, 1e-12);
    assert_int_equal(xai_quality_from_scores(p, y, N, 0, 0, &q), XAI_OK);
    assert_false(q.has_cost);
    assert_true(isnan(q.expected_cost));
}

static void bad_input(void **state)
{
    (void)state;
    double p[3] = {0.2, 0.7, 0.9};
    float y[3] = {0, 1, 1};
    xai_model_quality q;
    static const double costs[][2] = {{-1, 1}, {5, 0}, {0, 2}, {NAN, 1}, {5, INFINITY}};
    for (size_t k = 0; k < sizeof costs / sizeof costs[0]; k++) {
        assert_int_equal(xai_quality_from_scores(p, y, 3, costs[k][0], costs[k][1], &q),
                         XAI_ERR_INVALID);
        assert_non_null(strstr(xai_last_error(), "cost matrix"));
    }
    y[1] = 2;
    assert_int_equal(xai_quality_from_scores(p, y, 3, 0, 0, &q), XAI_ERR_INVALID);
    assert_non_null(strstr(xai_last_error(), "row 1"));
    y[1] = 1;
    p[2] = 1.5;
    assert_int_equal(xai_quality_from_scores(p, y, 3, 0, 0, &q), XAI_ERR_NUMERIC);
    p[2] = NAN;
    assert_int_equal(xai_quality_from_scores(p, y, 3, 0, 0, &q), XAI_ERR_NUMERIC);
    assert_int_equal(xai_quality_from_scores(p, y, 0, 0, 0, &q), XAI_ERR_INVALID);
}

/* y = (x, 1 - x): P(class 1) = 1 - x. */
static int two_class(void *u, const float *x, size_t n, float *y)
{
    (void)u;
    for (size_t i = 0; i < n; i++)
        y[2 * i] = x[i], y[2 * i + 1] = 1 - x[i];
    return 0;
}

static int three_class(void *u, const float *x, size_t n, float *y)
{
    (void)u;
    for (size_t i = 0; i < n; i++)
        y[3 * i] = x[i], y[3 * i + 1] = 1 - x[i], y[3 * i + 2] = 0;
    return 0;
}

/* Through a model: the same figures as from its P(class 1) directly. */
static void through_a_model(void **state)
{
    (void)state;
    xai_model *m;
    assert_int_equal(xai_model_from_callbacks(1, 2, 1, two_class, NULL, NULL, &m), XAI_OK);
    enum { N = 50 };
    float x[N], y[N];
    double p[N];
    uint64_t s = 5;
    for (size_t k = 0; k < N; k++) {
        y[k] = unif(&s) < 0.6;
        x[k] = (float)(0.5 - 0.3 * (y[k] - 0.5) + 0.4 * (unif(&s) - 0.5));
        p[k] = (double)(float)(1 - x[k]); /* the model computes in float */
    }
    xai_model_quality a, b;
    assert_int_equal(xai_audit_quality(m, x, y, N, 2, 5, 1, &a), XAI_OK);
    assert_int_equal(xai_quality_from_scores(p, y, N, 5, 1, &b), XAI_OK);
    assert_float_equal(a.auc, brute_auc(p, y, NULL, N), 1e-12);
    assert_float_equal(a.brier, b.brier, 1e-12);
    assert_float_equal(a.expected_cost, b.expected_cost, 1e-12);
    xai_model_free(m);
    assert_int_equal(xai_model_from_callbacks(1, 3, 1, three_class, NULL, NULL, &m), XAI_OK);
    assert_int_equal(xai_audit_quality(m, x, y, N, 1, 0, 0, &a), XAI_ERR_UNSUPPORTED);
    xai_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(auc_matches_pair_count),
        cmocka_unit_test(interval_matches_bootstrap),
        cmocka_unit_test(brier_confusion_calibration),
        cmocka_unit_test(expected_cost),
        cmocka_unit_test(bad_input),
        cmocka_unit_test(through_a_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
