/* tests/test_recourse_cli.c: `xai counterfactual`, `xai stability` and
 * `xai lipschitz` end to end on a small ONNX MLP: the CSV layout, the
 * constraints in the written rows, the JSON schema (python3's json),
 * byte-identical output for 1 and 2 threads, validity on alternative models,
 * and bad inputs (exit codes 1 / 2, no output file left behind). */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <xai/rng.h>

#include "support/onnx_build.h"
#include "support/pdf_tools.h"
#include "support/run_cmd.h"
#include "support/shell.h"

static char DIR_[128], MODEL[192], ALT[192], WIDE[192], TRAIN[192], TEST[192], CFS[192];

/* 6 inputs: dur (integer), amt, age (integer, increasing), sex (immutable),
 * grp_1, grp_2 (one-hot); Gemm 6->5, Relu, Gemm 5->1, Sigmoid. */
static void write_model(const char *path, int D, uint64_t seed)
{
    xai_rng r;
    xai_rng_init(&r, seed, 0);
    float w1[5 * 8], b1[5], w2[5], b2 = -1.0f;
    for (int i = 0; i < 5 * D; i++)
        w1[i] = (float)xai_rng_normal(&r);
    for (int i = 0; i < 5; i++) {
        b1[i] = (float)(0.2 * xai_rng_normal(&r));
        w2[i] = (float)(1.5 * xai_rng_normal(&r));
    }
    float sd[8] = {10, 2000, 15, 1, 1, 1, 1, 1}, mu[8] = {20, 3000, 35, 0, 0, 0, 0, 0};
    ob_model *m = ob_new(13);
    ob_input(m, "x", 2, (int64_t[]){1, D});
    ob_output(m, "y", 2, (int64_t[]){1, 1});
    ob_init_f(m, "mu", 1, (int64_t[]){D}, mu);
    ob_init_f(m, "sd", 1, (int64_t[]){D}, sd);
    ob_init_f(m, "W1", 2, (int64_t[]){5, D}, w1);
    ob_init_f(m, "B1", 1, (int64_t[]){5}, b1);
    ob_init_f(m, "W2", 2, (int64_t[]){1, 5}, w2);
    ob_init_f(m, "B2", 1, (int64_t[]){1}, &b2);
    ob_add(m, "Sub", "sub", "x,mu", "xs");
    ob_add(m, "Div", "div", "xs,sd", "xn");
    ob_attr_i(ob_add(m, "Gemm", "fc1", "xn,W1,B1", "h"), "transB", 1);
    ob_add(m, "Relu", "relu", "h", "a");
    ob_attr_i(ob_add(m, "Gemm", "fc2", "a,W2,B2", "z"), "transB", 1);
    ob_add(m, "Sigmoid", "sig", "z", "y");
    ob_write(m, path);
    ob_free(m);
}

static void write_data(const char *path, int n, uint64_t seed)
{
    xai_rng r;
    xai_rng_init(&r, seed, 1);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "dur,amt,age,sex,grp_1,grp_2,y\n");
    for (int i = 0; i < n; i++) {
        int g = (int)xai_rng_below(&r, 2);
        fprintf(f, "%d,%.1f,%d,%d,%d,%d,%d\n", 6 + (int)xai_rng_below(&r, 40),
                500 + 6000 * xai_rng_uniform(&r), 19 + (int)xai_rng_below(&r, 50),
                (int)xai_rng_below(&r, 2), g == 0, g == 1, (int)xai_rng_below(&r, 2));
    }
    fclose(f);
}

static int setup(void **state)
{
    (void)state;
    tmp_dir(DIR_, sizeof DIR_, "xai_rcli");
    snprintf(MODEL, sizeof MODEL, "%s/m.onnx", DIR_);
    snprintf(ALT, sizeof ALT, "%s/alt", DIR_);
    snprintf(WIDE, sizeof WIDE, "%s/wide.onnx", DIR_);
    snprintf(TRAIN, sizeof TRAIN, "%s/train.csv", DIR_);
    snprintf(TEST, sizeof TEST, "%s/test.csv", DIR_);
    write_model(MODEL, 6, 1);
    write_model(WIDE, 7, 1);
    sh_run(NULL, "mkdir -p %s", ALT);
    char p[512];
    for (int k = 0; k < 3; k++) {
        snprintf(p, sizeof p, "%s/a%d.onnx", ALT, k);
        write_model(p, 6, k == 0 ? 1 : 10 + k); /* a0 is the model itself */
    }
    write_data(TRAIN, 200, 2);
    write_data(TEST, 30, 3);
    snprintf(CFS, sizeof CFS, "%s/given.csv", DIR_);
    sh_run(NULL, "cut -d, -f1-6 %s > %s", TEST, CFS); /* no label column */
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rm_tree(DIR_);
    return 0;
}

