/* tests/test_model_randomize.c: the randomised copy for the sanity check
 * re-draws only the last weighted layer: activations before it are
 * unchanged, outputs change, and the copy is reproducible from its seed. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <xai/xai.h>

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
        cmocka_unit_test(callbacks_unsupported),
    };
    return cmocka_run_group_tests_name("model_randomize", tests, NULL, NULL);
}
