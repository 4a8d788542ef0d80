/* tests/test_mask_sampler.c: the LIME mask sampler against its documented
 * distribution, checked sample by sample and by counts: the first sample is
 * x itself; then k ~ U{1..M} units off, every unit equally likely to be off
 * given k; weight exp(-k / (2 width^2)) recomputed from each mask. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <xai/explain.h>

#include "explainers/lfa.h" /* xai_plan, xai_job, xai_sample_masks */
#include "support/models.h"

enum { D = 7, S = 42001 };

static void lime_masks_follow_the_documented_distribution(void **state)
{
    (void)state;
    tm_model t;
    tm_init(&t, TM_MLP, D, 5, 1, 3);
    xai_model *m = tm_wrap(&t, 0);
    xai_explain_context c = {.n_features = D};
    xai_explain_options o = xai_explain_options_default();
    o.method = XAI_METHOD_LIME;
    o.baseline = XAI_BASELINE_ZERO;
    o.samples = S;
    o.kernel_width = 1.3;
    xai_plan p;
    if (xai_plan_init(&p, m, &o, &c) != XAI_OK)
        fail_msg("%s", xai_last_error());
    assert_int_equal(p.U, D);
    xai_job j = {.plan = &p};
    xai_rng_init(&j.rng, 5, 11);
    assert_int_equal(xai_sample_masks(&j), XAI_OK);
    assert_int_equal(j.S, S);
    long by_off[D + 1] = {0}, unit_off[D + 1][D] = {{0}};
    for (size_t s = 0; s < S; s++) {
        size_t off = 0;
        for (size_t u = 0; u < D; u++) {
            assert_true(j.mask[s * D + u] <= 1);
            off += j.mask[s * D + u] == 0;
        }
        assert_true(s == 0 ? off == 0 : off >= 1);
        double w = exp(-(double)off / (2 * 1.3 * 1.3));
        assert_true(fabs(j.w[s] - w) <= 1e-15 * w);
        if (s == 0)
            continue;
        by_off[off]++;
        for (size_t u = 0; u < D; u++)
            unit_off[off][u] += j.mask[s * D + u] == 0;
    }
    /* k uniform on 1..D: chi-square, D - 1 = 6 dof, p = 0.001 -> 22.46 */
    double e = (S - 1) / (double)D, chi = 0;
    for (size_t k = 1; k <= D; k++)
        chi += (by_off[k] - e) * (by_off[k] - e) / e;
    assert_true(chi < 22.46);
    /* given k (1 <= k < D), unit u is off with probability k / D: each of
     * the 6 x 7 counts within 4.5 binomial standard deviations */
    for (size_t k = 1; k < D; k++)
        for (size_t u = 0; u < D; u++) {
            double n = (double)by_off[k], q = (double)k / D;
            assert_true(fabs(unit_off[k][u] - n * q) < 4.5 * sqrt(n * q * (1 - q)));
        }
    xai_job_free(&j);
    xai_plan_free(&p);
    xai_model_free(m);
}

/* Same stream, same masks: two jobs of one row agree; another row differs. */
static void lime_masks_are_a_function_of_the_stream(void **state)
{
    (void)state;
    tm_model t;
    tm_init(&t, TM_MLP, D, 5, 1, 3);
    xai_model *m = tm_wrap(&t, 0);
    xai_explain_context c = {.n_features = D};
    xai_explain_options o = xai_explain_options_default();
    o.method = XAI_METHOD_LIME;
    o.baseline = XAI_BASELINE_ZERO;
    o.samples = 300;
    xai_plan p;
    if (xai_plan_init(&p, m, &o, &c) != XAI_OK)
        fail_msg("%s", xai_last_error());
    xai_job a = {.plan = &p}, b = {.plan = &p}, d = {.plan = &p};
    xai_rng_init(&a.rng, 5, 11);
    xai_rng_init(&b.rng, 5, 11);
    xai_rng_init(&d.rng, 5, 12);
    assert_int_equal(xai_sample_masks(&a), XAI_OK);
    assert_int_equal(xai_sample_masks(&b), XAI_OK);
    assert_int_equal(xai_sample_masks(&d), XAI_OK);
    assert_memory_equal(a.mask, b.mask, 300 * D);
    assert_true(memcmp(a.mask, d.mask, 300 * D) != 0);
    xai_job_free(&a);
    xai_job_free(&b);
    xai_job_free(&d);
    xai_plan_free(&p);
    xai_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lime_masks_follow_the_documented_distribution),
        cmocka_unit_test(lime_masks_are_a_function_of_the_stream),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
