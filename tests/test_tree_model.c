/* tests/test_tree_model.c: tree-ensemble models built from arrays
 * (xai/trees.h): inference against margins evaluated by hand (every split
 * mode, its boundary, missing values, a one-leaf tree), the transforms
 * against their formulas, batch invariance, the refusal of gradient methods,
 * and every class of malformed array. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include <xai/xai.h>

#define LEAF(v, c) {.feature = -1, .value = (v), .cover = (c)}
#define NODE(f, s, t, y, n, m, c)                                            \
    {.feature = (f), .split = (s), .threshold = (t), .yes = (y), .no = (n),    \
     .missing = (m), .cover = (c)}

/* Four trees over 3 features (see the rows below for the hand walks). */
static xai_tree_node nodes[] = {
    /* tree 0, offset 0 */
    NODE(0, XAI_SPLIT_LEQ, 0.5f, 1, 2, 2, 10), /* 0: x0 <= 0.5 */
    NODE(1, XAI_SPLIT_LT, 2.0f, 3, 4, 3, 6),   /* 1: x1 < 2 */
    LEAF(0, 4),                                /* 2: 1.0 */
    LEAF(1, 3),                                /* 3: -2.0 */
    LEAF(2, 3),                                /* 4: 0.25 */
    /* tree 1, offset 5 */
    NODE(2, XAI_SPLIT_GT, 1.0f, 1, 2, 1, 10),  /* 0: x2 > 1 */
    LEAF(3, 5),                                /* 1: 10 */
    NODE(0, XAI_SPLIT_EQ, 3.0f, 3, 4, 4, 5),   /* 2: x0 == 3 */
    LEAF(4, 1),                                /* 3: 100 */
    NODE(1, XAI_SPLIT_GTE, -1.0f, 5, 6, 5, 4), /* 4: x1 >= -1 */
    LEAF(5, 2),                                /* 5: 1000 */
    LEAF(6, 2),                                /* 6: -1000 */
    /* tree 2, offset 12: a single leaf */
    LEAF(7, 10),                               /* 0: 0.125 */
    /* tree 3, offset 13 */
    NODE(1, XAI_SPLIT_NEQ, 7.0f, 1, 2, 2, 10), /* 0: x1 != 7 */
    LEAF(8, 9),                                /* 1: 0.001 */
    LEAF(9, 1),                                /* 2: -0.002 */
};
static const size_t offsets[] = {0, 5, 12, 13, 16};
static const double leaves[] = {1.0, -2.0, 0.25, 10, 100, 1000, -1000, 0.125, 0.001, -0.002};
static const double base[] = {0.5};

static xai_tree_ensemble hand_ensemble(void)
{
    xai_tree_ensemble e = {.n_features = 3, .n_margins = 1, .n_trees = 4,
                           .tree_offset = offsets, .nodes = nodes,
                           .n_values = 10, .leaf_values = leaves,
                           .base_margin = base, .transform = XAI_TREE_IDENTITY};
    return e;
}

#define NROWS 7
static const float rows[NROWS][3] = {
    {0.5f, 2.0f, 1.0f},   /* T0 0<=.5 yes, 2<2 no: .25; T1 1>1 no, .5==3 no,
                             2>=-1 yes: 1000; T2 .125; T3 2!=7: .001 */
    {3.0f, -1.0f, 0.0f},  /* T0 no: 1; T1 no, 3==3: 100; .125; .001 */
    {NAN, NAN, NAN},      /* T0 missing->no: 1; T1 missing->yes: 10; .125;
                             T3 missing->no: -.002 */
    {0.0f, 1.999f, 5.0f}, /* T0 yes, yes: -2; T1 5>1: 10; .125; .001 */
    {2.0f, -1.5f, 1.0f},  /* T0 no: 1; T1 no, no, -1.5>=-1 no: -1000; .125; .001 */
    {0.0f, 7.0f, NAN},    /* T0 yes, 7<2 no: .25; T1 missing: 10; .125;
                             7!=7 fails: -.002 */
    {2.0f, -1.0f, 0.0f},  /* T0 no: 1; T1 no, no, -1>=-1 yes: 1000; .125; .001 */
};
static const double expect[NROWS] = {
    0.5 + 0.25 + 1000 + 0.125 + 0.001, 0.5 + 1 + 100 + 0.125 + 0.001,
    0.5 + 1 + 10 + 0.125 - 0.002,      0.5 - 2 + 10 + 0.125 + 0.001,
    0.5 + 1 - 1000 + 0.125 + 0.001,    0.5 + 0.25 + 10 + 0.125 - 0.002,
    0.5 + 1 + 1000 + 0.125 + 0.001};

