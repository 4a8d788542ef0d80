/* tests/test_treeshap.c: TreeSHAP against brute-force Shapley values.
 *
 * Reference: for every coalition S of the units (2^U of them) the test
 * evaluates the value function with its own tree walker:
 *  - path-dependent: v(S) = base + sum over trees of E(root), E(leaf) = its
 *    value, E(node) = E(x's child) if the node's unit is in S, else the
 *    cover-weighted mean of E over both children;
 *  - interventional: v(S) = margin(z), z_j = x_j if unit(j) in S else b_j;
 * then phi_i = sum over S without i of |S|! (U-|S|-1)! / U! (v(S+i) - v(S)).
 * Random trees of depth 4-6 over 4-6 features, so units repeat on a path;
 * every split kind, missing values, groups of features. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <xai/xai.h>
#include <xai/audit.h>
#include <xai/trees.h>

#include "explainers/treeshap.h"
#include "support/pdf_tools.h"
#include "support/ref_file.h"
#include "support/run_cmd.h"

enum { MAXN = 4096, MAXU = 8 };

/* ---- a random ensemble, held in plain arrays ---- */
typedef struct forest {
    xai_tree_ensemble t;
    size_t off[64];
    xai_tree_node nodes[MAXN];
    double leaf[MAXN * 2];
    double base[2];
    size_t n;        /* nodes used */
    size_t nv;       /* leaf rows used */
    uint64_t rng;
} forest;

static double unif(forest *f)
{
    f->rng = f->rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(f->rng >> 11) * (1.0 / 9007199254740992.0);
}

/* values and thresholds on a grid of quarters, so EQ/NEQ and ties happen */
static float grid(forest *f) { return (float)((int)(unif(f) * 5) * 0.25); }

/* Builds a subtree at local index `at` (already reserved); returns its cover. */
static double grow(forest *f, size_t root, int32_t at, int depth, int maxd, size_t F)
{
    xai_tree_node *n = &f->nodes[root + (size_t)at];
    if (depth == maxd || (depth > 1 && unif(f) < 0.2)) {
        n->feature = -1;
        n->value = (uint32_t)f->nv;
        f->leaf[f->nv * 2] = 4 * unif(f) - 2;
        f->leaf[f->nv * 2 + 1] = 4 * unif(f) - 2;
        f->nv++;
        n->cover = 1 + (double)(int)(unif(f) * 20);
        return n->cover;
    }
    n->feature = (int32_t)(unif(f) * (double)F);
    n->split = (int32_t)(unif(f) * 6);
    n->threshold = grid(f);
    int32_t yes = (int32_t)(f->n - root), no = yes + 1;
    f->n += 2;
    n->yes = yes;
    n->no = no;
    n->missing = unif(f) < 0.5 ? yes : no;
    double c = grow(f, root, yes, depth + 1, maxd, F);
    c += grow(f, root, no, depth + 1, maxd, F);
    f->nodes[root + (size_t)at].cover = c;
    return c;
}

static int depth_of(const xai_tree_node *nodes, int32_t i)
{
    if (nodes[i].feature < 0)
        return 0;
    int a = depth_of(nodes, nodes[i].yes), b = depth_of(nodes, nodes[i].no);
    return 1 + (a > b ? a : b);
}

static void make_forest(forest *f, uint64_t seed, size_t trees, int maxd, size_t F)
{
    memset(f, 0, sizeof *f);
    f->rng = seed;
    int dmax = 0;
    for (size_t t = 0; t < trees; t++) {
        f->off[t] = f->n;
        f->n++;
        grow(f, f->off[t], 0, 0, maxd, F);
        int d = depth_of(f->nodes + f->off[t], 0);
        dmax = d > dmax ? d : dmax;
    }
    f->off[trees] = f->n;
    f->base[0] = 0.25;
    f->base[1] = -0.5;
    f->t = (xai_tree_ensemble){.n_features = F, .n_margins = 2, .n_trees = trees,
                               .tree_offset = f->off, .nodes = f->nodes,
                               .n_values = f->nv, .leaf_values = f->leaf,
                               .base_margin = f->base, .max_depth = dmax};
}

