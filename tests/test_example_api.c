/* tests/test_example_api.c: the C API example (examples/api/explain_row.c)
 * runs on the bundled credit model and prints what it claims: f(x) and
 * f(baseline) equal the model's output for the row and for the per-feature
 * mean row (computed here with a runner), then the five largest |phi| in
 * order; a bad row number is an error with exit status 1. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <xai/xai.h>

#include "support/shell.h"

static char g_example[600];

#define MODEL "examples/credit/model.onnx"
#define DATA "examples/credit/data/test.csv"

/* The model's output for one row: the arg-max probability. */
static double top_output(const xai_model *m, const float *x, size_t k)
{
    xai_runner *r;
    float y[16];
    assert_true(k <= 16);
    assert_int_equal(xai_runner_new(m, &r), XAI_OK);
    assert_int_equal(xai_runner_forward(r, XAI_OUTPUT_PROB, x, 1, y), XAI_OK);
    xai_runner_free(r);
    double best = y[0];
    for (size_t i = 1; i < k; i++)
        best = fmax(best, y[i]);
    return best;
}

static void example_runs(void **state)
{
    (void)state;
    char *out;
    int rc = sh_run(&out, "'%s' " MODEL " " DATA " credit-risk 3 2>&1", g_example);
    if (rc != 0)
        fail_msg("explain_row exited %d: %s", rc, out);
    size_t row;
    double fx, fb;
    unsigned long long evals;
    assert_int_equal(sscanf(out, "row %zu: f(x) = %lf, f(baseline) = %lf, %llu model "
                                 "evaluations", &row, &fx, &fb, &evals), 4);
    assert_int_equal(row, 3);
    assert_true(evals > 0);
    /* independent values through a runner */
    xai_model *m;
    xai_dataset *d;
    assert_int_equal(xai_model_load(MODEL, &m), XAI_OK);
    xai_csv_options o = xai_csv_options_default();
    o.label = "credit-risk";
    o.groups_auto = 1;
    assert_int_equal(xai_dataset_load_csv(DATA, &o, &d), XAI_OK);
    size_t D = xai_dataset_features(d), K = xai_model_output_size(m);
    float *mean = malloc(D * sizeof *mean);
    assert_non_null(mean);
    for (size_t j = 0; j < D; j++)
        mean[j] = (float)xai_dataset_stats(d, j)->mean;
    assert_true(fabs(fx - top_output(m, xai_dataset_row(d, 3), K)) < 1e-4);
    /* f(baseline) is the same output (the target of row 3) at the mean row */
    xai_runner *r;
    float y[16];
    assert_int_equal(xai_runner_new(m, &r), XAI_OK);
    assert_int_equal(xai_runner_forward(r, XAI_OUTPUT_PROB, mean, 1, y), XAI_OK);
    xai_runner_free(r);
    int found = 0;
    for (size_t i = 0; i < K; i++)
        found |= fabs(fb - y[i]) < 1e-4;
    assert_true(found);
    /* five attributions, largest |value| first */
    const char *p = strchr(out, '\n');
    double prev = INFINITY;
    int lines = 0;
    while (p && p[1]) {
        char name[128];
        double v;
        if (sscanf(p + 1, " %127s %lf", name, &v) != 2)
            fail_msg("bad attribution line in: %s", out);
        assert_true(fabs(v) <= prev + 1e-12);
        prev = fabs(v);
        lines++;
        p = strchr(p + 1, '\n');
    }
    assert_int_equal(lines, 5);
    free(out);
    free(mean);
    xai_dataset_free(d);
    xai_model_free(m);
    /* a row out of range: a message and exit status 1 */
    rc = sh_run(&out, "'%s' " MODEL " " DATA " credit-risk 100000 2>&1", g_example);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out, "row out of range"));
    free(out);
}

int main(int argc, char **argv)
{
    (void)argc;
    /* build/tests/test_example_api -> build/examples/explain_row */
    snprintf(g_example, sizeof g_example, "%s", argv[0]);
    char *slash = strrchr(g_example, '/');
    if (slash)
        *slash = '\0';
    strncat(g_example, "/../examples/explain_row", sizeof g_example - strlen(g_example) - 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(example_runs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