static void assert_close(double got, double want, double rel)
{
    if (!(fabs(got - want) <= rel * fmax(1.0, fabs(want))))
        fail_msg("got %.9g, want %.9g", got, want);
}

static void test_hand_evaluated(void **state)
{
    (void)state;
    xai_tree_ensemble e = hand_ensemble();
    xai_model *m;
    assert_int_equal(xai_tree_model_new(&e, "hand", &m), XAI_OK);
    assert_int_equal(xai_model_input_size(m), 3);
    assert_int_equal(xai_model_output_size(m), 1);
    assert_int_equal(xai_model_piecewise_constant(m), 1);
    assert_int_equal(xai_model_has_gradient(m), 0);
    const xai_tree_ensemble *t = xai_model_trees(m);
    assert_non_null(t);
    assert_int_equal(t->max_depth, 3);
    assert_int_equal(t->n_trees, 4);
    assert_true(t->nodes != nodes); /* a copy */
    xai_model_info info;
    xai_model_info_get(m, &info);
    assert_string_equal(info.format, "trees");
    xai_runner *r;
    assert_int_equal(xai_runner_new(m, &r), XAI_OK);
    float y[NROWS], s[NROWS];
    assert_int_equal(xai_runner_forward(r, XAI_OUTPUT_PROB, &rows[0][0], NROWS, y), XAI_OK);
    assert_int_equal(xai_runner_forward(r, XAI_OUTPUT_SCORE, &rows[0][0], NROWS, s), XAI_OK);
    for (int i = 0; i < NROWS; i++) {
        assert_close(y[i], expect[i], 1e-6);
        assert_true(y[i] == s[i]); /* identity transform */
    }
    /* each row alone gives the same bits as in the batch */
    for (int i = 0; i < NROWS; i++) {
        float one;
        assert_int_equal(xai_runner_forward(r, XAI_OUTPUT_PROB, rows[i], 1, &one), XAI_OK);
        assert_memory_equal(&one, &y[i], sizeof one);
    }
    xai_runner_free(r);
    xai_model_free(m);
}

/* One tree, x0 <= 0 -> value row 0 else row 1, over M margins. */
static xai_model *stump(size_t M, const double *vals, const double *b,
                        xai_tree_transform tr)
{
    static xai_tree_node st[3] = {NODE(0, XAI_SPLIT_LEQ, 0.0f, 1, 2, 1, 2),
                                  LEAF(0, 1), LEAF(1, 1)};
    static const size_t off[2] = {0, 3};
    xai_tree_ensemble e = {.n_features = 1, .n_margins = M, .n_trees = 1,
                           .tree_offset = off, .nodes = st, .n_values = 2,
                           .leaf_values = vals, .base_margin = b, .transform = tr};
    xai_model *m;
    assert_int_equal(xai_tree_model_new(&e, "stump", &m), XAI_OK);
    return m;
}

