/* tests/test_xgb_json.c: the JSON reader (values, escapes, error positions,
 * nesting bound) and XGBoost JSON models: a hand-evaluated one-tree model
 * and every class of malformed file, each refused with its message. */
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

#include "core/json_in.h"

static void test_json_values(void **state)
{
    (void)state;
    const char *t = " {\"a\": [1, -2.5e1, true, false, null], \"s\": \"q\\\"\\n\\u00e9/\","
                    " \"o\": {}, \"e\": []} ";
    json_value *v;
    assert_int_equal(json_parse(t, strlen(t), "t.json", &v), XAI_OK);
    const json_value *a = json_get(v, "a");
    assert_non_null(a);
    assert_int_equal(a->kind, JSON_ARRAY);
    assert_int_equal(a->n, 5);
    assert_true(a->items[0].num == 1 && a->items[1].num == -25);
    assert_int_equal(a->items[2].kind, JSON_BOOL);
    assert_true(a->items[2].num == 1 && a->items[3].num == 0);
    assert_int_equal(a->items[4].kind, JSON_NULL);
    assert_string_equal(json_get(v, "s")->str, "q\"\n\xc3\xa9/");
    assert_int_equal(json_get(v, "o")->n, 0);
    assert_int_equal(json_get(v, "e")->kind, JSON_ARRAY);
    assert_null(json_get(v, "missing"));
    json_free(v);
}

static void expect_json_error(const char *t, const char *fragment)
{
    json_value *v = (json_value *)1;
    assert_int_equal(json_parse(t, strlen(t), "t.json", &v), XAI_ERR_PARSE);
    assert_null(v);
    if (!strstr(xai_last_error(), fragment))
        fail_msg("'%s': message '%s' lacks '%s'", t, xai_last_error(), fragment);
}

static void test_json_errors(void **state)
{
    (void)state;
    expect_json_error("{\n  \"a\": [1, 2,]\n}", "t.json:2:14: malformed JSON");
    expect_json_error("[1, 2", "unexpected end of input");
    expect_json_error("{\"a\" 1}", "expected ':'");
    expect_json_error("[1] 2", "text after the value");
    expect_json_error("\"abc", "unterminated string");
    expect_json_error("[1e999]", "out of range");
    expect_json_error("[1.2.3]", "malformed number");
    expect_json_error("[01x]", "expected ',' or ']'");
    expect_json_error("[tru]", "unexpected word");
    expect_json_error("\"\\q\"", "unknown escape");
    expect_json_error("", "unexpected end of input");
    char deep[200];
    memset(deep, '[', 65);
    memset(deep + 65, ']', 65);
    deep[130] = '\0';
    expect_json_error(deep, "nested deeper than 64 levels");
    deep[1] = ' '; /* 64 levels parse */
    deep[129] = '\0';
    json_value *v;
    assert_int_equal(json_parse(deep, strlen(deep), "t.json", &v), XAI_OK);
    json_free(v);
}

/* ---- XGBoost models ---- */

#define TREE "{\"left_children\":[%s],\"right_children\":[%s],\"split_indices\":[%s]," \
             "\"split_conditions\":[%s],\"default_left\":[%s],\"sum_hessian\":[%s]%s}"
#define MODEL "{\"learner\":{\"gradient_booster\":{\"name\":\"%s\",\"model\":{" \
              "\"tree_info\":[%s],\"trees\":[%s]}},\"learner_model_param\":{"       \
              "\"base_score\":\"%s\",\"num_class\":\"%s\",\"num_feature\":\"2\"},"  \
              "\"objective\":{\"name\":\"%s\"}}}"

typedef struct spec {
    const char *left, *right, *feat, *cond, *dleft, *hess, *extra;
    const char *booster, *info, *base, *classes, *objective;
} spec;

static spec good(void)
{
    return (spec){"1,-1,-1", "2,-1,-1", "0,0,0", "0.5,-1.0,2.0", "1,0,0",
                  "10,4,6", "", "gbtree", "0", "5E-1", "0", "reg:squarederror"};
}

static char dir[64];

