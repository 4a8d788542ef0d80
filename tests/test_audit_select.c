/* tests/test_audit_select.c: the methods x neighbourhoods table, ranking,
 * recommendation and JSON of xai_audit_run on a logistic callback model.
 * References: analytic gradients (point losses), the LFA principle (each
 * neighbourhood is won by the preset built on it), a JSON parser (python3). */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <xai/audit.h>

#include "support/shell.h"

enum { D = 6, N = 30 };
typedef struct logit { float w[D]; float b; } logit;
static const logit W0 = {{2.5f, -2.0f, 1.5f, 3.0f, -1.0f, 0.5f}, 0.2f};

static double score(const logit *l, const float *x)
{
    double a = l->b;
    for (int j = 0; j < D; j++)
        a += (double)l->w[j] * x[j];
    return a;
}

static int predict(void *u, const float *x, size_t n, float *y)
{
    for (size_t i = 0; i < n; i++)
        y[i] = (float)(1 / (1 + exp(-score(u, x + i * D))));
    return 0;
}

/* dx = dy sigma'(a) w */
static int vjp(void *u, const float *x, size_t n, const float *dy, float *dx)
{
    const logit *l = u;
    for (size_t i = 0; i < n; i++) {
        double s = 1 / (1 + exp(-score(l, x + i * D)));
        for (int j = 0; j < D; j++)
            dx[i * D + j] = (float)(dy[i] * s * (1 - s) * l->w[j]);
    }
    return 0;
}

static float X[N * D], LAB[N];
static xai_column_stats ST[D];

static void make_rows(void)
{
    xai_rng r;
    xai_rng_init(&r, 3, 0);
    for (int i = 0; i < N * D; i++)
        X[i] = (float)(0.4 * xai_rng_normal(&r));
    for (int j = 0; j < D; j++) {
        double m = 0, v = 0;
        for (int i = 0; i < N; i++)
            m += X[i * D + j] / N;
        for (int i = 0; i < N; i++)
            v += (X[i * D + j] - m) * (X[i * D + j] - m) / N;
        ST[j] = (xai_column_stats){m, sqrt(v), -2, 2};
    }
    for (int i = 0; i < N; i++) /* labels: the model is right except on i % 5 == 0 */
        LAB[i] = (float)((score(&W0, X + i * D) > 0) ^ (i % 5 == 0));
}

static xai_audit_method method(const char *name, const char *label, double sigma)
{
    xai_audit_method m;
    memset(&m, 0, sizeof m);
    m.options = xai_explain_options_default();
    assert_int_equal(xai_method_lookup(name, &m.options.method), XAI_OK);
    snprintf(m.name, sizeof m.name, "%s", label);
    if (sigma > 0)
        m.options.sigma = sigma;
    m.options.seed = 5;
    return m;
}

static size_t find(const xai_audit_result *r, const char *name)
{
    for (size_t m = 0; m < r->n_methods; m++)
        if (strcmp(r->methods[m].name, name) == 0)
            return m;
    fail_msg("no method %s", name);
    return 0;
}

static const xai_audit_cell *cell(const xai_audit_result *r, const char *m, size_t z)
{
    return &r->table[find(r, m) * r->n_nbhds + z];
}

static xai_audit_result *run(xai_model *m, xai_model *rnd, int declared,
                             const xai_audit_nbhd *nb, size_t nz)
{
    xai_audit_method ms[] = {
        method("gradient", "gradient", 0),
        method("gradient-x-input", "gradient-x-input", 0),
        method("smoothgrad", "smoothgrad(0.02)", 0.02),
        method("c-lime", "c-lime(0.1)", 0.1),
        method("c-lime", "c-lime(1)", 1.0),
        method("integrated-gradients", "integrated-gradients", 0),
        method("kernelshap", "kernelshap", 0),
        method("lime", "lime", 0),
        method("occlusion", "occlusion", 0),
        method("gradient", "gradient-again", 0),
    };
    ms[3].options.samples = ms[4].options.samples = 2000;
    xai_explain_context c = {.n_features = D, .stats = ST};
    xai_audit_options o = xai_audit_options_default();
    o.methods = ms;
    o.n_methods = sizeof ms / sizeof ms[0];
    o.nbhds = nb;
    o.n_nbhds = nz;
    o.declared = declared;
    o.base.seed = 5;
    o.loss_samples = 1000;
    o.randomized = rnd;
    o.sens_points = 1;
    o.n_threads = 2;
    xai_audit_result *r = NULL;
    if (xai_audit_run(m, &c, &o, X, N, 0, LAB, &r) != XAI_OK)
        fail_msg("%s", xai_last_error());
    return r;
}

