/* tests/test_audit_agreement.c: the six agreement measures of Krishna et
 * al. (2022) on hand-computed cases (ties, k larger than the feature
 * count, zero attributions), the pairwise table of an audit, the ground
 * truth of a linear model, and the CLI's --ground-truth / --agree-k. */
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

#include "support/models.h"
#include "support/run_cmd.h"
#include "support/shell.h"

static void expect(const float *a, const float *b, size_t D, size_t k, const double *want)
{
    double got[XAI_AGREE_COUNT], rev[XAI_AGREE_COUNT];
    assert_int_equal(xai_audit_agreement_row(a, b, D, k, got), XAI_OK);
    assert_int_equal(xai_audit_agreement_row(b, a, D, k, rev), XAI_OK);
    for (int q = 0; q < XAI_AGREE_COUNT; q++) {
        if (isnan(want[q])) {
            assert_true(isnan(got[q]) && isnan(rev[q]));
            continue;
        }
        if (fabs(got[q] - want[q]) > 1e-12 || fabs(rev[q] - want[q]) > 1e-12)
            fail_msg("measure %s: got %g (reversed %g), want %g",
                     xai_audit_agreement_name((xai_audit_agreement)q), got[q], rev[q],
                     want[q]);
    }
}

/* |a| orders 0,1,2,4,3 and |b| orders 0,2,1,3,4: top-2 {0,1} vs {0,2}.
 * Spearman of |a|, |b|: ranks (5,4,3,1,2) vs (5,3,4,2,1), sum d^2 = 4,
 * rho = 1 - 6 * 4 / (5 * 24) = 0.8.  Pairs of F = {0,1,2}: (0,1) and (0,2)
 * ordered alike, (1,2) not: 2/3. */
static void hand_case(void **state)
{
    (void)state;
    const float a[5] = {0.5f, -0.3f, 0.2f, 0.0f, 0.1f};
    const float b[5] = {0.4f, 0.2f, -0.3f, 0.05f, 0.0f};
    const double want[XAI_AGREE_COUNT] = {0.5, 0.5, 0.5, 0.5, 0.8, 2.0 / 3};
    expect(a, b, 5, 2, want);
    /* the common feature 0 with opposite signs: sign measures drop to 0 */
    const float c[5] = {-0.4f, 0.2f, -0.3f, 0.05f, 0.0f};
    const double want_c[XAI_AGREE_COUNT] = {0.5, 0.5, 0, 0, 0.8, 2.0 / 3};
    expect(a, c, 5, 2, want_c);
    /* k = 1: the top feature is the same, same sign */
    const double want1[XAI_AGREE_COUNT] = {1, 1, 1, 1, 0.8, 1};
    expect(a, b, 5, 1, want1);
}

/* Ties: |a| = (1, 1, .5, .5), |b| = (1, .5, 1, .5).  Lower index first:
 * a orders 0,1,2,3, b orders 0,2,1,3; top-2 {0,1} vs {0,2}.  Average ranks
 * (3.5,3.5,1.5,1.5) vs (3.5,1.5,3.5,1.5) are uncorrelated: rho = 0.  Pairs
 * of F = {0,1,2}: (0,1) tie vs 1 > .5, (0,2) 1 > .5 vs tie, (1,2) 1 > .5
 * vs .5 < 1: none alike. */
static void ties(void **state)
{
    (void)state;
    const float a[4] = {1, 1, 0.5f, -0.5f};
    const float b[4] = {1, 0.5f, 1, 0.5f};
    const double want[XAI_AGREE_COUNT] = {0.5, 0.5, 0.5, 0.5, 0, 0};
    expect(a, b, 4, 2, want);
    /* a tie agrees with a tie: identical tied vectors agree fully */
    const double all[XAI_AGREE_COUNT] = {1, 1, 1, 1, 1, 1};
    expect(a, a, 4, 2, all);
}

