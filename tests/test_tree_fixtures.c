/* tests/test_tree_fixtures.c: tree models loaded from files made by
 * scikit-learn and XGBoost (tests/fixtures/trees/make_trees.py) against the
 * producers' own predictions: probabilities within 1e-6, margins within
 * 1e-5; the same bits for 1 and 2 threads and at any batch position. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <xai/xai.h>

#include "core/parallel.h"
#include "support/ref_file.h"

typedef struct fixture {
    const char *name, *ext;
    size_t trees, margins;
    xai_tree_transform transform;
    int covers_unknown;
} fixture;

static const fixture fixtures[] = {
    {"rf_binary", "onnx", 10, 2, XAI_TREE_IDENTITY, 1},
    {"gb_binary", "onnx", 15, 2, XAI_TREE_SOFTMAX, 1},
    {"gb_multi", "onnx", 24, 3, XAI_TREE_SOFTMAX, 1},
    {"rf_reg", "onnx", 10, 1, XAI_TREE_IDENTITY, 1},
    {"xgb_binary", "json", 15, 1, XAI_TREE_LOGISTIC, 0},
    {"xgb_multi", "json", 24, 3, XAI_TREE_SOFTMAX, 0},
    {"xgb_reg", "json", 20, 1, XAI_TREE_IDENTITY, 0},
    {"xgb_missing", "json", 15, 1, XAI_TREE_LOGISTIC, 0},
    {"xgb_dart", "json", 10, 1, XAI_TREE_LOGISTIC, 0},
};
#define N_FIXTURES (sizeof fixtures / sizeof fixtures[0])

typedef struct rows_ctx {
    const float *x;
    float *y;
    size_t D, K;
} rows_ctx;

static xai_status one_row(void *ctx, xai_runner *r, size_t i)
{
    rows_ctx *c = ctx;
    return xai_runner_forward(r, XAI_OUTPUT_PROB, c->x + i * c->D, 1, c->y + i * c->K);
}

static void check_fixture(const fixture *f)
{
    char path[256], ref[256];
    snprintf(path, sizeof path, "tests/fixtures/trees/%s.%s", f->name, f->ext);
    snprintf(ref, sizeof ref, "tests/fixtures/trees/%s.ref", f->name);
    ref_file *rf = ref_load(ref);
    assert_non_null(rf);
    const ref_block *in = ref_get(rf, "input"), *out = ref_get(rf, "output"),
                    *sc = ref_get(rf, "score");
    assert_non_null(in);
    assert_non_null(out);
    assert_non_null(sc);
    xai_model *m;
    if (xai_model_load(path, &m) != XAI_OK)
        fail_msg("%s: %s", path, xai_last_error());
    const xai_tree_ensemble *t = xai_model_trees(m);
    assert_non_null(t);
    assert_int_equal(t->n_trees, f->trees);
    assert_int_equal(t->n_margins, f->margins);
    assert_int_equal((int)t->transform, (int)f->transform);
    assert_int_equal(t->covers_unknown, f->covers_unknown);
    assert_int_equal(xai_model_input_size(m), in->cols);
    assert_int_equal(xai_model_output_size(m), out->cols);
    size_t n = in->rows, D = in->cols, K = out->cols;
    float *x = malloc(n * D * sizeof *x), *y = malloc(n * K * sizeof *y),
          *s = malloc(n * K * sizeof *s), *y2 = malloc(n * K * sizeof *y2);
    assert_true(x && y && s && y2);
    for (size_t i = 0; i < n * D; i++)
        x[i] = (float)in->v[i];
    xai_runner *r;
    assert_int_equal(xai_runner_new(m, &r), XAI_OK);
    assert_int_equal(xai_runner_forward(r, XAI_OUTPUT_PROB, x, n, y), XAI_OK);
    assert_int_equal(xai_runner_forward(r, XAI_OUTPUT_SCORE, x, n, s), XAI_OK);
    double worst_p = 0, worst_s = 0;
    for (size_t i = 0; i < n * K; i++) {
        worst_p = fmax(worst_p, fabs(y[i] - out->v[i]));
        worst_s = fmax(worst_s, fabs(s[i] - sc->v[i]) / fmax(1.0, fabs(sc->v[i])));
    }
    if (worst_p > 1e-6 || worst_s > 1e-5)
        fail_msg("%s: max |output - producer| = %.3g, max rel |margin - producer| "
                 "= %.3g", f->name, worst_p, worst_s);
    /* batch position: the rows in reverse order give the same bits */
    float *xr = malloc(n * D * sizeof *xr);
    assert_non_null(xr);
    for (size_t i = 0; i < n; i++)
        memcpy(xr + i * D, x + (n - 1 - i) * D, D * sizeof *x);
    assert_int_equal(xai_runner_forward(r, XAI_OUTPUT_PROB, xr, n, y2), XAI_OK);
    for (size_t i = 0; i < n; i++)
        assert_memory_equal(y2 + i * K, y + (n - 1 - i) * K, K * sizeof *y);
    /* 1 and 2 threads, a row per task */
    for (int threads = 1; threads <= 2; threads++) {
        memset(y2, 0, n * K * sizeof *y2);
        rows_ctx c = {x, y2, D, K};
        assert_int_equal(xai_parallel_tasks(m, n, threads, one_row, &c), XAI_OK);
        assert_memory_equal(y2, y, n * K * sizeof *y);
    }
    free(xr);
    free(x);
    free(y);
    free(s);
    free(y2);
    xai_runner_free(r);
    xai_model_free(m);
    ref_free(rf);
}