static void table_principle(void **state)
{
    (void)state;
    make_rows();
    logit w1 = {{-0.3f, 1.2f, 0.8f, -1.9f, 2.2f, 0.4f}, 0.0f};
    xai_model *m, *rnd;
    assert_int_equal(xai_model_from_callbacks(D, 1, 1, predict, vjp, (void *)&W0, &m), XAI_OK);
    assert_int_equal(xai_model_from_callbacks(D, 1, 1, predict, vjp, &w1, &rnd), XAI_OK);
    xai_audit_nbhd nb[4];
    assert_int_equal(xai_audit_nbhd_parse("point", &nb[0]), XAI_OK);
    assert_int_equal(xai_audit_nbhd_parse("gaussian:0.1", &nb[1]), XAI_OK);
    assert_int_equal(xai_audit_nbhd_parse("gaussian:1", &nb[2]), XAI_OK);
    assert_int_equal(xai_audit_nbhd_parse("path", &nb[3]), XAI_OK);
    xai_audit_result *r = run(m, rnd, 0, nb, 4);
    if (getenv("XAI_TEST_VERBOSE"))
        for (size_t k = 0; k < r->n_methods; k++) {
            printf("%-22s", r->methods[k].name);
            for (size_t z = 0; z < r->n_nbhds; z++)
                printf(" %10.3g(%d)", r->table[k * r->n_nbhds + z].mean,
                       r->table[k * r->n_nbhds + z].rank);
            printf("\n");
        }
    /* point: the gradient matches exactly; SmoothGrad with tiny noise nearly */
    assert_true(cell(r, "gradient", 0)->mean < 1e-10);
    assert_int_equal(cell(r, "gradient", 0)->rank, 1);
    double other = cell(r, "kernelshap", 0)->mean;
    assert_true(cell(r, "smoothgrad(0.02)", 0)->mean < 1e-3 * other);
    /* independent value: gradient x input on the point = mean |g - x g|^2 */
    double want = 0, g[D];
    for (int i = 0; i < N; i++) {
        double s = 1 / (1 + exp(-score(&W0, X + i * D))), e = 0;
        for (int j = 0; j < D; j++) {
            g[j] = s * (1 - s) * W0.w[j];
            double d = g[j] - (double)X[i * D + j] * g[j];
            e += d * d;
        }
        want += e / N;
    }
    assert_float_equal(cell(r, "gradient-x-input", 0)->mean, want, 1e-5 * want);
    /* each Gaussian neighbourhood is won by the C-LIME built on it */
    assert_float_equal(r->methods[r->best[1]].options.sigma, 0.1, 1e-15);
    assert_string_equal(r->methods[r->best[1]].name, "c-lime(0.1)");
    assert_string_equal(r->methods[r->best[2]].name, "c-lime(1)");
    assert_true(cell(r, "c-lime(1)", 1)->mean > cell(r, "c-lime(0.1)", 1)->mean);
    assert_true(cell(r, "c-lime(0.1)", 2)->mean > cell(r, "c-lime(1)", 2)->mean);
    assert_true(cell(r, "c-lime(1)", 1)->rank > 1);
    assert_true(cell(r, "c-lime(0.1)", 2)->rank > 1);
    /* the path is won by Integrated Gradients */
    assert_string_equal(r->methods[r->best[3]].name, "integrated-gradients");
    /* identical methods are tied (same rank), not ordered by noise */
    assert_int_equal(cell(r, "gradient-again", 1)->rank, cell(r, "gradient", 1)->rank);
    /* mean output: the mean predicted probability, recomputed here */
    double mean_p = 0;
    for (int i = 0; i < N; i++)
        mean_p += 1 / (1 + exp(-score(&W0, X + i * D))) / N;
    assert_float_equal(r->mean_output, mean_p, 1e-6);
    /* not declared: the recommendation is for the first neighbourhood */
    assert_int_equal(r->rec_nbhd, 0);
    assert_int_equal(r->declared, 0);
    /* sanity: the gradient changes with the randomised model */
    assert_int_equal(r->sanity_flag[find(r, "gradient")], 0);
    /* accuracy: wrong exactly on i % 5 == 0 (independent count) */
    assert_float_equal(r->accuracy, 1.0 - 6.0 / N, 1e-12);
    size_t ones = 0;
    for (int i = 0; i < N; i++)
        ones += LAB[i] == 1;
    double maj = (double)(ones > N - ones ? ones : N - ones) / N;
    assert_float_equal(r->majority_rate, maj, 1e-12);
    /* PGI/PGU computed for every method */
    for (size_t k = 0; k < r->n_methods; k++) {
        assert_true(r->metrics[k * XAI_AUDIT_METRIC_COUNT + XAI_AUDIT_PGI].count == N);
        assert_true(r->metrics[k * XAI_AUDIT_METRIC_COUNT + XAI_AUDIT_DELETION].count == 0);
    }
    xai_audit_result_free(r);
    /* declared neighbourhood: the recommendation is for it */
    xai_audit_nbhd dz[2] = {nb[2], nb[0]};
    r = run(m, NULL, 1, dz, 2);
    assert_int_equal(r->declared, 1);
    assert_string_equal(r->methods[r->rec_method].name, "c-lime(1)");
    assert_int_equal(r->sanity_flag[0], -1);
    xai_audit_result_free(r);
    xai_model_free(m);
    xai_model_free(rnd);
}