/* ---- the reference: the test's own walker and enumeration ---- */
static int goes_yes(const xai_tree_node *n, float v)
{
    if (v != v)
        return n->missing == n->yes;
    float t = n->threshold;
    switch (n->split) {
    case XAI_SPLIT_LEQ: return !(v > t);
    case XAI_SPLIT_LT: return v < t;
    case XAI_SPLIT_GTE: return !(v < t);
    case XAI_SPLIT_GT: return v > t;
    case XAI_SPLIT_EQ: return v == t;
    default: return !(v == t);
    }
}

static double ref_expect(const forest *f, const xai_tree_node *nodes, int32_t i,
                         const float *x, const uint32_t *unit, unsigned S, size_t k)
{
    const xai_tree_node *n = &nodes[i];
    if (n->feature < 0)
        return f->leaf[n->value * 2 + k];
    if (S >> unit[n->feature] & 1)
        return ref_expect(f, nodes, goes_yes(n, x[n->feature]) ? n->yes : n->no, x, unit, S, k);
    return (nodes[n->yes].cover * ref_expect(f, nodes, n->yes, x, unit, S, k) +
            nodes[n->no].cover * ref_expect(f, nodes, n->no, x, unit, S, k)) / n->cover;
}

static double ref_margin(const forest *f, const float *z, size_t k)
{
    double s = f->base[k];
    for (size_t t = 0; t < f->t.n_trees; t++) {
        const xai_tree_node *nodes = f->nodes + f->off[t];
        int32_t i = 0;
        while (nodes[i].feature >= 0)
            i = goes_yes(&nodes[i], z[nodes[i].feature]) ? nodes[i].yes : nodes[i].no;
        s += f->leaf[nodes[i].value * 2 + k];
    }
    return s;
}

/* v(S) for S in 0..2^U-1; b NULL: path-dependent */
static void ref_game(const forest *f, const float *x, const float *b, const uint32_t *unit,
                     size_t U, size_t k, double *v)
{
    size_t F = f->t.n_features;
    for (unsigned S = 0; S < (1u << U); S++) {
        if (!b) {
            v[S] = f->base[k];
            for (size_t t = 0; t < f->t.n_trees; t++)
                v[S] += ref_expect(f, f->nodes + f->off[t], 0, x, unit, S, k);
        } else {
            float z[16];
            for (size_t j = 0; j < F; j++)
                z[j] = S >> unit[j] & 1 ? x[j] : b[j];
            v[S] = ref_margin(f, z, k);
        }
    }
}

static void ref_shapley(const double *v, size_t U, double *phi)
{
    double fact[MAXU + 1] = {1};
    for (size_t i = 1; i <= U; i++)
        fact[i] = fact[i - 1] * (double)i;
    for (size_t i = 0; i < U; i++) {
        phi[i] = 0;
        for (unsigned S = 0; S < (1u << U); S++) {
            if (S >> i & 1)
                continue;
            size_t s = (size_t)__builtin_popcount(S);
            phi[i] += fact[s] * fact[U - s - 1] / fact[U] * (v[S | 1u << i] - v[S]);
        }
    }
}

static void random_row(forest *f, float *x, size_t F, double p_missing)
{
    for (size_t j = 0; j < F; j++)
        x[j] = unif(f) < p_missing ? NAN : grid(f);
}

/* One random case: trees of the given depth over F features in U units. */
static void check_case(uint64_t seed, int maxd, size_t F, const uint32_t *unit, size_t U,
                       int interventional, double p_missing)
{
    static forest f;
    make_forest(&f, seed, 3, maxd, F);
    xai_treeshap_work *w = xai_treeshap_work_new(&f.t, U);
    assert_non_null(w);
    double v[1u << MAXU], ref[MAXU], got[MAXU];
    for (int row = 0; row < 6; row++) {
        float x[16], b[16];
        random_row(&f, x, F, p_missing);
        random_row(&f, b, F, 0);
        for (size_t k = 0; k < 2; k++) {
            ref_game(&f, x, interventional ? b : NULL, unit, U, k, v);
            ref_shapley(v, U, ref);
            memset(got, 0, sizeof got);
            if (interventional)
                xai_treeshap_interventional(&f.t, unit, x, b, k, w, got);
            else
                xai_treeshap_path(&f.t, unit, x, k, w, got);
            for (size_t i = 0; i < U; i++)
                if (fabs(got[i] - ref[i]) > 1e-6)
                    fail_msg("seed %llu depth %d row %d margin %zu unit %zu: %s "
                             "TreeSHAP %.9g, brute force %.9g",
                             (unsigned long long)seed, maxd, row, k, i,
                             interventional ? "interventional" : "path-dependent",
                             got[i], ref[i]);
            /* the path game's v(empty) is the cover-weighted expectation */
            if (!interventional)
                assert_true(fabs(xai_treeshap_expected(&f.t, k) - v[0]) < 1e-9);
            assert_true(fabs(xai_tree_margin(&f.t, x, k) - ref_margin(&f, x, k)) < 1e-12);
        }
    }
    xai_treeshap_work_free(w);
}

