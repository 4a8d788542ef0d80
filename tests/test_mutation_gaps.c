/* tests/test_mutation_gaps.c: behaviour that mutants of the library got
 * past the rest of the suite with (make mutate, tools/mutate/), each checked
 * against an independent computation here:
 * - occlusion's surrogate intercept f(x) - sum phi, with phi_u recomputed
 *   from the model's own formula (solve.c one-hot intercept sign);
 * - a user sampler's negative or infinite weights are refused
 *   (sampler_points.c weight check, || -> &&);
 * - a Conv with a negative begin pad is refused at load (ops_conv.c
 *   attribute check, || -> &&);
 * - the LFA loss refuses 0 samples on every neighbourhood, also on point,
 *   which does not use them (lfa_loss.c samples < 1 -> < 0);
 * - Softmax / LogSoftmax of logits far apart, the largest not first
 *   (ops_softmax.c: the running maximum must include every logit);
 * - every method alias of the README / CLI (registry.c alias loop);
 * - Shape with a start attribute (opset 15) folded into a Reshape target
 *   (ops_shape.c: the values land at v[i - start]);
 * - Slice with a negative step folded the same way (ops_shape.c: the copy
 *   loop stops at the end index, exclusive, as the count loop does);
 * - Gemm with a bias C that broadcasts along the columns ([1] and [1, 1],
 *   ops_dense.c general broadcast path: column index 0 when C has one);
 * - int64 shape arithmetic folded at load: Sub and Mul of two different
 *   shape values (ops_binary.c fold_i64 operands);
 * - a Gemm of two constants (not batched, folded at load) added to the input
 *   (ops_dense.c shape inference: batched flag and dtype in their places);
 * - MatMul with a B that is not a matrix is refused at load (ops_dense.c
 *   rank check, || -> &&);
 * - BatchNormalization with a second (running mean) output, and Flatten with
 *   an axis beyond the rank, are refused at load (ops_norm.c output count,
 *   ops_shape.c axis range, || -> &&);
 * - the default image patch gives at most 8 patches a side, and no smaller
 *   patch would (options.c (side + 7) / 8); a method number equal to
 *   XAI_METHOD_COUNT is an unknown method, XAI_ERR_INVALID (options.c
 *   >= -> >);
 * - a mask kernel width of exactly 0.2 is accepted (README: >= 0.2;
 *   options.c < -> <=); the image value range spans every column's
 *   statistics, the first included (plan.c loop from j = 0);
 * - the SVD least-squares fallback with a ridge (solve.c rows S + P):
 *   two equal columns and a tiny ridge, analytic answer beta = (1, 1);
 * - a PDF table with no body rows still shows its header (pdf_table.c
 *   zero-row branch, draw_header's arguments);
 * - MaxPool with dilations (1, 2), every window inside the input, against
 *   a loop here (ops_pool.c fast path: only undilated windows);
 * - the audit's PGI k fraction accepts 1, the top of its documented range
 *   (0, 1] (select.c <= 1 -> < 1), and refuses just above it;
 * - infidelity of each row with its own attributions: on a linear model the
 *   exact ones (the weights) score 0, zeros do not (infidelity.c row offset);
 * - Conv whose kernel spans the whole input width (the last tap at the last
 *   column: ops_conv.c inside_range bound) against a direct sum;
 * - a non-finite background value is reported at its row and feature
 *   (options.c check_rows arguments); Dropout's mask output is refused
 *   (ops_shape.c output index);
 * - AveragePool (count_include_pad 0) with a leading pad as large as the
 *   kernel: windows wholly in the padding give 0, never NaN, the others
 *   the mean of their input cells (ops_pool.c cnt > 0 guard);
 * - Shape with end 0 is empty (ops_shape.c: only a negative end counts from
 *   the back);
 * - a PDF table that starts on a new page leaves no rule at the bottom of
 *   the page before (pdf_table.c: the closing rule only from row 1 on). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <xai/xai.h>

#include "explainers/lfa.h" /* xai_image_value_range */
#include "reports/pdf.h"
#include "reports/pdf_layout.h" /* PDF_PAGE_H, PDF_BOTTOM */
#include "support/models.h"
#include "support/onnx_build.h"
#include "support/pdf_tools.h"
#include "support/pnm.h"
#include "support/shell.h"

enum { D = 5 };

/* Occlusion on a non-linear model, baseline 0: phi_u = f(x) - f(x with
 * feature u set to 0), and the one-hot fit's intercept is f(x) - sum phi. */
static void occlusion_intercept(void **state)
{
    (void)state;
    tm_model t;
    tm_init(&t, TM_MLP, D, 6, 2, 31);
    xai_model *m = tm_wrap(&t, 0);
    float x[3 * D];
    tm_rows(3, D, 32, x);
    xai_explain_context c = {.n_features = D};
    xai_explain_options o = xai_explain_options_default();
    o.method = XAI_METHOD_OCCLUSION;
    o.baseline = XAI_BASELINE_ZERO;
    o.target = 1;
    o.output = XAI_OUTPUT_SCORE;
    float phi[3 * D];
    xai_explain_diag dg[3];
    tm_explain(m, &o, &c, x, 3, phi, dg);
    for (size_t i = 0; i < 3; i++) {
        double y[TM_MAX_OUT], yo[TM_MAX_OUT], sum = 0;
        tm_eval(&t, x + i * D, y);
        for (size_t u = 0; u < D; u++) {
            float xo[D];
            memcpy(xo, x + i * D, sizeof xo);
            xo[u] = 0;
            tm_eval(&t, xo, yo);
            assert_float_equal(phi[i * D + u], y[1] - yo[1], 1e-5);
            sum += y[1] - yo[1];
        }
        assert_float_equal(dg[i].fx, y[1], 1e-6);
        /* non-trivial: the intercept is not f(x) itself */
        assert_true(fabs(sum) > 0.05);
        if (fabs(dg[i].intercept - (y[1] - sum)) > 1e-5)
            fail_msg("row %zu: intercept %.6f, f(x) - sum phi = %.6f", i,
                     dg[i].intercept, y[1] - sum);
    }
    xai_model_free(m);
}

/* A user sampler that puts weight bad_weight on sample 3. */
static double bad_weight;

static int sampler(void *user, xai_rng *rng, const float *x, size_t D_, size_t S,
                   float *pts, double *w)
{
    (void)user;
    for (size_t s = 0; s < S; s++)
        for (size_t k = 0; k < D_; k++)
            pts[s * D_ + k] = x[k] + (float)xai_rng_normal(rng);
    w[3] = bad_weight;
    return 0;
}