/* A "randomised" model whose predictions change (weights w1) but whose
 * gradient callback still returns the original model's: every gradient
 * method passes through it unchanged (rho = 1, flagged), mask methods see
 * the new predictions (not flagged). */
static int predict_w1(void *u, const float *x, size_t n, float *y)
{
    (void)u;
    static const logit w1 = {{-0.3f, 1.2f, 0.8f, -1.9f, 2.2f, 0.4f}, 0.0f};
    return predict((void *)&w1, x, n, y);
}

static void recommendation_skips_flagged(void **state)
{
    (void)state;
    make_rows();
    xai_model *m, *rnd, *same;
    assert_int_equal(xai_model_from_callbacks(D, 1, 1, predict, vjp, (void *)&W0, &m), XAI_OK);
    assert_int_equal(xai_model_from_callbacks(D, 1, 1, predict_w1, vjp, (void *)&W0, &rnd),
                     XAI_OK);
    assert_int_equal(xai_model_from_callbacks(D, 1, 1, predict, vjp, (void *)&W0, &same),
                     XAI_OK);
    xai_audit_nbhd nb[1];
    assert_int_equal(xai_audit_nbhd_parse("point", &nb[0]), XAI_OK);
    xai_audit_result *r = run(m, rnd, 0, nb, 1);
    size_t g = find(r, "gradient"), ks = find(r, "kernelshap");
    assert_int_equal(r->sanity_flag[g], 1);
    assert_int_equal(r->sanity_flag[ks], 0);
    /* the gradient fits the point exactly (rank 1) but is flagged */
    assert_int_equal(cell(r, "gradient", 0)->rank, 1);
    assert_int_not_equal(r->sanity_flag[r->rec_method], 1);
    assert_int_equal(r->rec_method, r->best[0]);
    /* the winner: lowest (rank, mean) among the unflagged, scanned here */
    size_t want = SIZE_MAX;
    for (size_t k = 0; k < r->n_methods; k++) {
        const xai_audit_cell *c = &r->table[k * r->n_nbhds];
        if (r->sanity_flag[k] == 1)
            continue;
        if (want == SIZE_MAX || c->rank < r->table[want * r->n_nbhds].rank ||
            (c->rank == r->table[want * r->n_nbhds].rank &&
             c->mean < r->table[want * r->n_nbhds].mean))
            want = k;
    }
    assert_true(want != SIZE_MAX);
    assert_string_equal(r->methods[r->rec_method].name, r->methods[want].name);
    xai_audit_result_free(r);
    /* every method flagged (the "randomised" model is the model): the best
     * overall is recommended */
    r = run(m, same, 0, nb, 1);
    for (size_t k = 0; k < r->n_methods; k++)
        assert_int_equal(r->sanity_flag[k], 1);
    assert_int_equal(cell(r, "gradient", 0)->rank, 1);
    assert_int_equal(cell(r, r->methods[r->rec_method].name, 0)->rank, 1);
    xai_audit_result_free(r);
    xai_model_free(m);
    xai_model_free(rnd);
    xai_model_free(same);
}

