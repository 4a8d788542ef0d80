/* tests/test_plugin.c: plugin models (include/xai/plugin.h) loaded with
 * dlopen: predictions against the plugin's analytic formula, its exact VJP,
 * and the finite-difference fallback of the plugin without a VJP against the
 * analytic gradient p (1 - p) w. */
#include <libgen.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <xai/xai.h>

static char dir[512]; /* BUILD/examples */
static const double W[4] = {0.8, -1.2, 0.5, 2.0}, B = -0.3;

static double prob(const float *x)
{
    double z = B;
    for (int j = 0; j < 4; j++)
        z += W[j] * x[j];
    return 1.0 / (1.0 + exp(-z));
}

static xai_model *load(const char *so)
{
    char p[600];
    snprintf(p, sizeof p, "plugin:%s/%s", dir, so);
    xai_model *m;
    if (xai_model_load(p, &m) != XAI_OK)
        fail_msg("%s", xai_last_error());
    return m;
}

static void check(const char *so, int exact, double tol)
{
    xai_model *m = load(so);
    assert_int_equal(xai_model_input_size(m), 4);
    assert_int_equal(xai_model_output_size(m), 1);
    assert_int_equal(xai_model_outputs_probabilities(m), 1);
    assert_int_equal(xai_model_has_gradient(m), exact);
    xai_model_info info;
    xai_model_info_get(m, &info);
    assert_string_equal(info.format, "plugin");
    enum { N = 50 };
    float x[N * 4], y[N], g[N * 4];
    int32_t t[N] = {0};
    xai_rng rng;
    xai_rng_init(&rng, 3, 0);
    for (int i = 0; i < N * 4; i++)
        x[i] = (float)xai_rng_normal(&rng);
    xai_runner *r;
    assert_int_equal(xai_runner_new(m, &r), XAI_OK);
    assert_int_equal(xai_runner_forward(r, XAI_OUTPUT_PROB, x, N, y), XAI_OK);
    for (int i = 0; i < N; i++)
        assert_true(fabs(y[i] - prob(x + 4 * i)) < 1e-6);
    assert_int_equal(xai_runner_grad(r, XAI_OUTPUT_PROB, x, N, t, g, NULL), XAI_OK);
    double worst = 0;
    for (int i = 0; i < N; i++) {
        double p = prob(x + 4 * i);
        for (int j = 0; j < 4; j++)
            worst = fmax(worst, fabs(g[4 * i + j] - p * (1 - p) * W[j]));
    }
    if (worst > tol)
        fail_msg("%s: gradient error %.3g > %.1g", so, worst, tol);
    assert_int_equal(xai_runner_tap(r, XAI_OUTPUT_PROB, "x", x, 1, t, NULL, g, NULL),
                     XAI_ERR_UNSUPPORTED);
    xai_runner_free(r);
    xai_model_free(m);
}

static void exact_vjp(void **state) { (void)state; check("linear_logistic.so", 1, 1e-6); }
/* central differences with h = 1e-3 on a float32 model: ~1e-4 */
static void fd_fallback(void **state) { (void)state; check("linear_logistic_novjp.so", 0, 2e-4); }

static void bad_plugins(void **state)
{
    (void)state;
    xai_model *m = (xai_model *)1;
    assert_int_equal(xai_model_load("plugin:/nonexistent/x.so", &m), XAI_ERR_IO);
    assert_null(m);
    assert_non_null(strstr(xai_last_error(), "/nonexistent/x.so"));
    /* a bare name is not searched on the library path */
    assert_int_equal(xai_model_load("plugin:libm.so.6", &m), XAI_ERR_IO);
    /* a shared library without the plugin symbols */
    char p[600];
    snprintf(p, sizeof p, "plugin:%s/../tests/test_plugin", dir);
    assert_int_not_equal(xai_model_load(p, &m), XAI_OK);
    assert_int_equal(xai_model_load("plugin:/lib/x86_64-linux-gnu/libm.so.6", &m),
                     XAI_ERR_PARSE);
    assert_non_null(strstr(xai_last_error(), "xai_plugin_describe"));
}

int main(int argc, char **argv)
{
    (void)argc;
    char tmp[512];
    snprintf(tmp, sizeof tmp, "%s", argv[0]);
    snprintf(dir, sizeof dir, "%s/../examples", dirname(tmp));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(exact_vjp),
        cmocka_unit_test(fd_fallback),
        cmocka_unit_test(bad_plugins),
    };
    return cmocka_run_group_tests_name("plugin", tests, NULL, NULL);
}