static void user_sampler_weights(void **state)
{
    (void)state;
    tm_model t;
    tm_init(&t, TM_LINEAR, D, 0, 1, 33);
    xai_model *m = tm_wrap(&t, 0);
    float x[D], phi[D];
    tm_rows(1, D, 34, x);
    xai_explain_context c = {.n_features = D};
    xai_explain_options o = xai_explain_options_default();
    o.method = XAI_METHOD_CUSTOM;
    o.target = 0;
    o.samples = 30;
    o.custom.neighbourhood = XAI_NBHD_USER;
    o.custom.sample = sampler;
    /* the weights as given work (and recover the linear model) */
    bad_weight = 2.0;
    assert_int_equal(xai_explain_rows(m, &o, &c, x, 1, 0, phi, NULL, 1), XAI_OK);
    for (size_t k = 0; k < D; k++)
        assert_float_equal(phi[k], t.w[0][k], 1e-4);
    const double bad[] = {-1.0, -1e-300, INFINITY, -INFINITY, NAN};
    for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++) {
        bad_weight = bad[b];
        xai_status s = xai_explain_rows(m, &o, &c, x, 1, 0, phi, NULL, 1);
        if (s != XAI_ERR_NUMERIC)
            fail_msg("weight %g: status %d (want XAI_ERR_NUMERIC)", bad[b], s);
        assert_non_null(strstr(xai_last_error(), "weight 3"));
    }
    xai_model_free(m);
}

/* x[1,1,5,5] -> Conv(W[1,1,3,3], pads) -> y */
static xai_status load_conv(const int64_t pads[4], const int64_t dil[2])
{
    static const float w[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    ob_model *mm = ob_new(13);
    ob_input(mm, "x", 4, (int64_t[]){1, 1, 5, 5});
    ob_output(mm, "y", 0, NULL);
    ob_init_f(mm, "W", 4, (int64_t[]){1, 1, 3, 3}, w);
    ob_node *nd = ob_add(mm, "Conv", "c", "x,W", "y");
    ob_attr_ints(nd, "pads", 4, pads);
    ob_attr_ints(nd, "dilations", 2, dil);
    xai_model *m = NULL;
    xai_status s = ob_load(mm, &m);
    if (s == XAI_OK) {
        /* 5 + pads - 3 + 1 outputs per axis */
        assert_int_equal(xai_model_output_size(m),
                         (5 + pads[0] + pads[2] - 2) * (5 + pads[1] + pads[3] - 2));
        xai_model_free(m);
    } else {
        assert_null(m);
    }
    return s;
}

static void conv_negative_pads(void **state)
{
    (void)state;
    const int64_t one[2] = {1, 1};
    assert_int_equal(load_conv((int64_t[]){1, 0, 0, 1}, one), XAI_OK);
    for (int k = 0; k < 4; k++) {
        int64_t p[4] = {0, 0, 0, 0};
        p[k] = -1;
        xai_status s = load_conv(p, one);
        if (s != XAI_ERR_PARSE)
            fail_msg("pads[%d] = -1: status %d (want XAI_ERR_PARSE)", k, s);
        assert_non_null(strstr(xai_last_error(), "pads"));
    }
}

static void lfa_loss_zero_samples(void **state)
{
    (void)state;
    tm_model t;
    tm_init(&t, TM_LOGISTIC, D, 0, 1, 35);
    xai_model *m = tm_wrap(&t, 0);
    float x[2 * D], phi[2 * D] = {0};
    tm_rows(2, D, 36, x);
    xai_column_stats st[D];
    for (size_t j = 0; j < D; j++)
        st[j] = (xai_column_stats){0, 1, -3, 3};
    xai_explain_context c = {.n_features = D, .stats = st};
    xai_explain_options o = xai_explain_options_default();
    o.target = 0;
    const xai_audit_nbhd z[4] = {{XAI_AUDIT_NBHD_GAUSSIAN, 0.1}, {XAI_AUDIT_NBHD_MASK, 0.5},
                                 {XAI_AUDIT_NBHD_PATH, 0}, {XAI_AUDIT_NBHD_POINT, 0}};
    double loss[2];
    for (size_t k = 0; k < 4; k++) {
        assert_int_equal(xai_audit_lfa_loss(m, &o, &c, &z[k], 20, x, 2, 0, phi, loss, 1),
                         XAI_OK);
        assert_true(loss[0] > 0 && loss[1] > 0);
        for (int64_t n = 0; n >= -3; n -= 3) {
            xai_status s = xai_audit_lfa_loss(m, &o, &c, &z[k], n, x, 2, 0, phi, loss, 1);
            if (s != XAI_ERR_INVALID)
                fail_msg("neighbourhood %zu, %lld samples: status %d", k, (long long)n, s);
        }
        /* no output buffer for rows to explain: refused, not written through
         * (kills lfa_loss.c:132, `!loss && !n_rows`) */
        assert_int_equal(xai_audit_lfa_loss(m, &o, &c, &z[k], 20, x, 2, 0, phi, NULL, 1),
                         XAI_ERR_INVALID);
    }
    xai_model_free(m);
}

/* Loads a model x[1,3] -> op(axis 1) -> y; runs it on rows. */
static void run_softmax(const char *op, const float *x, size_t n, float *y)
{
    ob_model *mm = ob_new(13);
    ob_input(mm, "x", 2, (int64_t[]){1, 3});
    ob_output(mm, "y", 2, (int64_t[]){1, 3});
    ob_attr_i(ob_add(mm, op, "sm", "x", "y"), "axis", 1);
    char path[64];
    snprintf(path, sizeof path, "/tmp/xai_mgaps_sm_%d.onnx", (int)getpid());
    ob_write(mm, path);
    ob_free(mm);
    xai_model *m = NULL;
    assert_int_equal(xai_model_load(path, &m), XAI_OK);
    unlink(path);
    xai_runner *r = NULL;
    assert_int_equal(xai_runner_new(m, &r), XAI_OK);
    assert_int_equal(xai_runner_forward(r, XAI_OUTPUT_PROB, x, n, y), XAI_OK);
    xai_runner_free(r);
    xai_model_free(m);
}

/* Logits 1000 apart: softmax is one-hot, log-softmax -1000 / 0 exactly
 * (any shift that is not the maximum overflows exp in double). */
static void softmax_far_logits(void **state)
{
    (void)state;
    const float x[9] = {1000, 0, 0, 0, 1000, 0, 0, -5, 1000};
    float y[9];
    run_softmax("Softmax", x, 3, y);
    for (size_t i = 0; i < 9; i++)
        if (!(fabsf(y[i] - (x[i] == 1000 ? 1.0f : 0.0f)) < 1e-6f))
            fail_msg("softmax element %zu: %g", i, y[i]);
    run_softmax("LogSoftmax", x, 3, y);
    for (size_t i = 0; i < 9; i++)
        if (!(fabsf(y[i] - (x[i] == 1000 ? 0.0f : x[i] - 1000)) < 1e-3f))
            fail_msg("log-softmax element %zu: %g", i, y[i]);
}

/* The aliases the CLI accepts (README, method table and examples). */
static void method_aliases(void **state)
{
    (void)state;
    static const char *const pairs[][2] = {
        {"clime", "c-lime"},  {"CLIME", "c-lime"},
        {"shap", "kernelshap"}, {"ig", "integrated-gradients"},
        {"gxi", "gradient-x-input"}, {"gradcam", "grad-cam"},
        {"gradcam++", "grad-cam++"}, {"Kernelshap", "kernelshap"}};
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        xai_method m;
        if (xai_method_lookup(pairs[i][0], &m) != XAI_OK)
            fail_msg("alias '%s': %s", pairs[i][0], xai_last_error());
        assert_string_equal(xai_method_name(m), pairs[i][1]);
    }
}