static void nbhd_parse(void **state)
{
    (void)state;
    xai_audit_nbhd z;
    char buf[32];
    assert_int_equal(xai_audit_nbhd_parse("gaussian:0.25", &z), XAI_OK);
    assert_int_equal(z.kind, XAI_AUDIT_NBHD_GAUSSIAN);
    xai_audit_nbhd_format(&z, buf, sizeof buf);
    assert_string_equal(buf, "gaussian:0.25");
    assert_int_equal(xai_audit_nbhd_parse("mask:0.3", &z), XAI_OK);
    assert_true(z.kind == XAI_AUDIT_NBHD_MASK && z.param == 0.3);
    assert_int_equal(xai_audit_nbhd_parse("mask:1", &z), XAI_ERR_INVALID);
    assert_int_equal(xai_audit_nbhd_parse("gaussian:-1", &z), XAI_ERR_INVALID);
    assert_int_equal(xai_audit_nbhd_parse("gaussian:", &z), XAI_ERR_INVALID);
    assert_int_equal(xai_audit_nbhd_parse("cube", &z), XAI_ERR_INVALID);
    assert_non_null(strstr(xai_last_error(), "mask:P"));
    xai_audit_nbhd std[8];
    assert_int_equal(xai_audit_default_nbhds(std, 8), 5u);
    int kinds[4] = {0};
    for (int i = 0; i < 5; i++)
        kinds[std[i].kind] = 1;
    assert_true(kinds[0] && kinds[1] && kinds[2] && kinds[3]); /* all four kinds */
}

/* mask:P on an additive model f = sum_j c_j(x_j) with the zero baseline
 * and unit = feature: the occlusion attribution phi_j = c_j(x_j) - c_j(0)
 * fits exactly, so its loss is 0; any other phi has loss
 * P(1-P) sum_j (phi_j - phi*_j)^2 (independent Bernoulli masks). */
static int additive(void *u, const float *x, size_t n, float *y)
{
    (void)u;
    for (size_t i = 0; i < n; i++) {
        double a = 0;
        for (int j = 0; j < D; j++)
            a += (j + 1) * sin((double)x[i * D + j]) + 0.1 * x[i * D + j] * x[i * D + j];
        y[i] = (float)a;
    }
    return 0;
}

static void mask_loss_additive(void **state)
{
    (void)state;
    make_rows();
    xai_model *m;
    assert_int_equal(xai_model_from_callbacks(D, 1, 0, additive, NULL, NULL, &m), XAI_OK);
    float phi[N * D], bad[N * D];
    float d[D] = {0.5f, 0, -0.25f, 0, 0, 1};
    for (int i = 0; i < N; i++)
        for (int j = 0; j < D; j++) {
            double v = X[i * D + j];
            phi[i * D + j] = (float)((j + 1) * sin(v) + 0.1 * v * v);
            bad[i * D + j] = phi[i * D + j] + d[j];
        }
    xai_explain_context c = {.n_features = D, .stats = ST};
    xai_explain_options o = xai_explain_options_default();
    o.baseline = XAI_BASELINE_ZERO;
    xai_audit_nbhd z = {XAI_AUDIT_NBHD_MASK, 0.3};
    double l0[N], l1[N];
    assert_int_equal(xai_audit_lfa_loss(m, &o, &c, &z, 4000, X, N, 0, phi, l0, 2), XAI_OK);
    assert_int_equal(xai_audit_lfa_loss(m, &o, &c, &z, 4000, X, N, 0, bad, l1, 2), XAI_OK);
    double want = 0;
    for (int j = 0; j < D; j++)
        want += 0.3 * 0.7 * d[j] * d[j];
    for (int i = 0; i < N; i++) {
        assert_true(l0[i] < 1e-9);
        assert_true(fabs(l1[i] - want) < 0.1 * want);
    }
    xai_model_free(m);
}