static void test_path_random(void **state)
{
    (void)state;
    uint32_t unit[6] = {0, 1, 2, 3, 4, 5};
    for (uint64_t s = 1; s <= 40; s++)
        check_case(s, 4 + (int)(s % 3), 4 + s % 3, unit, 4 + s % 3, 0, 0);
}

static void test_interventional_random(void **state)
{
    (void)state;
    uint32_t unit[6] = {0, 1, 2, 3, 4, 5};
    for (uint64_t s = 1; s <= 40; s++)
        check_case(100 + s, 4 + (int)(s % 3), 4 + s % 3, unit, 4 + s % 3, 1, 0);
}

static void test_missing_values(void **state)
{
    (void)state;
    uint32_t unit[5] = {0, 1, 2, 3, 4};
    for (uint64_t s = 1; s <= 20; s++) {
        check_case(200 + s, 5, 5, unit, 5, 0, 0.3);
        check_case(300 + s, 5, 5, unit, 5, 1, 0.3);
    }
}

/* Features 0, 2 form one unit and 1, 3, 4 another: the group is one
 * player, also when its features are split at different nodes of a path. */
static void test_groups(void **state)
{
    (void)state;
    uint32_t unit[6] = {0, 1, 0, 1, 1, 2};
    for (uint64_t s = 1; s <= 30; s++) {
        check_case(400 + s, 4 + (int)(s % 3), 6, unit, 3, 0, 0.1);
        check_case(500 + s, 4 + (int)(s % 3), 6, unit, 3, 1, 0.1);
    }
}

/* Hand-computed: one tree, x0 < 0.5 ? (x1 < 0.5 ? 1 : 3) : 5 with covers
 * root 4, left 2 (1 + 1), right 2; at x = (0, 1): v({}) = (2*2 + 2*5)/4 =
 * 3.5, v({0}) = (1+3)/2 = 2, v({1}) = (3*2 + 5*2)/4 = 4, v({0,1}) = 3, so
 * phi0 = (-1.5 + -1)/2 = -1.25, phi1 = (0.5 + 1)/2 = 0.75. */
static void test_hand_tree(void **state)
{
    (void)state;
    xai_tree_node n[5] = {
        {.feature = 0, .split = XAI_SPLIT_LT, .threshold = 0.5f, .yes = 1, .no = 2, .missing = 1, .cover = 4},
        {.feature = 1, .split = XAI_SPLIT_LT, .threshold = 0.5f, .yes = 3, .no = 4, .missing = 3, .cover = 2},
        {.feature = -1, .cover = 2, .value = 2},
        {.feature = -1, .cover = 1, .value = 0},
        {.feature = -1, .cover = 1, .value = 1},
    };
    size_t off[2] = {0, 5};
    double leaf[3] = {1, 3, 5}, base = 0;
    xai_tree_ensemble t = {.n_features = 2, .n_margins = 1, .n_trees = 1, .tree_offset = off,
                           .nodes = n, .n_values = 3, .leaf_values = leaf,
                           .base_margin = &base, .max_depth = 2};
    uint32_t unit[2] = {0, 1};
    float x[2] = {0, 1}, b[2] = {1, 0};
    xai_treeshap_work *w = xai_treeshap_work_new(&t, 2);
    double phi[2] = {0, 0};
    xai_treeshap_path(&t, unit, x, 0, w, phi);
    assert_true(fabs(phi[0] + 1.25) < 1e-12 && fabs(phi[1] - 0.75) < 1e-12);
    assert_true(fabs(xai_treeshap_expected(&t, 0) - 3.5) < 1e-12);
    /* interventional against b = (1, 0): f(x) = 3, f(b) = 5, f(x0, b1) = 1,
     * f(b0, x1) = 5: phi0 = ((1 - 5) + (3 - 5)) / 2 = -3, phi1 = (0 + 2)/2 = 1 */
    phi[0] = phi[1] = 0;
    xai_treeshap_interventional(&t, unit, x, b, 0, w, phi);
    assert_true(fabs(phi[0] + 3) < 1e-12 && fabs(phi[1] - 1) < 1e-12);
    xai_treeshap_work_free(w);
}

