/* tests/test_tree_missing.c: missing values.  The CSV reader takes an empty
 * cell, NA or NaN as missing only when asked (allow_missing), never in the
 * label; statistics skip missing values; the CLI asks for tree models only,
 * and `xai predict` on XGBoost's missing-value fixture reproduces xgboost's
 * predictions; every other model still refuses the cell by name. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <xai/xai.h>

#include "support/ref_file.h"
#include "support/run_cmd.h"

static char dir[64];

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_csv_missing(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/m.csv", dir);
    write_file(path, "a,b,y\n1,,0\nNA,2, 1\n nan ,4,0\n3,NaN,1\n5,6,0\n");
    xai_csv_options o = xai_csv_options_default();
    o.label = "y";
    xai_dataset *d = (xai_dataset *)1;
    /* refused by default, naming the cell */
    assert_int_equal(xai_dataset_load_csv(path, &o, &d), XAI_ERR_PARSE);
    assert_null(d);
    assert_non_null(strstr(xai_last_error(), "m.csv:2:2: column 'b': empty cell"));
    o.allow_missing = 1;
    assert_int_equal(xai_dataset_load_csv(path, &o, &d), XAI_OK);
    const float *v = xai_dataset_values(d);
    const int miss[5][2] = {{0, 1}, {1, 0}, {1, 0}, {0, 1}, {0, 0}};
    const float val[5][2] = {{1, 0}, {0, 2}, {0, 4}, {3, 0}, {5, 6}};
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 2; j++) {
            if (miss[i][j])
                assert_true(isnan(v[i * 2 + j]));
            else
                assert_true(v[i * 2 + j] == val[i][j]);
        }
    /* statistics over the values present: a = 1, 3, 5; b = 2, 4, 6 */
    const xai_column_stats *sa = xai_dataset_stats(d, 0), *sb = xai_dataset_stats(d, 1);
    assert_true(fabs(sa->mean - 3) < 1e-12 && fabs(sb->mean - 4) < 1e-12);
    assert_true(fabs(sa->std - sqrt(8.0 / 3)) < 1e-12);
    assert_true(sa->min == 1 && sa->max == 5 && sb->min == 2 && sb->max == 6);
    xai_dataset_free(d);
    /* a label is never missing; text that is not a number stays an error */
    write_file(path, "a,y\n1,\n");
    assert_int_equal(xai_dataset_load_csv(path, &o, &d), XAI_ERR_PARSE);
    assert_non_null(strstr(xai_last_error(), "column 'y': empty cell"));
    write_file(path, "a,y\nnone,1\n");
    assert_int_equal(xai_dataset_load_csv(path, &o, &d), XAI_ERR_PARSE);
    assert_non_null(strstr(xai_last_error(), "'none' is not a number"));
    write_file(path, "a,y\ninf,1\n");
    assert_int_equal(xai_dataset_load_csv(path, &o, &d), XAI_ERR_NUMERIC);
    unlink(path);
}

static void test_capabilities(void **state)
{
    (void)state;
    xai_model *m;
    assert_int_equal(xai_model_load("tests/fixtures/trees/xgb_missing.json", &m), XAI_OK);
    assert_int_equal(xai_model_accepts_missing(m), 1);
    xai_model_free(m);
    assert_int_equal(xai_model_load("tests/fixtures/models/linear.onnx", &m), XAI_OK);
    assert_int_equal(xai_model_accepts_missing(m), 0);
    xai_model_free(m);
}

/* `xai predict` reads the empty cells of the fixture as missing and gives
 * xgboost's predictions (recorded by make_trees.py). */
static void test_cli_predict_missing(void **state)
{
    (void)state;
    char out[128];
    snprintf(out, sizeof out, "%s/p.csv", dir);
    cmd_result r;
    cmd_run(&r, "predict --model tests/fixtures/trees/xgb_missing.json --data "
                "tests/fixtures/trees/xgb_missing_input.csv --out %s", out);
    if (r.exit_code != 0)
        fail_msg("exit %d: %s", r.exit_code, r.err);
    ref_file *rf = ref_load("tests/fixtures/trees/xgb_missing.ref");
    assert_non_null(rf);
    const ref_block *want = ref_get(rf, "output");
    FILE *f = fopen(out, "r");
    assert_non_null(f);
    char line[512];
    assert_non_null(fgets(line, sizeof line, f)); /* header */
    size_t i = 0;
    while (fgets(line, sizeof line, f) && i < want->rows) {
        double p1; /* binary:logistic: one output, P(1), and the class */
        int cls;
        assert_int_equal(sscanf(line, "%lf,%d", &p1, &cls), 2);
        assert_int_equal(want->cols, 1);
        assert_true(fabs(p1 - want->v[i]) < 1e-6);
        assert_int_equal(cls, want->v[i] > 0.5);
        i++;
    }
    fclose(f);
    assert_int_equal(i, want->rows);
    assert_true(isnan(ref_get(rf, "input")->v[0])); /* row 0: all missing */
    ref_free(rf);
    unlink(out);
    /* KernelSHAP explains rows with missing values of a tree model */
    cmd_run(&r, "explain --model tests/fixtures/trees/xgb_missing.json --data "
                "tests/fixtures/trees/xgb_missing_input.csv --rows 0:2 --method "
                "kernelshap --out -");
    if (r.exit_code != 0)
        fail_msg("exit %d: %s", r.exit_code, r.err);
    /* c-lime would add noise to a missing value: refused, naming it */
    cmd_run(&r, "explain --model tests/fixtures/trees/xgb_missing.json --data "
                "tests/fixtures/trees/xgb_missing_input.csv --rows 0:2 --method "
                "clime --out %s", out);
    assert_int_equal(r.exit_code, 1);
    assert_non_null(strstr(r.err, "row 0, feature 0 is missing"));
    assert_int_equal(access(out, F_OK), -1);
    /* xai info describes the trees */
    cmd_run(&r, "info tests/fixtures/trees/xgb_missing.json");
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, "format:      trees"));
    assert_non_null(strstr(r.out, "tree ensemble: 15 trees, max depth 4"));
    assert_non_null(strstr(r.out, "margins:     1, outputs = logistic per margin(margins)"));
    cmd_run(&r, "info tests/fixtures/trees/rf_reg.onnx");
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, "tree ensemble: 10 trees, max depth 4"));
    assert_non_null(strstr(r.out, "covers:      unknown"));
    /* a model without missing values still refuses the cell */
    cmd_run(&r, "predict --model tests/fixtures/trees/xgb_binary.json --data "
                "tests/fixtures/trees/xgb_missing_input.csv --out %s", out);
    assert_int_equal(r.exit_code, 0); /* a tree model: fine */
    unlink(out);
    cmd_run(&r, "predict --model tests/fixtures/models/linear.onnx --data "
                "tests/fixtures/trees/xgb_missing_input.csv --out %s", out);
    assert_int_equal(r.exit_code, 1);
    assert_non_null(strstr(r.err, "xgb_missing_input.csv:2:1: column 'f0': empty cell"));
    assert_int_equal(access(out, F_OK), -1);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/xai-miss-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return rmdir(dir);
}

int main(int argc, char **argv)
{
    (void)argc;
    cmd_init(argv[0]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_missing),
        cmocka_unit_test(test_capabilities),
        cmocka_unit_test(test_cli_predict_missing),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
