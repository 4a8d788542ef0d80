/* xai/trees.h: tree-ensemble models (gradient-boosted trees, random forests).
 *
 * A tree model is an xai_model like any other (forward, runners, threads);
 * this header gives read-only access to its trees, for exact explainers such
 * as TreeSHAP, and a constructor from arrays (for embedding and tests).
 *
 * Semantics of one ensemble with M margins:
 *   margin[k] = base_margin[k] + sum over trees of leaf_values[leaf * M + k]
 * where `leaf` is the value index of the leaf the row reaches in that tree
 * (weights averaged over a forest are folded into leaf_values at load time).
 * The model's outputs are transform(margin):
 *   XAI_TREE_IDENTITY  outputs = margins (regression, forests' probabilities)
 *   XAI_TREE_LOGISTIC  outputs = 1 / (1 + exp(-margin)), per margin
 *   XAI_TREE_SOFTMAX   outputs = softmax(margins)
 * A binary classifier that reports both classes from one margin m is stored
 * as two margins (0, m) with SOFTMAX, which gives (1 - s(m), s(m)) exactly.
 * XAI_OUTPUT_SCORE evaluates the margins, XAI_OUTPUT_PROB the outputs.
 *
 * Walking a tree from its root (the first node of the tree): at an internal
 * node the row's value v = x[feature] is compared with threshold by `split`;
 * the row goes to `yes` when the test holds, to `no` when it fails, and to
 * `missing` (equal to yes or no) when v is missing (NaN). */
#ifndef XAI_TREES_H
#define XAI_TREES_H

#include "model.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum xai_tree_split {
    XAI_SPLIT_LEQ = 0, /* v <= threshold (scikit-learn, ONNX BRANCH_LEQ) */
    XAI_SPLIT_LT,      /* v <  threshold (XGBoost, ONNX BRANCH_LT) */
    XAI_SPLIT_GTE,
    XAI_SPLIT_GT,
    XAI_SPLIT_EQ,
    XAI_SPLIT_NEQ
} xai_tree_split;

typedef enum xai_tree_transform {
    XAI_TREE_IDENTITY = 0,
    XAI_TREE_LOGISTIC,
    XAI_TREE_SOFTMAX
} xai_tree_transform;

typedef struct xai_tree_node {
    int32_t feature;      /* input column tested; -1 marks a leaf */
    int32_t split;        /* xai_tree_split (internal nodes) */
    float threshold;
    int32_t yes, no;      /* children, as node indices within the same tree */
    int32_t missing;      /* the child taken for a missing value: yes or no */
    double cover;         /* weight of the training data reaching the node
                             (sample count, or XGBoost's hessian sum); > 0 */
    uint32_t value;       /* leaves: row of leaf_values (M values) */
} xai_tree_node;

typedef struct xai_tree_ensemble {
    size_t n_features;    /* model inputs */
    size_t n_margins;     /* M; the model has M outputs */
    size_t n_trees;
    const size_t *tree_offset;   /* n_trees + 1: tree t is nodes
                                    [tree_offset[t], tree_offset[t + 1]),
                                    its root first */
    const xai_tree_node *nodes;
    size_t n_values;              /* rows of leaf_values */
    const double *leaf_values;    /* n_values x M */
    const double *base_margin;    /* M */
    xai_tree_transform transform;
    int max_depth;                /* longest root-to-leaf path, in edges
                                     (computed by xai_tree_model_new; the
                                     value passed in is ignored) */
    /* Fields added after the first version (zero = the old meaning): */
    int outputs_probabilities;    /* 1: the outputs are class probabilities
                                     (a forest with IDENTITY); LOGISTIC and
                                     SOFTMAX imply it */
    int covers_unknown;           /* 1: the file had no covers (ONNX-ML) and
                                     every cover is 1; path-dependent
                                     TreeSHAP needs real covers */
} xai_tree_ensemble;

/* A tree model from arrays, which are validated (every child index inside
 * its tree, no cycle or shared node, every node reachable from its root,
 * every leaf's value row present, depth at most XAI_TREE_MAX_DEPTH,
 * features < n_features, covers > 0, thresholds, leaf values and base
 * margins finite) and copied.  name appears in messages and `xai info`.
 * On failure *out is NULL and xai_last_error() names the tree and node. */
#define XAI_TREE_MAX_DEPTH 64
xai_status xai_tree_model_new(const xai_tree_ensemble *t, const char *name,
                              xai_model **out);

/* The trees of a tree model (owned by the model), or NULL for any other
 * model kind. */
const xai_tree_ensemble *xai_model_trees(const xai_model *m);

/* outputs (M values) = transform(margin) as the model computes them. */
void xai_tree_apply_transform(const xai_tree_ensemble *t, const double *margin,
                              double *out);

#ifdef __cplusplus
}
#endif
#endif