/* Every number of the loss table in the JSON against a recomputation:
 * the per-instance losses again through xai_audit_lfa_loss, their mean,
 * standard error (sd / sqrt(n)) and rank (1 + the methods better by a
 * paired t-test at 95%, t quantiles from a printed table) computed here;
 * the recommendation's cell, the metrics' cells (ci95 = t se), the
 * accuracy and mean output.  python3's json module reads the file. */
static double t975(size_t df)
{
    /* Student t, 97.5% quantile (standard tables) */
    static const double t[] = {0, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365,
                               2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
                               2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069,
                               2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};
    assert_true(df >= 1 && df <= 30);
    return t[df];
}

static void mean_se(const double *v, size_t n, double *mean, double *se)
{
    double m = 0, ss = 0;
    for (size_t i = 0; i < n; i++)
        m += v[i] / (double)n;
    for (size_t i = 0; i < n; i++)
        ss += (v[i] - m) * (v[i] - m);
    *mean = m;
    *se = sqrt(ss / (double)(n - 1) / (double)n);
}

static void json_numbers_recomputed(void **state)
{
    (void)state;
    make_rows();
    xai_model *m;
    assert_int_equal(xai_model_from_callbacks(D, 1, 1, predict, vjp, (void *)&W0, &m), XAI_OK);
    xai_audit_nbhd nb[3];
    assert_int_equal(xai_audit_nbhd_parse("gaussian:0.3", &nb[0]), XAI_OK);
    assert_int_equal(xai_audit_nbhd_parse("mask:0.2", &nb[1]), XAI_OK);
    assert_int_equal(xai_audit_nbhd_parse("point", &nb[2]), XAI_OK);
    xai_audit_result *r = run(m, NULL, 0, nb, 3);
    size_t M = r->n_methods, Z = r->n_nbhds;
    char path[64], epath[64];
    snprintf(path, sizeof path, "/tmp/xai_audit_num_%ld.json", (long)getpid());
    snprintf(epath, sizeof epath, "/tmp/xai_audit_exp_%ld.json", (long)getpid());
    assert_int_equal(xai_audit_write_json(r, NULL, path), XAI_OK);
    FILE *e = fopen(epath, "w");
    assert_non_null(e);
    xai_explain_context c = {.n_features = D, .stats = ST};
    xai_audit_options ao = xai_audit_options_default();
    ao.base.seed = 5;
    static double loss[16][3][N];
    double mean[16][3], se[16][3];
    assert_true(M <= 16);
    for (size_t k = 0; k < M; k++)
        for (size_t z = 0; z < Z; z++) {
            if (xai_audit_lfa_loss(m, &ao.base, &c, &nb[z], 1000, X, N, 0,
                                   r->phi + k * N * D, loss[k][z], 1) != XAI_OK)
                fail_msg("%s", xai_last_error());
            mean_se(loss[k][z], N, &mean[k][z], &se[k][z]);
        }
    fprintf(e, "{\"loss\": [");
    for (size_t k = 0; k < M; k++)
        for (size_t z = 0; z < Z; z++)
            fprintf(e, "%s%s%.17g", z ? ", " : k ? "], [" : "[", "", mean[k][z]);
    fprintf(e, "]], \"se\": [");
    for (size_t k = 0; k < M; k++)
        for (size_t z = 0; z < Z; z++)
            fprintf(e, "%s%.17g", z ? ", " : k ? "], [" : "[", se[k][z]);
    fprintf(e, "]], \"rank\": [");
    int rank[16][3];
    for (size_t k = 0; k < M; k++)
        for (size_t z = 0; z < Z; z++) {
            int better = 0;
            for (size_t q = 0; q < M; q++) {
                double dv[N], dm, ds;
                for (int i = 0; i < N; i++)
                    dv[i] = loss[q][z][i] - loss[k][z][i];
                mean_se(dv, N, &dm, &ds);
                better += q != k && dm < 0 && -dm > t975(N - 1) * ds;
            }
            rank[k][z] = 1 + better;
            fprintf(e, "%s%d", z ? ", " : k ? "], [" : "[", rank[k][z]);
        }
    /* the recommendation: the first neighbourhood's lowest (rank, mean) */
    size_t best = 0;
    for (size_t k = 1; k < M; k++)
        if (rank[k][0] < rank[best][0] ||
            (rank[k][0] == rank[best][0] && mean[k][0] < mean[best][0]))
            best = k;
    double mp = 0;
    for (int i = 0; i < N; i++)
        mp += 1 / (1 + exp(-score(&W0, X + i * D))) / N;
    fprintf(e, "]], \"rec\": \"%s\", \"rec_loss\": %.17g, \"rec_se\": %.17g, "
            "\"t\": %.17g, \"mean_output\": %.17g, \"accuracy\": %.17g}\n",
            r->methods[best].name, mean[best][0], se[best][0], t975(N - 1), mp,
            1.0 - 6.0 / N);
    fclose(e);
    char checks[4096];
    snprintf(checks, sizeof checks,
             "e=json.load(open(\"%s\"))\n"
             "t=d[\"table\"]\n"
             "close=lambda a,b,rel: abs(a-b)<=rel*max(abs(a),abs(b))+1e-12\n"
             "for k in range(len(t[\"methods\"])):\n"
             "  for z in range(3):\n"
             "    assert close(t[\"loss\"][k][z],e[\"loss\"][k][z],1e-9),(k,z,t[\"loss\"][k][z],e[\"loss\"][k][z])\n"
             "    assert close(t[\"se\"][k][z],e[\"se\"][k][z],1e-6),(k,z,t[\"se\"][k][z],e[\"se\"][k][z])\n"
             "    assert t[\"rank\"][k][z]==e[\"rank\"][k][z],(k,z,t[\"rank\"][k][z],e[\"rank\"][k][z])\n"
             "rec=d[\"recommendation\"]\n"
             "assert rec[\"method\"]==e[\"rec\"],(rec,e[\"rec\"])\n"
             "assert close(rec[\"loss\"][\"mean\"],e[\"rec_loss\"],1e-9) and close(rec[\"loss\"][\"se\"],e[\"rec_se\"],1e-6)\n"
             "assert close(rec[\"loss\"][\"ci95\"],e[\"t\"]*e[\"rec_se\"],6e-4)\n"
             "for name,mt in d[\"metrics\"].items():\n"
             "  for k in (\"pgi\",\"pgu\",\"infidelity\",\"max_sensitivity\"):\n"
             "    c=mt[k]; assert c[\"n\"]==%d\n"
             "    assert close(c[\"ci95\"],e[\"t\"]*c[\"se\"],6e-4),(name,k,c)\n"
             "    assert c[\"se\"]>=0\n"
             "assert close(d[\"rows\"][\"mean_output\"],e[\"mean_output\"],1e-6)\n"
             "assert close(d[\"model_quality\"][\"accuracy\"],e[\"accuracy\"],1e-12)\n"
             "assert d[\"model_quality\"][\"labelled_rows\"]==%d\n",
             epath, N, N);
    sh_json_check(path, checks);
    /* metrics in the JSON are the result's cells */
    remove(path);
    remove(epath);
    xai_audit_result_free(r);
    xai_model_free(m);
}

