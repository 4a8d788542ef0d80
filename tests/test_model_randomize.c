/* tests/test_model_randomize.c: the randomised copy for the sanity check
 * re-draws only the last weighted layer: activations before it are
 * unchanged, outputs change, and the copy is reproducible from its seed;
 * its gradients are those of its own weights (the runtime's packed copies
 * of them are re-made). */
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

#include "support/onnx_build.h"

enum { N = 16 };

static void rows(float *x, size_t n, size_t d)
{
    xai_rng r;
    xai_rng_init(&r, 3, 0);
    for (size_t i = 0; i < n * d; i++)
        x[i] = (float)xai_rng_normal(&r);
}

/* Activation of `layer` and scores of model m for the rows x. */
static void run(const xai_model *m, const char *layer, const float *x, float *act,
                float *score)
{
    xai_runner *r;
    assert_int_equal(xai_runner_new(m, &r), XAI_OK);
    int32_t target[N] = {0};
    assert_int_equal(xai_runner_tap(r, XAI_OUTPUT_SCORE, layer, x, N, target, act, NULL, score),
                     XAI_OK);
    xai_runner_free(r);
}

static void check(const char *path, const char *layer, size_t act_size)
{
    xai_model *m, *a, *b, *c;
    assert_int_equal(xai_model_load(path, &m), XAI_OK);
    assert_int_equal(xai_model_randomize_last_layer(m, 7, &a), XAI_OK);
    assert_int_equal(xai_model_randomize_last_layer(m, 7, &b), XAI_OK);
    assert_int_equal(xai_model_randomize_last_layer(m, 8, &c), XAI_OK);
    size_t D = xai_model_input_size(m), K = xai_model_output_size(m);
    float x[N * 64], act0[N * 128], act1[N * 128], y0[N * 10], y1[N * 10], y2[N * 10],
        y3[N * 10];
    assert_true(D <= 64 && K <= 10 && act_size <= 128);
    rows(x, N, D);
    run(m, layer, x, act0, y0);
    run(a, layer, x, act1, y1);
    run(b, layer, x, act1, y2);
    /* layers before the last weighted one are untouched */
    assert_memory_equal(act0, act1, N * act_size * sizeof(float));
    /* same seed, same copy */
    assert_memory_equal(y1, y2, N * K * sizeof(float));
    /* the outputs did change, and another seed draws other weights */
    run(c, layer, x, act1, y3);
    double d01 = 0, d13 = 0;
    for (size_t i = 0; i < N * K; i++) {
        d01 += fabs(y0[i] - y1[i]);
        d13 += fabs(y1[i] - y3[i]);
    }
    assert_true(d01 > 1e-3 * N * K);
    assert_true(d13 > 1e-3 * N * K);
    xai_model_free(a);
    xai_model_free(b);
    xai_model_free(c);
    xai_model_free(m);
}

static void mlp(void **state)
{
    (void)state;
    check("tests/fixtures/models/mlp_softmax.onnx", "/tanh/Tanh_output_0", 16);
}

static void cnn(void **state)
{
    (void)state;
    check("tests/fixtures/models/cnn.onnx", "/conv2/Conv_output_0", 8 * 4 * 4);
}

static int sq(void *u, const float *x, size_t n, float *y)
{
    (void)u;
    for (size_t i = 0; i < n; i++)
        y[i] = x[i] * x[i];
    return 0;
}

/* y = x W (MatMul, then Gemm with transB = 0 and 1): the copy's VJP must
 * equal its own Jacobian, read off its forward by central differences
 * (exact up to rounding for a linear model). */
static void copy_gradient_is_its_own(const char *op, int trans_b)
{
    enum { K = 5, M = 3 };
    float w[K * M];
    for (size_t i = 0; i < K * M; i++)
        w[i] = (float)(i % 7) * 0.25f - 0.6f;
    ob_model *mm = ob_new(13);
    ob_input(mm, "x", 2, (int64_t[]){1, K});
    ob_output(mm, "y", 0, NULL);
    ob_init_f(mm, "W", 2, trans_b ? (int64_t[]){M, K} : (int64_t[]){K, M}, w);
    ob_node *nd = ob_add(mm, op, "n0", "x,W", "y");
    if (trans_b)
        ob_attr_i(nd, "transB", 1);
    char path[] = "/tmp/xai_randomize_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    ob_write(mm, path);
    ob_free(mm);
    xai_model *m, *c;
    assert_int_equal(xai_model_load(path, &m), XAI_OK);
    /* the copy is made by loading the file again */
    assert_int_equal(xai_model_randomize_last_layer(m, 5, &c), XAI_OK);
    unlink(path);
    float x[K], dy[M], dx[K], xs[2 * K * K], ys[2 * K * M];
    for (int i = 0; i < K; i++)
        x[i] = 0.3f * (float)i - 0.5f;
    for (int j = 0; j < M; j++)
        dy[j] = 1.0f + (float)j;
    xai_runner *r;
    assert_int_equal(xai_runner_new(c, &r), XAI_OK);
    assert_int_equal(xai_runner_vjp(r, XAI_OUTPUT_SCORE, x, 1, dy, dx, NULL), XAI_OK);
    for (int i = 0; i < K; i++) {
        memcpy(xs + 2 * i * K, x, sizeof x);
        memcpy(xs + (2 * i + 1) * K, x, sizeof x);
        xs[2 * i * K + i] += 0.5f;
        xs[(2 * i + 1) * K + i] -= 0.5f;
    }
    assert_int_equal(xai_runner_forward(r, XAI_OUTPUT_SCORE, xs, 2 * K, ys), XAI_OK);
    for (int i = 0; i < K; i++) {
        double fd_ = 0;
        for (int j = 0; j < M; j++)
            fd_ += (double)dy[j] * ((double)ys[2 * i * M + j] - ys[(2 * i + 1) * M + j]);
        if (fabs(fd_ - (double)dx[i]) > 1e-4 * (1 + fabs(fd_)))
            fail_msg("%s transB %d: the copy's VJP %g differs from its forward's "
                     "differences %g at input %d", op, trans_b, (double)dx[i], fd_, i);
    }
    xai_runner_free(r);
    xai_model_free(c);
    xai_model_free(m);
}

static void copy_gradients(void **state)
{
    (void)state;
    copy_gradient_is_its_own("MatMul", 0);
    copy_gradient_is_its_own("Gemm", 0);
    copy_gradient_is_its_own("Gemm", 1);
}

static void callbacks_unsupported(void **state)
{
    (void)state;
    xai_model *m, *r;
    assert_int_equal(xai_model_from_callbacks(1, 1, 0, sq, NULL, NULL, &m), XAI_OK);
    assert_int_equal(xai_model_randomize_last_layer(m, 1, &r), XAI_ERR_UNSUPPORTED);
    assert_null(r);
    assert_string_equal(xai_last_error(),
                        "re-drawing the last layer needs an ONNX model (this is a callbacks model)");
    xai_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mlp),
        cmocka_unit_test(cnn),
        cmocka_unit_test(copy_gradients),
        cmocka_unit_test(callbacks_unsupported),
    };
    return cmocka_run_group_tests_name("model_randomize", tests, NULL, NULL);
}
