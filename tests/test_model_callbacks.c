/* tests/test_model_callbacks.c: the generic model handle: callback models,
 * target gradients, and the finite-difference fallback, against analytic
 * gradients of y_k = tanh(sum_j W_kj x_j + b_k). */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <xai/xai.h>

enum { D = 5, K = 3 };
static const float W[K][D] = {{0.5f, -1.0f, 0.25f, 2.0f, 0.0f},
                              {-0.3f, 0.8f, 1.5f, -0.7f, 0.1f},
                              {1.1f, 0.2f, -0.4f, 0.3f, -1.2f}};
static const float B[K] = {0.1f, -0.2f, 0.05f};

static int predict(void *user, const float *x, size_t n, float *y)
{
    (void)user;
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < K; k++) {
            double a = B[k];
            for (int j = 0; j < D; j++)
                a += W[k][j] * x[i * D + j];
            y[i * K + k] = (float)tanh(a);
        }
    return 0;
}

/* analytic: dx_j = sum_k dy_k (1 - y_k^2) W_kj */
static void analytic_vjp(const float *x, size_t n, const float *dy, double *dx)
{
    float y[K];
    for (size_t i = 0; i < n; i++) {
        predict(NULL, x + i * D, 1, y);
        for (int j = 0; j < D; j++) {
            double acc = 0;
            for (int k = 0; k < K; k++)
                acc += dy[i * K + k] * (1.0 - (double)y[k] * y[k]) * W[k][j];
            dx[i * D + j] = acc;
        }
    }
}

static int vjp(void *user, const float *x, size_t n, const float *dy, float *dx)
{
    (void)user;
    double tmp[64 * D];
    analytic_vjp(x, n, dy, tmp);
    for (size_t i = 0; i < n * D; i++)
        dx[i] = (float)tmp[i];
    return 0;
}

static float X[4 * D] = {0.3f, -0.2f, 0.5f, 0.1f, -0.4f, 1.0f, 0.4f, -0.3f, 0.2f, 0.0f,
                         -0.5f, 0.25f, 0.1f, -0.1f, 0.7f, 0.05f, 0.6f, -0.2f, 0.3f, 0.3f};

static void check_grad(xai_model *m, double tol)
{
    xai_runner *r;
    assert_int_equal(xai_runner_new(m, &r), XAI_OK);
    int32_t target[4] = {0, 2, 1, 2};
    float grad[4 * D], y[4 * K], yref[4 * K];
    assert_int_equal(xai_runner_grad(r, XAI_OUTPUT_PROB, X, 4, target, grad, y), XAI_OK);
    predict(NULL, X, 4, yref);
    assert_memory_equal(y, yref, sizeof y);
    float dy[4 * K] = {0};
    for (int i = 0; i < 4; i++)
        dy[i * K + target[i]] = 1;
    double want[4 * D];
    analytic_vjp(X, 4, dy, want);
    for (int i = 0; i < 4 * D; i++)
        assert_float_equal(grad[i], want[i], tol * (1 + fabs(want[i])));
    target[1] = K;
    assert_int_equal(xai_runner_grad(r, XAI_OUTPUT_PROB, X, 4, target, grad, NULL),
                     XAI_ERR_INVALID);
    assert_string_equal(xai_last_error(), "target 3 out of range (the model has 3 outputs)");
    assert_int_equal(xai_runner_tap(r, XAI_OUTPUT_PROB, "conv", X, 1, target, NULL, NULL, NULL),
                     XAI_ERR_UNSUPPORTED);
    xai_runner_free(r);
}

static void exact_vjp(void **state)
{
    (void)state;
    xai_model *m;
    assert_int_equal(xai_model_from_callbacks(D, K, 0, predict, vjp, NULL, &m), XAI_OK);
    assert_int_equal(xai_model_has_gradient(m), 1);
    assert_int_equal(xai_model_input_size(m), D);
    assert_int_equal(xai_model_output_size(m), K);
    check_grad(m, 1e-6);
    xai_model_free(m);
}

static void finite_difference_fallback(void **state)
{
    (void)state;
    xai_model *m;
    assert_int_equal(xai_model_from_callbacks(D, K, 0, predict, NULL, NULL, &m), XAI_OK);
    assert_int_equal(xai_model_has_gradient(m), 0);
    check_grad(m, 2e-3); /* float32 central differences with h = 1e-3 */
    xai_model_free(m);
}

static void bad_arguments(void **state)
{
    (void)state;
    xai_model *m = (xai_model *)1;
    assert_int_equal(xai_model_from_callbacks(0, K, 0, predict, NULL, NULL, &m), XAI_ERR_INVALID);
    assert_null(m);
    xai_model_free(NULL);
    xai_runner_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(exact_vjp),
        cmocka_unit_test(finite_difference_fallback),
        cmocka_unit_test(bad_arguments),
    };
    return cmocka_run_group_tests_name("model_callbacks", tests, NULL, NULL);
}