/* ---- through the public API: xai_tree_model_new + xai_explain_rows ---- */
enum { AROWS = 24, NB = 3 };

static xai_model *model_of(forest *f, xai_tree_transform tr)
{
    f->t.transform = tr;
    xai_model *m = NULL;
    if (xai_tree_model_new(&f->t, "random forest", &m) != XAI_OK)
        fail_msg("%s", xai_last_error());
    return m;
}

static void explain(xai_model *m, xai_method me, xai_baseline_kind bk, const xai_explain_context *c,
                    const float *x, size_t n, int32_t target, int threads, float *phi,
                    xai_explain_diag *dg)
{
    xai_explain_options o = xai_explain_options_default();
    o.method = me;
    o.output = XAI_OUTPUT_SCORE;
    o.baseline = bk;
    o.target = target;
    if (xai_explain_rows(m, &o, c, x, n, 0, phi, dg, threads) != XAI_OK)
        fail_msg("%s", xai_last_error());
}

/* Path-dependent and interventional (3 background rows) TreeSHAP through
 * xai_explain_rows: the brute-force values (a unit's value spread over its
 * features), completeness, and the same bytes for 1 and 2 threads. */
static void test_api(void **state)
{
    (void)state;
    static forest f;
    make_forest(&f, 77, 4, 6, 6);
    xai_model *m = model_of(&f, XAI_TREE_IDENTITY);
    uint32_t groups[6] = {0, 1, 0, 2, 2, 3}, U = 4;
    float x[AROWS * 6], bg[NB * 6];
    for (size_t i = 0; i < AROWS; i++)
        random_row(&f, x + i * 6, 6, i % 3 == 0 ? 0.2 : 0);
    for (size_t i = 0; i < NB; i++)
        random_row(&f, bg + i * 6, 6, 0);
    xai_explain_context c = {.n_features = 6, .groups = groups, .n_groups = U,
                             .background = bg, .n_background = NB};
    float phi[AROWS * 6], phi2[AROWS * 6];
    xai_explain_diag dg[AROWS];
    for (int inter = 0; inter < 2; inter++) {
        xai_baseline_kind bk = inter ? XAI_BASELINE_BACKGROUND : XAI_BASELINE_TREE_PATH;
        explain(m, XAI_METHOD_TREESHAP, bk, &c, x, AROWS, 1, 1, phi, dg);
        explain(m, XAI_METHOD_TREESHAP, bk, &c, x, AROWS, 1, 2, phi2, NULL);
        assert_memory_equal(phi, phi2, sizeof phi);
        for (size_t i = 0; i < AROWS; i++) {
            double v[1u << MAXU], ref[MAXU] = {0}, one[MAXU];
            for (size_t r = 0; r < (inter ? NB : 1); r++) {
                ref_game(&f, x + i * 6, inter ? bg + r * 6 : NULL, groups, U, 1, v);
                ref_shapley(v, U, one);
                for (size_t u = 0; u < U; u++)
                    ref[u] += one[u] / (inter ? NB : 1);
            }
            size_t cnt[4] = {2, 1, 2, 1};
            for (size_t j = 0; j < 6; j++)
                if (fabs(phi[i * 6 + j] - ref[groups[j]] / (double)cnt[groups[j]]) > 1e-5)
                    fail_msg("%s row %zu feature %zu: %.7g, brute force %.7g",
                             inter ? "interventional" : "path", i, j, phi[i * 6 + j],
                             ref[groups[j]] / (double)cnt[groups[j]]);
            assert_true(dg[i].exact && dg[i].completeness_gap < 1e-5); /* fx is a float */
            assert_true(fabs(dg[i].fx - ref_margin(&f, x + i * 6, 1)) < 1e-5);
        }
    }
    xai_model_free(m);
}

/* KernelSHAP enumerates every coalition when 2^M - 2 fit its budget (here
 * M = 6 features, 64 coalitions): its answer is then the exact Shapley
 * value of the same interventional game, which TreeSHAP must equal. */
