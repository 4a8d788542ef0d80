/* tests/test_explain_cli.c: `xai explain` end to end on the credit example
 * (ONNX MLP, one-hot groups): file format, identical files for any
 * --threads, usage and runtime errors, no file left behind on failure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <math.h>

#include <xai/xai.h>

#include "support/run_cmd.h"
#include "support/shell.h"

#define MODEL "examples/credit/model.onnx"
#define DATA "tests/fixtures/data/german_head.csv"
#define COMMON "explain --model " MODEL " --data " DATA " --label credit-risk --groups auto"

static char dir[64];

static void csv_format_and_threads(void **state)
{
    (void)state;
    cmd_result r;
    char *a, *b;
    size_t la, lb;
    for (int t = 1; t <= 2; t++)
        if (cmd_run(&r, COMMON " --rows 2:9 --method kernelshap,lime,ig,occlusion,"
                        "smoothgrad,c-lime --seed 4 --threads %d --out %s/t%d.csv",
                    t, dir, t) != 0)
            fail_msg("exit %d: %s", r.exit_code, r.err);
    char p1[128], p2[128];
    snprintf(p1, sizeof p1, "%s/t1.csv", dir);
    snprintf(p2, sizeof p2, "%s/t2.csv", dir);
    a = file_read(p1, &la);
    b = file_read(p2, &lb);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(la, lb);
    assert_memory_equal(a, b, la);
    assert_true(strncmp(a, "row,method,target,checking-account_1,checking-account_2,", 56) == 0);
    int lines = 0;
    for (char *p = a; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 1 + 7 * 6);
    assert_non_null(strstr(a, "\n2,kernelshap,0,"));
    assert_non_null(strstr(a, "\n8,c-lime,0,"));
    free(a), free(b);

    /* JSON with --no-timing is byte-identical too, and carries defaults */
    for (int t = 1; t <= 2; t++)
        if (cmd_run(&r, COMMON " --rows 0:4 --method kernelshap,ig --no-timing "
                        "--threads %d --out %s/t%d.json", t, dir, t) != 0)
            fail_msg("exit %d: %s", r.exit_code, r.err);
    snprintf(p1, sizeof p1, "%s/t1.json", dir);
    snprintf(p2, sizeof p2, "%s/t2.json", dir);
    a = file_read(p1, &la);
    b = file_read(p2, &lb);
    assert_int_equal(la, lb);
    assert_memory_equal(a, b, la);
    assert_non_null(strstr(a, "\"samples\": 2088")); /* 2 * 20 groups + 2048 */
    assert_non_null(strstr(a, "\"completeness_gap\""));
    assert_non_null(strstr(a, "\"ig_rule\": \"gauss-legendre\""));
    free(a), free(b);
}

