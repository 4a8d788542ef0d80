/* core/onnx_trees.c: ONNX-ML TreeEnsembleClassifier / TreeEnsembleRegressor
 * (domain ai.onnx.ml, opset 1 and 3 attributes) into a tree model: the graph
 * around the node (Identity, Cast, ZipMap only), the attributes read into
 * flat arrays with their lengths checked; core/onnx_trees_build.c turns
 * those into trees. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "onnx_proto.h"
#include "onnx_trees.h"

static int is_ensemble(const Onnx__NodeProto *np)
{
    return np->op_type && (strcmp(np->op_type, "TreeEnsembleClassifier") == 0 ||
                           strcmp(np->op_type, "TreeEnsembleRegressor") == 0);
}

int onnx_has_tree_ensemble(const Onnx__ModelProto *mp)
{
    for (size_t i = 0; i < mp->graph->n_node; i++)
        if (is_ensemble(mp->graph->node[i]))
            return 1;
    return 0;
}

static const Onnx__AttributeProto *attr(const Onnx__NodeProto *np, const char *name)
{
    for (size_t i = 0; i < np->n_attribute; i++)
        if (np->attribute[i]->name && strcmp(np->attribute[i]->name, name) == 0)
            return np->attribute[i];
    return NULL;
}

static xai_status fail_attr(const ml_attrs *a, const char *name, const char *what)
{
    return xai_fail(XAI_ERR_PARSE, "%s: node '%s' (%s): attribute %s %s", a->path,
                    a->node, a->op, name, what);
}

/* ints attribute; required ones must be present (possibly empty) */
static xai_status get_ints(const ml_attrs *a, const Onnx__NodeProto *np,
                           const char *name, int required, const int64_t **v,
                           size_t *n)
{
    const Onnx__AttributeProto *ap = attr(np, name);
    *v = NULL;
    *n = 0;
    if (!ap)
        return required ? fail_attr(a, name, "is missing") : XAI_OK;
    *v = ap->ints;
    *n = ap->n_ints;
    return XAI_OK;
}

/* floats attribute NAME or double/float tensor NAME_as_tensor (opset 3),
 * into a new double array (*v NULL and *n 0 when neither is present) */
static xai_status get_reals(const ml_attrs *a, const Onnx__NodeProto *np,
                            const char *name, double **v, size_t *n)
{
    char tname[64];
    snprintf(tname, sizeof tname, "%s_as_tensor", name);
    const Onnx__AttributeProto *ap = attr(np, name), *at = attr(np, tname);
    *v = NULL;
    *n = 0;
    if (ap && at && ap->n_floats && at->t)
        return fail_attr(a, name, "is given twice (floats and _as_tensor)");
    if (at && at->t) {
        const Onnx__TensorProto *tp = at->t;
        size_t esz = tp->data_type == 11 ? 8 : tp->data_type == 1 ? 4 : 0;
        if (!esz)
            return fail_attr(a, tname, "has a data type other than float or double");
        size_t cnt = tp->has_raw_data ? tp->raw_data.len / esz
                     : esz == 8       ? tp->n_double_data
                                      : tp->n_float_data;
        if (tp->has_raw_data && tp->raw_data.len % esz)
            return fail_attr(a, tname, "has truncated raw data");
        if (cnt > XAI_TREE_MAX_NODES)
            return fail_attr(a, tname, "is absurdly long");
        double *d = malloc((cnt ? cnt : 1) * sizeof *d);
        if (!d)
            return xai_fail(XAI_ERR_NOMEM, "%s: out of memory reading %s", a->path, tname);
        for (size_t i = 0; i < cnt; i++) {
            if (tp->has_raw_data && esz == 8)
                memcpy(&d[i], tp->raw_data.data + 8 * i, 8);
            else if (tp->has_raw_data) {
                float f;
                memcpy(&f, tp->raw_data.data + 4 * i, 4);
                d[i] = f;
            } else
                d[i] = esz == 8 ? tp->double_data[i] : tp->float_data[i];
        }
        *v = d;
        *n = cnt;
        return XAI_OK;
    }
    if (!ap)
        return XAI_OK;
    if (ap->n_floats > XAI_TREE_MAX_NODES)
        return fail_attr(a, name, "is absurdly long");
    double *d = malloc((ap->n_floats ? ap->n_floats : 1) * sizeof *d);
    if (!d)
        return xai_fail(XAI_ERR_NOMEM, "%s: out of memory reading %s", a->path, name);
    for (size_t i = 0; i < ap->n_floats; i++)
        d[i] = ap->floats[i];
    *v = d;
    *n = ap->n_floats;
    return XAI_OK;
}

static int str_is(const Onnx__AttributeProto *ap, const char *s)
{
    return ap->has_s && ap->s.len == strlen(s) && memcmp(ap->s.data, s, ap->s.len) == 0;
}