static void test_transforms(void **state)
{
    (void)state;
    const float x[2] = {-1.0f, 1.0f};
    float y[6], s[6];
    /* softmax over 3 margins */
    const double v3[6] = {1, 2, 3, 0, 0, -1}, b3[3] = {0.1, 0.2, 0.3};
    xai_model *m = stump(3, v3, b3, XAI_TREE_SOFTMAX);
    assert_int_equal(xai_model_outputs_probabilities(m), 1);
    xai_runner *r;
    assert_int_equal(xai_runner_new(m, &r), XAI_OK);
    assert_int_equal(xai_runner_forward(r, XAI_OUTPUT_PROB, x, 2, y), XAI_OK);
    assert_int_equal(xai_runner_forward(r, XAI_OUTPUT_SCORE, x, 2, s), XAI_OK);
    const double marg[2][3] = {{1.1, 2.2, 3.3}, {0.1, 0.2, -0.7}};
    for (int i = 0; i < 2; i++) {
        double z = exp(marg[i][0]) + exp(marg[i][1]) + exp(marg[i][2]);
        for (int k = 0; k < 3; k++) {
            assert_close(s[i * 3 + k], marg[i][k], 1e-6);
            assert_close(y[i * 3 + k], exp(marg[i][k]) / z, 1e-6);
        }
    }
    xai_runner_free(r);
    xai_model_free(m);
    /* a binary classifier stored as margins (0, m) with softmax */
    const double v2[4] = {0, 1.5, 0, -0.75}, b2[2] = {0, 0.25};
    m = stump(2, v2, b2, XAI_TREE_SOFTMAX);
    assert_int_equal(xai_runner_new(m, &r), XAI_OK);
    assert_int_equal(xai_runner_forward(r, XAI_OUTPUT_PROB, x, 2, y), XAI_OK);
    const double mm[2] = {1.75, -0.5};
    for (int i = 0; i < 2; i++) {
        double p = 1 / (1 + exp(-mm[i]));
        assert_close(y[2 * i], 1 - p, 1e-6);
        assert_close(y[2 * i + 1], p, 1e-6);
    }
    xai_runner_free(r);
    xai_model_free(m);
    /* logistic per margin */
    const double v1[2] = {2.0, -3.0}, b1[1] = {-0.5};
    m = stump(1, v1, b1, XAI_TREE_LOGISTIC);
    assert_int_equal(xai_runner_new(m, &r), XAI_OK);
    assert_int_equal(xai_runner_forward(r, XAI_OUTPUT_PROB, x, 2, y), XAI_OK);
    assert_int_equal(xai_runner_forward(r, XAI_OUTPUT_SCORE, x, 2, s), XAI_OK);
    assert_close(s[0], 1.5, 1e-7);
    assert_close(s[1], -3.5, 1e-7);
    assert_close(y[0], 1 / (1 + exp(-1.5)), 1e-7);
    assert_close(y[1], 1 / (1 + exp(3.5)), 1e-7);
    /* the public transform agrees */
    double in[1] = {1.5}, out[1];
    xai_tree_apply_transform(xai_model_trees(m), in, out);
    assert_close(out[0], 1 / (1 + exp(-1.5)), 1e-15);
    xai_runner_free(r);
    xai_model_free(m);
}

static void test_not_trees(void **state)
{
    (void)state;
    xai_model *m;
    assert_int_equal(xai_model_load("tests/fixtures/models/mlp_softmax.onnx", &m), XAI_OK);
    assert_null(xai_model_trees(m));
    assert_int_equal(xai_model_piecewise_constant(m), 0);
    xai_model_free(m);
}