static void test_kernelshap_agrees(void **state)
{
    (void)state;
    static forest f;
    make_forest(&f, 91, 5, 5, 6);
    xai_model *m = model_of(&f, XAI_TREE_LOGISTIC);
    float x[AROWS * 6], bg[NB * 6];
    for (size_t i = 0; i < AROWS; i++)
        random_row(&f, x + i * 6, 6, 0);
    for (size_t i = 0; i < NB; i++)
        random_row(&f, bg + i * 6, 6, 0);
    xai_explain_context c = {.n_features = 6, .background = bg, .n_background = NB};
    float ts[AROWS * 6], ks[AROWS * 6];
    xai_explain_diag dk[AROWS];
    explain(m, XAI_METHOD_TREESHAP, XAI_BASELINE_BACKGROUND, &c, x, AROWS, 0, 2, ts, NULL);
    explain(m, XAI_METHOD_KERNELSHAP, XAI_BASELINE_BACKGROUND, &c, x, AROWS, 0, 2, ks, dk);
    double worst = 0;
    for (size_t i = 0; i < AROWS * 6; i++)
        worst = fmax(worst, fabs(ts[i] - ks[i]));
    assert_true(dk[0].exact);
    if (worst > 1e-5)
        fail_msg("kernelshap (exact) and treeshap differ by %g", worst);
    xai_model_free(m);
}

/* What treeshap refuses, with the reason. */
static void test_refusals(void **state)
{
    (void)state;
    static forest f;
    make_forest(&f, 5, 2, 4, 4);
    xai_model *m = model_of(&f, XAI_TREE_SOFTMAX);
    float x[4] = {0, 0.25f, 0.5f, 1};
    xai_explain_context c = {.n_features = 4};
    float phi[4];
    xai_explain_options o = xai_explain_options_default();
    o.method = XAI_METHOD_TREESHAP;
    o.baseline = XAI_BASELINE_TREE_PATH;
    /* probabilities through a softmax */
    assert_int_equal(xai_explain_rows(m, &o, &c, x, 1, 0, phi, NULL, 1), XAI_ERR_UNSUPPORTED);
    assert_non_null(strstr(xai_last_error(), "--output score"));
    o.output = XAI_OUTPUT_SCORE;
    assert_int_equal(xai_explain_rows(m, &o, &c, x, 1, 0, phi, NULL, 1), XAI_OK);
    /* resolved options explain again (the CLI resolves, then explains) */
    xai_explain_options res;
    assert_int_equal(xai_explain_options_resolve(m, &o, &c, &res), XAI_OK);
    assert_int_equal(xai_explain_rows(m, &res, &c, x, 1, 0, phi, NULL, 1), XAI_OK);
    /* the tree-path baseline belongs to treeshap */
    o.method = XAI_METHOD_KERNELSHAP;
    assert_int_equal(xai_explain_rows(m, &o, &c, x, 1, 0, phi, NULL, 1), XAI_ERR_INVALID);
    assert_non_null(strstr(xai_last_error(), "treeshap only"));
    xai_model_free(m);
    /* path-dependent TreeSHAP without covers */
    f.t.covers_unknown = 1;
    m = model_of(&f, XAI_TREE_IDENTITY);
    o.method = XAI_METHOD_TREESHAP;
    assert_int_equal(xai_explain_rows(m, &o, &c, x, 1, 0, phi, NULL, 1), XAI_ERR_UNSUPPORTED);
    assert_non_null(strstr(xai_last_error(), "cover"));
    o.baseline = XAI_BASELINE_ZERO; /* interventional needs none */
    assert_int_equal(xai_explain_rows(m, &o, &c, x, 1, 0, phi, NULL, 1), XAI_OK);
    xai_model_free(m);
    /* a model that is not a tree ensemble */
    assert_int_equal(xai_model_load("examples/credit/model.onnx", &m), XAI_OK);
    xai_explain_context cc = {.n_features = xai_model_input_size(m)};
    float *z = calloc(cc.n_features * 2, sizeof *z);
    assert_int_equal(xai_explain_rows(m, &o, &cc, z, 1, 0, z + cc.n_features, NULL, 1),
                     XAI_ERR_UNSUPPORTED);
    assert_non_null(strstr(xai_last_error(), "tree ensembles"));
    free(z);
    xai_model_free(m);
}