static xai_status read_attrs(ml_attrs *a, const Onnx__NodeProto *np)
{
    size_t n[8];
    XAI_TRY(get_ints(a, np, "nodes_treeids", 1, &a->tree, &n[0]));
    XAI_TRY(get_ints(a, np, "nodes_nodeids", 1, &a->node_id, &n[1]));
    XAI_TRY(get_ints(a, np, "nodes_featureids", 1, &a->feature, &n[2]));
    XAI_TRY(get_ints(a, np, "nodes_truenodeids", 1, &a->yes, &n[3]));
    XAI_TRY(get_ints(a, np, "nodes_falsenodeids", 1, &a->no, &n[4]));
    XAI_TRY(get_ints(a, np, "nodes_missing_value_tracks_true", 0, &a->track, &n[5]));
    const Onnx__AttributeProto *modes = attr(np, "nodes_modes");
    if (!modes)
        return fail_attr(a, "nodes_modes", "is missing");
    a->modes = modes->strings;
    n[6] = modes->n_strings;
    XAI_TRY(get_reals(a, np, "nodes_values", &a->thr, &n[7]));
    a->n = n[0];
    static const char *const names[8] = {
        "nodes_treeids", "nodes_nodeids", "nodes_featureids", "nodes_truenodeids",
        "nodes_falsenodeids", "nodes_missing_value_tracks_true", "nodes_modes",
        "nodes_values"};
    if (a->n == 0)
        return fail_attr(a, "nodes_treeids", "is empty (no trees)");
    if (a->n > XAI_TREE_MAX_NODES)
        return fail_attr(a, "nodes_treeids", "is absurdly long");
    for (int k = 1; k < 8; k++)
        if (n[k] != a->n && !(k == 5 && n[k] == 0)) {
            char what[96];
            snprintf(what, sizeof what, "has %zu entries but nodes_treeids has %zu",
                     n[k], a->n);
            return fail_attr(a, names[k], what);
        }
    a->has_track = n[5] != 0;

    const char *pre = a->classifier ? "class" : "target";
    char nm[4][40];
    snprintf(nm[0], sizeof nm[0], "%s_treeids", pre);
    snprintf(nm[1], sizeof nm[1], "%s_nodeids", pre);
    snprintf(nm[2], sizeof nm[2], "%s_ids", pre);
    snprintf(nm[3], sizeof nm[3], "%s_weights", pre);
    size_t m[4];
    XAI_TRY(get_ints(a, np, nm[0], 1, &a->wtree, &m[0]));
    XAI_TRY(get_ints(a, np, nm[1], 1, &a->wnode, &m[1]));
    XAI_TRY(get_ints(a, np, nm[2], 1, &a->wcol, &m[2]));
    XAI_TRY(get_reals(a, np, nm[3], &a->w, &m[3]));
    a->nw = m[0];
    for (int k = 1; k < 4; k++)
        if (m[k] != a->nw) {
            char what[96];
            snprintf(what, sizeof what, "has %zu entries but %s has %zu", m[k],
                     nm[0], a->nw);
            return fail_attr(a, nm[k], what);
        }
    XAI_TRY(get_reals(a, np, "base_values", &a->base, &a->n_base));

    if (a->classifier) {
        const Onnx__AttributeProto *li = attr(np, "classlabels_int64s"),
                                   *ls = attr(np, "classlabels_strings");
        a->n_cols = li && li->n_ints ? li->n_ints : ls ? ls->n_strings : 0;
        if (a->n_cols == 0)
            return fail_attr(a, "classlabels_int64s", "is missing (no class labels)");
    } else {
        const Onnx__AttributeProto *nt = attr(np, "n_targets");
        if (!nt || nt->i < 1 || (uint64_t)nt->i > XAI_TREE_MAX_MARGINS)
            return fail_attr(a, "n_targets", "is missing or out of range");
        a->n_cols = (size_t)nt->i;
        const Onnx__AttributeProto *ag = attr(np, "aggregate_function");
        if (ag && str_is(ag, "AVERAGE"))
            a->average = 1;
        else if (ag && !str_is(ag, "SUM"))
            return xai_fail(XAI_ERR_UNSUPPORTED, "%s: node '%s': aggregate_function "
                            "'%.*s' is not supported (SUM, AVERAGE)", a->path, a->node,
                            (int)(ag->has_s ? ag->s.len : 0),
                            ag->has_s ? (const char *)ag->s.data : "");
    }
    if (a->n_cols > XAI_TREE_MAX_MARGINS)
        return fail_attr(a, a->classifier ? "classlabels" : "n_targets",
                         "declares absurdly many outputs");
    const Onnx__AttributeProto *pt = attr(np, "post_transform");
    if (!pt || str_is(pt, "NONE"))
        a->post = XAI_TREE_IDENTITY;
    else if (str_is(pt, "LOGISTIC"))
        a->post = XAI_TREE_LOGISTIC;
    else if (str_is(pt, "SOFTMAX"))
        a->post = XAI_TREE_SOFTMAX;
    else
        return xai_fail(XAI_ERR_UNSUPPORTED, "%s: node '%s': post_transform '%.*s' "
                        "is not supported (NONE, LOGISTIC, SOFTMAX)", a->path, a->node,
                        (int)(pt->has_s ? pt->s.len : 0),
                        pt->has_s ? (const char *)pt->s.data : "");
    return XAI_OK;
}