/* x[N,2,3,4] -> Reshape(x, Concat(Shape(x, end 1), Shape(x, start 3), [-1]))
 * = [N, 4, 6] -> Softmax(axis -1) -> Flatten: a softmax over each run of 6
 * consecutive inputs, computed here. */
static void shape_start_attribute(void **state)
{
    (void)state;
    enum { DD = 24 };
    ob_model *mm = ob_new(15);
    ob_input(mm, "x", 4, (int64_t[]){1, 2, 3, 4});
    ob_output(mm, "y", 2, (int64_t[]){1, DD});
    ob_init_i(mm, "m1", 1, (int64_t[]){1}, (int64_t[]){-1});
    ob_attr_i(ob_add(mm, "Shape", "s0", "x", "head"), "end", 1);
    ob_attr_i(ob_add(mm, "Shape", "s1", "x", "tail"), "start", 3);
    ob_attr_i(ob_add(mm, "Concat", "cat", "head,tail,m1", "shape"), "axis", 0);
    ob_add(mm, "Reshape", "rs", "x,shape", "r");
    ob_attr_i(ob_add(mm, "Softmax", "sm", "r", "p"), "axis", -1);
    ob_attr_i(ob_add(mm, "Flatten", "fl", "p", "y"), "axis", 1);
    xai_model *m = NULL;
    xai_status st = ob_load(mm, &m);
    if (st != XAI_OK)
        fail_msg("load: %s", xai_last_error());
    assert_int_equal(xai_model_output_size(m), DD);
    float x[2 * DD], y[2 * DD];
    for (size_t i = 0; i < 2 * DD; i++)
        x[i] = (float)sin(0.7 * (double)i) * 2;
    xai_runner *r = NULL;
    assert_int_equal(xai_runner_new(m, &r), XAI_OK);
    assert_int_equal(xai_runner_forward(r, XAI_OUTPUT_PROB, x, 2, y), XAI_OK);
    for (size_t g = 0; g < 2 * DD / 6; g++) {
        double s = 0;
        for (size_t k = 0; k < 6; k++)
            s += exp(x[g * 6 + k]);
        for (size_t k = 0; k < 6; k++)
            assert_float_equal(y[g * 6 + k], exp(x[g * 6 + k]) / s, 1e-6);
    }
    xai_runner_free(r);
    xai_model_free(m);
}

/* x[N,2,3,4] -> Reshape(x, Concat(Slice(Shape(x), 0, 1),
 * Slice(Shape(x), -1, 0, step -1))) = [N, 4, 3, 2] -> Softmax(axis -1) ->
 * Flatten: a softmax over each pair of consecutive inputs. */
static void slice_negative_step(void **state)
{
    (void)state;
    enum { DD = 24 };
    ob_model *mm = ob_new(13);
    ob_input(mm, "x", 4, (int64_t[]){1, 2, 3, 4});
    ob_output(mm, "y", 2, (int64_t[]){1, DD});
    ob_init_i(mm, "z", 1, (int64_t[]){1}, (int64_t[]){0});
    ob_init_i(mm, "one", 1, (int64_t[]){1}, (int64_t[]){1});
    ob_init_i(mm, "last", 1, (int64_t[]){1}, (int64_t[]){-1});
    ob_init_i(mm, "back", 1, (int64_t[]){1}, (int64_t[]){-1});
    ob_add(mm, "Shape", "s", "x", "sh");
    /* head gives its axes input but no steps (kills ops_shape.c:507, axes
     * read from input 4) */
    ob_add(mm, "Slice", "head", "sh,z,one,z", "h");
    ob_add(mm, "Slice", "rev", "sh,last,z,z,back", "t");
    ob_attr_i(ob_add(mm, "Concat", "cat", "h,t", "shape"), "axis", 0);
    ob_add(mm, "Reshape", "rs", "x,shape", "r");
    ob_attr_i(ob_add(mm, "Softmax", "sm", "r", "p"), "axis", -1);
    ob_attr_i(ob_add(mm, "Flatten", "fl", "p", "y"), "axis", 1);
    xai_model *m = NULL;
    xai_status st = ob_load(mm, &m);
    if (st != XAI_OK)
        fail_msg("load: %s", xai_last_error());
    assert_int_equal(xai_model_output_size(m), DD);
    float x[2 * DD], y[2 * DD];
    for (size_t i = 0; i < 2 * DD; i++)
        x[i] = (float)cos(0.9 * (double)i) * 3;
    xai_runner *r = NULL;
    assert_int_equal(xai_runner_new(m, &r), XAI_OK);
    assert_int_equal(xai_runner_forward(r, XAI_OUTPUT_PROB, x, 2, y), XAI_OK);
    for (size_t g = 0; g < DD; g++) {
        double s = exp(x[2 * g]) + exp(x[2 * g + 1]);
        assert_float_equal(y[2 * g], exp(x[2 * g]) / s, 1e-6);
        assert_float_equal(y[2 * g + 1], exp(x[2 * g + 1]) / s, 1e-6);
    }
    xai_runner_free(r);
    xai_model_free(m);
}

/* x[N,2,3,4] -> Reshape(x, Concat(Slice(Shape(x), 0, 1), Gather(Shape(x),
 * [3]), [-1])) = [N, 4, 6] -> Softmax(axis -1) -> Flatten: a softmax over
 * each run of 6 consecutive inputs (kills ops_shape.c:491, Gather copying
 * element 0 whatever the index). */