/* k = 10 > D = 3 counts as k = 3: every feature is in both top sets.
 * a orders 0,1,2, b orders 2,1,0: only position 1 matches (feature 1,
 * signs - vs +).  Signs of common features: 0 (+,-), 1 (-,+), 2 (+,+).
 * |a| = (3,2,1), |b| = (1,2,3): rho = -1, no pair ordered alike. */
static void k_beyond_features(void **state)
{
    (void)state;
    const float a[3] = {3, -2, 1};
    const float b[3] = {-1, 2, 3};
    const double want[XAI_AGREE_COUNT] = {1, 1.0 / 3, 1.0 / 3, 0, -1, 0};
    expect(a, b, 3, 10, want);
    expect(a, b, 3, 3, want);
}

/* phi = 0: ranks are all tied; signs 0 match only 0. */
static void zero_and_bad(void **state)
{
    (void)state;
    const float z[3] = {0, 0, 0}, a[3] = {1, -2, 3};
    /* top-2 of z is {0,1} (ties: lower index), of a {2,1}: common {1}, sign
     * 0 vs -; position 1 holds feature 1 in both; pairs of F = {0,1,2}: z
     * ties everywhere, a never ties: none alike */
    const double want[XAI_AGREE_COUNT] = {0.5, 0.5, 0, 0, NAN, 0};
    expect(z, a, 3, 2, want);
    /* a zero attribution has no sign: it does not match a positive one */
    const float p[3] = {1, 2, 3};
    expect(z, p, 3, 2, want);
    double out[XAI_AGREE_COUNT];
    assert_int_equal(xai_audit_agreement_row(a, a, 3, 0, out), XAI_ERR_INVALID);
    assert_int_equal(xai_audit_agreement_row(a, NULL, 3, 1, out), XAI_ERR_INVALID);
    assert_int_equal(xai_audit_agreement_row(a, a, 0, 1, out), XAI_ERR_INVALID);
    assert_string_equal(xai_audit_agreement_name(XAI_AGREE_SIGNED_RANK), "signed_rank");
    assert_null(xai_audit_agreement_name(XAI_AGREE_COUNT));
}

/* The audit's table on a linear model f = w.x with two feature groups per
 * unit: the gradient (phi = w) agrees fully with the ground truth w; the
 * table is symmetric with a unit diagonal and equals the row-mean of the
 * per-row measures on the group sums. */
enum { LD = 8, LN = 10 };
static void audit_table_and_ground_truth(void **state)
{
    (void)state;
    tm_model t;
    tm_init(&t, TM_LINEAR, LD, 0, 1, 11);
    const float w[LD] = {2, -1, 0.5f, 3, -0.2f, 0.1f, -4, 1.5f};
    for (int j = 0; j < LD; j++)
        t.w[0][j] = w[j];
    xai_model *m = tm_wrap(&t, 0);
    float x[LN * LD];
    tm_rows(LN, LD, 4, x);
    const uint32_t groups[LD] = {0, 0, 1, 1, 2, 2, 3, 3};
    xai_column_stats st[LD];
    for (int j = 0; j < LD; j++)
        st[j] = (xai_column_stats){0, 1, -3, 3};
    xai_explain_context ctx = {.n_features = LD, .stats = st, .groups = groups,
                               .n_groups = 4};
    xai_audit_method me[2] = {{"gradient", xai_explain_options_default()},
                              {"gxi", xai_explain_options_default()}};
    me[0].options.method = XAI_METHOD_GRADIENT;
    me[1].options.method = XAI_METHOD_GRADIENT_X_INPUT;
    xai_audit_options o = xai_audit_options_default();
    o.base.output = me[0].options.output = me[1].options.output = XAI_OUTPUT_SCORE;
    o.methods = me;
    o.n_methods = 2;
    o.loss_samples = 20;
    o.sens_points = 0;
    o.infid_samples = 0;
    o.pgi_samples = 2;
    o.ground_truth = w;
    o.n_threads = 1;
    xai_audit_result *r = NULL;
    xai_status rs = xai_audit_run(m, &ctx, &o, x, LN, 0, NULL, &r);
    if (rs != XAI_OK)
        fail_msg("%s", xai_last_error());
    assert_int_equal(r->agree_units, 4);
    assert_int_equal(r->agree_k, 4);
    assert_non_null(r->gt_agreement);
    for (int q = 0; q < XAI_AGREE_COUNT; q++) {
        assert_float_equal(r->gt_agreement[q * 2 + 0], 1.0, 1e-12);
        for (int a = 0; a < 2; a++) {
            assert_float_equal(r->agreement[(q * 2 + a) * 2 + a], 1.0, 1e-12);
        }
        assert_float_equal(r->agreement[(q * 2 + 0) * 2 + 1],
                           r->agreement[(q * 2 + 1) * 2 + 0], 0);
    }
    /* gradient vs gradient x input from the per-row measures on group sums */
    double acc[XAI_AGREE_COUNT] = {0};
    for (int i = 0; i < LN; i++) {
        float ga[4] = {0}, gb[4] = {0};
        for (int j = 0; j < LD; j++) {
            ga[groups[j]] += w[j];
            gb[groups[j]] += w[j] * x[i * LD + j];
        }
        double v[XAI_AGREE_COUNT];
        assert_int_equal(xai_audit_agreement_row(ga, gb, 4, 4, v), XAI_OK);
        for (int q = 0; q < XAI_AGREE_COUNT; q++)
            acc[q] += v[q] / LN;
    }
    for (int q = 0; q < XAI_AGREE_COUNT; q++)
        assert_true(fabs(r->agreement[(q * 2 + 0) * 2 + 1] - acc[q]) < 1e-5);
    xai_audit_result_free(r);
    xai_model_free(m);
}

