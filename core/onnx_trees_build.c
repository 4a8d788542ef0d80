/* core/onnx_trees_build.c: ONNX-ML node lists (tree id, node id, children
 * by id, leaf weights by id) into xai_tree_ensemble arrays: each tree's
 * nodes renumbered with its root (the node no other node names as a child)
 * first, weights summed per leaf, AVERAGE folded into the leaf values, the
 * binary one-weight classifier stored as margins (0, m). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "onnx_trees.h"

typedef struct key {
    int64_t tree, id;
    size_t i; /* index into nodes_* */
} key;

static int key_cmp(const void *pa, const void *pb)
{
    const key *a = pa, *b = pb;
    if (a->tree != b->tree)
        return a->tree < b->tree ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

/* sorted position of (tree, id), or -1 */
static long find(const key *k, size_t n, int64_t tree, int64_t id)
{
    key probe = {tree, id, 0};
    const key *f = bsearch(&probe, k, n, sizeof *k, key_cmp);
    return f ? (long)(f - k) : -1;
}

static int mode_of(const ProtobufCBinaryData *m)
{
    static const char *const names[] = {"BRANCH_LEQ", "BRANCH_LT", "BRANCH_GTE",
                                        "BRANCH_GT", "BRANCH_EQ", "BRANCH_NEQ",
                                        "LEAF"};
    for (int k = 0; k < 7; k++)
        if (m->len == strlen(names[k]) && memcmp(m->data, names[k], m->len) == 0)
            return k; /* the order of xai_tree_split; 6 = leaf */
    return -1;
}

/* The float threshold that splits float inputs exactly as the double one. */
static float float_threshold(double t, int split)
{
    float f = (float)t;
    if ((split == XAI_SPLIT_LEQ || split == XAI_SPLIT_GT) && (double)f > t)
        f = nextafterf(f, -INFINITY);
    if ((split == XAI_SPLIT_LT || split == XAI_SPLIT_GTE) && (double)f < t)
        f = nextafterf(f, INFINITY);
    return f;
}

typedef struct work {
    key *k;
    size_t *offset;   /* trees + 1, over sorted positions */
    int32_t *local;   /* sorted position -> index within its tree */
    uint8_t *parents; /* child counts, saturating */
    uint32_t *leaf;   /* sorted position -> leaf value row */
    xai_tree_node *nodes;
    double *raw;      /* leaves x columns of weights */
    uint8_t *has_w;
    double *vals, *base;
} work;

static void work_free(work *w)
{
    free(w->k);
    free(w->offset);
    free(w->local);
    free(w->parents);
    free(w->leaf);
    free(w->nodes);
    free(w->raw);
    free(w->has_w);
    free(w->vals);
    free(w->base);
}

#define FAIL(...) xai_fail(XAI_ERR_PARSE, __VA_ARGS__)

/* Sorts the nodes, counts trees and parents, finds each tree's root. */
static xai_status shape(const ml_attrs *a, work *w, size_t *n_trees, size_t *n_leaves)
{
    size_t n = a->n;
    for (size_t i = 0; i < n; i++)
        w->k[i] = (key){a->tree[i], a->node_id[i], i};
    qsort(w->k, n, sizeof *w->k, key_cmp);
    size_t T = 0, L = 0;
    for (size_t p = 0; p < n; p++) {
        if (p && key_cmp(&w->k[p - 1], &w->k[p]) == 0)
            return FAIL("%s: node '%s': tree %lld, node %lld is defined twice "
                        "(nodes_treeids/nodes_nodeids)", a->path, a->node,
                        (long long)w->k[p].tree, (long long)w->k[p].id);
        if (p == 0 || w->k[p].tree != w->k[p - 1].tree)
            w->offset[T++] = p;
    }
    if (T > XAI_TREE_MAX_TREES)
        return FAIL("%s: node '%s': %zu trees (at most %zu)", a->path, a->node, T,
                    XAI_TREE_MAX_TREES);
    w->offset[T] = n;
    for (size_t p = 0; p < n; p++) {
        size_t i = w->k[p].i;
        int mode = mode_of(&a->modes[i]);
        if (mode < 0)
            return FAIL("%s: node '%s': nodes_modes[%zu] = '%.*s' is not a known "
                        "mode (BRANCH_LEQ, _LT, _GTE, _GT, _EQ, _NEQ, LEAF)", a->path,
                        a->node, i, (int)(a->modes[i].len > 40 ? 40 : a->modes[i].len),
                        (const char *)a->modes[i].data);
        if (mode == 6) {
            w->leaf[p] = (uint32_t)L++;
            continue;
        }
        int64_t ch[2] = {a->yes[i], a->no[i]};
        for (int c = 0; c < 2; c++) {
            long q = find(w->k, n, a->tree[i], ch[c]);
            if (q < 0)
                return FAIL("%s: node '%s': %s[%zu] = %lld: tree %lld has no node "
                            "%lld (a node pointing outside its tree)", a->path, a->node,
                            c ? "nodes_falsenodeids" : "nodes_truenodeids", i,
                            (long long)ch[c], (long long)a->tree[i], (long long)ch[c]);
            if (w->parents[q] < 255)
                w->parents[q]++;
        }
        if (a->feature[i] < 0 || (uint64_t)a->feature[i] >= a->n_features)
            return FAIL("%s: node '%s': nodes_featureids[%zu] = %lld outside the "
                        "model's %zu features", a->path, a->node, i,
                        (long long)a->feature[i], a->n_features);
    }
    /* renumber: the root (no parent) first, then the others in id order */
    for (size_t t = 0; t < T; t++) {
        size_t root = SIZE_MAX;
        for (size_t p = w->offset[t]; p < w->offset[t + 1] && root == SIZE_MAX; p++)
            if (!w->parents[p])
                root = p;
        if (root == SIZE_MAX)
            return FAIL("%s: node '%s': tree %lld has no root: every node is "
                        "another's child (a cycle)", a->path, a->node,
                        (long long)w->k[w->offset[t]].tree);
        int32_t next = 1;
        for (size_t p = w->offset[t]; p < w->offset[t + 1]; p++)
            w->local[p] = p == root ? 0 : next++;
    }
    *n_trees = T;
    *n_leaves = L;
    return XAI_OK;
}

/* Sums the weights into their leaves: raw is leaves x C. */
static xai_status weights(const ml_attrs *a, work *w, size_t C, size_t n_leaves)
{
    const char *pre = a->classifier ? "class" : "target";
    for (size_t j = 0; j < a->nw; j++) {
        long p = find(w->k, a->n, a->wtree[j], a->wnode[j]);
        if (p < 0)
            return FAIL("%s: node '%s': %s_nodeids[%zu]: tree %lld has no node %lld",
                        a->path, a->node, pre, j, (long long)a->wtree[j],
                        (long long)a->wnode[j]);
        if (mode_of(&a->modes[w->k[p].i]) != 6)
            return FAIL("%s: node '%s': %s_nodeids[%zu]: tree %lld, node %lld is "
                        "not a leaf", a->path, a->node, pre, j, (long long)a->wtree[j],
                        (long long)a->wnode[j]);
        if (a->wcol[j] < 0 || (uint64_t)a->wcol[j] >= C)
            return FAIL("%s: node '%s': %s_ids[%zu] = %lld outside the %zu outputs",
                        a->path, a->node, pre, j, (long long)a->wcol[j], C);
        if (!isfinite(a->w[j]))
            return FAIL("%s: node '%s': %s_weights[%zu] is not finite", a->path,
                        a->node, pre, j);
        w->raw[(size_t)w->leaf[p] * C + (size_t)a->wcol[j]] += a->w[j];
        w->has_w[w->leaf[p]] = 1;
    }
    for (size_t p = 0; p < a->n; p++)
        if (mode_of(&a->modes[w->k[p].i]) == 6 && !w->has_w[w->leaf[p]])
            return FAIL("%s: node '%s': tree %lld, leaf %lld has no weight in the "
                        "%s_* lists (a missing leaf weight)", a->path, a->node,
                        (long long)w->k[p].tree, (long long)w->k[p].id, pre);
    (void)n_leaves;
    return XAI_OK;
}

xai_status ml_trees_build(const ml_attrs *a, xai_model **out)
{
    *out = NULL;
    /* a classifier with two labels and weights for class 0 only reports
     * (1 - p, p) from one score (as ONNX Runtime does) */
    int binary = a->classifier && a->n_cols == 2;
    for (size_t j = 0; binary && j < a->nw; j++)
        binary = a->wcol[j] == 0;
    size_t C = binary ? 1 : a->n_cols, n = a->n;
    if (binary && a->post != XAI_TREE_LOGISTIC)
        return xai_fail(XAI_ERR_UNSUPPORTED, "%s: node '%s': a binary classifier "
                        "with one score per leaf is supported with post_transform "
                        "LOGISTIC only", a->path, a->node);
    if (a->n_base && a->n_base != C)
        return FAIL("%s: node '%s': base_values has %zu entries for %zu outputs",
                    a->path, a->node, a->n_base, C);
    work w = {0};
    w.k = malloc(n * sizeof *w.k);
    w.offset = malloc((n + 1) * sizeof *w.offset);
    w.local = malloc(n * sizeof *w.local);
    w.parents = calloc(n, 1);
    w.leaf = malloc(n * sizeof *w.leaf);
    w.nodes = calloc(n, sizeof *w.nodes);
    xai_status s = XAI_OK;
    if (!w.k || !w.offset || !w.local || !w.parents || !w.leaf || !w.nodes)
        s = xai_fail(XAI_ERR_NOMEM, "%s: out of memory for %zu tree nodes", a->path, n);
    size_t T = 0, L = 0, M = binary ? 2 : C;
    if (s == XAI_OK)
        s = shape(a, &w, &T, &L);
    size_t len = 0;
    if (s == XAI_OK && (L == 0 || !xai_mul_size(L, M, &len) ||
                        len > XAI_TREE_MAX_LEAF_DOUBLES))
        s = FAIL("%s: node '%s': %zu leaves of %zu outputs", a->path, a->node, L, M);
    if (s == XAI_OK) {
        w.raw = calloc(L * C, sizeof *w.raw);
        w.has_w = calloc(L, 1);
        w.vals = calloc(len, sizeof *w.vals);
        w.base = calloc(M, sizeof *w.base);
        if (!w.raw || !w.has_w || !w.vals || !w.base)
            s = xai_fail(XAI_ERR_NOMEM, "%s: out of memory for %zu leaves", a->path, L);
    }
    if (s == XAI_OK)
        s = weights(a, &w, C, L);
    if (s != XAI_OK) {
        work_free(&w);
        return s;
    }
    double scale = a->average ? 1.0 / (double)T : 1.0;
    for (size_t l = 0; l < L; l++)
        for (size_t c = 0; c < C; c++)
            w.vals[l * M + c + (binary ? 1 : 0)] = scale * w.raw[l * C + c];
    for (size_t c = 0; c < C && a->n_base; c++)
        w.base[c + (binary ? 1 : 0)] = a->base[c];
    for (size_t t = 0; t < T; t++)
        for (size_t p = w.offset[t]; p < w.offset[t + 1]; p++) {
            size_t i = w.k[p].i;
            xai_tree_node *nd = &w.nodes[w.offset[t] + (size_t)w.local[p]];
            int mode = mode_of(&a->modes[i]);
            nd->cover = 1;
            if (mode == 6) {
                nd->feature = -1;
                nd->value = w.leaf[p];
                continue;
            }
            nd->feature = (int32_t)a->feature[i];
            nd->split = mode;
            nd->threshold = float_threshold(a->thr[i], mode);
            nd->yes = w.local[find(w.k, n, a->tree[i], a->yes[i])];
            nd->no = w.local[find(w.k, n, a->tree[i], a->no[i])];
            /* NaN fails every comparison but !=; a missing track overrides */
            int to_yes = (a->has_track && a->track[i]) || mode == XAI_SPLIT_NEQ;
            nd->missing = to_yes ? nd->yes : nd->no;
        }
    xai_tree_ensemble e = {.n_features = a->n_features, .n_margins = M,
                           .n_trees = T, .tree_offset = w.offset, .nodes = w.nodes,
                           .n_values = L, .leaf_values = w.vals, .base_margin = w.base,
                           .transform = binary ? XAI_TREE_SOFTMAX : a->post,
                           .outputs_probabilities = a->classifier,
                           .covers_unknown = 1};
    s = xai_tree_model_new(&e, a->path, out);
    work_free(&w);
    return s;
}
