/* core/onnx_trees.h: the attributes of an ONNX-ML tree-ensemble node, read
 * by core/onnx_trees.c, turned into trees by core/onnx_trees_build.c. */
#ifndef XAI_CORE_ONNX_TREES_H
#define XAI_CORE_ONNX_TREES_H

#include <protobuf-c/protobuf-c.h>

#include "tree_impl.h"

typedef struct ml_attrs {
    const char *path, *node, *op, *producer; /* for messages */
    int classifier;                          /* else a regressor */
    size_t n;                                /* nodes_* entries */
    const int64_t *tree, *node_id, *feature, *yes, *no, *track;
    int has_track;                           /* track holds n entries */
    const ProtobufCBinaryData *modes;
    double *thr;                             /* n (owned) */
    size_t nw;                               /* class_* / target_* entries */
    const int64_t *wtree, *wnode, *wcol;
    double *w;                               /* nw (owned) */
    double *base;                            /* n_base (owned), may be NULL */
    size_t n_base;
    size_t n_cols;                           /* class labels or n_targets */
    int average;                             /* aggregate_function AVERAGE */
    xai_tree_transform post;
    size_t n_features;
} ml_attrs;

/* The tree model of a node's attributes; every index is checked. */
xai_status ml_trees_build(const ml_attrs *a, xai_model **out);

#endif
