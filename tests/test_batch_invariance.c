/* tests/test_batch_invariance.c: a row's result must not depend on the batch
 * it is computed in: 1000 rows in one batch vs the same rows one at a time
 * (and in odd-sized chunks) give bit-identical outputs, VJPs and taps; the
 * digits CNN is large enough that the runner itself splits 1000 rows. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <xai/xai.h>

enum { N = 1000 };

static void check(const char *name, const char *layer)
{
    char path[256];
    if (strchr(name, '/'))
        snprintf(path, sizeof path, "%s", name);
    else
        snprintf(path, sizeof path, "tests/fixtures/models/%s.onnx", name);
    xai_model *m;
    if (xai_model_load(path, &m) != XAI_OK)
        fail_msg("%s", xai_last_error());
    size_t D = xai_model_input_size(m), K = xai_model_output_size(m);
    float *x = malloc(N * D * sizeof *x), *dy = malloc(N * K * sizeof *dy);
    float *y1 = malloc(N * K * sizeof *y1), *y2 = malloc(N * K * sizeof *y2);
    float *g1 = malloc(N * D * sizeof *g1), *g2 = malloc(N * D * sizeof *g2);
    assert_true(x && dy && y1 && y2 && g1 && g2);
    xai_rng rng;
    xai_rng_init(&rng, 7, 0);
    for (size_t i = 0; i < N * D; i++)
        x[i] = (float)xai_rng_uniform(&rng);
    for (size_t i = 0; i < N * K; i++)
        dy[i] = (float)xai_rng_normal(&rng);
    xai_runner *r;
    assert_int_equal(xai_runner_new(m, &r), XAI_OK);
    for (int kind = 0; kind < 2; kind++) {
        assert_int_equal(xai_runner_forward(r, kind, x, N, y1), XAI_OK);
        assert_int_equal(xai_runner_vjp(r, kind, x, N, dy, g1, NULL), XAI_OK);
        for (size_t i = 0; i < N; i++) {
            assert_int_equal(xai_runner_forward(r, kind, x + i * D, 1, y2 + i * K), XAI_OK);
            assert_int_equal(xai_runner_vjp(r, kind, x + i * D, 1, dy + i * K, g2 + i * D,
                                            NULL),
                             XAI_OK);
        }
        assert_memory_equal(y1, y2, N * K * sizeof *y1);
        assert_memory_equal(g1, g2, N * D * sizeof *g1);
        /* chunks of 37 rows */
        for (size_t s = 0; s < N; s += 37) {
            size_t c = N - s < 37 ? N - s : 37;
            assert_int_equal(xai_runner_forward(r, kind, x + s * D, c, y2 + s * K), XAI_OK);
        }
        assert_memory_equal(y1, y2, N * K * sizeof *y1);
    }
    if (layer) {
        int64_t dims[4];
        int rank = xai_model_tensor_shape(m, layer, dims);
        assert_true(rank > 0);
        size_t A = 1;
        for (int i = 0; i < rank; i++)
            A *= (size_t)dims[i];
        float *a1 = malloc(N * A * sizeof *a1), *a2 = malloc(N * A * sizeof *a2);
        float *ga1 = malloc(N * A * sizeof *a1), *ga2 = malloc(N * A * sizeof *a2);
        int32_t *t = malloc(N * sizeof *t);
        assert_true(a1 && a2 && ga1 && ga2 && t);
        for (size_t i = 0; i < N; i++)
            t[i] = (int32_t)(i % K);
        assert_int_equal(xai_runner_tap(r, XAI_OUTPUT_SCORE, layer, x, N, t, a1, ga1, NULL),
                         XAI_OK);
        for (size_t i = 0; i < N; i++)
            assert_int_equal(xai_runner_tap(r, XAI_OUTPUT_SCORE, layer, x + i * D, 1, t + i,
                                            a2 + i * A, ga2 + i * A, NULL),
                             XAI_OK);
        assert_memory_equal(a1, a2, N * A * sizeof *a1);
        assert_memory_equal(ga1, ga2, N * A * sizeof *a1);
        free(a1); free(a2); free(ga1); free(ga2); free(t);
    }
    xai_runner_free(r);
    xai_model_free(m);
    free(x); free(dy); free(y1); free(y2); free(g1); free(g2);
}

static void mlp_softmax(void **state) { (void)state; check("mlp_softmax", NULL); }
static void logreg_std(void **state) { (void)state; check("logreg_std", NULL); }
static void cnn(void **state) { (void)state; check("cnn", "/conv2/Conv_output_0"); }
static void cnn_bn(void **state) { (void)state; check("cnn_bn", "/dwconv/Conv_output_0"); }
/* the runner cuts 1000 rows of this model into several chunks (CHUNK_FLOATS) */
static void digits(void **state)
{
    (void)state;
    check("examples/digits/model.onnx", "/conv2/Conv_output_0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mlp_softmax),
        cmocka_unit_test(logreg_std),
        cmocka_unit_test(cnn),
        cmocka_unit_test(cnn_bn),
        cmocka_unit_test(digits),
    };
    return cmocka_run_group_tests_name("batch_invariance", tests, NULL, NULL);
}