static void gather_of_shape(void **state)
{
    (void)state;
    enum { DD = 24 };
    ob_model *mm = ob_new(13);
    ob_input(mm, "x", 4, (int64_t[]){1, 2, 3, 4});
    ob_output(mm, "y", 2, (int64_t[]){1, DD});
    ob_init_i(mm, "z", 1, (int64_t[]){1}, (int64_t[]){0});
    ob_init_i(mm, "one", 1, (int64_t[]){1}, (int64_t[]){1});
    ob_init_i(mm, "three", 1, (int64_t[]){1}, (int64_t[]){3});
    ob_init_i(mm, "m1", 1, (int64_t[]){1}, (int64_t[]){-1});
    ob_add(mm, "Shape", "s", "x", "sh");
    ob_add(mm, "Slice", "head", "sh,z,one", "h");
    ob_attr_i(ob_add(mm, "Gather", "g", "sh,three", "d3"), "axis", 0);
    ob_attr_i(ob_add(mm, "Concat", "cat", "h,d3,m1", "shape"), "axis", 0);
    ob_add(mm, "Reshape", "rs", "x,shape", "r");
    ob_attr_i(ob_add(mm, "Softmax", "sm", "r", "p"), "axis", -1);
    ob_attr_i(ob_add(mm, "Flatten", "fl", "p", "y"), "axis", 1);
    xai_model *m = NULL;
    xai_status st = ob_load(mm, &m);
    if (st != XAI_OK)
        fail_msg("load: %s", xai_last_error());
    assert_int_equal(xai_model_output_size(m), DD);
    float x[2 * DD], y[2 * DD];
    for (size_t i = 0; i < 2 * DD; i++)
        x[i] = (float)sin(0.7 * (double)i) * 3;
    xai_runner *r = NULL;
    assert_int_equal(xai_runner_new(m, &r), XAI_OK);
    assert_int_equal(xai_runner_forward(r, XAI_OUTPUT_PROB, x, 2, y), XAI_OK);
    for (size_t g = 0; g < 2 * DD / 6; g++) {
        double s = 0;
        for (size_t k = 0; k < 6; k++)
            s += exp(x[6 * g + k]);
        for (size_t k = 0; k < 6; k++)
            assert_float_equal(y[6 * g + k], exp(x[6 * g + k]) / s, 1e-6);
    }
    xai_runner_free(r);
    xai_model_free(m);
}

/* Conv whose weights are computed from the input (W = 2x) is refused at
 * load (kills ops_conv.c:68, `w->batched && ...`, which let a batched W
 * through when there is no bias). */
static void conv_computed_weights(void **state)
{
    (void)state;
    ob_model *mm = ob_new(13);
    ob_input(mm, "x", 4, (int64_t[]){1, 1, 3, 3});
    ob_output(mm, "y", 0, NULL);
    ob_init_f(mm, "two", 1, (int64_t[]){1}, (float[]){2});
    ob_add(mm, "Mul", "w", "x,two", "W");
    ob_add(mm, "Conv", "c", "x,W", "y");
    xai_model *m = NULL;
    xai_status st = ob_load(mm, &m);
    xai_model_free(m);
    assert_int_not_equal(st, XAI_OK);
    if (!strstr(xai_last_error(), "W and B must be constants"))
        fail_msg("message: %s", xai_last_error());
}

/* x[N,2,3,4] -> Reshape(x, Concat(Slice(Shape(x), 0, 1), d1 * d2 - d1 + 2,
 * [-1])) with d1 = 2, d2 = 3 folded as int64 constants: [N, 6, 4] ->
 * Softmax(axis -1) -> Flatten, a softmax over each run of 4 inputs. */
static void shape_arithmetic(void **state)
{
    (void)state;
    enum { DD = 24 };
    ob_model *mm = ob_new(13);
    ob_input(mm, "x", 4, (int64_t[]){1, 2, 3, 4});
    ob_output(mm, "y", 2, (int64_t[]){1, DD});
    int64_t one = 1;
    ob_init_i(mm, "i0", 1, &one, (int64_t[]){0});
    ob_init_i(mm, "i1", 1, &one, (int64_t[]){1});
    ob_init_i(mm, "i2", 1, &one, (int64_t[]){2});
    ob_init_i(mm, "i3", 1, &one, (int64_t[]){3});
    ob_init_i(mm, "m1", 1, &one, (int64_t[]){-1});
    ob_add(mm, "Shape", "s", "x", "sh");
    ob_add(mm, "Slice", "head", "sh,i0,i1", "h");
    ob_add(mm, "Slice", "d1", "sh,i1,i2", "a");
    ob_add(mm, "Slice", "d2", "sh,i2,i3", "b");
    ob_add(mm, "Mul", "mul", "a,b", "ab");    /* 6 (b * b = 9) */
    ob_add(mm, "Sub", "sub", "ab,a", "c");    /* 4 (a - a = 0) */
    ob_add(mm, "Add", "add", "c,i2", "e");    /* 6 */
    ob_attr_i(ob_add(mm, "Concat", "cat", "h,e,m1", "shape"), "axis", 0);
    ob_add(mm, "Reshape", "rs", "x,shape", "r");
    ob_attr_i(ob_add(mm, "Softmax", "sm", "r", "p"), "axis", -1);
    ob_attr_i(ob_add(mm, "Flatten", "fl", "p", "y"), "axis", 1);
    xai_model *m = NULL;
    xai_status st = ob_load(mm, &m);
    if (st != XAI_OK)
        fail_msg("load: %s", xai_last_error());
    float x[DD], y[DD];
    for (size_t i = 0; i < DD; i++)
        x[i] = (float)sin(1.3 * (double)i) * 2;
    xai_runner *r = NULL;
    assert_int_equal(xai_runner_new(m, &r), XAI_OK);
    assert_int_equal(xai_runner_forward(r, XAI_OUTPUT_PROB, x, 1, y), XAI_OK);
    for (size_t g = 0; g < DD / 4; g++) {
        double s = 0;
        for (size_t k = 0; k < 4; k++)
            s += exp(x[g * 4 + k]);
        for (size_t k = 0; k < 4; k++)
            assert_float_equal(y[g * 4 + k], exp(x[g * 4 + k]) / s, 1e-6);
    }
    xai_runner_free(r);
    xai_model_free(m);
}

/* y = x + Gemm(A[2,1], B[2,3], transA) with constants A, B: the product,
 * [1, 3], is computed at load and broadcast over the rows. */
static void gemm_of_constants(void **state)
{
    (void)state;
    static const float a[2] = {2, -1}, b[6] = {1, 0.5f, -2, 3, 1, 0.25f};
    ob_model *mm = ob_new(13);
    ob_input(mm, "x", 2, (int64_t[]){1, 3});
    ob_output(mm, "y", 2, (int64_t[]){1, 3});
    ob_init_f(mm, "A", 2, (int64_t[]){2, 1}, a);
    ob_init_f(mm, "B", 2, (int64_t[]){2, 3}, b);
    ob_attr_i(ob_add(mm, "Gemm", "g", "A,B", "ab"), "transA", 1);
    ob_add(mm, "Add", "add", "x,ab", "y");
    xai_model *m = NULL;
    xai_status st = ob_load(mm, &m);
    if (st != XAI_OK)
        fail_msg("load: %s", xai_last_error());
    assert_int_equal(xai_model_output_size(m), 3);
    float x[6] = {0.5f, -1, 2, 1, 1, 1}, y[6];
    xai_runner *r = NULL;
    assert_int_equal(xai_runner_new(m, &r), XAI_OK);
    assert_int_equal(xai_runner_forward(r, XAI_OUTPUT_SCORE, x, 2, y), XAI_OK);
    for (size_t i = 0; i < 2; i++)
        for (size_t j = 0; j < 3; j++)
            assert_float_equal(y[i * 3 + j], x[i * 3 + j] + a[0] * b[j] + a[1] * b[3 + j],
                               1e-6);
    xai_runner_free(r);
    xai_model_free(m);
}

