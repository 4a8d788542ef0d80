/* tests/test_audit_literature.c: the audit on the literature's terms.
 * PGI/PGU under absolute and range noise against the closed form of a
 * linear model, the AUC summary by hand, the metric-noise parser, and
 * `--compat openxai` against a reference computed from OpenXAI's
 * definitions by tests/fixtures/openxai/make_openxai_ref.py. */
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
#include "support/ref_file.h"
#include "support/run_cmd.h"
#include "support/shell.h"

static char J1[64];

/* ---- the AUC and mean summaries by hand ------------------------------ */
static void pgi_summary_by_hand(void **state)
{
    (void)state;
    const double c[4] = {1, 2, 4, 8};
    /* trapezoid over k = 1..4: 1/2 + 2 + 4 + 8/2 = 10.5, span 3 */
    assert_float_equal(xai_audit_pgi_summarise(c, 1, 4, XAI_AUDIT_PGI_AUC), 3.5, 1e-12);
    /* k = 2..4: 2/2 + 4 + 8/2 = 9, span 2 */
    assert_float_equal(xai_audit_pgi_summarise(c, 2, 4, XAI_AUDIT_PGI_AUC), 4.5, 1e-12);
    /* k = 1..2: (1 + 2) / 2 */
    assert_float_equal(xai_audit_pgi_summarise(c, 1, 2, XAI_AUDIT_PGI_AUC), 1.5, 1e-12);
    /* one point: its value, whatever the summary */
    assert_float_equal(xai_audit_pgi_summarise(c, 3, 3, XAI_AUDIT_PGI_AUC), 4.0, 1e-12);
    assert_float_equal(xai_audit_pgi_summarise(c, 3, 3, XAI_AUDIT_PGI_MEAN), 4.0, 1e-12);
    assert_float_equal(xai_audit_pgi_summarise(c, 1, 4, XAI_AUDIT_PGI_MEAN), 3.75, 1e-12);
    assert_float_equal(xai_audit_pgi_summarise(c, 2, 3, XAI_AUDIT_PGI_MEAN), 3.0, 1e-12);
    assert_true(isnan(xai_audit_pgi_summarise(c, 0, 4, XAI_AUDIT_PGI_AUC)));
    assert_true(isnan(xai_audit_pgi_summarise(c, 4, 3, XAI_AUDIT_PGI_MEAN)));
}

static void noise_parse(void **state)
{
    (void)state;
    xai_audit_noise k;
    double s;
    assert_int_equal(xai_audit_noise_parse("abs:0.1", &k, &s), XAI_OK);
    assert_int_equal(k, XAI_AUDIT_NOISE_ABS);
    assert_float_equal(s, 0.1, 0);
    assert_int_equal(xai_audit_noise_parse("STD:2", &k, &s), XAI_OK);
    assert_int_equal(k, XAI_AUDIT_NOISE_STD);
    assert_int_equal(xai_audit_noise_parse("range:0.05", &k, &s), XAI_OK);
    assert_int_equal(k, XAI_AUDIT_NOISE_RANGE);
    const char *bad[] = {"abs", "abs:", "abs:0", "abs:-1", "abs:x", "abs:inf", "ab:1",
                         "absolute:1", "std:1e400", ":1", ""};
    for (size_t q = 0; q < sizeof bad / sizeof bad[0]; q++) {
        assert_int_equal(xai_audit_noise_parse(bad[q], &k, &s), XAI_ERR_INVALID);
        assert_non_null(strstr(xai_last_error(), "metric noise"));
    }
}

/* ---- PGI / PGU of a linear model in closed form ----------------------
 * f = w . x and phi = grad f = w, so the top-k set is the k largest |w_j|
 * and f(x + e * m) - f(x) = sum_{j in m} w_j e_j ~ N(0, sum (w_j c_j)^2):
 * E|.| = sqrt(2/pi) sigma ||w_S c_S||, c_j = 1 (abs) or max_j - min_j
 * (range).  The column stds are deliberately not 1, so std noise would
 * give other numbers. */
enum { LD = 8, LN = 24 };
static const double LW[LD] = {3.0, -2.5, 2.0, 1.5, -1.0, 0.6, 0.3, -0.1};

static void closed_form_curve(const double *scale, double sigma, size_t K, int unimportant,
                              double *curve)
{
    for (size_t k = 1; k <= K; k++) {
        double v = 0;
        for (size_t j = 0; j < LD; j++)
            if ((j < k) != unimportant)
                v += LW[j] * scale[j] * LW[j] * scale[j];
        curve[k - 1] = sqrt(2 / M_PI) * sigma * sqrt(v);
    }
}

