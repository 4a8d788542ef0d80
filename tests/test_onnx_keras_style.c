/* tests/test_onnx_keras_style.c: graphs shaped like tf2onnx exports of Keras
 * models (tests/fixtures/make_keras_style.py): symbolic batch dim "unk__N",
 * Dense as MatMul + Add, NHWC input through Transpose -> Conv -> Transpose,
 * Flatten as Reshape with a constant [-1, 144], and the graph output produced
 * by a final Identity after the Softmax/Sigmoid.  The references are a
 * float64 numpy interpretation of the same .onnx (tests/fixtures/onnx_numpy.py)
 * with gradients by central finite differences, not reverse mode. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <xai/xai.h>

#include "support/ref_check.h"
#include "support/run_cmd.h"
#include "support/shell.h"

#define DIR "tests/fixtures/models/"

/* copies: the graph output (Identity) and the Softmax/Sigmoid output;
 * logits: the activation's input. */
static void check_model(const char *name, int rank, const int64_t *shape,
                        const char *const copies[2], const char *logits)
{
    char path[256];
    snprintf(path, sizeof path, DIR "%s.ref", name);
    ref_file *rf = ref_load(path);
    assert_non_null(rf);
    snprintf(path, sizeof path, DIR "%s.onnx", name);
    xai_model *m;
    if (xai_model_load(path, &m) != XAI_OK)
        fail_msg("%s: %s", name, xai_last_error());

    /* the final Identity must not hide the Softmax/Sigmoid */
    assert_int_equal(xai_model_outputs_probabilities(m), 1);
    assert_int_equal(xai_model_has_gradient(m), 1);
    int64_t dims[4] = {0};
    assert_int_equal(xai_model_input_shape(m, dims), rank);
    for (int i = 0; i < rank; i++)
        assert_int_equal(dims[i], shape[i]);

    /* references by finite differences: derivatives to 1e-4 */
    ref_check_runtime(name, m, rf, 1e-5, 1e-4);

    const ref_block *in = ref_get(rf, "input"), *out = ref_get(rf, "output"),
                    *tb = ref_get(rf, "target");
    size_t n = in->rows, D = in->cols, K = out->cols;
    float *x = ref_to_float(in), *y = malloc(n * K * sizeof *y);
    int32_t *target = malloc(n * sizeof *target);
    assert_true(y && target);
    for (size_t i = 0; i < n; i++)
        target[i] = (int32_t)tb->v[i];
    xai_runner *r;
    assert_int_equal(xai_runner_new(m, &r), XAI_OK);
    /* one row at a time gives the same scores (the batch dim is symbolic) */
    assert_int_equal(xai_runner_forward(r, XAI_OUTPUT_SCORE, x, n, y), XAI_OK);
    for (size_t i = 0; i < n; i++) {
        float yi[16];
        assert_true(K <= 16);
        assert_int_equal(xai_runner_forward(r, XAI_OUTPUT_SCORE, x + i * D, 1, yi), XAI_OK);
        assert_memory_equal(yi, y + i * K, K * sizeof *yi);
    }

    /* for scores the final activation and the Identity after it are not
     * run, so neither tensor can be tapped; the logits can */
    float *a = malloc(n * K * sizeof *a);
    assert_non_null(a);
    for (size_t i = 0; i < 2; i++)
        assert_int_equal(xai_runner_tap(r, XAI_OUTPUT_SCORE, copies[i], x, n, target, a,
                                        NULL, NULL),
                         XAI_ERR_INVALID);
    assert_int_equal(xai_runner_tap(r, XAI_OUTPUT_SCORE, logits, x, n, target, a, NULL, y),
                     XAI_OK);
    ref_expect_close(name, "logits (tap)", a, ref_get(rf, "score"), 1e-5);
    ref_expect_close(name, "score (from tap)", y, ref_get(rf, "score"), 1e-5);
    assert_int_equal(xai_runner_tap(r, XAI_OUTPUT_PROB, copies[0], x, n, target, a, NULL, y),
                     XAI_OK);
    ref_expect_close(name, "output (tap)", a, out, 1e-5);
    free(a);

    xai_runner_free(r);
    xai_model_free(m);
    free(x);
    free(y);
    free(target);
    ref_free(rf);
}

static void keras_mlp(void **state)
{
    (void)state;
    check_model("keras_mlp", 1, (const int64_t[]){7},
                (const char *const[]){"dense_1", "sequential/dense_1/Sigmoid:0"},
                "sequential/dense_1/BiasAdd:0");
}

/* NHWC per sample: the runtime keeps the model's own layout */
static void keras_cnn(void **state)
{
    (void)state;
    check_model("keras_cnn", 3, (const int64_t[]){6, 6, 2},
                (const char *const[]){"dense", "sequential/dense/Softmax:0"},
                "sequential/dense/BiasAdd:0");
}

/* CHW images (PNG data, --image-shape) fed to an NHWC model would be
 * scrambled pixels: the explainer and the CLI refuse instead. */
static void nhwc_model_refuses_chw_images(void **state)
{
    (void)state;
    xai_model *m;
    assert_int_equal(xai_model_load("tests/fixtures/models/keras_cnn.onnx", &m), XAI_OK);
    float x[72] = {0}, phi[72];
    xai_explain_options o = xai_explain_options_default();
    o.method = XAI_METHOD_GRADIENT;
    xai_explain_context c = {.n_features = 72, .image_c = 2, .image_h = 6, .image_w = 6};
    assert_int_equal(xai_explain_rows(m, &o, &c, x, 1, 0, phi, NULL, 1), XAI_ERR_SHAPE);
    assert_string_equal(xai_last_error(),
                        "the model takes 6x6x2 per sample but the images are CHW 2x6x6 "
                        "(an NHWC model needs its data in its own layout, as CSV without "
                        "--image-shape)");
    /* the same rows without an image shape: the model's own layout, fine */
    xai_explain_context flat = {.n_features = 72};
    assert_int_equal(xai_explain_rows(m, &o, &flat, x, 1, 0, phi, NULL, 1), XAI_OK);
    xai_model_free(m);

    char csv[128], out[160], head[2048] = "", row[2048] = "";
    tmp_file(csv, sizeof csv, "nhwc.csv");
    for (int j = 0; j < 72; j++) {
        char cell[16];
        snprintf(cell, sizeof cell, "%sp%d", j ? "," : "", j);
        strcat(head, cell);
        snprintf(cell, sizeof cell, "%s0.5", j ? "," : "");
        strcat(row, cell);
    }
    char text[4200];
    snprintf(text, sizeof text, "%s\n%s\n", head, row);
    file_write(csv, text);
    snprintf(out, sizeof out, "%s.pred.csv", csv);
    static cmd_result r;
    assert_int_equal(cmd_run(&r, "predict --model tests/fixtures/models/keras_cnn.onnx "
                                 "--data %s --image-shape 2,6,6 --out %s", csv, out), 1);
    assert_non_null(strstr(r.err, "holds CHW images 2x6x6 but the model"));
    assert_int_equal(access(out, F_OK), -1);
    assert_int_equal(cmd_run(&r, "predict --model tests/fixtures/models/keras_cnn.onnx "
                                 "--data %s --out %s", csv, out), 0);
    unlink(out);
    unlink(csv);
}

int main(int argc, char **argv)
{
    (void)argc;
    cmd_init(argv[0]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keras_mlp),
        cmocka_unit_test(keras_cnn),
        cmocka_unit_test(nhwc_model_refuses_chw_images),
    };
    return cmocka_run_group_tests_name("onnx_keras_style", tests, NULL, NULL);
}