/* x[N,4] -> MatMul(x, B) with B of rank 1 ([4]) or 3 ([1,4,3]): refused,
 * naming MatMul's matrix requirement; B [4,3] loads. */
static void matmul_b_not_matrix(void **state)
{
    (void)state;
    static const float b[12] = {0};
    const int64_t shapes[3][3] = {{4, 3, 0}, {4, 0, 0}, {1, 4, 3}};
    const int ranks[3] = {2, 1, 3};
    for (int k = 0; k < 3; k++) {
        ob_model *mm = ob_new(13);
        ob_input(mm, "x", 2, (int64_t[]){1, 4});
        ob_output(mm, "y", 0, NULL);
        ob_init_f(mm, "B", ranks[k], shapes[k], b);
        ob_add(mm, "MatMul", "mm", "x,B", "y");
        xai_model *m = NULL;
        xai_status st = ob_load(mm, &m);
        if (k == 0) {
            assert_int_equal(st, XAI_OK);
            assert_int_equal(xai_model_output_size(m), 3);
            xai_model_free(m);
            continue;
        }
        if (st != XAI_ERR_UNSUPPORTED)
            fail_msg("B of rank %d: status %d (want XAI_ERR_UNSUPPORTED)", ranks[k], st);
        assert_null(m);
        assert_non_null(strstr(xai_last_error(), "matrix B"));
    }
}

/* Writes mm, loads it, expects status want and needle in the message. */
static void expect_load(ob_model *mm, xai_status want, const char *needle)
{
    xai_model *m = NULL;
    xai_status st = ob_load(mm, &m);
    if (st != want)
        fail_msg("status %d (want %d): %s", st, want, st ? xai_last_error() : "");
    if (st == XAI_OK) {
        xai_model_free(m);
        return;
    }
    assert_null(m);
    if (!strstr(xai_last_error(), needle))
        fail_msg("message lacks '%s': %s", needle, xai_last_error());
}

static void load_refusals(void **state)
{
    (void)state;
    static const float ones[2] = {1, 1}, zeros[2] = {0, 0};
    for (int outs = 1; outs <= 2; outs++) { /* inference BN; + running mean */
        ob_model *mm = ob_new(13);
        ob_input(mm, "x", 4, (int64_t[]){1, 2, 3, 3});
        ob_output(mm, "y", 0, NULL);
        ob_init_f(mm, "s", 1, (int64_t[]){2}, ones);
        ob_init_f(mm, "b", 1, (int64_t[]){2}, zeros);
        ob_init_f(mm, "mu", 1, (int64_t[]){2}, zeros);
        ob_init_f(mm, "var", 1, (int64_t[]){2}, ones);
        ob_add(mm, "BatchNormalization", "bn", "x,s,b,mu,var", outs == 1 ? "y" : "y,rm");
        expect_load(mm, outs == 1 ? XAI_OK : XAI_ERR_UNSUPPORTED, "training mode");
    }
    /* Dropout; its mask output named; the mask slot present but empty */
    const char *const dr_outs[3] = {"y", "y,mask", "y,"};
    for (int k = 0; k < 3; k++) {
        ob_model *mm = ob_new(13);
        ob_input(mm, "x", 2, (int64_t[]){1, 4});
        ob_output(mm, "y", 0, NULL);
        ob_add(mm, "Dropout", "dr", "x", dr_outs[k]);
        expect_load(mm, k == 1 ? XAI_ERR_UNSUPPORTED : XAI_OK, "mask output");
    }
    const int64_t axes[4] = {1, -1, 3, -3}; /* rank 2: in range -2..2, batch kept at 1 */
    for (int k = 0; k < 4; k++) {
        ob_model *mm = ob_new(13);
        ob_input(mm, "x", 2, (int64_t[]){1, 4});
        ob_output(mm, "y", 0, NULL);
        ob_attr_i(ob_add(mm, "Flatten", "fl", "x", "y"), "axis", axes[k]);
        expect_load(mm, k < 2 ? XAI_OK : XAI_ERR_PARSE, "axis out of range");
    }
}

static int zero_predict(void *u, const float *x, size_t n, float *y)
{
    (void)u, (void)x;
    memset(y, 0, n * sizeof *y);
    return 0;
}

static void image_defaults_and_method_range(void **state)
{
    (void)state;
    static const uint32_t hw[][2] = {{8, 8}, {16, 16}, {28, 28}, {20, 57}, {64, 64},
                                     {100, 37}, {9, 9}};
    for (size_t k = 0; k < sizeof hw / sizeof hw[0]; k++) {
        size_t D = (size_t)hw[k][0] * hw[k][1];
        xai_model *m = NULL;
        assert_int_equal(xai_model_from_callbacks(D, 1, 0, zero_predict, NULL, NULL, &m),
                         XAI_OK);
        xai_explain_context c = {.n_features = D, .image_c = 1, .image_h = hw[k][0],
                                 .image_w = hw[k][1], .value_range = 1};
        xai_explain_options o = xai_explain_options_default(), r;
        o.method = XAI_METHOD_LIME;
        o.baseline = XAI_BASELINE_ZERO;
        o.target = 0;
        assert_int_equal(xai_explain_options_resolve(m, &o, &c, &r), XAI_OK);
        long side = hw[k][0] > hw[k][1] ? hw[k][0] : hw[k][1], p = r.patch;
        /* patches along the longer side: at most 8, and 9 or more with p - 1 */
        if (!(p >= 1 && (side + p - 1) / p <= 8 && (p == 1 || (side + p - 2) / (p - 1) > 8)))
            fail_msg("%ux%u: default patch %ld", hw[k][0], hw[k][1], p);
        o.method = XAI_METHOD_COUNT;
        xai_status st = xai_explain_options_resolve(m, &o, &c, &r);
        if (st != XAI_ERR_INVALID || !strstr(xai_last_error(), "unknown method"))
            fail_msg("method %d: status %d: %s", (int)o.method, st, xai_last_error());
        xai_model_free(m);
    }
}

static void kernel_width_and_value_range(void **state)
{
    (void)state;
    tm_model t;
    tm_init(&t, TM_MLP, D, 4, 1, 37);
    xai_model *m = tm_wrap(&t, 0);
    xai_column_stats st[D];
    for (size_t j = 0; j < D; j++)
        st[j] = (xai_column_stats){0.5, 0.2, 0, 1};
    xai_explain_context c = {.n_features = D, .stats = st};
    xai_explain_options o = xai_explain_options_default(), r;
    o.method = XAI_METHOD_LIME;
    o.target = 0;
    o.kernel_width = 0.2;
    assert_int_equal(xai_explain_options_resolve(m, &o, &c, &r), XAI_OK);
    assert_float_equal(r.kernel_width, 0.2, 0);
    o.kernel_width = 0.19;
    assert_int_equal(xai_explain_options_resolve(m, &o, &c, &r), XAI_ERR_INVALID);
    xai_model_free(m);
    /* range = max of the maxima - min of the minima, column 0 holding both */
    for (int k = 0; k < 2; k++) {
        st[0] = k ? (xai_column_stats){0, 1, -4, 0.5} : (xai_column_stats){0, 1, 0.2, 3};
        xai_explain_context ci = {.n_features = D, .stats = st, .image_c = 1,
                                  .image_h = 1, .image_w = D};
        double lo = INFINITY, hi = -INFINITY;
        for (size_t j = 0; j < D; j++)
            lo = fmin(lo, st[j].min), hi = fmax(hi, st[j].max);
        assert_float_equal(xai_image_value_range(&ci), hi - lo, 1e-12);
    }
}

