/* tests/test_cli_model.c: `xai info` and `xai predict` end to end: predictions
 * written by the CLI against the PyTorch outputs recorded in the fixtures,
 * usage errors (exit 2), runtime errors (exit 1, no partial output file). */
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

#include "support/ref_file.h"
#include "support/run_cmd.h"
#include "support/shell.h"

#define DIR "tests/fixtures/models/"

static cmd_result r;
static char csv[64], out[96];

static void info(void **state)
{
    (void)state;
    assert_int_equal(cmd_run(&r, "info " DIR "cnn.onnx"), 0);
    assert_non_null(strstr(r.out, "[1, 8, 8]"));
    assert_non_null(strstr(r.out, "Conv x2"));
    assert_non_null(strstr(r.out, "/conv2/Conv_output_0 [8, 4, 4]"));
    assert_non_null(strstr(r.out, "10 values per row, probabilities"));
    assert_int_equal(cmd_run(&r, "info " DIR "linear.onnx"), 0);
    assert_non_null(strstr(r.out, "scores"));
    /* Linear(5,2): 5 x 2 multiply-adds = 20 FLOPs; 10 weights + 2 biases */
    assert_non_null(strstr(r.out, "parameters:  12\n"));
    assert_non_null(strstr(r.out, "FLOPs/row:   20 "));
    assert_int_equal(cmd_run(&r, "info"), 2);
    assert_int_equal(cmd_run(&r, "info /nonexistent.onnx"), 1);
    assert_non_null(strstr(r.err, "/nonexistent.onnx"));
}

/* Writes the .ref inputs of `name` as a CSV with a trailing label column. */
static ref_file *make_csv(const char *name)
{
    char p[128];
    snprintf(p, sizeof p, DIR "%s.ref", name);
    ref_file *rf = ref_load(p);
    assert_non_null(rf);
    const ref_block *in = ref_get(rf, "input");
    FILE *f = fopen(csv, "w");
    assert_non_null(f);
    for (size_t j = 0; j < in->cols; j++)
        fprintf(f, "f%zu,", j);
    fprintf(f, "label\n");
    for (size_t i = 0; i < in->rows; i++) {
        for (size_t j = 0; j < in->cols; j++)
            fprintf(f, "%.9g,", in->v[i * in->cols + j]);
        fprintf(f, "%zu\n", i % 2);
    }
    fclose(f);
    return rf;
}

/* Reads PRED.csv and compares outputs with key and pred with the argmax. */
static void check_pred(const ref_file *rf, const char *key, int score_of_probs)
{
    const ref_block *b = ref_get(rf, key);
    FILE *f = fopen(out, "r");
    assert_non_null(f);
    char line[4096];
    assert_non_null(fgets(line, sizeof line, f));
    assert_true(strncmp(line, "out0,", 5) == 0 || strncmp(line, "out0,pred", 9) == 0);
    for (size_t i = 0; i < b->rows; i++) {
        assert_non_null(fgets(line, sizeof line, f));
        char *p = line;
        size_t best = 0;
        for (size_t j = 0; j < b->cols; j++) {
            double v = strtod(p, &p);
            assert_int_equal(*p, ',');
            p++;
            double ref = b->v[i * b->cols + j];
            assert_true(fabs(v - ref) <= 1e-5 * fmax(1.0, fabs(ref)));
            if (ref > b->v[i * b->cols + best])
                best = j;
        }
        int pred = atoi(p);
        if (b->cols == 1)
            assert_int_equal(pred, b->v[i] >= (score_of_probs ? 0.0 : 0.5));
        else
            assert_int_equal(pred, (int)best);
    }
    assert_null(fgets(line, sizeof line, f));
    fclose(f);
}

static void predict(void **state)
{
    (void)state;
    const char *models[] = {"mlp_softmax", "mlp_sigmoid", "linear"};
    for (int i = 0; i < 3; i++) {
        ref_file *rf = make_csv(models[i]);
        assert_int_equal(cmd_run(&r, "predict --model " DIR "%s.onnx --data %s --label label "
                                     "--out %s", models[i], csv, out), 0);
        check_pred(rf, "output", 0);
        assert_int_equal(cmd_run(&r, "predict --model " DIR "%s.onnx --data %s --label label "
                                     "--output score --out %s", models[i], csv, out), 0);
        check_pred(rf, "score", i < 2);
        ref_free(rf);
    }
}

static void predict_errors(void **state)
{
    (void)state;
    ref_free(make_csv("mlp_softmax"));
    unlink(out);
    assert_int_equal(cmd_run(&r, "predict --model " DIR "linear.onnx --data %s", csv), 2);
    assert_non_null(strstr(r.err, "--out"));
    assert_int_equal(cmd_run(&r, "predict --data %s --out %s", csv, out), 2);
    assert_int_equal(cmd_run(&r, "predict --model " DIR "linear.onnx --data %s "
                                 "--output logits --out %s", csv, out), 2);
    assert_int_equal(cmd_run(&r, "predict --model " DIR "linear.onnx --bogus"), 2);
    /* 8 features + label into a 5-input model: runtime error, no output */
    assert_int_equal(cmd_run(&r, "predict --model " DIR "linear.onnx --data %s --label label "
                                 "--out %s", csv, out), 1);
    assert_non_null(strstr(r.err, "has 8 features but the model"));
    assert_null(strstr(r.err, "--label")); /* 8 != 5 + 1: no label hint */
    assert_int_equal(access(out, F_OK), -1);
    /* one column too many and no --label: the hint names the likely cause */
    assert_int_equal(cmd_run(&r, "predict --model examples/credit/model.onnx "
                                 "--data examples/credit/data/test.csv --out %s", out), 1);
    assert_string_equal(r.err, "xai predict: error: examples/credit/data/test.csv has 62 "
                               "features but the model examples/credit/model.onnx takes 61 "
                               "inputs (is one column the label? name it with --label NAME)\n");
    assert_int_equal(access(out, F_OK), -1);
    assert_int_equal(cmd_run(&r, "predict --model /nonexistent.onnx --data %s --out %s",
                             csv, out), 1);
    assert_int_equal(access(out, F_OK), -1);
}

static int setup(void **state)
{
    (void)state;
    tmp_file(csv, sizeof csv, "xai_cli");
    snprintf(out, sizeof out, "%s.pred.csv", csv);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(csv);
    unlink(out);
    return 0;
}

int main(int argc, char **argv)
{
    (void)argc;
    cmd_init(argv[0]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(info),
        cmocka_unit_test(predict),
        cmocka_unit_test(predict_errors),
    };
    return cmocka_run_group_tests_name("cli_model", tests, setup, teardown);
}