/* Gradient methods are refused on a tree model in one place (resolve). */
static void test_gradient_methods_refused(void **state)
{
    (void)state;
    xai_tree_ensemble e = hand_ensemble();
    xai_model *m;
    assert_int_equal(xai_tree_model_new(&e, "hand", &m), XAI_OK);
    xai_column_stats st[3] = {{.mean = 0, .std = 1}, {.mean = 0, .std = 1},
                              {.mean = 0, .std = 1}};
    xai_explain_context ctx = {.n_features = 3, .stats = st};
    const xai_method refused[] = {XAI_METHOD_GRADIENT, XAI_METHOD_GRADIENT_X_INPUT,
                                  XAI_METHOD_SMOOTHGRAD,
                                  XAI_METHOD_INTEGRATED_GRADIENTS};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        xai_explain_options o = xai_explain_options_default(), r;
        o.method = refused[i];
        assert_int_equal(xai_explain_options_resolve(m, &o, &ctx, &r),
                         XAI_ERR_UNSUPPORTED);
        assert_non_null(strstr(xai_last_error(), "tree ensemble"));
        assert_non_null(strstr(xai_last_error(), xai_method_name(refused[i])));
    }
    xai_explain_options o = xai_explain_options_default(), r;
    o.method = XAI_METHOD_CUSTOM;
    o.custom.neighbourhood = XAI_NBHD_GAUSSIAN;
    o.custom.loss = XAI_LOSS_GRADIENT;
    assert_int_equal(xai_explain_options_resolve(m, &o, &ctx, &r), XAI_ERR_UNSUPPORTED);
    const xai_method kept[] = {XAI_METHOD_KERNELSHAP, XAI_METHOD_LIME,
                               XAI_METHOD_OCCLUSION, XAI_METHOD_CLIME};
    for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++) {
        o = xai_explain_options_default();
        o.method = kept[i];
        assert_int_equal(xai_explain_options_resolve(m, &o, &ctx, &r), XAI_OK);
    }
    xai_model_free(m);
}

/* ---- malformed arrays: each refused with a message naming the place ---- */

static void expect_refused(const xai_tree_ensemble *e, const char *fragment)
{
    xai_model *m = (xai_model *)1;
    xai_status s = xai_tree_model_new(e, "bad", &m);
    if (s != XAI_ERR_INVALID)
        fail_msg("expected a refusal containing '%s', got status %d", fragment, (int)s);
    assert_null(m);
    if (!strstr(xai_last_error(), fragment))
        fail_msg("message '%s' lacks '%s'", xai_last_error(), fragment);
    assert_non_null(strstr(xai_last_error(), "bad: "));
}

static void test_malformed(void **state)
{
    (void)state;
    xai_tree_node n[16];
    size_t off[5];
    double lv[10], b[1];
    memcpy(n, nodes, sizeof n);
    memcpy(off, offsets, sizeof off);
    memcpy(lv, leaves, sizeof lv);
    memcpy(b, base, sizeof b);
    xai_tree_ensemble e = hand_ensemble();
    e.nodes = n;
    e.tree_offset = off;
    e.leaf_values = lv;
    e.base_margin = b;
    xai_model *m;
    assert_int_equal(xai_tree_model_new(&e, "ok", &m), XAI_OK);
    xai_model_free(m);

#define MUTATE(stmt, fragment)                                                 \
    do {                                                                       \
        memcpy(n, nodes, sizeof n);                                            \
        memcpy(off, offsets, sizeof off);                                      \
        memcpy(lv, leaves, sizeof lv);                                         \
        b[0] = base[0];                                                        \
        e = hand_ensemble();                                                   \
        e.nodes = n;                                                           \
        e.tree_offset = off;                                                   \
        e.leaf_values = lv;                                                    \
        e.base_margin = b;                                                     \
        stmt;                                                                  \
        expect_refused(&e, fragment);                                          \
    } while (0)

    MUTATE(n[1].no = 5, "tree 0, node 1 points outside the tree");
    MUTATE(n[6 + 1].yes = -1, "tree 1, node 2 points outside the tree");
    MUTATE(n[1].yes = n[1].missing = 0, "points back to the root (a cycle)");
    MUTATE(n[1].yes = n[1].missing = 2, "node 2 has two parents");
    MUTATE(n[1].yes = n[1].missing = 4, "node 4 has two parents");
    /* tree 1 as 0 -> (1, 2) beside a detached cycle 3 -> (4, 5), 4 -> (3, 6):
     * every node has one parent, but 4 are not reachable from the root */
    MUTATE((n[5] = (xai_tree_node)NODE(0, XAI_SPLIT_LEQ, 0, 1, 2, 1, 1),
            n[6] = (xai_tree_node)LEAF(0, 1), n[7] = (xai_tree_node)LEAF(0, 1),
            n[8] = (xai_tree_node)NODE(0, XAI_SPLIT_LEQ, 0, 4, 5, 4, 1),
            n[9] = (xai_tree_node)NODE(0, XAI_SPLIT_LEQ, 0, 3, 6, 3, 1),
            n[10] = (xai_tree_node)LEAF(0, 1), n[11] = (xai_tree_node)LEAF(0, 1)),
           "tree 1: 4 of its 7 nodes are not reachable from the root");
    /* detached leaves */
    MUTATE((n[0] = (xai_tree_node)NODE(0, XAI_SPLIT_LEQ, 0, 1, 2, 1, 1),
            n[1] = (xai_tree_node)LEAF(0, 1), n[3] = (xai_tree_node)LEAF(0, 1),
            n[4] = (xai_tree_node)LEAF(0, 1)),
           "tree 0: 2 of its 5 nodes are not reachable");
    MUTATE(n[4].value = 10, "leaf 4: value row 10 is missing");
    MUTATE(n[5].feature = 3, "node 0 tests feature 3");
    MUTATE(n[5].feature = -2, "tests feature -2");
    MUTATE(n[7].cover = 0, "tree 1, node 2: cover 0");
    MUTATE(n[7].cover = NAN, "cover nan");
    MUTATE(n[0].threshold = NAN, "threshold is NaN");
    MUTATE(n[0].split = 6, "unknown split mode 6");
    MUTATE(n[0].missing = 3, "is neither child");
    MUTATE(off[2] = 5, "tree 1 has no nodes");
    MUTATE(off[0] = 1, "must start at node 0");
    MUTATE(e.n_features = 0, "0 features");
    MUTATE(e.n_margins = 0, "0 margins");
    MUTATE(e.n_trees = 0, "0 trees");
    MUTATE(e.n_values = (size_t)-1, "leaf value rows");
    MUTATE(e.n_trees = (size_t)-1, "trees (need");
    MUTATE(lv[3] = INFINITY, "leaf value row 3, margin 0 is not finite");
    MUTATE(b[0] = NAN, "base margin 0 is not finite");
    MUTATE(e.transform = (xai_tree_transform)7, "unknown transform 7");
    MUTATE(e.nodes = NULL, "are required");
#undef MUTATE
}