#define BASE "counterfactual --model %s --data %s --train %s --label y --groups auto " \
             "--immutable sex --increasing age --integer dur,age --k 200"

/* Values of the CSV file as rows of doubles; the header into hdr. */
static int read_csv(const char *path, char *hdr, size_t hn, double v[][16], int max_rows)
{
    char *t = file_read(path, NULL);
    assert_non_null(t);
    char *save = NULL, *line = strtok_r(t, "\n", &save);
    snprintf(hdr, hn, "%s", line);
    int n = 0;
    while ((line = strtok_r(NULL, "\n", &save)) && n < max_rows) {
        char *s2 = NULL;
        int j = 0;
        for (char *c = strtok_r(line, ",", &s2); c && j < 16; c = strtok_r(NULL, ",", &s2), j++)
            v[n][j] = j == 1 ? (double)c[0] : atof(c); /* method: its first letter */
        n++;
    }
    free(t);
    return n;
}

static void counterfactual_end_to_end(void **state)
{
    (void)state;
    static cmd_result r;
    char o1[256], o2[256], j1[256], j2[256];
    snprintf(o1, sizeof o1, "%s/cf1.csv", DIR_);
    snprintf(o2, sizeof o2, "%s/cf2.csv", DIR_);
    snprintf(j1, sizeof j1, "%s/cf1.json", DIR_);
    snprintf(j2, sizeof j2, "%s/cf2.json", DIR_);
    if (cmd_run(&r, BASE " --alt-models %s --threads 1 --out %s --json %s", MODEL, TEST,
                TRAIN, ALT, o1, j1) != 0)
        fail_msg("%s", r.err);
    assert_non_null(strstr(r.out, "already accepted (skipped)"));
    assert_int_equal(cmd_run(&r, BASE " --alt-models %s --threads 2 --out %s --json %s", MODEL,
                             TEST, TRAIN, ALT, o2, j2), 0);
    char *a = file_read(o1, NULL), *b = file_read(o2, NULL);
    assert_string_equal(a, b);
    free(a);
    free(b);
    a = file_read(j1, NULL);
    b = file_read(j2, NULL);
    assert_string_equal(a, b);
    free(a);
    free(b);
    char hdr[512];
    static double v[200][16];
    int n = read_csv(o1, hdr, sizeof hdr, v, 200);
    assert_string_equal(hdr, "row,method,found,output,stability,cost_l1,cost_l2,changed,"
                             "dur,amt,age,sex,grp_1,grp_2");
    /* the original rows, to check the constraints on every found row */
    static double x[40][16];
    char h2[256];
    int nx = read_csv(TEST, h2, sizeof h2, x, 40);
    assert_int_equal(nx, 30);
    int found = 0;
    for (int i = 0; i < n; i++) {
        const double *q = v[i], *o = x[(int)q[0]];
        if (!q[2])
            continue;
        found++;
        assert_true(q[3] >= 0.5);                 /* accepted */
        assert_true(q[11] == o[3]);               /* sex immutable */
        assert_true(q[10] >= o[2]);               /* age only grows */
        assert_true(q[8] == round(q[8]) && q[10] == round(q[10]));
        assert_true(q[12] + q[13] == 1 && (q[12] == 0 || q[12] == 1));
    }
    assert_true(found > 0);
    /* a0 is the model itself: every found counterfactual is valid on it */
    sh_json_check(j1,
                  "assert d[\"schema\"]==\"xai-counterfactual/1\"\n"
                  "assert d[\"settings\"][\"k\"]==200 and d[\"settings\"][\"immutable\"]==[\"sex\"]\n"
                  "assert len(d[\"settings\"][\"alt_models\"])==3\n"
                  "assert d[\"already_accepted\"]+len(d[\"records\"])//4==30\n"
                  "ms={m[\"method\"]:m for m in d[\"methods\"]}\n"
                  "assert set(ms)=={\"closest\",\"nn\",\"trex\",\"trex-nn\"}\n"
                  "for r in d[\"records\"]:\n"
                  "  assert len(r[\"valid_alt\"])==3\n"
                  "  if r[\"found\"]: assert r[\"valid_alt\"][0]==1 and r[\"accepted\"]\n"
                  "  else: assert r[\"reason\"]\n"
                  "for m in ms.values():\n"
                  "  assert m[\"validity_min\"]<=m[\"validity_mean\"]<=1\n"
                  "  f=[r for r in d[\"records\"] if r[\"method\"]==m[\"method\"] and r[\"found\"]]\n"
                  "  if f: assert abs(m[\"cost_l1\"]-sum(r[\"cost_l1\"] for r in f)/len(f))<1e-6\n");
}

