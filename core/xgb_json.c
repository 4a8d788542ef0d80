/* core/xgb_json.c: XGBoost's JSON model (booster.save_model("m.json"),
 * XGBoost 1.x schema) into a tree model: gbtree boosters with numerical
 * splits (x < split_condition goes left, default_left for missing values),
 * leaf values in split_conditions, covers from sum_hessian, the class of
 * each tree from tree_info, and base_score as a margin (logit for
 * binary:logistic).  binary:logistic is one margin with a sigmoid, like
 * reg:logistic: one output P(class 1), xai's binary-classifier convention
 * and XGBoost's own predict().  A dart booster is its gbtree with each tree's leaves
 * scaled by weight_drop, as XGBoost predicts. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "json_in.h"
#include "model_impl.h"
#include "tree_impl.h"

/* JSON model files above this are refused before reading. */
#define XGB_MAX_FILE_BYTES ((size_t)1 << 30)

typedef struct xgb {
    const char *path;
    size_t D, M, classes, n_trees, n_nodes, n_leaves;
    xai_tree_transform transform;
    int probabilities;
    double base;
    size_t *offset;
    xai_tree_node *nodes;
    double *vals, *base_margin;
} xgb;

#define FAIL(...) xai_fail(XAI_ERR_PARSE, __VA_ARGS__)

/* obj.key as a number, accepting XGBoost's quoted numbers ("5E-1") */
static xai_status number_at(const xgb *x, const json_value *obj, const char *key,
                            const char *where, double *out)
{
    const json_value *v = json_get(obj, key);
    if (v && v->kind == JSON_NUMBER) {
        *out = v->num;
        return XAI_OK;
    }
    if (v && v->kind == JSON_STRING) {
        char *end;
        *out = strtod(v->str, &end);
        if (end != v->str && !*end && isfinite(*out))
            return XAI_OK;
    }
    return FAIL("%s: %s.%s is missing or not a number", x->path, where, key);
}

static xai_status count_at(const xgb *x, const json_value *obj, const char *key,
                           const char *where, size_t max, size_t *out)
{
    double v;
    XAI_TRY(number_at(x, obj, key, where, &v));
    if (!(v >= 0) || v > (double)max || v != floor(v))
        return FAIL("%s: %s.%s = %g is not a count in 0..%zu", x->path, where, key, v,
                    max);
    *out = (size_t)v;
    return XAI_OK;
}

static const json_value *array_at(const json_value *obj, const char *key)
{
    const json_value *v = json_get(obj, key);
    return v && v->kind == JSON_ARRAY ? v : NULL;
}

/* The objective: margins, transform and base margin. */
static xai_status objective(xgb *x, const json_value *learner)
{
    const json_value *obj = json_get(learner, "objective"),
                     *name = json_get(obj, "name");
    if (!name || name->kind != JSON_STRING)
        return FAIL("%s: learner.objective.name is missing", x->path);
    const json_value *mp = json_get(learner, "learner_model_param");
    XAI_TRY(number_at(x, mp, "base_score", "learner_model_param", &x->base));
    size_t nc = 0;
    if (json_get(mp, "num_class"))
        XAI_TRY(count_at(x, mp, "num_class", "learner_model_param", XAI_TREE_MAX_MARGINS,
                         &nc));
    const char *o = name->str;
    if (strcmp(o, "binary:logistic") == 0 || strcmp(o, "reg:logistic") == 0) {
        if (!(x->base > 0 && x->base < 1))
            return FAIL("%s: base_score %g of %s is not a probability in (0, 1)",
                        x->path, x->base, o);
        x->base = log(x->base / (1 - x->base));
        x->classes = x->M = 1;
        x->transform = XAI_TREE_LOGISTIC;
        x->probabilities = 1;
    } else if (strcmp(o, "multi:softprob") == 0 || strcmp(o, "multi:softmax") == 0) {
        if (nc < 2)
            return FAIL("%s: %s with num_class %zu", x->path, o, nc);
        x->classes = x->M = nc;
        x->transform = XAI_TREE_SOFTMAX;
        x->probabilities = 1;
    } else if (strcmp(o, "reg:squarederror") == 0 || strcmp(o, "reg:linear") == 0 ||
               strcmp(o, "reg:pseudohubererror") == 0 ||
               strcmp(o, "reg:absoluteerror") == 0 ||
               strcmp(o, "reg:quantileerror") == 0) {
        x->classes = x->M = 1;
        x->transform = XAI_TREE_IDENTITY;
    } else {
        return xai_fail(XAI_ERR_UNSUPPORTED, "%s: objective '%s' is not supported "
                        "(binary:logistic, reg:logistic, multi:softprob, "
                        "multi:softmax, reg:squarederror and other identity-link "
                        "regressions)", x->path, o);
    }
    return XAI_OK;
}