/* A chain of D internal nodes, each with a leaf on one side. */
static void test_depth_limit(void **state)
{
    (void)state;
    enum { MAXN = 2 * (XAI_TREE_MAX_DEPTH + 1) + 1 };
    static xai_tree_node ch[MAXN];
    const double lv[1] = {1}, b[1] = {0};
    for (int depth = XAI_TREE_MAX_DEPTH; depth <= XAI_TREE_MAX_DEPTH + 1; depth++) {
        int k = 0;
        for (int d = 0; d < depth; d++) {
            ch[k] = (xai_tree_node)NODE(0, XAI_SPLIT_LEQ, (float)d, k + 1, k + 2, k + 1, 1);
            ch[k + 1] = (xai_tree_node)LEAF(0, 1);
            k += 2;
            ch[k - 2].no = k; /* the chain continues on the no side */
            ch[k - 2].yes = k - 1;
        }
        ch[k] = (xai_tree_node)LEAF(0, 1);
        size_t off[2] = {0, (size_t)k + 1};
        xai_tree_ensemble e = {.n_features = 1, .n_margins = 1, .n_trees = 1,
                               .tree_offset = off, .nodes = ch, .n_values = 1,
                               .leaf_values = lv, .base_margin = b};
        xai_model *m;
        if (depth == XAI_TREE_MAX_DEPTH) {
            assert_int_equal(xai_tree_model_new(&e, "chain", &m), XAI_OK);
            assert_int_equal(xai_model_trees(m)->max_depth, XAI_TREE_MAX_DEPTH);
            xai_model_free(m);
        } else {
            assert_int_equal(xai_tree_model_new(&e, "chain", &m), XAI_ERR_INVALID);
            assert_non_null(strstr(xai_last_error(), "deeper than 64 levels"));
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_evaluated),
        cmocka_unit_test(test_transforms),
        cmocka_unit_test(test_not_trees),
        cmocka_unit_test(test_gradient_methods_refused),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_depth_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