static void cli_ground_truth(void **state)
{
    (void)state;
    char j[64], g[64];
    snprintf(j, sizeof j, "/tmp/xai_agree_%ld.json", (long)getpid());
    snprintf(g, sizeof g, "/tmp/xai_agree_%ld.gt", (long)getpid());
#define AUD "audit --model tests/fixtures/openxai/model.onnx --data " \
            "tests/fixtures/openxai/data.csv --label label --rows 0:6 --sens-points 0 " \
            "--stab-points 0 --samples 20 --methods gradient,smoothgrad "
    static cmd_result r;
    file_write(g, "1, -1, 0.5 0.25\n0 0 0 0 0 0 0 2\n");
    assert_int_equal(cmd_run(&r, AUD "--agree-k 20 --ground-truth %s --json %s", g, j), 0);
    sh_json_check(j, "a=d[\"agreement\"]\n"
                     "assert a[\"k\"]==12 and a[\"units\"]==12, a\n"
                     "assert a[\"feature\"][0][1]==1 and a[\"feature\"][0][0]==1\n"
                     "g=d[\"ground_truth_agreement\"]\n"
                     "assert set(g)=={\"gradient\",\"smoothgrad\"}\n"
                     "assert g[\"gradient\"][\"feature\"]==1\n");
    file_write(g, "1 2 3\n");
    assert_int_equal(cmd_run(&r, AUD "--ground-truth %s --json %s", g, j), 2);
    assert_non_null(strstr(r.err, "3 values, but the model takes 12"));
    file_write(g, "1 2 3 4 5 6 7 8 9 10 x 12\n");
    assert_int_equal(cmd_run(&r, AUD "--ground-truth %s --json %s", g, j), 2);
    assert_non_null(strstr(r.err, "value 11 ('x')"));
    assert_int_equal(cmd_run(&r, AUD "--ground-truth /nonexistent/gt --json %s", j), 2);
    assert_int_equal(cmd_run(&r, AUD "--agree-k 0 --json %s", j), 2);
    remove(j), remove(g);
}

int main(int argc, char **argv)
{
    (void)argc;
    cmd_init(argv[0]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hand_case),
        cmocka_unit_test(ties),
        cmocka_unit_test(k_beyond_features),
        cmocka_unit_test(zero_and_bad),
        cmocka_unit_test(audit_table_and_ground_truth),
        cmocka_unit_test(cli_ground_truth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