/* y = 2 x with the design [x, x] and ridge 1e-13: the normal matrix is
 * singular up to the ridge, so the SVD path with its P ridge rows solves it;
 * by symmetry beta_1 = beta_2 = 2A / (2A + ridge), A = sum w x^2. */
static void svd_with_ridge(void **state)
{
    (void)state;
    enum { S = 40 };
    double X[S * 2], y[S], w[S], beta[2], b, r2, A = 0;
    for (size_t s = 0; s < S; s++) {
        X[2 * s] = X[2 * s + 1] = (double)s / 5.0 - 3.0;
        y[s] = 2.0 * X[2 * s];
        w[s] = 1.0 + (double)(s % 4);
        A += w[s] * X[2 * s] * X[2 * s];
    }
    const double ridge = 1e-13, c = 2 * A / (2 * A + ridge);
    assert_int_equal(xai_wls(X, y, w, S, 2, 0, ridge, beta, &b, &r2), XAI_OK);
    if (!(fabs(beta[0] - c) < 1e-9 && fabs(beta[1] - c) < 1e-9))
        fail_msg("beta (%.12g, %.12g), want %.12g each", beta[0], beta[1], c);
    assert_float_equal(r2, 1.0, 1e-9);
}

/* x[N,1,4,5] -> MaxPool(kernel 2x2, dilations (1, 2)) -> [N,1,3,3]:
 * y[i][j] = max over a, b in {0, 1} of x[i + a][j + 2 b]. */
static void maxpool_dilated(void **state)
{
    (void)state;
    ob_model *mm = ob_new(13);
    ob_input(mm, "x", 4, (int64_t[]){1, 1, 4, 5});
    ob_output(mm, "y", 0, NULL);
    ob_node *nd = ob_add(mm, "MaxPool", "mp", "x", "y");
    ob_attr_ints(nd, "kernel_shape", 2, (int64_t[]){2, 2});
    ob_attr_ints(nd, "dilations", 2, (int64_t[]){1, 2});
    xai_model *m = NULL;
    xai_status st = ob_load(mm, &m);
    if (st != XAI_OK)
        fail_msg("load: %s", xai_last_error());
    assert_int_equal(xai_model_output_size(m), 9);
    float x[40], y[18];
    for (size_t i = 0; i < 40; i++)
        x[i] = (float)sin(2.1 * (double)i + 0.3);
    xai_runner *r = NULL;
    assert_int_equal(xai_runner_new(m, &r), XAI_OK);
    assert_int_equal(xai_runner_forward(r, XAI_OUTPUT_SCORE, x, 2, y), XAI_OK);
    for (size_t n = 0; n < 2; n++)
        for (size_t i = 0; i < 3; i++)
            for (size_t j = 0; j < 3; j++) {
                float want = -INFINITY;
                for (size_t a = 0; a < 2; a++)
                    for (size_t b = 0; b < 2; b++)
                        want = fmaxf(want, x[n * 20 + (i + a) * 5 + j + 2 * b]);
                assert_float_equal(y[n * 9 + i * 3 + j], want, 0);
            }
    xai_runner_free(r);
    xai_model_free(m);
}

static void pgi_fraction_one(void **state)
{
    (void)state;
    enum { NN = 12 };
    tm_model t;
    tm_init(&t, TM_LOGISTIC, D, 0, 1, 38);
    xai_model *m = tm_wrap(&t, 0);
    float x[NN * D];
    tm_rows(NN, D, 39, x);
    xai_column_stats st[D];
    for (size_t j = 0; j < D; j++)
        st[j] = (xai_column_stats){0, 1, -3, 3};
    xai_explain_context ctx = {.n_features = D, .stats = st};
    xai_audit_method me = {"gradient", xai_explain_options_default()};
    me.options.method = XAI_METHOD_GRADIENT;
    xai_audit_options o = xai_audit_options_default();
    o.methods = &me;
    o.n_methods = 1;
    o.loss_samples = 10;
    o.sens_points = 0;
    o.infid_samples = 5;
    o.pgi_samples = 5;
    o.n_threads = 1;
    const double fr[3] = {1.0, 1.0000001, -0.5};
    for (int k = 0; k < 3; k++) {
        o.pgi_k_fraction = fr[k];
        xai_audit_result *r = NULL;
        xai_status s = xai_audit_run(m, &ctx, &o, x, NN, 0, NULL, &r);
        if (s != (k == 0 ? XAI_OK : XAI_ERR_INVALID))
            fail_msg("fraction %g: status %d: %s", fr[k], s, xai_last_error());
        xai_audit_result_free(r);
    }
    xai_model_free(m);
}

static void infidelity_per_row(void **state)
{
    (void)state;
    tm_model t;
    tm_init(&t, TM_LINEAR, D, 0, 1, 40);
    xai_model *m = tm_wrap(&t, 0);
    float x[3 * D], phi[3 * D];
    tm_rows(3, D, 41, x);
    for (size_t j = 0; j < D; j++) { /* rows 0 and 2: zeros; row 1: exact */
        phi[j] = phi[2 * D + j] = 0;
        phi[D + j] = (float)t.w[0][j];
    }
    xai_audit_setup s = xai_audit_setup_default(m);
    s.output = XAI_OUTPUT_SCORE;
    s.n_threads = 1;
    double infd[3];
    assert_int_equal(xai_audit_infidelity(&s, x, 3, phi, 0.5, 50, infd), XAI_OK);
    /* sum_j (I_j w_j)^2 in expectation: sigma^2 |w|^2 = 0.25 |w|^2 */
    double w2 = 0;
    for (size_t j = 0; j < D; j++)
        w2 += t.w[0][j] * t.w[0][j];
    assert_true(infd[1] < 1e-8 * w2);
    assert_true(infd[0] > 0.05 * w2 && infd[2] > 0.05 * w2);
    xai_model_free(m);
}

/* x[N,1,5,3] -> Conv(W[1,1,3,3], strides 2, no pads) -> [N,1,2,1]:
 * y[i] = sum of W[a][b] x[2 i + a][b], the kernel as wide as the input
 * (strides 2: the im2col path). */