static void stability_scores_given_rows(void **state)
{
    (void)state;
    static cmd_result r;
    char o[256], j[256];
    snprintf(o, sizeof o, "%s/st.csv", DIR_);
    snprintf(j, sizeof j, "%s/st.json", DIR_);
    if (cmd_run(&r, "stability --model %s --data %s --original %s --train %s --label y "
                    "--groups auto --k 100 --radius 0.3 --out %s --json %s", MODEL, CFS, TEST, TRAIN, o,
                j) != 0)
        fail_msg("%s", r.err);
    sh_json_check(j, "assert len(d[\"records\"])==30\n"
                     "for r in d[\"records\"]:\n"
                     "  assert r[\"method\"]==\"given\" and r[\"cost_l1\"]==0 and r[\"changed\"]==0\n"
                     "  assert r[\"found\"]==r[\"accepted\"]==(r[\"output\"]>=0.5)\n"
                     "  assert -1<=r[\"stability\"]<=1 and r[\"stability_se\"]>=0\n"
                     "  e=r[\"stability_exact\"]; assert e[\"radius\"]==0.3 and e[\"gamma\"]>0\n"
                     "  assert e[\"vacuous\"]==(e[\"R\"]<=0.5)\n"
                     "  assert e[\"vacuous\"] or 0<=e[\"p_rejected_max\"]<1\n"
                     "  assert e[\"R\"]<=r[\"stability\"]+0.5\n");
}

/* A stability sample smaller than a block of rows (k + 1 < 16): the scorer's
 * output buffer once held k + 1 rows and received 16 (heap overflow). */
static void stability_small_k(void **state)
{
    (void)state;
    static cmd_result r;
    char o[256];
    snprintf(o, sizeof o, "%s/small_k.csv", DIR_);
    if (cmd_run(&r, "stability --model %s --data %s --train %s --label y --groups auto "
                    "--k 3 --out %s", MODEL, CFS, TRAIN, o) != 0)
        fail_msg("%s", r.err);
    char *t = file_read(o, NULL);
    assert_non_null(t);
    size_t lines = 0;
    for (const char *c = t; *c; c++)
        lines += *c == '\n';
    free(t);
    assert_int_equal(lines, 31); /* the header and the 30 given rows */
}

static void lipschitz_prints_bounds(void **state)
{
    (void)state;
    static cmd_result r;
    if (cmd_run(&r, "lipschitz --model %s --data %s --label y --train %s --radius 0.1 "
                    "--rows 0:4 --samples 200", MODEL, TEST, TRAIN) != 0)
        fail_msg("%s", r.err);
    assert_non_null(strstr(r.out, "row,lower,upper,upper_norms,upper_interval,unstable\n"));
    char *p = strstr(r.out, "\n0,");
    assert_non_null(p);
    double lo, up;
    assert_int_equal(sscanf(p + 3, "%lf,%lf", &lo, &up), 2);
    assert_true(lo > 0 && lo <= up);
    assert_int_equal(cmd_run(&r, "lipschitz --model %s --data %s --label y --radius -1",
                             MODEL, TEST), 2);
}