static void run_linear(xai_audit_noise noise, const double *scale)
{
    tm_model t;
    tm_init(&t, TM_LINEAR, LD, 0, 1, 5);
    for (size_t j = 0; j < LD; j++)
        t.w[0][j] = LW[j];
    xai_model *m = tm_wrap(&t, 0);
    xai_column_stats st[LD];
    for (size_t j = 0; j < LD; j++)
        st[j] = (xai_column_stats){0, 0.3 + 0.4 * (double)j, -0.5 * scale[j], 0.5 * scale[j]};
    float x[LN * LD];
    tm_rows(LN, LD, 3, x);
    xai_explain_context ctx = {.n_features = LD, .stats = st};
    xai_audit_method me = {"gradient", xai_explain_options_default()};
    me.options.method = XAI_METHOD_GRADIENT;
    me.options.output = XAI_OUTPUT_SCORE;
    xai_audit_options o = xai_audit_options_default();
    o.base.output = XAI_OUTPUT_SCORE;
    o.methods = &me;
    o.n_methods = 1;
    o.loss_samples = 20;
    o.sens_points = 0;
    o.infid_samples = 0;
    o.metric_noise = noise;
    o.pgi_sigma = 0.2;
    o.pgi_samples = 500;
    o.pgi_k_fraction = 0.5; /* K = 4 of 8 */
    o.pgi_summary = XAI_AUDIT_PGI_AUC;
    o.n_threads = 2;
    xai_audit_result *r = NULL;
    assert_int_equal(xai_audit_run(m, &ctx, &o, x, LN, 0, NULL, &r), XAI_OK);
    assert_int_equal(r->pgi_k, 4);
    assert_int_equal(r->pgi_k_first, 1);
    assert_int_equal(r->metric_noise, noise);
    double ci[4], cu[4];
    closed_form_curve(scale, 0.2, 4, 0, ci);
    closed_form_curve(scale, 0.2, 4, 1, cu);
    /* 24 rows x 500 draws: relative Monte-Carlo error about 1% */
    for (size_t k = 0; k < 4; k++) {
        assert_true(fabs(r->pgi_curve[k] - ci[k]) < 0.04 * ci[k]);
        assert_true(fabs(r->pgu_curve[k] - cu[k]) < 0.04 * cu[k]);
    }
    double ai = (0.5 * ci[0] + ci[1] + ci[2] + 0.5 * ci[3]) / 3;
    double au = (0.5 * cu[0] + cu[1] + cu[2] + 0.5 * cu[3]) / 3;
    const xai_audit_cell *pgi = &r->metrics[XAI_AUDIT_PGI], *pgu = &r->metrics[XAI_AUDIT_PGU];
    assert_true(fabs(pgi->mean - ai) < 0.04 * ai);
    assert_true(fabs(pgu->mean - au) < 0.04 * au);
    xai_audit_result_free(r);
    xai_model_free(m);
}

static void pgi_absolute_noise_linear(void **state)
{
    (void)state;
    const double one[LD] = {1, 1, 1, 1, 1, 1, 1, 1};
    run_linear(XAI_AUDIT_NOISE_ABS, one);
}

static void pgi_range_noise_linear(void **state)
{
    (void)state;
    const double range[LD] = {0.5, 2, 1, 3, 0.25, 4, 1.5, 2};
    run_linear(XAI_AUDIT_NOISE_RANGE, range);
}

/* ---- --compat openxai against the OpenXAI-definition reference -------- */
#define OXAI "tests/fixtures/openxai/"

static void compat_openxai_fixture(void **state)
{
    (void)state;
    ref_file *rf = ref_load(OXAI "ref.ref");
    assert_non_null(rf);
    double K = ref_get(rf, "K")->v[0];
    double pgi = ref_get(rf, "pgi_auc")->v[0], pgu = ref_get(rf, "pgu_auc")->v[0];
    double sei = ref_get(rf, "pgi_se")->v[0], seu = ref_get(rf, "pgu_se")->v[0];
    const ref_block *phi = ref_get(rf, "phi");
    static cmd_result r;
    assert_int_equal(cmd_run(&r, "audit --model " OXAI "model.onnx --data " OXAI "data.csv "
                             "--label label --methods gradient --compat openxai "
                             "--sens-points 0 --samples 50 --json %s", J1), 0);
    /* the data are in [0, 1]: absolute noise, no note */
    assert_null(strstr(r.err, "outside [0, 1]"));
    char checks[2048];
    /* xai's gradients equal the reference's analytic ones (the ranking PGI
     * uses), then the summaries agree within 4 Monte-Carlo standard errors
     * of xai's 100-draw estimate (the reference's own error is ~14x smaller) */
    int n = snprintf(checks, sizeof checks,
             "s=d[\"settings\"]\n"
             "assert s[\"compat\"]==\"openxai\" and s[\"metric_noise\"]==\"abs\", s\n"
             "assert s[\"pgi_sigma\"]==0.1 and s[\"pgi_samples\"]==100, s\n"
             "assert s[\"pgi_k\"]==%d and s[\"pgi_k_first\"]==1 and s[\"pgi_summary\"]==\"auc\", s\n"
             "g=d[\"metrics\"][\"gradient\"]\n"
             "assert abs(g[\"pgi\"][\"mean\"]-%.9g)<4*%.9g, (g[\"pgi\"], %.9g)\n"
             "assert abs(g[\"pgu\"][\"mean\"]-%.9g)<4*%.9g, (g[\"pgu\"], %.9g)\n",
             (int)K, pgi, sei, pgi, pgu, seu, pgu);
    assert_true(n > 0 && (size_t)n < sizeof checks);
    sh_json_check(J1, checks);
    /* the ranking PGI uses comes from xai's gradients: they equal the
     * reference's analytic ones */
    xai_model *m;
    xai_dataset *ds;
    xai_csv_options co = xai_csv_options_default();
    co.label = "label";
    assert_int_equal(xai_model_load(OXAI "model.onnx", &m), XAI_OK);
    assert_int_equal(xai_dataset_load_csv(OXAI "data.csv", &co, &ds), XAI_OK);
    size_t nr = xai_dataset_rows(ds), D = xai_dataset_features(ds);
    assert_int_equal(nr, phi->rows);
    assert_int_equal(D, phi->cols);
    float *g = calloc(nr * D, sizeof *g);
    xai_explain_diag *dg = calloc(nr, sizeof *dg);
    assert_true(g && dg);
    xai_explain_options eo = xai_explain_options_default();
    eo.method = XAI_METHOD_GRADIENT;
    xai_explain_context ctx = {.n_features = D};
    assert_int_equal(xai_explain_rows(m, &eo, &ctx, xai_dataset_values(ds), nr, 0, g, dg, 1),
                     XAI_OK);
    for (size_t q = 0; q < nr * D; q++)
        assert_true(fabs(g[q] - phi->v[q]) < 1e-5 + 1e-4 * fabs(phi->v[q]));
    free(g), free(dg);
    xai_dataset_free(ds);
    xai_model_free(m);
    ref_free(rf);
}

