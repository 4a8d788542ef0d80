/* tests/test_constant_columns.c: issue 14 item 7.  One rule for a constant
 * column (std 0): its noise scale is 1 (xai_column_scale), in the explainers'
 * Gaussian neighbourhoods as in the audit metrics, so a feature the model
 * uses gets its weight from C-LIME as from SmoothGrad (before: C-LIME gave
 * it ~1e-17, SmoothGrad its weight).  Item 6: a default sample count never
 * leaves a least-squares fit underdetermined (c-lime on 1,200 features gets
 * 1,201 samples, not 1,000), while an explicit smaller count is refused. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <xai/xai.h>

#include "support/models.h"
#include "support/onnx_build.h"
#include "support/shell.h"

enum { D = 4, N = 3 };

static void column_scale_rule(void **state)
{
    (void)state;
    xai_column_stats s = {5, 0, 5, 5};
    assert_float_equal(xai_column_scale(&s), 1.0, 0);
    s.std = 0.25;
    assert_float_equal(xai_column_scale(&s), 0.25, 0);
    s.std = NAN;
    assert_float_equal(xai_column_scale(&s), 1.0, 0);
    assert_float_equal(xai_column_scale(NULL), 1.0, 0);
}

/* y = w . x + c: C-LIME's fit and SmoothGrad's mean gradient are both w
 * exactly, for the constant column too. */
static void constant_column_gets_its_weight(void **state)
{
    (void)state;
    tm_model t;
    tm_init(&t, TM_LINEAR, D, 0, 1, 7);
    xai_model *m = tm_wrap(&t, 0);
    float x[N * D];
    tm_rows(N, D, 8, x);
    xai_column_stats st[D];
    for (size_t j = 0; j < D; j++)
        st[j] = (xai_column_stats){0, 1, -3, 3};
    st[0] = (xai_column_stats){2, 0, 2, 2}; /* constant in the data */
    for (size_t i = 0; i < N; i++)
        x[i * D] = 2;
    xai_explain_context c = {.n_features = D, .stats = st};
    const xai_method ms[] = {XAI_METHOD_CLIME, XAI_METHOD_SMOOTHGRAD};
    for (int k = 0; k < 2; k++) {
        xai_explain_options o = xai_explain_options_default();
        o.method = ms[k];
        o.target = 0;
        o.seed = 3;
        float phi[N * D];
        tm_explain(m, &o, &c, x, N, phi, NULL);
        for (size_t i = 0; i < N * D; i++)
            if (fabs(phi[i] - t.w[0][i % D]) > 1e-3 * (1 + fabs(t.w[0][i % D])))
                fail_msg("%s row %zu feature %zu: %g, want the weight %g",
                         xai_method_name(ms[k]), i / D, i % D, phi[i], t.w[0][i % D]);
    }
    xai_model_free(m);
}

static void default_samples_never_underdetermined(void **state)
{
    (void)state;
    enum { W = 1200 };
    static float w[W];
    for (int j = 0; j < W; j++)
        w[j] = (float)(j % 7) - 3;
    char dir[64], path[96];
    tmp_dir(dir, sizeof dir, "xai_wide");
    snprintf(path, sizeof path, "%s/wide.onnx", dir);
    ob_model *om = ob_new(13);
    ob_input(om, "x", 2, (int64_t[]){1, W});
    ob_output(om, "y", 2, (int64_t[]){1, 1});
    ob_init_f(om, "w", 2, (int64_t[]){W, 1}, w);
    ob_add(om, "MatMul", "mm", "x,w", "y");
    ob_write(om, path);
    ob_free(om);
    xai_model *m;
    assert_int_equal(xai_model_load(path, &m), XAI_OK);
    xai_explain_context c = {.n_features = W};
    xai_explain_options o = xai_explain_options_default(), r;
    o.method = XAI_METHOD_CLIME;
    assert_int_equal(xai_explain_options_resolve(m, &o, &c, &r), XAI_OK);
    assert_int_equal(r.samples, W + 1);
    assert_int_equal(xai_explain_fit_check(&r, &c), XAI_OK);
    o.samples = 1000; /* explicit: refused with the reason */
    assert_int_equal(xai_explain_options_resolve(m, &o, &c, &r), XAI_OK);
    assert_int_equal(xai_explain_fit_check(&r, &c), XAI_ERR_INVALID);
    assert_non_null(strstr(xai_last_error(), "c-lime fits 1201 coefficients"));
    xai_model_free(m);
    rm_tree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(column_scale_rule),
        cmocka_unit_test(constant_column_gets_its_weight),
        cmocka_unit_test(default_samples_never_underdetermined),
    };
    return cmocka_run_group_tests_name("constant columns", tests, NULL, NULL);
}
