/* tests/test_onnx_fixtures.c: the ONNX runtime against PyTorch: every
 * fixture model in tests/fixtures/models/ is run on the recorded inputs and
 * compared with the recorded outputs, scores, VJPs, target gradients and
 * layer taps (reference values from torch autograd, tests/fixtures/FIXTURES_FORMAT.md). */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <xai/xai.h>

#include "support/ref_check.h"

#define DIR "tests/fixtures/models/"

static void check_model(const char *name, double tol, int expect_probs)
{
    char path[256];
    snprintf(path, sizeof path, DIR "%s.ref", name);
    ref_file *rf = ref_load(path);
    assert_non_null(rf);
    snprintf(path, sizeof path, DIR "%s.onnx", name);
    xai_model *m;
    xai_status s = xai_model_load(path, &m);
    if (s != XAI_OK)
        fail_msg("%s: %s", name, xai_last_error());
    assert_int_equal(xai_model_outputs_probabilities(m), expect_probs);
    assert_int_equal(xai_model_has_gradient(m), 1);

    ref_check_runtime(name, m, rf, tol, tol);

    /* layer taps: the activation and d score[target] / d activation */
    const ref_block *in = ref_get(rf, "input"), *tb = ref_get(rf, "target");
    size_t n = in->rows, K = xai_model_output_size(m);
    float *x = ref_to_float(in), *y = malloc(n * K * sizeof *y);
    int32_t *target = malloc(n * sizeof *target);
    assert_true(y && target);
    for (size_t i = 0; i < n; i++)
        target[i] = (int32_t)tb->v[i];
    xai_runner *r;
    assert_int_equal(xai_runner_new(m, &r), XAI_OK);
    if (rf->layer[0]) {
        /* the layer is the last conv layer of the model */
        size_t nc = xai_model_conv_layer_count(m);
        assert_true(nc > 0);
        assert_string_equal(xai_model_conv_layer_name(m, nc - 1), rf->layer);
        const ref_block *act = ref_get(rf, "act"), *ga = ref_get(rf, "grad_act");
        assert_non_null(act);
        assert_non_null(ga);
        int64_t dims[4];
        int rank = xai_model_tensor_shape(m, rf->layer, dims);
        assert_int_equal(rank, 3);
        assert_int_equal((size_t)(dims[0] * dims[1] * dims[2]), act->cols);
        float *a = malloc(n * act->cols * sizeof *a), *g = malloc(n * act->cols * sizeof *g);
        assert_true(a && g);
        assert_int_equal(xai_runner_tap(r, XAI_OUTPUT_SCORE, rf->layer, x, n, target,
                                        a, g, y),
                         XAI_OK);
        ref_expect_close(name, "act", a, act, tol);
        ref_expect_close(name, "grad_act", g, ga, tol);
        ref_expect_close(name, "score (from tap)", y, ref_get(rf, "score"), tol);
        free(a);
        free(g);
    }
    assert_int_equal(xai_model_tensor_shape(m, "no such tensor", (int64_t[4]){0}), -1);

    xai_runner_free(r);
    xai_model_free(m);
    free(x);
    free(y);
    free(target);
    ref_free(rf);
}

static void mlp_sigmoid(void **state) { (void)state; check_model("mlp_sigmoid", 1e-5, 1); }
static void mlp_softmax(void **state) { (void)state; check_model("mlp_softmax", 1e-5, 1); }
static void logreg_std(void **state) { (void)state; check_model("logreg_std", 1e-5, 1); }
static void linear(void **state) { (void)state; check_model("linear", 1e-5, 0); }
static void cnn(void **state) { (void)state; check_model("cnn", 1e-4, 1); }
static void cnn_bn(void **state) { (void)state; check_model("cnn_bn", 1e-4, 1); }

/* Operator fixtures (tests/fixtures/make_op_models.py): graphs with SAME
 * auto-padding, asymmetric pads, dilations, groups, ceil-mode padded pools,
 * Exp, Clip and LogSoftmax, against torch.nn.functional forward values and
 * autograd gradients. */
static void check_ops_model(const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "tests/fixtures/ops/%s.ref", name);
    ref_file *rf = ref_load(path);
    assert_non_null(rf);
    snprintf(path, sizeof path, "tests/fixtures/ops/%s.onnx", name);
    xai_model *m;
    if (xai_model_load(path, &m) != XAI_OK)
        fail_msg("%s: %s", name, xai_last_error());
    assert_int_equal(xai_model_outputs_probabilities(m), 0);
    ref_check_runtime(name, m, rf, 1e-5, 1e-4);
    xai_model_free(m);
    ref_free(rf);
}

static void ops_conv_same(void **state) { (void)state; check_ops_model("conv_same"); }
static void ops_conv_dilate(void **state) { (void)state; check_ops_model("conv_dilate"); }
static void ops_pools(void **state) { (void)state; check_ops_model("pools"); }
static void ops_pools_edge(void **state) { (void)state; check_ops_model("pools_edge"); }
static void ops_pool_floor(void **state) { (void)state; check_ops_model("pool_floor"); }
static void ops_cast_const(void **state) { (void)state; check_ops_model("cast_const"); }
static void ops_shape_slice(void **state) { (void)state; check_ops_model("shape_slice"); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mlp_sigmoid), cmocka_unit_test(mlp_softmax),
        cmocka_unit_test(logreg_std),  cmocka_unit_test(linear),
        cmocka_unit_test(cnn),         cmocka_unit_test(cnn_bn),
        cmocka_unit_test(ops_conv_same), cmocka_unit_test(ops_conv_dilate),
        cmocka_unit_test(ops_pools), cmocka_unit_test(ops_pools_edge),
        cmocka_unit_test(ops_pool_floor), cmocka_unit_test(ops_cast_const),
        cmocka_unit_test(ops_shape_slice),
    };
    return cmocka_run_group_tests_name("onnx_fixtures", tests, NULL, NULL);
}