static void audit_recourse_section(void **state)
{
    (void)state;
    static cmd_result r;
    char pdf[256];
    snprintf(pdf, sizeof pdf, "%s/audit.pdf", DIR_);
    if (cmd_run(&r, "audit --model %s --data %s --label y --groups auto --rows 0:12 "
                    "--methods gradient --sens-points 1 --samples 100 --out %s "
                    "--counterfactuals \"--train %s --immutable sex --increasing age "
                    "--integer dur,age --k 100 --method closest,trex --alt-models %s\"",
                MODEL, TEST, pdf, TRAIN, ALT) != 0)
        fail_msg("%s", r.err);
    pdf_assert_valid(pdf);
    char *t = pdf_text(pdf);
    assert_non_null(strstr(t, "Recourse robustness"));
    assert_non_null(strstr(t, "valid on alt."));
    assert_non_null(strstr(t, "What stability promises"));
    free(t);
    /* a bad option inside the string is a usage error, and no report appears */
    snprintf(pdf, sizeof pdf, "%s/audit2.pdf", DIR_);
    assert_int_equal(cmd_run(&r, "audit --model %s --data %s --label y --groups auto "
                                 "--rows 0:12 --methods gradient --sens-points 1 "
                                 "--samples 100 --out %s --counterfactuals \"--k 100\"",
                             MODEL, TEST, pdf), 2);
    assert_non_null(strstr(r.err, "needs --train"));
    assert_int_equal(access(pdf, F_OK), -1);
}

/* Runs a failing command; checks the exit code, the message and that no
 * output file appeared. */
static void expect_fail(int code, const char *msg, const char *args)
{
    static cmd_result r;
    char out[256];
    snprintf(out, sizeof out, "%s/bad/x.csv", DIR_);
    sh_run(NULL, "rm -rf %s/bad && mkdir -p %s/bad", DIR_, DIR_);
    int rc = cmd_run(&r, "%s --out %s --json %s/bad/x.json", args, out, DIR_);
    if (rc != code || !strstr(r.err, msg))
        fail_msg("'%s': exit %d (want %d), stderr: %s", args, rc, code, r.err);
    char bad[512];
    snprintf(bad, sizeof bad, "%s/bad", DIR_);
    assert_int_equal(dir_entries(bad), 0);
}

static void bad_inputs(void **state)
{
    (void)state;
    char a[2048];
    snprintf(a, sizeof a, BASE " --desired 3", MODEL, TEST, TRAIN);
    expect_fail(2, "--desired 3 is out of range", a);
    snprintf(a, sizeof a, BASE " --tau 1.5", MODEL, TEST, TRAIN);
    expect_fail(2, "--tau wants a number in (0, 1)", a);
    snprintf(a, sizeof a, BASE " --method closest,magic", MODEL, TEST, TRAIN);
    expect_fail(2, "--method wants", a);
    snprintf(a, sizeof a, BASE " --immutable height", MODEL, TEST, TRAIN);
    expect_fail(2, "'height' is neither a column nor a group", a);
    snprintf(a, sizeof a, BASE " --immutable dur,amt,age,sex,grp", MODEL, TEST, TRAIN);
    expect_fail(1, "every feature is immutable", a);
    snprintf(a, sizeof a, BASE " --alt-models %s,%s", MODEL, TEST, TRAIN, MODEL, WIDE);
    expect_fail(1, "takes 7 inputs and gives 1 outputs", a);
    /* a counterfactual file whose columns are not the training columns */
    char cf[256];
    snprintf(cf, sizeof cf, "%s/cols.csv", DIR_);
    file_write(cf, "dur,amount,age,sex,grp_1,grp_2\n10,1000,30,1,1,0\n");
    snprintf(a, sizeof a, "stability --model %s --data %s --train %s --label y --groups auto",
             MODEL, cf, TRAIN);
    expect_fail(1, "column 2 of", a);
}

int main(int argc, char **argv)
{
    (void)argc;
    cmd_init(argv[0]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(counterfactual_end_to_end),
        cmocka_unit_test(stability_scores_given_rows),
        cmocka_unit_test(stability_small_k),
        cmocka_unit_test(lipschitz_prints_bounds),
        cmocka_unit_test(audit_recourse_section),
        cmocka_unit_test(bad_inputs),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