static void write_model(const spec *s, const char *path)
{
    char tree[4096], model[8192];
    snprintf(tree, sizeof tree, TREE, s->left, s->right, s->feat, s->cond, s->dleft,
             s->hess, s->extra);
    snprintf(model, sizeof model, MODEL, s->booster, s->info, tree, s->base, s->classes,
             s->objective);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(model, f);
    fclose(f);
}

static void test_xgb_hand(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/good.json", dir);
    spec s = good();
    write_model(&s, path);
    xai_model *m;
    if (xai_model_load(path, &m) != XAI_OK)
        fail_msg("%s", xai_last_error());
    const xai_tree_ensemble *t = xai_model_trees(m);
    assert_non_null(t);
    assert_true(t->nodes[0].cover == 10 && t->nodes[1].cover == 4);
    assert_int_equal(t->covers_unknown, 0);
    /* x0 < 0.5 -> -1, else 2; NaN -> left; base 0.5 (identity link) */
    const float x[4][2] = {{0.25f, 9}, {0.5f, 9}, {NAN, 0}, {3, NAN}};
    const float want[4] = {-0.5f, 2.5f, -0.5f, 2.5f};
    float y[4];
    xai_runner *r;
    assert_int_equal(xai_runner_new(m, &r), XAI_OK);
    assert_int_equal(xai_runner_forward(r, XAI_OUTPUT_PROB, &x[0][0], 4, y), XAI_OK);
    for (int i = 0; i < 4; i++)
        assert_true(y[i] == want[i]);
    xai_runner_free(r);
    xai_model_free(m);
    /* binary:logistic: one output, P(1) = sigmoid(logit(0.2) + leaf), like
     * xgboost's predict(); the score is that margin */
    s.base = "2E-1";
    s.objective = "binary:logistic";
    write_model(&s, path);
    assert_int_equal(xai_model_load(path, &m), XAI_OK);
    assert_int_equal(xai_model_output_size(m), 1);
    assert_int_equal(xai_model_outputs_probabilities(m), 1);
    assert_int_equal(xai_runner_new(m, &r), XAI_OK);
    float sc[1], p[1];
    assert_int_equal(xai_runner_forward(r, XAI_OUTPUT_SCORE, x[0], 1, sc), XAI_OK);
    assert_int_equal(xai_runner_forward(r, XAI_OUTPUT_PROB, x[0], 1, p), XAI_OK);
    double mg = log(0.2 / 0.8) - 1.0;
    assert_true(fabs(sc[0] - mg) < 1e-6);
    assert_true(fabs(p[0] - 1 / (1 + exp(-mg))) < 1e-7);
    xai_runner_free(r);
    xai_model_free(m);
    /* reg:logistic: one output, sigmoid(logit(0.2) + leaf) */
    s.objective = "reg:logistic";
    write_model(&s, path);
    assert_int_equal(xai_model_load(path, &m), XAI_OK);
    assert_int_equal(xai_model_output_size(m), 1);
    assert_int_equal(xai_model_outputs_probabilities(m), 1);
    assert_int_equal(xai_runner_new(m, &r), XAI_OK);
    assert_int_equal(xai_runner_forward(r, XAI_OUTPUT_PROB, x[1], 1, p), XAI_OK);
    mg = log(0.2 / 0.8) + 2.0;
    assert_true(fabs(p[0] - 1 / (1 + exp(-mg))) < 1e-7);
    xai_runner_free(r);
    xai_model_free(m);
}

static void expect_refused(const spec *s, const char *raw, xai_status st,
                           const char *fragment)
{
    char path[128];
    snprintf(path, sizeof path, "%s/bad.json", dir);
    if (raw) {
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs(raw, f);
        fclose(f);
    } else {
        write_model(s, path);
    }
    xai_model *m = (xai_model *)1;
    xai_status got = xai_model_load(path, &m);
    if (got != st || !strstr(xai_last_error(), fragment) || !strstr(xai_last_error(), path))
        fail_msg("status %d '%s' (want %d, '%s')", (int)got, xai_last_error(), (int)st,
                 fragment);
    assert_null(m);
}