/* The i-th entry of an integer array (checked range). */
static int int_entry(const json_value *a, size_t i, long lo, long hi, long *out)
{
    const json_value *v = &a->items[i];
    if (v->kind != JSON_NUMBER || v->num != floor(v->num) || v->num < (double)lo ||
        v->num > (double)hi)
        return 0;
    *out = (long)v->num;
    return 1;
}

static xai_status read_tree(xgb *x, const json_value *tree, size_t t, size_t cls,
                            double weight, size_t *leaf_row)
{
    static const char *const keys[] = {"left_children", "right_children",
                                       "split_indices", "split_conditions",
                                       "default_left", "sum_hessian"};
    const json_value *a[6];
    size_t n = 0;
    for (int k = 0; k < 6; k++) {
        a[k] = array_at(tree, keys[k]);
        if (!a[k])
            return FAIL("%s: tree %zu: %s is missing", x->path, t, keys[k]);
        if (k == 0)
            n = a[0]->n;
        if (a[k]->n != n)
            return FAIL("%s: tree %zu: %s has %zu entries but left_children has %zu",
                        x->path, t, keys[k], a[k]->n, n);
    }
    if (n == 0)
        return FAIL("%s: tree %zu has no nodes", x->path, t);
    const json_value *st = array_at(tree, "split_type");
    for (size_t i = 0; st && i < st->n; i++)
        if (st->items[i].kind != JSON_NUMBER || st->items[i].num != 0)
            return xai_fail(XAI_ERR_UNSUPPORTED, "%s: tree %zu, node %zu: categorical "
                            "splits are not supported", x->path, t, i);
    size_t base = x->offset[t];
    for (size_t i = 0; i < n; i++) {
        xai_tree_node *nd = &x->nodes[base + i];
        long l, r, f, dl;
        const json_value *cond = &a[3]->items[i], *hess = &a[5]->items[i];
        if (!int_entry(a[0], i, -1, INT32_MAX, &l) || !int_entry(a[1], i, -1, INT32_MAX, &r))
            return FAIL("%s: tree %zu, node %zu: children must be integers", x->path, t, i);
        if (cond->kind != JSON_NUMBER || hess->kind != JSON_NUMBER)
            return FAIL("%s: tree %zu, node %zu: split_conditions and sum_hessian "
                        "must be numbers", x->path, t, i);
        nd->cover = hess->num;
        if ((l < 0) != (r < 0))
            return FAIL("%s: tree %zu, node %zu has one child (left %ld, right %ld)",
                        x->path, t, i, l, r);
        if (l < 0) { /* a leaf: its value is split_conditions */
            nd->feature = -1;
            nd->value = (uint32_t)*leaf_row;
            x->vals[*leaf_row * x->M + cls] = weight * cond->num;
            (*leaf_row)++;
            continue;
        }
        if (!int_entry(a[2], i, 0, INT32_MAX, &f) || (size_t)f >= x->D)
            return FAIL("%s: tree %zu, node %zu: split_indices must be a feature in "
                        "0..%zu", x->path, t, i, x->D - 1);
        if (!int_entry(a[4], i, 0, 1, &dl))
            return FAIL("%s: tree %zu, node %zu: default_left must be 0 or 1", x->path,
                        t, i);
        if ((size_t)l >= n || (size_t)r >= n)
            return FAIL("%s: tree %zu, node %zu points outside the tree (children %ld "
                        "and %ld of %zu nodes)", x->path, t, i, l, r, n);
        nd->feature = (int32_t)f;
        nd->split = XAI_SPLIT_LT;
        nd->threshold = (float)cond->num;
        nd->yes = (int32_t)l;
        nd->no = (int32_t)r;
        nd->missing = dl ? nd->yes : nd->no;
    }
    return XAI_OK;
}

