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

#include "support/ref_file.h"
#include "support/run_cmd.h"
#include "support/shell.h"

#define DIR "tests/fixtures/models/"

/* Max over entries of |got - ref| / scale, scale = the largest |ref| of the
 * row (1 if the row is all zero). */
static double row_rel_err(const float *got, const ref_block *b)
{
    double worst = 0;
    for (size_t i = 0; i < b->rows; i++) {
        double scale = 0;
        for (size_t j = 0; j < b->cols; j++)
            scale = fmax(scale, fabs(b->v[i * b->cols + j]));
        if (scale == 0)
            scale = 1;
        for (size_t j = 0; j < b->cols; j++)
            worst = fmax(worst,
                         fabs((double)got[i * b->cols + j] - b->v[i * b->cols + j]) / scale);
    }
    return worst;
}

static void expect_close(const char *model, const char *key, const float *got,
                         const ref_block *b, double tol)
{
    if (!b)
        fail_msg("%s: the .ref has no block '%s'", model, key);
    double e = row_rel_err(got, b);
    if (e > tol)
        fail_msg("%s: %s differs from the float64 reference by %.3g (relative "
                 "to the row's largest value; tolerance %.1g)",
                 model, key, e, tol);
}

static float *to_float(const ref_block *b)
{
    assert_non_null(b);
    float *p = malloc(b->rows * b->cols * sizeof *p);
    assert_non_null(p);
    for (size_t i = 0; i < b->rows * b->cols; i++)
        p[i] = (float)b->v[i];
    return p;
}

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

    const ref_block *in = ref_get(rf, "input"), *out = ref_get(rf, "output");
    assert_non_null(in);
    assert_non_null(out);
    size_t n = in->rows, D = in->cols, K = out->cols;
    assert_int_equal(xai_model_input_size(m), D);
    assert_int_equal(xai_model_output_size(m), K);
    float *x = to_float(in), *y = malloc(n * K * sizeof *y),
          *dx = malloc(n * D * sizeof *dx), *dy = to_float(ref_get(rf, "dy"));
    int32_t *target = malloc(n * sizeof *target);
    assert_true(y && dx && target);
    xai_runner *r;
    assert_int_equal(xai_runner_new(m, &r), XAI_OK);

    assert_int_equal(xai_runner_forward(r, XAI_OUTPUT_PROB, x, n, y), XAI_OK);
    expect_close(name, "output", y, out, 1e-5);
    assert_int_equal(xai_runner_forward(r, XAI_OUTPUT_SCORE, x, n, y), XAI_OK);
    expect_close(name, "score", y, ref_get(rf, "score"), 1e-5);
    /* one row at a time gives the same scores (the batch dim is symbolic) */
    for (size_t i = 0; i < n; i++) {
        float yi[16];
        assert_true(K <= 16);
        assert_int_equal(xai_runner_forward(r, XAI_OUTPUT_SCORE, x + i * D, 1, yi), XAI_OK);
        assert_memory_equal(yi, y + i * K, K * sizeof *yi);
    }

    assert_int_equal(xai_runner_vjp(r, XAI_OUTPUT_PROB, x, n, dy, dx, y), XAI_OK);
    expect_close(name, "vjp_output", dx, ref_get(rf, "vjp_output"), 1e-4);
    expect_close(name, "output (from vjp)", y, out, 1e-5);
    assert_int_equal(xai_runner_vjp(r, XAI_OUTPUT_SCORE, x, n, dy, dx, y), XAI_OK);
    expect_close(name, "vjp_score", dx, ref_get(rf, "vjp_score"), 1e-4);
    expect_close(name, "score (from vjp)", y, ref_get(rf, "score"), 1e-5);

    const ref_block *tb = ref_get(rf, "target");
    assert_non_null(tb);
    for (size_t i = 0; i < n; i++)
        target[i] = (int32_t)tb->v[i];
    assert_int_equal(xai_runner_grad(r, XAI_OUTPUT_PROB, x, n, target, dx, NULL), XAI_OK);
    expect_close(name, "grad_target", dx, ref_get(rf, "grad_target"), 1e-4);
    assert_int_equal(xai_runner_grad(r, XAI_OUTPUT_SCORE, x, n, target, dx, NULL), XAI_OK);
    expect_close(name, "grad_target_score", dx, ref_get(rf, "grad_target_score"), 1e-4);

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
    expect_close(name, "logits (tap)", a, ref_get(rf, "score"), 1e-5);
    expect_close(name, "score (from tap)", y, ref_get(rf, "score"), 1e-5);
    assert_int_equal(xai_runner_tap(r, XAI_OUTPUT_PROB, copies[0], x, n, target, a, NULL, y),
                     XAI_OK);
    expect_close(name, "output (tap)", a, out, 1e-5);
    free(a);

    xai_runner_free(r);
    xai_model_free(m);
    free(x);
    free(y);
    free(dx);
    free(dy);
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