/* Cast to float or double, Identity and ZipMap pass values unchanged; any
 * other node would change them and is refused rather than skipped. */
static xai_status check_graph(const char *path, const Onnx__GraphProto *gp,
                              const Onnx__NodeProto **ens)
{
    *ens = NULL;
    for (size_t i = 0; i < gp->n_node; i++) {
        const Onnx__NodeProto *np = gp->node[i];
        const char *op = np->op_type ? np->op_type : "";
        const char *nm = np->name ? np->name : "";
        if (is_ensemble(np)) {
            if (*ens)
                return xai_fail(XAI_ERR_UNSUPPORTED, "%s: more than one tree-ensemble "
                                "node ('%s' and '%s')", path,
                                (*ens)->name ? (*ens)->name : "", nm);
            if (!np->domain || strcmp(np->domain, "ai.onnx.ml") != 0)
                return xai_fail(XAI_ERR_PARSE, "%s: node '%s' (%s) is not in domain "
                                "ai.onnx.ml", path, nm, op);
            if (np->n_input != 1)
                return xai_fail(XAI_ERR_PARSE, "%s: node '%s' (%s) needs one input",
                                path, nm, op);
            *ens = np;
            continue;
        }
        if (strcmp(op, "Identity") == 0 || strcmp(op, "ZipMap") == 0)
            continue;
        if (strcmp(op, "Cast") == 0) {
            const Onnx__AttributeProto *to = attr(np, "to");
            if (to && (to->i == 1 || to->i == 11))
                continue;
            return xai_fail(XAI_ERR_UNSUPPORTED, "%s: node '%s' (Cast) casts to type "
                            "%lld; around a tree ensemble only casts to float or "
                            "double are supported", path, nm,
                            to ? (long long)to->i : -1LL);
        }
        return xai_fail(XAI_ERR_UNSUPPORTED, "%s: node '%s' (%s): a tree-ensemble "
                        "graph may only hold Identity, Cast and ZipMap nodes around "
                        "the ensemble", path, nm, op);
    }
    return XAI_OK;
}

/* The number of features: the graph input's fixed second dimension, else
 * one more than the largest feature index. */
static xai_status input_features(const ml_attrs *a, const Onnx__GraphProto *gp,
                                 size_t *D)
{
    int64_t maxf = -1;
    for (size_t i = 0; i < a->n; i++)
        if (a->feature[i] > maxf)
            maxf = a->feature[i];
    if (gp->n_input != 1)
        return xai_fail(XAI_ERR_UNSUPPORTED, "%s: a tree-ensemble graph needs exactly "
                        "one input (it has %zu)", a->path, gp->n_input);
    const Onnx__TypeProto *ty = gp->input[0]->type;
    const Onnx__TensorShapeProto *sh =
        ty && ty->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE
            ? ty->tensor_type->shape : NULL;
    if (sh && sh->n_dim == 2 &&
        sh->dim[1]->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE) {
        int64_t d = sh->dim[1]->dim_value;
        if (d < 1 || (uint64_t)d > XAI_TREE_MAX_FEATURES)
            return xai_fail(XAI_ERR_PARSE, "%s: graph input has %lld features", a->path,
                            (long long)d);
        *D = (size_t)d;
        return XAI_OK;
    }
    if (sh && sh->n_dim != 2)
        return xai_fail(XAI_ERR_UNSUPPORTED, "%s: the graph input of a tree ensemble "
                        "must be [N, features] (rank %zu)", a->path, sh->n_dim);
    if (maxf < 0 || (uint64_t)maxf >= XAI_TREE_MAX_FEATURES)
        return xai_fail(XAI_ERR_PARSE, "%s: cannot tell the number of features",
                        a->path);
    *D = (size_t)maxf + 1;
    return XAI_OK;
}

xai_status onnx_trees_load(const char *path, const Onnx__ModelProto *mp,
                           xai_model **out)
{
    *out = NULL;
    const Onnx__NodeProto *np;
    XAI_TRY(check_graph(path, mp->graph, &np));
    ml_attrs a = {.path = path, .node = np->name ? np->name : "", .op = np->op_type,
                  .classifier = strcmp(np->op_type, "TreeEnsembleClassifier") == 0,
                  .producer = mp->producer_name ? mp->producer_name : ""};
    xai_status s = read_attrs(&a, np);
    if (s == XAI_OK)
        s = input_features(&a, mp->graph, &a.n_features);
    if (s == XAI_OK)
        s = ml_trees_build(&a, out);
    free(a.thr);
    free(a.w);
    free(a.base);
    return s;
}