static void errors(void **state)
{
    (void)state;
    cmd_result r;
    assert_int_equal(cmd_run(&r, COMMON " --method nosuch --out %s/e.csv", dir), 2);
    assert_non_null(strstr(r.err, "unknown method 'nosuch'"));
    assert_int_equal(cmd_run(&r, COMMON " --method lime --samples 0 --out %s/e.csv", dir), 2);
    assert_non_null(strstr(r.err, "--samples"));
    assert_int_equal(cmd_run(&r, COMMON " --method lime --out %s/e.txt", dir), 2);
    assert_int_equal(cmd_run(&r, COMMON " --method lime --rows 5:99 --out %s/e.csv", dir), 2);
    assert_int_equal(cmd_run(&r, COMMON " --method lime --target 3 --out %s/e.csv", dir), 1);
    assert_non_null(strstr(r.err, "target 3 out of range"));
    assert_int_equal(cmd_run(&r, COMMON " --method custom --neighbourhood masks "
                                 "--loss gradient --out %s/e.csv", dir), 1);
    assert_non_null(strstr(r.err, "no gradients to match"));
    char p[128];
    snprintf(p, sizeof p, "%s/e.csv", dir);
    assert_int_equal(access(p, F_OK), -1); /* nothing left behind */
    assert_int_equal(cmd_run(&r, "help explain"), 0);
    assert_non_null(strstr(r.out, "integrated-gradients"));
    /* custom: gaussian neighbourhood + function loss = c-lime */
    assert_int_equal(cmd_run(&r, COMMON " --rows 0:3 --method custom --neighbourhood "
                                 "gaussian:0.1 --loss function --out %s/c.csv", dir), 0);
    assert_int_equal(cmd_run(&r, COMMON " --rows 0:3 --method c-lime --out %s/l.csv",
                             dir), 0);
    char pc[128], pl[128];
    snprintf(pc, sizeof pc, "%s/c.csv", dir);
    snprintf(pl, sizeof pl, "%s/l.csv", dir);
    char *c = file_read(pc, NULL), *l = file_read(pl, NULL);
    /* same numbers, only the method column differs */
    char *cc = strstr(c, "\n0,custom,"), *lll = strstr(l, "\n0,c-lime,");
    assert_non_null(cc);
    assert_non_null(lll);
    cc += strlen("\n0,custom,");
    lll += strlen("\n0,c-lime,");
    size_t n = strcspn(cc, "\n");
    assert_int_equal(n, strcspn(lll, "\n"));
    assert_memory_equal(cc, lll, n);
    free(c), free(l);
}

/* Documented options that change the numbers, each against the library
 * called with the corresponding option (rows 1-3, seed 4): the CLI's CSV
 * must equal xai_explain_rows' output, and differ from the defaults. */
typedef struct opt_case {
    const char *args;
    xai_method method;
    void (*set)(xai_explain_options *o);
} opt_case;

static void set_kw(xai_explain_options *o) { o->kernel_width = 2.0; }
static void set_ridge(xai_explain_options *o) { o->ridge = 0.5; }
static void set_sigma(xai_explain_options *o) { o->sigma = 0.3; }
static void set_trap(xai_explain_options *o) { o->ig_rule = XAI_IG_TRAPEZOID; o->samples = 8; }
static void set_zero(xai_explain_options *o) { o->baseline = XAI_BASELINE_ZERO; }
static void set_row(xai_explain_options *o) { o->baseline = XAI_BASELINE_ROW; }
static void set_score(xai_explain_options *o) { o->output = XAI_OUTPUT_SCORE; }
static void set_custom(xai_explain_options *o)
{
    o->custom.neighbourhood = XAI_NBHD_GAUSSIAN;
    o->sigma = 0.2;
    o->custom.loss = XAI_LOSS_GRADIENT;
    o->custom.kernel = XAI_KERNEL_UNIFORM;
    o->custom.scale = XAI_SCALE_INPUT;
    o->samples = 20;
}
static void set_custom_exp(xai_explain_options *o)
{
    o->custom.neighbourhood = XAI_NBHD_MASKS;
    o->custom.loss = XAI_LOSS_FUNCTION;
    o->custom.kernel = XAI_KERNEL_EXPONENTIAL;
    o->kernel_width = 1.5;
    o->samples = 300;
}