/* The JSON parses and has the documented keys and shapes (python3's json
 * module is the independent parser). */
static void json_schema(void **state)
{
    (void)state;
    make_rows();
    xai_model *m;
    assert_int_equal(xai_model_from_callbacks(D, 1, 1, predict, vjp, (void *)&W0, &m), XAI_OK);
    xai_explain_context c = {.n_features = D, .stats = ST};
    xai_audit_options o = xai_audit_options_default();
    o.sens_points = 2;
    xai_audit_result *r = NULL;
    if (xai_audit_run(m, &c, &o, X, 12, 100, NULL, &r) != XAI_OK)
        fail_msg("%s", xai_last_error());
    assert_int_equal(r->n_nbhds, 5u);
    double mean_p = 0; /* the mean predicted probability, recomputed here */
    for (int i = 0; i < 12; i++)
        mean_p += 1 / (1 + exp(-score(&W0, X + i * D))) / 12;
    char path[64];
    snprintf(path, sizeof path, "/tmp/xai_audit_test_%ld.json", (long)getpid());
    assert_int_equal(xai_audit_write_json(r, "\"model\": \"m \\\"q\\\"\"", path), XAI_OK);
    char checks[4096];
    snprintf(checks, sizeof checks,
             "assert d[\"schema\"]==\"xai-audit/1\"\n"
             "assert d[\"input\"][\"model\"]==\"m \\\"q\\\"\"\n"
             "t=d[\"table\"]; M=len(t[\"methods\"]); Z=len(t[\"neighbourhoods\"])\n"
             "assert M==%zu and Z==5\n"
             "for k in (\"loss\",\"se\",\"rank\"):\n"
             "  assert len(t[k])==M and all(len(row)==Z for row in t[k])\n"
             "assert all(isinstance(v,(int,float)) and v>=0 for row in t[\"loss\"] for v in row)\n"
             "assert len(t[\"best\"])==Z and len(t[\"tied_with_best\"])==Z\n"
             "rec=d[\"recommendation\"]\n"
             "assert rec[\"method\"] in t[\"methods\"] and rec[\"neighbourhood\"]==t[\"neighbourhoods\"][0]\n"
             "assert rec[\"declared\"] is False and rec[\"method\"]==t[\"best\"][0]\n"
             "assert set(d[\"metrics\"])==set(t[\"methods\"])\n"
             "for name,mt in d[\"metrics\"].items():\n"
             "  for k in (\"pgi\",\"pgu\",\"infidelity\",\"max_sensitivity\"):\n"
             "    c=mt[k]; assert set(c)=={\"mean\",\"se\",\"ci95\",\"n\",\"rank\"}, c\n"
             "    assert c[\"n\"]==12 and 1<=c[\"rank\"]<=M\n"
             "  assert \"deletion_area\" not in mt and mt[\"sanity_flagged\"] is None\n"
             "  assert len(mt[\"pgi_curve\"])==d[\"settings\"][\"pgi_k\"]==6\n"
             "  assert mt[\"explain\"][\"evaluations\"]>0\n"
             "assert set(d[\"rows\"])=={\"first\",\"count\",\"features\",\"mean_output\"}\n"
             "assert (d[\"rows\"][\"first\"],d[\"rows\"][\"count\"],d[\"rows\"][\"features\"])==(100,12,6)\n"
             "assert abs(d[\"rows\"][\"mean_output\"]-%.17g)<1e-6\n"
             "assert d[\"model_quality\"][\"labelled_rows\"]==0 and d[\"model_quality\"][\"accuracy\"] is None\n",
             r->n_methods, mean_p);
    sh_json_check(path, checks);
    /* a failed write leaves nothing behind */
    assert_int_equal(xai_audit_write_json(r, NULL, "/nonexistent-dir/a.json"), XAI_ERR_IO);
    remove(path);
    xai_audit_result_free(r);
    xai_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nbhd_parse),
        cmocka_unit_test(mask_loss_additive),
        cmocka_unit_test(table_principle),
        cmocka_unit_test(recommendation_skips_flagged),
        cmocka_unit_test(json_schema),
        cmocka_unit_test(json_numbers_recomputed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