/* XGBoost's own path-dependent TreeSHAP (predict(pred_contribs=True),
 * recorded by tests/fixtures/trees/make_trees.py): binary, 3-class,
 * regression, a model trained and queried with missing values, and a dart
 * booster (leaves scaled by the tree weights).  The
 * contributions must agree within 1e-5, the bias column with fbaseline,
 * and each row's sum with the recorded margin. */
static void test_xgboost_contribs(void **state)
{
    (void)state;
    static const char *const names[] = {"xgb_binary", "xgb_multi", "xgb_reg", "xgb_missing",
                                        "xgb_dart"};
    for (size_t f = 0; f < sizeof names / sizeof names[0]; f++) {
        char path[256];
        snprintf(path, sizeof path, "tests/fixtures/trees/%s.json", names[f]);
        xai_model *m = NULL;
        if (xai_model_load(path, &m) != XAI_OK)
            fail_msg("%s", xai_last_error());
        snprintf(path, sizeof path, "tests/fixtures/trees/%s.ref", names[f]);
        ref_file *rf = ref_load(path);
        assert_non_null(rf);
        const ref_block *in = ref_get(rf, "input"), *ct = ref_get(rf, "contribs"),
                        *sc = ref_get(rf, "score");
        assert_true(in && ct && sc);
        size_t n = in->rows, D = in->cols, C = ct->cols / (D + 1);
        const xai_tree_ensemble *t = xai_model_trees(m);
        assert_non_null(t);
        float *x = malloc(n * D * sizeof *x), *phi = malloc(n * D * sizeof *phi);
        xai_explain_diag *dg = malloc(n * sizeof *dg);
        assert_true(x && phi && dg);
        for (size_t i = 0; i < n * D; i++)
            x[i] = (float)in->v[i];
        xai_explain_context c = {.n_features = D};
        for (size_t k = 0; k < C; k++) {
            assert_int_equal(t->n_margins, C); /* binary:logistic: one margin */
            int32_t margin = (int32_t)k;
            explain(m, XAI_METHOD_TREESHAP, XAI_BASELINE_TREE_PATH, &c, x, n, margin, 2,
                    phi, dg);
            for (size_t i = 0; i < n; i++) {
                const double *ref = ct->v + i * ct->cols + k * (D + 1);
                double sum = 0;
                for (size_t j = 0; j < D; j++) {
                    sum += phi[i * D + j];
                    if (fabs(phi[i * D + j] - ref[j]) > 1e-5)
                        fail_msg("%s row %zu class %zu feature %zu: treeshap %.8g, "
                                 "xgboost %.8g", names[f], i, k, j, phi[i * D + j], ref[j]);
                }
                if (fabs(dg[i].fbaseline - ref[D]) > 1e-5)
                    fail_msg("%s row %zu class %zu: expected value %.8g, xgboost bias "
                             "%.8g", names[f], i, k, dg[i].fbaseline, ref[D]);
                double mg = sc->v[i * sc->cols + (size_t)margin];
                if (fabs(sum + dg[i].fbaseline - mg) > 1e-5)
                    fail_msg("%s row %zu class %zu: sum %.8g + bias %.8g != margin %.8g",
                             names[f], i, k, sum, dg[i].fbaseline, mg);
            }
        }
        free(x), free(phi), free(dg);
        ref_free(rf);
        xai_model_free(m);
    }
}

/* xai_audit_run on a tree model with the default methods: the gradient
 * methods are skipped with the reason, treeshap joins, the neighbourhoods
 * are gaussian:0.1, gaussian:0.5, mask:0.5 and shapley.  With 6 features
 * KernelSHAP is exact, so it and TreeSHAP (interventional, the audit's mean
 * baseline) give the same attributions and the same loss on the shapley
 * neighbourhood (KernelSHAP's objective), which no other method beats. */