static void options_match_library(void **state)
{
    (void)state;
    static const opt_case cases[] = {
        {"--method lime --kernel-width 2", XAI_METHOD_LIME, set_kw},
        {"--method lime --ridge 0.5", XAI_METHOD_LIME, set_ridge},
        {"--method c-lime --sigma 0.3", XAI_METHOD_CLIME, set_sigma},
        {"--method ig --ig-rule trapezoid --samples 8", XAI_METHOD_INTEGRATED_GRADIENTS, set_trap},
        {"--method kernelshap --baseline zero", XAI_METHOD_KERNELSHAP, set_zero},
        {"--method occlusion --baseline row:7", XAI_METHOD_OCCLUSION, set_row},
        {"--method gradient --output score", XAI_METHOD_GRADIENT, set_score},
        {"--method custom --neighbourhood gaussian:0.2 --loss gradient --kernel uniform "
         "--grad-scale input --samples 20", XAI_METHOD_CUSTOM, set_custom},
        {"--method custom --neighbourhood masks --loss function --kernel exp:1.5 "
         "--samples 300", XAI_METHOD_CUSTOM, set_custom_exp},
    };
    xai_model *m;
    xai_dataset *d;
    assert_int_equal(xai_model_load(MODEL, &m), XAI_OK);
    xai_csv_options co = xai_csv_options_default();
    co.label = "credit-risk";
    co.groups_auto = 1;
    assert_int_equal(xai_dataset_load_csv(DATA, &co, &d), XAI_OK);
    size_t D = xai_dataset_features(d);
    xai_column_stats *st = malloc(D * sizeof *st);
    float *x = malloc(3 * D * sizeof *x), *phi = malloc(3 * D * sizeof *phi),
          *dflt = malloc(3 * D * sizeof *dflt);
    assert_true(st && x && phi && dflt);
    for (size_t j = 0; j < D; j++)
        st[j] = *xai_dataset_stats(d, j);
    for (int i = 0; i < 3; i++)
        memcpy(x + i * D, xai_dataset_row(d, 1 + i), D * sizeof *x);
    xai_explain_context c = {.n_features = D, .stats = st,
                             .groups = xai_dataset_feature_groups(d),
                             .n_groups = xai_dataset_group_count(d),
                             .baseline_row = xai_dataset_row(d, 7)};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        cmd_result r;
        if (cmd_run(&r, COMMON " --rows 1:4 --seed 4 %s --out %s/o.csv", cases[k].args,
                    dir) != 0)
            fail_msg("%s: exit %d: %s", cases[k].args, r.exit_code, r.err);
        xai_explain_options o = xai_explain_options_default(), o0;
        o.method = cases[k].method;
        o.seed = 4;
        if (o.method == XAI_METHOD_CUSTOM) { /* defaults: the first case */
            o0 = o;
            set_custom(&o0);
            o0.sigma = XAI_AUTO, o0.samples = XAI_AUTO;
        } else {
            o0 = o;
        }
        cases[k].set(&o);
        if (xai_explain_rows(m, &o, &c, x, 3, 1, phi, NULL, 1) != XAI_OK)
            fail_msg("%s: %s", cases[k].args, xai_last_error());
        if (xai_explain_rows(m, &o0, &c, x, 3, 1, dflt, NULL, 1) != XAI_OK)
            fail_msg("%s (defaults): %s", cases[k].args, xai_last_error());
        char path[128];
        snprintf(path, sizeof path, "%s/o.csv", dir);
        size_t len;
        char *csv = file_read(path, &len);
        assert_non_null(csv);
        char *line = strchr(csv, '\n');
        double moved = 0;
        for (int i = 0; i < 3; i++) {
            assert_non_null(line);
            char *p = line + 1;
            for (int f = 0; f < 3; f++) /* row, method, target */
                p = strchr(p, ',') + 1;
            for (size_t j = 0; j < D; j++) {
                char *end;
                double v = strtod(p, &end);
                assert_true(end != p);
                double want = phi[i * D + j];
                if (fabs(v - want) > 1e-6 * (1 + fabs(want)))
                    fail_msg("%s: row %d feature %zu: CLI %.9g, library %.9g",
                             cases[k].args, 1 + i, j, v, want);
                moved = fmax(moved, fabs(want - dflt[i * D + j]));
                p = end + (*end == ',');
            }
            line = strchr(line + 1, '\n');
        }
        if (!(moved > 1e-4))
            fail_msg("%s: the option changes nothing", cases[k].args);
        free(csv);
    }
    free(st), free(x), free(phi), free(dflt);
    xai_dataset_free(d);
    xai_model_free(m);
}

int main(int argc, char **argv)
{
    (void)argc;
    cmd_init(argv[0]);
    tmp_dir(dir, sizeof dir, "xai_explain_cli");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(options_match_library),
        cmocka_unit_test(csv_format_and_threads),
        cmocka_unit_test(errors),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    rm_tree(dir);
    return rc;
}
