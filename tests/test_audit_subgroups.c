/* tests/test_audit_subgroups.c: differences between groups on a synthetic
 * model built to be worse for one group: a logistic model that uses x1,
 * labels that follow x1 in group A and an unrelated x2 in group B, and a
 * third group too small to compare whose labels are all wrong.  Values per
 * group against brute-force counts, the gap, the flag, the bootstrap
 * interval against the normal approximation, and the CLI's --group-by. */
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

enum { D = 3, NA = 40, NB = 40, NC = 5, N = NA + NB + NC };

static double sigmoid(double z) { return 1 / (1 + exp(-z)); }

static size_t find(const xai_audit_groups *G, const char *name)
{
    for (size_t q = 0; q < G->n_quantities; q++)
        if (strcmp(G->quantity[q], name) == 0)
            return q;
    fail_msg("no quantity '%s'", name);
    return 0;
}

static void worse_for_one_group(void **state)
{
    (void)state;
    tm_model t;
    tm_init(&t, TM_LOGISTIC, D, 0, 1, 2);
    t.w[0][0] = 0, t.w[0][1] = 3, t.w[0][2] = 0, t.c[0] = 0;
    xai_model *m = tm_wrap(&t, 0);
    float x[N * D], lab[N];
    int32_t grp[N];
    xai_rng rng;
    xai_rng_init(&rng, 5, 0);
    for (int i = 0; i < N; i++) {
        grp[i] = i < NA ? 0 : i < NA + NB ? 1 : 2;
        x[i * D] = (float)grp[i];
        x[i * D + 1] = (float)xai_rng_normal(&rng);
        x[i * D + 2] = (float)xai_rng_normal(&rng);
        double p = sigmoid(3.0 * x[i * D + 1]);
        lab[i] = grp[i] == 0 ? x[i * D + 1] > 0          /* the model is right */
               : grp[i] == 1 ? x[i * D + 2] > 0          /* unrelated to the model */
                             : !(p >= 0.5);              /* always wrong */
    }
    xai_column_stats st[D];
    for (int j = 0; j < D; j++)
        st[j] = (xai_column_stats){0, 1, -3, 3};
    xai_explain_context ctx = {.n_features = D, .stats = st};
    xai_audit_method me = {"gradient", xai_explain_options_default()};
    me.options.method = XAI_METHOD_GRADIENT;
    xai_audit_options o = xai_audit_options_default();
    o.methods = &me;
    o.n_methods = 1;
    o.loss_samples = 20;
    o.sens_points = 0;
    o.infid_samples = 10;
    o.pgi_samples = 10;
    o.n_threads = 1;
    xai_audit_result *r = NULL;
    assert_int_equal(xai_audit_run(m, &ctx, &o, x, N, 0, lab, &r), XAI_OK);
    const char *names[3] = {"A", "B", "C"};
    assert_int_equal(xai_audit_subgroups(r, m, x, lab, grp, 3, names, "g", 1000, 9, 1),
                     XAI_OK);
    const xai_audit_groups *G = r->groups;
    assert_non_null(G);
    assert_int_equal(G->rows[0], NA);
    assert_int_equal(G->rows[1], NB);
    assert_int_equal(G->rows[2], NC);
    assert_true(G->compared[0] && G->compared[1] && !G->compared[2]);
    /* brute force: accuracy and AUC per group */
    double acc[3] = {0}, cnt[3] = {0}, auc[3];
    for (int i = 0; i < N; i++) {
        double p = sigmoid(3.0 * x[i * D + 1]);
        acc[grp[i]] += (p >= 0.5) == (lab[i] == 1), cnt[grp[i]]++;
    }
    for (int g = 0; g < 3; g++) {
        acc[g] /= cnt[g];
        double w = 0, np = 0, nn = 0;
        for (int a = 0; a < N; a++)
            for (int b = 0; b < N; b++)
                if (grp[a] == g && grp[b] == g && lab[a] == 1 && lab[b] == 0) {
                    double pa = x[a * D + 1], pb = x[b * D + 1];
                    w += pa > pb ? 1 : pa == pb ? 0.5 : 0;
                }
        for (int a = 0; a < N; a++)
            if (grp[a] == g)
                np += lab[a] == 1, nn += lab[a] == 0;
        auc[g] = np && nn ? w / (np * nn) : NAN;
    }
    size_t qa = find(G, "accuracy"), qu = find(G, "auc");
    for (int g = 0; g < 3; g++) {
        assert_float_equal(G->value[qa * 3 + g], acc[g], 1e-12);
        if (isnan(auc[g]))
            assert_true(isnan(G->value[qu * 3 + g]));
        else
            assert_float_equal(G->value[qu * 3 + g], auc[g], 1e-12);
    }
    assert_float_equal(acc[0], 1.0, 0);
    assert_float_equal(acc[2], 0.0, 0); /* worst, but too small to compare */
    assert_int_equal(G->hi[qa], 0);
    assert_int_equal(G->lo[qa], 1);
    assert_float_equal(G->gap[qa], acc[0] - acc[1], 1e-12);
    assert_true(G->flagged[qa]);
    assert_true(G->ci_lo[qa] <= G->gap[qa] && G->gap[qa] <= G->ci_hi[qa]);
    /* group A is always right, so the width is B's binomial spread */
    double se = sqrt(acc[1] * (1 - acc[1]) / NB), width = G->ci_hi[qa] - G->ci_lo[qa];
    assert_true(width > 0.7 * 2 * 1.96 * se && width < 1.3 * 2 * 1.96 * se);
    assert_true(G->flagged[qu]);
    /* a metric: the group mean of the per-row values */
    size_t qp = find(G, "gradient: pgi");
    for (int g = 0; g < 3; g++) {
        double s = 0, k = 0;
        for (int i = 0; i < N; i++)
            if (grp[i] == g) {
                double v = r->metric_rows[(size_t)XAI_AUDIT_PGI * 1 * N + (size_t)i];
                s += v, k++;
            }
        assert_float_equal(G->value[qp * 3 + g], s / k, 1e-12);
    }
    /* the same seed gives the same interval; another seed a different one */
    double lo = G->ci_lo[qa];
    assert_int_equal(xai_audit_subgroups(r, m, x, lab, grp, 3, names, "g", 1000, 9, 1),
                     XAI_OK);
    assert_float_equal(r->groups->ci_lo[qa], lo, 0);
    /* bad input */
    int32_t bad[N];
    memcpy(bad, grp, sizeof bad);
    bad[3] = 3;
    assert_int_equal(xai_audit_subgroups(r, m, x, lab, bad, 3, names, "g", 1000, 9, 1),
                     XAI_ERR_INVALID);
    assert_int_equal(xai_audit_subgroups(r, m, x, lab, grp, 3, names, "g", 5, 9, 1),
                     XAI_ERR_INVALID);
    xai_audit_result_free(r);
    xai_model_free(m);
}