/* Data outside [0, 1]: OpenXAI would min-max scale them, xai perturbs by
 * 0.1 x each column's range instead and says so. */
static void compat_openxai_unscaled(void **state)
{
    (void)state;
    static cmd_result r;
    assert_int_equal(cmd_run(&r, "audit --model examples/credit/model.onnx --data "
                             "examples/credit/data/test.csv --label credit-risk --rows 0:6 "
                             "--methods gradient --sens-points 0 --samples 30 "
                             "--compat openxai --pgi-samples 20 --json %s", J1), 0);
    assert_non_null(strstr(r.err, "outside [0, 1]"));
    sh_json_check(J1, "s=d[\"settings\"]\n"
                      "assert s[\"metric_noise\"]==\"range\" and s[\"compat\"]==\"openxai\", s\n"
                      "assert s[\"pgi_samples\"]==20 and s[\"pgi_summary\"]==\"auc\", s\n"
                      "assert s[\"pgi_k\"]==-(-d[\"rows\"][\"features\"]//4), s\n");
    /* explicit settings override the preset, in any order */
    assert_int_equal(cmd_run(&r, "audit --model examples/credit/model.onnx --data "
                             "examples/credit/data/test.csv --label credit-risk --rows 0:6 "
                             "--methods gradient --sens-points 0 --samples 30 "
                             "--metric-noise std:0.2 --pgi-k 2..5 --pgi-summary mean "
                             "--compat openxai --json %s", J1), 0);
    sh_json_check(J1, "s=d[\"settings\"]\n"
                      "assert s[\"metric_noise\"]==\"std\" and s[\"pgi_sigma\"]==0.2, s\n"
                      "assert s[\"pgi_k\"]==5 and s[\"pgi_k_first\"]==2, s\n"
                      "assert s[\"pgi_summary\"]==\"mean\" and s[\"pgi_samples\"]==100, s\n"
                      "assert len(d[\"metrics\"][\"gradient\"][\"pgi_curve\"])==5\n");
}

static void bad_settings(void **state)
{
    (void)state;
    static cmd_result r;
    const char *bad[] = {"--metric-noise abs", "--metric-noise gauss:1", "--metric-noise abs:0",
                         "--pgi-k 0", "--pgi-k 3..2", "--pgi-k 1.5", "--pgi-k 0..3",
                         "--pgi-k 100", "--pgi-k x", "--pgi-summary median",
                         "--pgi-samples 0", "--compat shap"};
    for (size_t q = 0; q < sizeof bad / sizeof bad[0]; q++) {
        remove(J1);
        assert_int_equal(cmd_run(&r, "audit --model " OXAI "model.onnx --data " OXAI
                                 "data.csv --label label %s --json %s", bad[q], J1), 2);
        assert_true(strlen(r.err) > 0);
        assert_int_equal(access(J1, F_OK), -1);
    }
}

int main(int argc, char **argv)
{
    (void)argc;
    cmd_init(argv[0]);
    snprintf(J1, sizeof J1, "/tmp/xai_audit_lit_%ld.json", (long)getpid());
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pgi_summary_by_hand),
        cmocka_unit_test(noise_parse),
        cmocka_unit_test(pgi_absolute_noise_linear),
        cmocka_unit_test(pgi_range_noise_linear),
        cmocka_unit_test(compat_openxai_fixture),
        cmocka_unit_test(compat_openxai_unscaled),
        cmocka_unit_test(bad_settings),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    remove(J1);
    return rc;
}