static xai_status read_trees(xgb *x, const json_value *model, const json_value *drop)
{
    const json_value *trees = array_at(model, "trees"),
                     *info = array_at(model, "tree_info");
    if (!trees || !info)
        return FAIL("%s: gradient_booster.model.trees or tree_info is missing", x->path);
    if (trees->n == 0 || trees->n > XAI_TREE_MAX_TREES || info->n != trees->n)
        return FAIL("%s: %zu trees with %zu tree_info entries (need 1..%zu, equal)",
                    x->path, trees->n, info->n, XAI_TREE_MAX_TREES);
    if (drop && drop->n != trees->n)
        return FAIL("%s: weight_drop has %zu entries for %zu trees", x->path, drop->n,
                    trees->n);
    for (size_t t = 0; drop && t < drop->n; t++)
        if (drop->items[t].kind != JSON_NUMBER || !isfinite(drop->items[t].num))
            return FAIL("%s: weight_drop[%zu] is not a number", x->path, t);
    x->n_trees = trees->n;
    x->offset = malloc((x->n_trees + 1) * sizeof *x->offset);
    if (!x->offset)
        return xai_fail(XAI_ERR_NOMEM, "%s: out of memory", x->path);
    /* sizes first: every count below comes from arrays already in memory */
    size_t total = 0, leaves = 0;
    for (size_t t = 0; t < x->n_trees; t++) {
        const json_value *l = array_at(&trees->items[t], "left_children");
        if (!l)
            return FAIL("%s: tree %zu: left_children is missing", x->path, t);
        x->offset[t] = total;
        total += l->n;
        if (total > XAI_TREE_MAX_NODES)
            return FAIL("%s: more than %zu nodes", x->path, XAI_TREE_MAX_NODES);
        for (size_t i = 0; i < l->n; i++)
            leaves += l->items[i].kind == JSON_NUMBER && l->items[i].num == -1;
    }
    x->offset[x->n_trees] = total;
    size_t len;
    if (!leaves || !xai_mul_size(leaves, x->M, &len) || len > XAI_TREE_MAX_LEAF_DOUBLES)
        return FAIL("%s: %zu leaves of %zu margins", x->path, leaves, x->M);
    x->nodes = calloc(total, sizeof *x->nodes);
    x->vals = calloc(len, sizeof *x->vals);
    if (!x->nodes || !x->vals)
        return xai_fail(XAI_ERR_NOMEM, "%s: out of memory for %zu nodes", x->path, total);
    size_t row = 0;
    for (size_t t = 0; t < x->n_trees; t++) {
        long cls;
        if (!int_entry(info, t, 0, (long)x->classes - 1, &cls))
            return FAIL("%s: tree_info[%zu] is not a class in 0..%zu", x->path, t,
                        x->classes - 1);
        XAI_TRY(read_tree(x, &trees->items[t], t, (size_t)cls,
                          drop ? drop->items[t].num : 1.0, &row));
    }
    x->n_nodes = total;
    x->n_leaves = row;
    return XAI_OK;
}

static xai_status load(xgb *x, const json_value *root, xai_model **out)
{
    const json_value *learner = json_get(root, "learner");
    if (!learner)
        return FAIL("%s: not an XGBoost model: no 'learner' object", x->path);
    const json_value *gb = json_get(learner, "gradient_booster"),
                     *gname = json_get(gb, "name");
    if (!gname || gname->kind != JSON_STRING)
        return FAIL("%s: learner.gradient_booster.name is missing", x->path);
    const json_value *drop = NULL, *model = json_get(gb, "model");
    if (strcmp(gname->str, "dart") == 0) {
        drop = array_at(gb, "weight_drop");
        model = json_get(json_get(gb, "gbtree"), "model");
        if (!drop)
            return FAIL("%s: dart booster without weight_drop", x->path);
    } else if (strcmp(gname->str, "gbtree") != 0)
        return xai_fail(XAI_ERR_UNSUPPORTED, "%s: booster '%s' is not supported "
                        "(gbtree and dart)", x->path, gname->str);
    XAI_TRY(objective(x, learner));
    XAI_TRY(count_at(x, json_get(learner, "learner_model_param"), "num_feature",
                     "learner_model_param", XAI_TREE_MAX_FEATURES, &x->D));
    if (x->D == 0)
        return FAIL("%s: num_feature is 0", x->path);
    XAI_TRY(read_trees(x, model, drop));
    x->base_margin = calloc(x->M, sizeof *x->base_margin);
    if (!x->base_margin)
        return xai_fail(XAI_ERR_NOMEM, "%s: out of memory", x->path);
    for (size_t k = 0; k < x->M; k++)
        x->base_margin[k] = x->base;
    xai_tree_ensemble e = {.n_features = x->D, .n_margins = x->M,
                           .n_trees = x->n_trees, .tree_offset = x->offset,
                           .nodes = x->nodes, .n_values = x->n_leaves,
                           .leaf_values = x->vals, .base_margin = x->base_margin,
                           .transform = x->transform,
                           .outputs_probabilities = x->probabilities};
    return xai_tree_model_new(&e, x->path, out);
}

xai_status xai_xgb_json_load(const char *path, xai_model **out)
{
    *out = NULL;
    json_value *root;
    XAI_TRY(json_parse_file(path, XGB_MAX_FILE_BYTES, &root));
    xgb x = {.path = path};
    xai_status s = load(&x, root, out);
    json_free(root);
    free(x.offset);
    free(x.nodes);
    free(x.vals);
    free(x.base_margin);
    return s;
}