static void test_xgb_malformed(void **state)
{
    (void)state;
    spec s;
#define BAD(stmt, st, fragment) (s = good(), stmt, expect_refused(&s, NULL, st, fragment))
    BAD(s.left = "5,-1,-1", XAI_ERR_PARSE, "tree 0, node 0 points outside the tree");
    BAD((s.left = "1,0,-1", s.right = "2,2,-1"), XAI_ERR_INVALID, "points back to the root");
    BAD((s.left = "1,2,-1", s.right = "2,2,-1"), XAI_ERR_INVALID, "has two parents");
    BAD(s.cond = "0.5,-1.0", XAI_ERR_PARSE,
        "split_conditions has 2 entries but left_children has 3");
    BAD(s.hess = "10,4", XAI_ERR_PARSE, "sum_hessian has 2 entries");
    BAD(s.right = "-1,-1,-1", XAI_ERR_PARSE, "node 0 has one child");
    BAD(s.feat = "7,0,0", XAI_ERR_PARSE, "split_indices must be a feature in 0..1");
    BAD(s.dleft = "2,0,0", XAI_ERR_PARSE, "default_left must be 0 or 1");
    BAD(s.left = "1.5,-1,-1", XAI_ERR_PARSE, "children must be integers");
    BAD(s.hess = "10,0,6", XAI_ERR_INVALID, "tree 0, node 1: cover 0");
    BAD(s.info = "3", XAI_ERR_PARSE, "tree_info[0] is not a class");
    BAD(s.info = "0,0", XAI_ERR_PARSE, "1 trees with 2 tree_info entries");
    BAD(s.objective = "count:poisson", XAI_ERR_UNSUPPORTED, "objective 'count:poisson'");
    BAD(s.booster = "gblinear", XAI_ERR_UNSUPPORTED, "booster 'gblinear'");
    BAD(s.booster = "dart", XAI_ERR_PARSE, "dart booster without weight_drop");
    BAD(s.extra = ",\"split_type\":[1,0,0]", XAI_ERR_UNSUPPORTED, "categorical splits");
    BAD((s.objective = "binary:logistic", s.base = "1.5"), XAI_ERR_PARSE,
        "base_score 1.5 of binary:logistic is not a probability");
    BAD((s.objective = "multi:softprob", s.classes = "1"), XAI_ERR_PARSE,
        "multi:softprob with num_class 1");
    BAD(s.base = "abc", XAI_ERR_PARSE, "base_score is missing or not a number");
#undef BAD
    expect_refused(NULL, "{\"learner\": [1, 2", XAI_ERR_PARSE, ":1:18: malformed JSON");
    expect_refused(NULL, "{\"a\": 1}", XAI_ERR_PARSE, "no 'learner' object");
    /* a chain 70 levels deep */
    static char l[2048], r[2048], f[2048], c[2048], d[2048], h[2048];
    size_t o[6] = {0};
    int nn = 2 * 70 + 1;
    for (int i = 0; i < nn; i++) {
        int branch = i % 2 == 0 && i < nn - 1;
        const char *sep = i ? "," : "";
        o[0] += (size_t)snprintf(l + o[0], sizeof l - o[0], "%s%d", sep, branch ? i + 1 : -1);
        o[1] += (size_t)snprintf(r + o[1], sizeof r - o[1], "%s%d", sep, branch ? i + 2 : -1);
        o[2] += (size_t)snprintf(f + o[2], sizeof f - o[2], "%s0", sep);
        o[3] += (size_t)snprintf(c + o[3], sizeof c - o[3], "%s%d", sep, i);
        o[4] += (size_t)snprintf(d + o[4], sizeof d - o[4], "%s0", sep);
        o[5] += (size_t)snprintf(h + o[5], sizeof h - o[5], "%s1", sep);
    }
    s = good();
    s.left = l, s.right = r, s.feat = f, s.cond = c, s.dleft = d, s.hess = h;
    expect_refused(&s, NULL, XAI_ERR_INVALID, "tree 0 is deeper than 64 levels");
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/xai-xgb-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char p[128];
    snprintf(p, sizeof p, "%s/good.json", dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/bad.json", dir);
    unlink(p);
    return rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_values),
        cmocka_unit_test(test_json_errors),
        cmocka_unit_test(test_xgb_hand),
        cmocka_unit_test(test_xgb_malformed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