/* No difference by construction: two groups drawn alike are rarely flagged. */
static void equal_groups_not_flagged(void **state)
{
    (void)state;
    tm_model t;
    tm_init(&t, TM_LOGISTIC, D, 0, 1, 2);
    t.w[0][0] = 0, t.w[0][1] = 3, t.w[0][2] = 0, t.c[0] = 0;
    xai_model *m = tm_wrap(&t, 0);
    enum { M2 = 80 };
    float x[M2 * D], lab[M2];
    int32_t grp[M2];
    xai_rng rng;
    xai_rng_init(&rng, 6, 0);
    for (int i = 0; i < M2; i++) {
        grp[i] = i % 2;
        x[i * D] = (float)grp[i];
        x[i * D + 1] = (float)xai_rng_normal(&rng);
        x[i * D + 2] = (float)xai_rng_normal(&rng);
        lab[i] = x[i * D + 1] + 0.5 * x[i * D + 2] > 0;
    }
    xai_column_stats st[D];
    for (int j = 0; j < D; j++)
        st[j] = (xai_column_stats){0, 1, -3, 3};
    xai_explain_context ctx = {.n_features = D, .stats = st};
    xai_audit_method me = {"gradient", xai_explain_options_default()};
    me.options.method = XAI_METHOD_GRADIENT;
    xai_audit_options o = xai_audit_options_default();
    o.methods = &me;
    o.n_methods = 1;
    o.loss_samples = 20;
    o.sens_points = 0;
    o.n_threads = 1;
    xai_audit_result *r = NULL;
    assert_int_equal(xai_audit_run(m, &ctx, &o, x, M2, 0, lab, &r), XAI_OK);
    const char *names[2] = {"even", "odd"};
    assert_int_equal(xai_audit_subgroups(r, m, x, lab, grp, 2, names, "parity", 1000, 1, 1),
                     XAI_OK);
    assert_false(r->groups->flagged[find(r->groups, "accuracy")]);
    xai_audit_result_free(r);
    xai_model_free(m);
}

/* AUC with tied scores: a model that sees only a three-valued feature; a
 * tied (positive, negative) pair counts one half. */