static void test_audit(void **state)
{
    (void)state;
    static forest f;
    make_forest(&f, 33, 6, 5, 6);
    xai_model *m = model_of(&f, XAI_TREE_LOGISTIC);
    enum { N = 12 };
    float x[N * 6];
    xai_column_stats st[6];
    for (size_t i = 0; i < N; i++)
        random_row(&f, x + i * 6, 6, 0);
    for (size_t j = 0; j < 6; j++)
        st[j] = (xai_column_stats){.mean = 0.5, .std = 0.35, .min = 0, .max = 1};
    xai_explain_context c = {.n_features = 6, .stats = st};
    xai_audit_options o = xai_audit_options_default();
    o.base.output = XAI_OUTPUT_SCORE;
    o.base.target = 1;
    o.base.seed = 3;
    o.sens_points = 1;
    o.n_threads = 2;
    xai_audit_result *r = NULL;
    if (xai_audit_run(m, &c, &o, x, N, 0, NULL, &r) != XAI_OK)
        fail_msg("%s", xai_last_error());
    assert_int_equal(r->n_skipped, 4);
    for (size_t k = 0; k < r->n_skipped; k++)
        assert_non_null(strstr(r->skipped[k].reason, "tree ensemble"));
    size_t ts = SIZE_MAX, ks = SIZE_MAX, zs = SIZE_MAX;
    for (size_t k = 0; k < r->n_methods; k++) {
        assert_false(r->methods[k].options.method == XAI_METHOD_GRADIENT);
        if (r->methods[k].options.method == XAI_METHOD_TREESHAP)
            ts = k;
        if (r->methods[k].options.method == XAI_METHOD_KERNELSHAP)
            ks = k;
    }
    assert_int_equal(r->n_nbhds, 4);
    for (size_t z = 0; z < r->n_nbhds; z++)
        if (strcmp(r->nbhd_names[z], "shapley") == 0)
            zs = z;
    assert_true(ts != SIZE_MAX && ks != SIZE_MAX && zs != SIZE_MAX);
    for (size_t i = 0; i < N * 6; i++)
        assert_true(fabsf(r->phi[ts * N * 6 + i] - r->phi[ks * N * 6 + i]) < 1e-5f);
    double lt = r->table[ts * r->n_nbhds + zs].mean;
    assert_true(fabs(lt - r->table[ks * r->n_nbhds + zs].mean) < 1e-6 * (1 + lt));
    for (size_t k = 0; k < r->n_methods; k++)
        assert_true(r->table[k * r->n_nbhds + zs].mean >= lt * (1 - 1e-6));
    xai_audit_result_free(r);
    xai_model_free(m);
}

/* The audit's PDF and JSON on an XGBoost model through the CLI: the summary
 * names the tree ensemble and the gradient methods left out with why, the
 * explained output is the margin, treeshap and the shapley neighbourhood
 * are in the table. */
static void test_audit_report(void **state)
{
    (void)state;
    char dir[] = "/tmp/xai-treeshap-XXXXXX";
    assert_non_null(mkdtemp(dir));
    cmd_result *r = malloc(sizeof *r);
    assert_non_null(r);
    int rc = cmd_run(r, "audit --model tests/fixtures/trees/xgb_binary.json --data "
                     "tests/fixtures/trees/xgb_binary_input.csv --rows 0:12 "
                     "--sens-points 1 --seed 2 --out %s/a.pdf --json %s/a.json", dir, dir);
    if (rc != 0)
        fail_msg("xai audit failed (%d): %s", rc, r->err);
    char path[128];
    snprintf(path, sizeof path, "%s/a.pdf", dir);
    char *txt = pdf_text(path);
    assert_non_null(txt);
    static const char *const want[] = {
        "tree ensemble: 15 trees, max depth 3", "Methods not applicable",
        "integrated-gradients", "piecewise", "margin (log-odds)", "treeshap", "shapley"};
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++)
        if (!strstr(txt, want[k]))
            fail_msg("the report lacks '%s'", want[k]);
    free(txt);
    snprintf(path, sizeof path, "%s/a.json", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char js[1 << 20];
    size_t n = fread(js, 1, sizeof js - 1, f);
    js[n] = 0;
    fclose(f);
    assert_non_null(strstr(js, "\"skipped_methods\": [\n    {\"method\": \"gradient\""));
    assert_non_null(strstr(js, "\"shapley\""));
    remove(path);
    snprintf(path, sizeof path, "%s/a.pdf", dir);
    remove(path);
    rmdir(dir);
    free(r);
}

/* Issue 12: a binary:logistic model is one output, P(1), whose margin
 * TreeSHAP explains.  With the default target (the predicted class) a row
 * predicted 0 gets XGBoost's own pred_contribs, not the zeros of a constant
 * class-0 margin: through the library and through `xai explain` with no
 * --target or --output. */