static void test_fixtures(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_FIXTURES; i++)
        check_fixture(&fixtures[i]);
}

/* small_reg.onnx (make_trees.py, small_attrs): tree 0 is x0 <= 0.5 ? 1 :
 * (x1 < 0 ? 2 : 3) with NaN at x1 tracking true; tree 1 is x1 > 1 ? 0.5 :
 * -0.5 with NaN going false.  Hand-evaluated. */
static void test_small_hand(void **state)
{
    (void)state;
    xai_model *m;
    assert_int_equal(xai_model_load("tests/fixtures/trees/small_reg.onnx", &m), XAI_OK);
    const float x[5][2] = {{0.5f, NAN}, {1.0f, NAN}, {1.0f, 0.0f}, {0.0f, 2.0f},
                           {NAN, -1.0f}};
    const float want[5] = {1.0f - 0.5f, 2.0f - 0.5f, 3.0f - 0.5f, 1.0f + 0.5f,
                           2.0f - 0.5f};
    float y[5];
    xai_runner *r;
    assert_int_equal(xai_runner_new(m, &r), XAI_OK);
    assert_int_equal(xai_runner_forward(r, XAI_OUTPUT_PROB, &x[0][0], 5, y), XAI_OK);
    for (int i = 0; i < 5; i++)
        assert_true(y[i] == want[i]);
    xai_runner_free(r);
    xai_model_free(m);
}

/* Every malformed model of tests/fixtures/trees/bad gets a clear error. */
static void test_malformed_onnx(void **state)
{
    (void)state;
    static const struct {
        const char *file, *fragment;
        xai_status status;
    } bad[] = {
        {"child_outside", "nodes_falsenodeids[2] = 9: tree 0 has no node 9", XAI_ERR_PARSE},
        {"cycle", "not reachable from the root", XAI_ERR_INVALID},
        {"shared", "node 1 has two parents", XAI_ERR_INVALID},
        {"missing_weight", "tree 0, leaf 4 has no weight", XAI_ERR_PARSE},
        {"length_mismatch", "nodes_featureids has 7 entries but nodes_treeids has 8",
         XAI_ERR_PARSE},
        {"weights_mismatch", "target_weights has 4 entries", XAI_ERR_PARSE},
        {"unknown_mode", "nodes_modes[2] = 'BRANCH_LIKE' is not a known mode", XAI_ERR_PARSE},
        {"duplicate_node", "tree 0, node 3 is defined twice", XAI_ERR_PARSE},
        {"feature_outside", "nodes_featureids[2] = 7 outside", XAI_ERR_PARSE},
        {"weight_on_branch", "node 2 is not a leaf", XAI_ERR_PARSE},
        {"target_outside", "target_ids[4] = 3 outside", XAI_ERR_PARSE},
        {"no_modes", "nodes_modes is missing", XAI_ERR_PARSE},
        {"aggregate_max", "aggregate_function 'MAX' is not supported", XAI_ERR_UNSUPPORTED},
        {"post_probit", "post_transform 'PROBIT' is not supported", XAI_ERR_UNSUPPORTED},
        {"base_length", "base_values has 2 entries for 1 outputs", XAI_ERR_PARSE},
        {"too_deep", "deeper than 64 levels", XAI_ERR_INVALID},
        {"extra_op", "node 'negate' (Neg)", XAI_ERR_UNSUPPORTED},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char path[256];
        snprintf(path, sizeof path, "tests/fixtures/trees/bad/%s.onnx", bad[i].file);
        xai_model *m = (xai_model *)1;
        xai_status s = xai_model_load(path, &m);
        if (s != bad[i].status || !strstr(xai_last_error(), bad[i].fragment) ||
            !strstr(xai_last_error(), path))
            fail_msg("%s: status %d, message '%s' (want %d, '%s')", path, (int)s,
                     xai_last_error(), (int)bad[i].status, bad[i].fragment);
        assert_null(m);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixtures),
        cmocka_unit_test(test_small_hand),
        cmocka_unit_test(test_malformed_onnx),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