static void auc_with_ties(void **state)
{
    (void)state;
    tm_model t;
    tm_init(&t, TM_LOGISTIC, D, 0, 1, 2);
    t.w[0][0] = 2, t.w[0][1] = 0, t.w[0][2] = 0, t.c[0] = 0;
    xai_model *m = tm_wrap(&t, 0);
    enum { M3 = 40 };
    float x[M3 * D], lab[M3];
    int32_t grp[M3];
    xai_rng rng;
    xai_rng_init(&rng, 8, 0);
    for (int i = 0; i < M3; i++) {
        grp[i] = i % 2;
        x[i * D] = (float)((i / 2) % 3 - 1);
        x[i * D + 1] = (float)xai_rng_normal(&rng);
        x[i * D + 2] = 0;
        lab[i] = x[i * D] + x[i * D + 1] > 0;
    }
    xai_column_stats st[D];
    for (int j = 0; j < D; j++)
        st[j] = (xai_column_stats){0, 1, -3, 3};
    xai_explain_context ctx = {.n_features = D, .stats = st};
    xai_audit_method me = {"gradient", xai_explain_options_default()};
    me.options.method = XAI_METHOD_GRADIENT;
    xai_audit_options o = xai_audit_options_default();
    o.methods = &me;
    o.n_methods = 1;
    o.loss_samples = 20;
    o.sens_points = 0;
    o.n_threads = 1;
    xai_audit_result *r = NULL;
    assert_int_equal(xai_audit_run(m, &ctx, &o, x, M3, 0, lab, &r), XAI_OK);
    const char *names[2] = {"even", "odd"};
    assert_int_equal(xai_audit_subgroups(r, m, x, lab, grp, 2, names, "parity", 100, 1, 1),
                     XAI_OK);
    size_t qu = find(r->groups, "auc");
    for (int g = 0; g < 2; g++) {
        double w = 0, np = 0, nn = 0;
        for (int a = 0; a < M3; a++)
            for (int b = 0; b < M3; b++)
                if (grp[a] == g && grp[b] == g && lab[a] == 1 && lab[b] == 0)
                    w += x[a * D] > x[b * D] ? 1 : x[a * D] == x[b * D] ? 0.5 : 0;
        for (int a = 0; a < M3; a++)
            if (grp[a] == g)
                np += lab[a] == 1, nn += lab[a] == 0;
        assert_float_equal(r->groups->value[qu * 2 + g], w / (np * nn), 1e-12);
    }
    xai_audit_result_free(r);
    xai_model_free(m);
}

#define CREDIT "audit --model examples/credit/model.onnx --data " \
               "examples/credit/data/test.csv --label credit-risk --groups auto " \
               "--rows 0:60 --methods gradient --sens-points 0 --stab-points 0 " \
               "--samples 30 "

static void cli_group_by(void **state)
{
    (void)state;
    char j[64];
    snprintf(j, sizeof j, "/tmp/xai_groups_%ld.json", (long)getpid());
    static cmd_result r;
    assert_int_equal(cmd_run(&r, CREDIT "--group-by personal-status-sex --json %s", j), 0);
    assert_non_null(strstr(r.out, "groups by personal-status-sex:"));
    sh_json_check(j, "g=d[\"groups\"]\n"
                     "assert g[\"by\"]==\"personal-status-sex\" and g[\"min_rows\"]==10\n"
                     "names=[x[\"name\"] for x in g[\"groups\"]]\n"
                     "assert all(n.startswith(\"personal-status-sex = \") for n in names), names\n"
                     "assert sum(x[\"rows\"] for x in g[\"groups\"])==60\n"
                     "assert all(x[\"compared\"]==(x[\"rows\"]>=10) for x in g[\"groups\"])\n"
                     "q={x[\"name\"]:x for x in g[\"quantities\"]}\n"
                     "assert \"accuracy\" in q and \"auc\" in q and \"gradient: pgi\" in q\n"
                     "a=q[\"accuracy\"]\n"
                     "assert a[\"gap\"] is None or a[\"ci95\"][0]<=a[\"gap\"]<=a[\"ci95\"][1]\n");
    assert_int_equal(cmd_run(&r, CREDIT "--group-by age:30,45 --json %s", j), 0);
    sh_json_check(j, "names=[x[\"name\"] for x in d[\"groups\"][\"groups\"]]\n"
                     "assert names==[\"age < 30\",\"age 30-45\",\"age >= 45\"], names\n");
    const char *bad[] = {"nope", "age:45,30", "age:", "age:30,", "age:x",
                         "personal-status-sex:1,2", "amount", ":3"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        remove(j);
        assert_int_equal(cmd_run(&r, CREDIT "--group-by '%s' --json %s", bad[k], j), 2);
        assert_int_equal(access(j, F_OK), -1);
    }
    assert_int_equal(cmd_run(&r, CREDIT "--group-by nope --json %s", j), 2);
    assert_non_null(strstr(r.err, "no column or feature group named 'nope'"));
    remove(j);
}

int main(int argc, char **argv)
{
    (void)argc;
    cmd_init(argv[0]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(worse_for_one_group),
        cmocka_unit_test(equal_groups_not_flagged),
        cmocka_unit_test(auc_with_ties),
        cmocka_unit_test(cli_group_by),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
