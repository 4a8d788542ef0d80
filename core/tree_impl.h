/* core/tree_impl.h: internals shared by the tree-ensemble model
 * (core/tree_model.c), its validation (core/tree_check.c) and its loaders
 * (ONNX-ML, XGBoost JSON). */
#ifndef XAI_CORE_TREE_IMPL_H
#define XAI_CORE_TREE_IMPL_H

#include <math.h>

#include <xai/trees.h>

/* Bounds on what a tree model may declare, checked before any allocation
 * derived from a file. */
#define XAI_TREE_MAX_NODES ((size_t)1 << 26)    /* all trees together */
#define XAI_TREE_MAX_TREES ((size_t)1 << 22)
#define XAI_TREE_MAX_FEATURES ((size_t)1 << 24)
#define XAI_TREE_MAX_MARGINS ((size_t)1 << 14)
#define XAI_TREE_MAX_LEAF_DOUBLES ((size_t)1 << 28) /* n_values x M */

/* Validates t (see xai_tree_model_new); *max_depth = the longest
 * root-to-leaf path; unless depths is NULL, *depths = a new array of each
 * tree's (n_trees entries; free it).  Messages start with name. */
xai_status xai_tree_check(const xai_tree_ensemble *t, const char *name,
                          int *max_depth, uint8_t **depths);

/* 1 if a row whose tested value is v goes to `yes` at node n (v not NaN). */
static inline int xai_tree_test(const xai_tree_node *n, float v)
{
    switch ((xai_tree_split)n->split) {
    case XAI_SPLIT_LEQ: return v <= n->threshold;
    case XAI_SPLIT_LT: return v < n->threshold;
    case XAI_SPLIT_GTE: return v >= n->threshold;
    case XAI_SPLIT_GT: return v > n->threshold;
    case XAI_SPLIT_EQ: return v == n->threshold;
    case XAI_SPLIT_NEQ: return v != n->threshold;
    }
    return 0;
}

/* The leaf (node index within tree t) that row x reaches. */
static inline size_t xai_tree_leaf(const xai_tree_ensemble *e, size_t t,
                                   const float *x)
{
    const xai_tree_node *nodes = e->nodes + e->tree_offset[t];
    size_t i = 0;
    while (nodes[i].feature >= 0) {
        const xai_tree_node *n = &nodes[i];
        float v = x[n->feature];
        i = (size_t)(isnan(v) ? n->missing : xai_tree_test(n, v) ? n->yes : n->no);
    }
    return i;
}

#endif