static void test_binary_default_target(void **state)
{
    (void)state;
    xai_model *m = NULL;
    if (xai_model_load("tests/fixtures/trees/xgb_binary.json", &m) != XAI_OK)
        fail_msg("%s", xai_last_error());
    assert_int_equal(xai_model_output_size(m), 1);
    ref_file *rf = ref_load("tests/fixtures/trees/xgb_binary.ref");
    assert_non_null(rf);
    const ref_block *in = ref_get(rf, "input"), *ct = ref_get(rf, "contribs"),
                    *out = ref_get(rf, "output");
    assert_true(in && ct && out);
    size_t n = in->rows, D = in->cols;
    assert_int_equal(out->cols, 1);
    assert_int_equal(ct->cols, D + 1);
    float *x = malloc(n * D * sizeof *x), *phi = malloc(n * D * sizeof *phi);
    xai_explain_diag *dg = malloc(n * sizeof *dg);
    assert_true(x && phi && dg);
    for (size_t i = 0; i < n * D; i++)
        x[i] = (float)in->v[i];
    xai_explain_context c = {.n_features = D};
    xai_explain_options o = xai_explain_options_default();
    o.method = XAI_METHOD_TREESHAP;
    o.output = XAI_OUTPUT_SCORE;
    o.baseline = XAI_BASELINE_TREE_PATH;
    assert_int_equal(o.target, XAI_TARGET_PRED);
    if (xai_explain_rows(m, &o, &c, x, n, 0, phi, dg, 1) != XAI_OK)
        fail_msg("%s", xai_last_error());
    size_t zeros = 0;
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(dg[i].target, 0);
        double big = 0;
        for (size_t j = 0; j < D; j++) {
            double want = ct->v[i * ct->cols + j];
            if (fabs(phi[i * D + j] - want) > 1e-5)
                fail_msg("row %zu (P(1) %.4f) feature %zu: treeshap %.8g, xgboost %.8g", i,
                         out->v[i], j, phi[i * D + j], want);
            big = fmax(big, fabs(phi[i * D + j]));
        }
        if (out->v[i] < 0.5) {
            zeros++;
            assert_true(big > 0.05); /* not the zeros of a constant margin */
        }
    }
    assert_true(zeros >= 2); /* the fixture has rows predicted 0 */
    /* the CLI: each line's values are xgboost's for that row */
    cmd_result *r = malloc(sizeof *r);
    assert_non_null(r);
    int rc = cmd_run(r, "explain --model tests/fixtures/trees/xgb_binary.json --data "
                     "tests/fixtures/trees/xgb_binary_input.csv --method treeshap --out -");
    if (rc != 0)
        fail_msg("xai explain failed (%d): %s", rc, r->err);
    const char *line = strchr(r->out, '\n');
    assert_non_null(line);
    size_t rows = 0;
    for (line++; *line; rows++) {
        size_t row;
        int used;
        assert_int_equal(sscanf(line, "%zu,treeshap,0%n", &row, &used), 1);
        assert_int_equal(row, rows);
        assert_true(row < n);
        const char *p = line + used;
        for (size_t j = 0; j < D; j++) {
            char *end;
            assert_true(*p == ',');
            double v = strtod(p + 1, &end);
            assert_true(end != p + 1);
            if (fabs(v - ct->v[row * ct->cols + j]) > 1e-5)
                fail_msg("xai explain row %zu feature %zu: %.8g, xgboost %.8g", row, j, v,
                         ct->v[row * ct->cols + j]);
            p = end;
        }
        assert_true(*p == '\n');
        line = p + 1;
    }
    assert_int_equal(rows, n);
    free(r);
    free(x), free(phi), free(dg);
    ref_free(rf);
    xai_model_free(m);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_tree),
        cmocka_unit_test(test_path_random),
        cmocka_unit_test(test_interventional_random),
        cmocka_unit_test(test_missing_values),
        cmocka_unit_test(test_groups),
        cmocka_unit_test(test_api),
        cmocka_unit_test(test_kernelshap_agrees),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_xgboost_contribs),
        cmocka_unit_test(test_audit),
        cmocka_unit_test(test_audit_report),
        cmocka_unit_test(test_binary_default_target),
    };
    (void)argc;
    cmd_init(argv[0]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