static void conv_full_width(void **state)
{
    (void)state;
    static const float w[9] = {0.5f, -1, 2, 1, 0.25f, -0.5f, 3, 1, -2};
    ob_model *mm = ob_new(13);
    ob_input(mm, "x", 4, (int64_t[]){1, 1, 5, 3});
    ob_output(mm, "y", 0, NULL);
    ob_init_f(mm, "W", 4, (int64_t[]){1, 1, 3, 3}, w);
    ob_attr_ints(ob_add(mm, "Conv", "c", "x,W", "y"), "strides", 2, (int64_t[]){2, 2});
    xai_model *m = NULL;
    xai_status st = ob_load(mm, &m);
    if (st != XAI_OK)
        fail_msg("load: %s", xai_last_error());
    assert_int_equal(xai_model_output_size(m), 2);
    float x[30], y[4];
    for (size_t i = 0; i < 30; i++)
        x[i] = (float)cos(1.7 * (double)i);
    xai_runner *r = NULL;
    assert_int_equal(xai_runner_new(m, &r), XAI_OK);
    assert_int_equal(xai_runner_forward(r, XAI_OUTPUT_SCORE, x, 2, y), XAI_OK);
    for (size_t n = 0; n < 2; n++)
        for (size_t i = 0; i < 2; i++) {
            double want = 0;
            for (size_t a = 0; a < 3; a++)
                for (size_t b = 0; b < 3; b++)
                    want += (double)w[a * 3 + b] * x[n * 15 + (2 * i + a) * 3 + b];
            assert_float_equal(y[n * 2 + i], want, 1e-5);
        }
    xai_runner_free(r);
    xai_model_free(m);
}

/* Background rows 3 x D with a NaN at row 2, feature 1. */
static void background_nan_position(void **state)
{
    (void)state;
    tm_model t;
    tm_init(&t, TM_LINEAR, D, 0, 1, 42);
    xai_model *m = tm_wrap(&t, 0);
    float x[D], phi[D], bg[3 * D];
    tm_rows(1, D, 43, x);
    tm_rows(3, D, 44, bg);
    bg[2 * D + 1] = NAN;
    xai_explain_context c = {.n_features = D, .background = bg, .n_background = 3};
    xai_explain_options o = xai_explain_options_default();
    o.method = XAI_METHOD_KERNELSHAP;
    o.baseline = XAI_BASELINE_BACKGROUND;
    o.target = 0;
    assert_int_equal(xai_explain_rows(m, &o, &c, x, 1, 0, phi, NULL, 1), XAI_ERR_NUMERIC);
    if (!strstr(xai_last_error(), "row 2, feature 1"))
        fail_msg("message: %s", xai_last_error());
    xai_model_free(m);
}

/* x[N,1,4,4] -> AveragePool(kernel 2x2, strides 2, pads (2, 2, 0, 0)) ->
 * [N,1,3,3]: output (i, j) averages x over rows 2i-2..2i-1, columns
 * 2j-2..2j-1 inside the input; the first row and column see only padding. */
static void avgpool_empty_windows(void **state)
{
    (void)state;
    ob_model *mm = ob_new(13);
    ob_input(mm, "x", 4, (int64_t[]){1, 1, 4, 4});
    ob_output(mm, "y", 0, NULL);
    ob_node *nd = ob_add(mm, "AveragePool", "ap", "x", "y");
    ob_attr_ints(nd, "kernel_shape", 2, (int64_t[]){2, 2});
    ob_attr_ints(nd, "strides", 2, (int64_t[]){2, 2});
    ob_attr_ints(nd, "pads", 4, (int64_t[]){2, 2, 0, 0});
    xai_model *m = NULL;
    xai_status st = ob_load(mm, &m);
    if (st != XAI_OK)
        fail_msg("load: %s", xai_last_error());
    assert_int_equal(xai_model_output_size(m), 9);
    float x[16], y[9];
    for (size_t i = 0; i < 16; i++)
        x[i] = (float)(1.0 + sin(0.8 * (double)i));
    xai_runner *r = NULL;
    assert_int_equal(xai_runner_new(m, &r), XAI_OK);
    assert_int_equal(xai_runner_forward(r, XAI_OUTPUT_SCORE, x, 1, y), XAI_OK);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double s = 0;
            int cnt = 0;
            for (int a = 2 * i - 2; a < 2 * i; a++)
                for (int b = 2 * j - 2; b < 2 * j; b++)
                    if (a >= 0 && a < 4 && b >= 0 && b < 4)
                        s += x[a * 4 + b], cnt++;
            double want = cnt ? s / cnt : 0.0;
            if (!(fabs(y[i * 3 + j] - want) < 1e-6))
                fail_msg("y[%d][%d] = %g, want %g", i, j, y[i * 3 + j], want);
        }
    xai_runner_free(r);
    xai_model_free(m);
}

/* x[N,2,3,4] -> Reshape(x, Concat(Shape(x, end 1), Shape(x, end 0), [4],
 * [-1])) = [N, 4, 6] -> Softmax(axis -1) -> Flatten: runs of 6 inputs. */
static void shape_end_zero(void **state)
{
    (void)state;
    enum { DD = 24 };
    ob_model *mm = ob_new(15);
    ob_input(mm, "x", 4, (int64_t[]){1, 2, 3, 4});
    ob_output(mm, "y", 2, (int64_t[]){1, DD});
    ob_init_i(mm, "four", 1, (int64_t[]){1}, (int64_t[]){4});
    ob_init_i(mm, "m1", 1, (int64_t[]){1}, (int64_t[]){-1});
    ob_attr_i(ob_add(mm, "Shape", "s0", "x", "head"), "end", 1);
    ob_attr_i(ob_add(mm, "Shape", "s1", "x", "none"), "end", 0);
    ob_attr_i(ob_add(mm, "Concat", "cat", "head,none,four,m1", "shape"), "axis", 0);
    ob_add(mm, "Reshape", "rs", "x,shape", "r");
    ob_attr_i(ob_add(mm, "Softmax", "sm", "r", "p"), "axis", -1);
    ob_attr_i(ob_add(mm, "Flatten", "fl", "p", "y"), "axis", 1);
    xai_model *m = NULL;
    xai_status st = ob_load(mm, &m);
    if (st != XAI_OK)
        fail_msg("load: %s", xai_last_error());
    float x[DD], y[DD];
    for (size_t i = 0; i < DD; i++)
        x[i] = (float)sin(0.9 * (double)i) * 2;
    xai_runner *r = NULL;
    assert_int_equal(xai_runner_new(m, &r), XAI_OK);
    assert_int_equal(xai_runner_forward(r, XAI_OUTPUT_PROB, x, 1, y), XAI_OK);
    for (size_t g = 0; g < 4; g++) {
        double s = 0;
        for (size_t k = 0; k < 6; k++)
            s += exp(x[g * 6 + k]);
        for (size_t k = 0; k < 6; k++)
            assert_float_equal(y[g * 6 + k], exp(x[g * 6 + k]) / s, 1e-6);
    }
    xai_runner_free(r);
    xai_model_free(m);
}

