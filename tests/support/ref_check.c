/* tests/support/ref_check.c: see ref_check.h. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <cmocka.h>

#include "ref_check.h"

float *ref_to_float(const ref_block *b)
{
    assert_non_null(b);
    size_t len = b->rows * b->cols;
    float *p = malloc((len > 0 ? len : 1) * sizeof *p);
    assert_non_null(p);
    for (size_t i = 0; i < b->rows * b->cols; i++)
        p[i] = (float)b->v[i];
    return p;
}

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

void ref_expect_close(const char *model, const char *key, const float *got,
                      const ref_block *b, double tol)
{
    assert_non_null(b);
    double e = row_rel_err(got, b);
    if (e > tol)
        fail_msg("%s: %s differs from the reference by %.3g (relative to the row's "
                 "largest value; tolerance %.1g)", model, key, e, tol);
}

void ref_check_runtime(const char *name, const xai_model *m, const ref_file *rf,
                       double tol_value, double tol_grad)
{
    const ref_block *in = ref_get(rf, "input"), *out = ref_get(rf, "output"),
                    *score = ref_get(rf, "score"), *tb = ref_get(rf, "target");
    assert_non_null(in);
    assert_non_null(out);
    assert_non_null(tb);
    size_t n = in->rows, D = in->cols, K = out->cols;
    assert_int_equal(xai_model_input_size(m), D);
    assert_int_equal(xai_model_output_size(m), K);
    float *x = ref_to_float(in), *dy = ref_to_float(ref_get(rf, "dy")),
          *y = malloc(n * K * sizeof *y), *dx = malloc(n * D * sizeof *dx);
    int32_t *target = malloc(n * sizeof *target);
    assert_true(y && dx && target);
    for (size_t i = 0; i < n; i++)
        target[i] = (int32_t)tb->v[i];
    xai_runner *r;
    assert_int_equal(xai_runner_new(m, &r), XAI_OK);

    assert_int_equal(xai_runner_forward(r, XAI_OUTPUT_PROB, x, n, y), XAI_OK);
    ref_expect_close(name, "output", y, out, tol_value);
    assert_int_equal(xai_runner_forward(r, XAI_OUTPUT_SCORE, x, n, y), XAI_OK);
    ref_expect_close(name, "score", y, score, tol_value);

    assert_int_equal(xai_runner_vjp(r, XAI_OUTPUT_PROB, x, n, dy, dx, y), XAI_OK);
    ref_expect_close(name, "vjp_output", dx, ref_get(rf, "vjp_output"), tol_grad);
    ref_expect_close(name, "output (from vjp)", y, out, tol_value);
    assert_int_equal(xai_runner_vjp(r, XAI_OUTPUT_SCORE, x, n, dy, dx, y), XAI_OK);
    ref_expect_close(name, "vjp_score", dx, ref_get(rf, "vjp_score"), tol_grad);
    ref_expect_close(name, "score (from vjp)", y, score, tol_value);

    assert_int_equal(xai_runner_grad(r, XAI_OUTPUT_PROB, x, n, target, dx, NULL), XAI_OK);
    ref_expect_close(name, "grad_target", dx, ref_get(rf, "grad_target"), tol_grad);
    assert_int_equal(xai_runner_grad(r, XAI_OUTPUT_SCORE, x, n, target, dx, NULL), XAI_OK);
    ref_expect_close(name, "grad_target_score", dx, ref_get(rf, "grad_target_score"),
                     tol_grad);

    xai_runner_free(r);
    free(x), free(dy), free(y), free(dx), free(target);
}
