/* tests/test_model_faults.c: a model that fails or returns NaN in the
 * middle of an explanation makes every method return an error naming the
 * problem (never XAI_OK with attributions computed from garbage); a plugin
 * with the wrong ABI version, or whose predict fails, is refused with a
 * message.  The plugins are compiled here from tests/plugins/faulty.c. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <xai/explain.h>
#include <xai/plugin.h>

#include "support/shell.h"

enum { D = 5 };

/* f = sigmoid(w.x); after `fail_after` calls, predict fails (mode 1) or
 * writes NaN into one row (mode 2). */
typedef struct faulty {
    int mode;
    long calls, fail_after;
} faulty;

static double prob(const float *x)
{
    double a = 0.1;
    for (int j = 0; j < D; j++)
        a += (j % 2 ? -0.7 : 0.9) * x[j] + 0.2 * x[j] * x[(j + 1) % D];
    return 1 / (1 + exp(-a));
}

static int predict(void *u, const float *x, size_t n, float *y)
{
    faulty *f = u;
    int bad = f->calls++ >= f->fail_after;
    if (bad && f->mode == 1)
        return -1;
    for (size_t i = 0; i < n; i++)
        y[i] = (float)prob(x + i * D);
    if (bad && f->mode == 2)
        y[n / 2] = NAN;
    return 0;
}

static int vjp(void *u, const float *x, size_t n, const float *dy, float *dx)
{
    faulty *f = u;
    int bad = f->calls++ >= f->fail_after;
    if (bad && f->mode == 1)
        return -1;
    for (size_t i = 0; i < n; i++)
        for (int j = 0; j < D; j++) { /* central differences of prob, in double */
            float a[D], b[D];
            memcpy(a, x + i * D, sizeof a);
            memcpy(b, x + i * D, sizeof b);
            a[j] += 1e-3f, b[j] -= 1e-3f;
            dx[i * D + j] = (float)(dy[i] * (prob(a) - prob(b)) / ((double)a[j] - b[j]));
        }
    if (bad && f->mode == 2)
        dx[(n / 2) * D] = NAN;
    return 0;
}

static const xai_method methods[] = {
    XAI_METHOD_LIME, XAI_METHOD_CLIME, XAI_METHOD_KERNELSHAP, XAI_METHOD_OCCLUSION,
    XAI_METHOD_GRADIENT, XAI_METHOD_GRADIENT_X_INPUT, XAI_METHOD_SMOOTHGRAD,
    XAI_METHOD_INTEGRATED_GRADIENTS};

static void explain_with_fault(int mode, int with_vjp)
{
    static float x[3 * D];
    for (int i = 0; i < 3 * D; i++)
        x[i] = (float)(0.3 * ((i * 7) % 11) - 1.2);
    xai_column_stats st[D];
    for (int j = 0; j < D; j++)
        st[j] = (xai_column_stats){0, 1, -3, 3};
    xai_explain_context c = {.n_features = D, .stats = st};
    for (size_t k = 0; k < sizeof methods / sizeof methods[0]; k++) {
        /* how many calls a clean run makes: fail half way through */
        faulty f = {0, 0, 1L << 40};
        xai_model *m;
        assert_int_equal(xai_model_from_callbacks(D, 1, 1, predict, with_vjp ? vjp : NULL,
                                                  &f, &m), XAI_OK);
        xai_explain_options o = xai_explain_options_default();
        o.method = methods[k];
        o.seed = 3;
        float phi[3 * D];
        if (xai_explain_rows(m, &o, &c, x, 3, 0, phi, NULL, 1) != XAI_OK)
            fail_msg("%s (clean): %s", xai_method_name(methods[k]), xai_last_error());
        long clean = f.calls;
        assert_true(clean >= 2);
        f = (faulty){mode, 0, clean / 2};
        xai_status s = xai_explain_rows(m, &o, &c, x, 3, 0, phi, NULL, 1);
        if (s == XAI_OK)
            fail_msg("%s: the model %s after %ld of %ld calls, yet XAI_OK",
                     xai_method_name(methods[k]), mode == 1 ? "failed" : "returned NaN",
                     clean / 2, clean);
        const char *e = xai_last_error();
        assert_true(e && *e);
        if (mode == 2 && !strstr(e, "finite") && !strstr(e, "NaN") && !strstr(e, "nan"))
            fail_msg("%s: message does not say what is wrong: %s",
                     xai_method_name(methods[k]), e);
        xai_model_free(m);
    }
}

static void model_fails_mid_explanation(void **state)
{
    (void)state;
    explain_with_fault(1, 1);
    explain_with_fault(1, 0);
}

static void model_returns_nan_mid_explanation(void **state)
{
    (void)state;
    explain_with_fault(2, 1);
    explain_with_fault(2, 0);
}

/* ---- plugins ---------------------------------------------------------- */

static char g_dir[64];

static void build_plugin(const char *name, const char *defs)
{
    char *out;
    int rc = sh_run(&out, "cc -shared -fPIC -Iinclude %s -o %s/%s.so tests/plugins/faulty.c "
                    "-lm 2>&1", defs, g_dir, name);
    if (rc != 0)
        fail_msg("compiling the test plugin %s failed: %s", name, out);
    free(out);
}

static void plugin_wrong_abi(void **state)
{
    (void)state;
    tmp_dir(g_dir, sizeof g_dir, "xai_faulty_plugin");
    build_plugin("abi2", "-DFAULTY_ABI=2");
    build_plugin("ok", "");
    build_plugin("fails", "-DFAULTY_FAIL_AFTER=3");
    char p[200];
    xai_model *m = (xai_model *)1;
    snprintf(p, sizeof p, "plugin:%s/abi2.so", g_dir);
    assert_int_equal(xai_model_load(p, &m), XAI_ERR_UNSUPPORTED);
    assert_null(m);
    const char *e = xai_last_error();
    assert_non_null(strstr(e, "abi2.so"));
    assert_non_null(strstr(e, "ABI version 2"));
    /* the same source with the right ABI loads and predicts */
    snprintf(p, sizeof p, "plugin:%s/ok.so", g_dir);
    if (xai_model_load(p, &m) != XAI_OK)
        fail_msg("%s", xai_last_error());
    xai_runner *r;
    float x[2 * 3] = {1, 2, 3, -1, 0, 1}, y[2];
    assert_int_equal(xai_runner_new(m, &r), XAI_OK);
    assert_int_equal(xai_runner_forward(r, XAI_OUTPUT_PROB, x, 2, y), XAI_OK);
    assert_float_equal(y[0], 1 + 2 * 2 + 3 * 3, 1e-6);
    assert_float_equal(y[1], -1 + 3, 1e-6);
    xai_runner_free(r);
    xai_model_free(m);
    /* a plugin whose predict fails after 3 calls: the explanation fails */
    snprintf(p, sizeof p, "plugin:%s/fails.so", g_dir);
    if (xai_model_load(p, &m) != XAI_OK)
        fail_msg("%s", xai_last_error());
    xai_explain_options o = xai_explain_options_default();
    o.method = XAI_METHOD_KERNELSHAP;
    o.baseline = XAI_BASELINE_ZERO;
    xai_explain_context c = {.n_features = 3};
    float phi[2 * 3];
    assert_int_not_equal(xai_explain_rows(m, &o, &c, x, 2, 0, phi, NULL, 1), XAI_OK);
    assert_true(*xai_last_error());
    xai_model_free(m);
    rm_tree(g_dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(model_fails_mid_explanation),
        cmocka_unit_test(model_returns_nan_mid_explanation),
        cmocka_unit_test(plugin_wrong_abi),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