/* x[N,4] -> Gemm(x, W[3,4], C, transB, beta 2) with C of shape [1] or
 * [1, 1] = 0.25: y = x W^T + 0.5, computed here. */
static void gemm_scalar_bias(void **state)
{
    (void)state;
    static const float w[12] = {1, -2, 3, 0.5f, -1, 2, 0, 1, 0.25f, 1, -3, 2};
    const float cval = 0.25f;
    for (int rank = 1; rank <= 2; rank++) {
        ob_model *mm = ob_new(13);
        ob_input(mm, "x", 2, (int64_t[]){1, 4});
        ob_output(mm, "y", 2, (int64_t[]){1, 3});
        ob_init_f(mm, "W", 2, (int64_t[]){3, 4}, w);
        ob_init_f(mm, "C", rank, (int64_t[]){1, 1}, &cval);
        ob_node *nd = ob_add(mm, "Gemm", "fc", "x,W,C", "y");
        ob_attr_i(nd, "transB", 1);
        ob_attr_f(nd, "beta", 2.0f);
        xai_model *m = NULL;
        xai_status st = ob_load(mm, &m);
        if (st != XAI_OK)
            fail_msg("rank %d: load: %s", rank, xai_last_error());
        float x[8] = {0.5f, 1, -1, 2, 3, 0, 1, -0.5f}, y[6];
        xai_runner *r = NULL;
        assert_int_equal(xai_runner_new(m, &r), XAI_OK);
        assert_int_equal(xai_runner_forward(r, XAI_OUTPUT_SCORE, x, 2, y), XAI_OK);
        for (size_t i = 0; i < 2; i++)
            for (size_t o = 0; o < 3; o++) {
                double want = 2.0 * cval;
                for (size_t k = 0; k < 4; k++)
                    want += (double)x[i * 4 + k] * w[o * 4 + k];
                if (fabs(y[i * 3 + o] - want) > 1e-5)
                    fail_msg("C rank %d, y[%zu][%zu] = %g, want %g", rank, i, o,
                             y[i * 3 + o], want);
            }
        xai_runner_free(r);
        xai_model_free(m);
    }
}

/* A paragraph, space to the bottom margin, then a table whose first three
 * rows together are taller than a page (so it is not kept whole and its
 * first row opens page 2): page 1 rendered at 72 dpi (1 px per pt) is
 * white in a band around the bottom margin, where a stray rule would go. */
static void table_on_new_page(void **state)
{
    (void)state;
    char dir[64], path[128], pgm[128];
    snprintf(dir, sizeof dir, "/tmp/xai_mgaps_pdf_XXXXXX");
    assert_non_null(mkdtemp(dir));
    xai_pdf *doc = pdf_new_doc("table break", 0);
    assert_int_equal(xai_pdf_add_paragraph(doc, "Intro."), XAI_OK);
    assert_int_equal(xai_pdf_add_space(doc, PDF_PAGE_H), XAI_OK);
    static char body[6000];
    body[0] = 0;
    for (int k = 0; k < 900; k++)
        strcat(body, "lorem ");
    static const char *const hdr[2] = {"Name", "Text"};
    const char *cells[8] = {"a", body, "b", body, "c", body, "d", "short"};
    xai_pdf_table t = {4, 2, hdr, cells, NULL, NULL, NULL};
    assert_int_equal(xai_pdf_add_table(doc, &t), XAI_OK);
    assert_true(xai_pdf_page_count(doc) >= 3);
    snprintf(path, sizeof path, "%s/t.pdf", dir);
    assert_int_equal(xai_pdf_save(doc, path), XAI_OK);
    xai_pdf_free(doc);
    assert_int_equal(sh_run(NULL, "pdftoppm -r 72 -gray -f 1 -l 1 '%s' '%s/p' 2>/dev/null",
                            path, dir), 0);
    snprintf(pgm, sizeof pgm, "%s/p-1.pgm", dir);
    unsigned char *px;
    size_t w, n = pgm_read(pgm, &px, &w), dark = 0;
    size_t y0 = (size_t)(PDF_PAGE_H - PDF_BOTTOM - 8), y1 = (size_t)(PDF_PAGE_H - PDF_BOTTOM + 4);
    assert_true(n >= (y1 + 1) * w);
    for (size_t y = y0; y <= y1; y++)
        for (size_t x = 0; x < w; x++)
            dark += px[y * w + x] < 200;
    free(px);
    unlink(pgm);
    unlink(path);
    rmdir(dir);
    if (dark)
        fail_msg("%zu dark pixels near the bottom margin of page 1", dark);
}

static void table_without_rows(void **state)
{
    (void)state;
    char dir[64], path[128];
    snprintf(dir, sizeof dir, "/tmp/xai_mgaps_pdf0_XXXXXX");
    assert_non_null(mkdtemp(dir));
    xai_pdf *doc = pdf_new_doc("empty table", 0);
    static const char *const hdr[2] = {"Quokka", "Wombat"};
    xai_pdf_table t = {0, 2, hdr, NULL, NULL, NULL, "Nothing to list."};
    assert_int_equal(xai_pdf_add_table(doc, &t), XAI_OK);
    snprintf(path, sizeof path, "%s/t.pdf", dir);
    assert_int_equal(xai_pdf_save(doc, path), XAI_OK);
    xai_pdf_free(doc);
    char *text = pdf_text(path);
    assert_non_null(strstr(text, "Quokka"));
    assert_non_null(strstr(text, "Wombat"));
    assert_non_null(strstr(text, "Nothing to list."));
    free(text);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(occlusion_intercept),
        cmocka_unit_test(user_sampler_weights),
        cmocka_unit_test(conv_negative_pads),
        cmocka_unit_test(lfa_loss_zero_samples),
        cmocka_unit_test(softmax_far_logits),
        cmocka_unit_test(method_aliases),
        cmocka_unit_test(shape_start_attribute),
        cmocka_unit_test(slice_negative_step),
        cmocka_unit_test(gather_of_shape),
        cmocka_unit_test(conv_computed_weights),
        cmocka_unit_test(gemm_scalar_bias),
        cmocka_unit_test(shape_arithmetic),
        cmocka_unit_test(gemm_of_constants),
        cmocka_unit_test(matmul_b_not_matrix),
        cmocka_unit_test(load_refusals),
        cmocka_unit_test(image_defaults_and_method_range),
        cmocka_unit_test(kernel_width_and_value_range),
        cmocka_unit_test(svd_with_ridge),
        cmocka_unit_test(maxpool_dilated),
        cmocka_unit_test(pgi_fraction_one),
        cmocka_unit_test(infidelity_per_row),
        cmocka_unit_test(conv_full_width),
        cmocka_unit_test(background_nan_position),
        cmocka_unit_test(avgpool_empty_windows),
        cmocka_unit_test(shape_end_zero),
        cmocka_unit_test(table_on_new_page),
        cmocka_unit_test(table_without_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
