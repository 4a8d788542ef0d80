/* core/tree_check.c: validation of a tree ensemble given as arrays: sizes
 * first, then every node, then the shape of every tree (each node the child
 * of exactly one parent, all reachable from the root, depth bounded). */
#include <math.h>
#include <stdlib.h>

#include "error.h"
#include "tree_impl.h"

static xai_status check_sizes(const xai_tree_ensemble *t, const char *name)
{
    if (t->n_features == 0 || t->n_features > XAI_TREE_MAX_FEATURES)
        return xai_fail(XAI_ERR_INVALID, "%s: %zu features (need 1..%zu)", name,
                        t->n_features, XAI_TREE_MAX_FEATURES);
    if (t->n_margins == 0 || t->n_margins > XAI_TREE_MAX_MARGINS)
        return xai_fail(XAI_ERR_INVALID, "%s: %zu margins (need 1..%zu)", name,
                        t->n_margins, XAI_TREE_MAX_MARGINS);
    if (t->n_trees == 0 || t->n_trees > XAI_TREE_MAX_TREES)
        return xai_fail(XAI_ERR_INVALID, "%s: %zu trees (need 1..%zu)", name,
                        t->n_trees, XAI_TREE_MAX_TREES);
    size_t leaf_len;
    if (t->n_values == 0 || !xai_mul_size(t->n_values, t->n_margins, &leaf_len) ||
        leaf_len > XAI_TREE_MAX_LEAF_DOUBLES)
        return xai_fail(XAI_ERR_INVALID, "%s: %zu leaf value rows of %zu margins "
                        "(need 1..%zu values in all)", name, t->n_values,
                        t->n_margins, XAI_TREE_MAX_LEAF_DOUBLES);
    if (!t->tree_offset || !t->nodes || !t->leaf_values || !t->base_margin)
        return xai_fail(XAI_ERR_INVALID, "%s: tree offsets, nodes, leaf values "
                        "and base margins are required", name);
    if ((unsigned)t->transform > XAI_TREE_SOFTMAX)
        return xai_fail(XAI_ERR_INVALID, "%s: unknown transform %d", name,
                        (int)t->transform);
    if (t->tree_offset[0] != 0)
        return xai_fail(XAI_ERR_INVALID, "%s: the first tree must start at node 0 "
                        "(offset %zu)", name, t->tree_offset[0]);
    for (size_t k = 0; k < t->n_trees; k++)
        if (t->tree_offset[k + 1] <= t->tree_offset[k] ||
            t->tree_offset[k + 1] > XAI_TREE_MAX_NODES)
            return xai_fail(XAI_ERR_INVALID, "%s: tree %zu has no nodes or the "
                            "trees hold more than %zu nodes (offsets %zu..%zu)",
                            name, k, XAI_TREE_MAX_NODES, t->tree_offset[k],
                            t->tree_offset[k + 1]);
    for (size_t i = 0; i < leaf_len; i++)
        if (!isfinite(t->leaf_values[i]))
            return xai_fail(XAI_ERR_INVALID, "%s: leaf value row %zu, margin %zu "
                            "is not finite", name, i / t->n_margins, i % t->n_margins);
    for (size_t k = 0; k < t->n_margins; k++)
        if (!isfinite(t->base_margin[k]))
            return xai_fail(XAI_ERR_INVALID, "%s: base margin %zu is not finite",
                            name, k);
    return XAI_OK;
}

static xai_status check_node(const xai_tree_ensemble *t, const char *name,
                             size_t tree, size_t i, size_t size)
{
    const xai_tree_node *n = &t->nodes[t->tree_offset[tree] + i];
    if (!(n->cover > 0) || !isfinite(n->cover))
        return xai_fail(XAI_ERR_INVALID, "%s: tree %zu, node %zu: cover %g (must "
                        "be positive)", name, tree, i, n->cover);
    if (n->feature == -1) {
        if (n->value >= t->n_values)
            return xai_fail(XAI_ERR_INVALID, "%s: tree %zu, leaf %zu: value row %u "
                            "is missing (%zu rows)", name, tree, i,
                            (unsigned)n->value, t->n_values);
        return XAI_OK;
    }
    if (n->feature < 0 || (size_t)n->feature >= t->n_features)
        return xai_fail(XAI_ERR_INVALID, "%s: tree %zu, node %zu tests feature %d "
                        "(the model has %zu)", name, tree, i, (int)n->feature,
                        t->n_features);
    if (n->split < XAI_SPLIT_LEQ || n->split > XAI_SPLIT_NEQ)
        return xai_fail(XAI_ERR_INVALID, "%s: tree %zu, node %zu: unknown split "
                        "mode %d", name, tree, i, (int)n->split);
    if (isnan(n->threshold))
        return xai_fail(XAI_ERR_INVALID, "%s: tree %zu, node %zu: threshold is NaN",
                        name, tree, i);
    if (n->yes < 0 || (size_t)n->yes >= size || n->no < 0 || (size_t)n->no >= size)
        return xai_fail(XAI_ERR_INVALID, "%s: tree %zu, node %zu points outside "
                        "the tree (children %d and %d of %zu nodes)", name, tree, i,
                        (int)n->yes, (int)n->no, size);
    if (n->missing != n->yes && n->missing != n->no)
        return xai_fail(XAI_ERR_INVALID, "%s: tree %zu, node %zu: the missing-value "
                        "child %d is neither child (%d, %d)", name, tree, i,
                        (int)n->missing, (int)n->yes, (int)n->no);
    return XAI_OK;
}

/* Every node of one tree has one parent (the root none), and a walk from
 * the root reaches all of them: then the tree has no cycle and no shared
 * node.  parents and stack hold `size` entries. */
static xai_status check_shape(const xai_tree_ensemble *t, const char *name,
                              size_t tree, size_t size, uint8_t *parents,
                              int32_t *stack, int *max_depth, uint8_t *depth)
{
    const xai_tree_node *nodes = t->nodes + t->tree_offset[tree];
    for (size_t i = 0; i < size; i++)
        parents[i] = 0;
    for (size_t i = 0; i < size; i++) {
        if (nodes[i].feature < 0)
            continue;
        int32_t c[2] = {nodes[i].yes, nodes[i].no};
        for (int k = 0; k < 2; k++) {
            if (c[k] == 0)
                return xai_fail(XAI_ERR_INVALID, "%s: tree %zu, node %zu points "
                                "back to the root (a cycle)", name, tree, i);
            if (parents[c[k]]++)
                return xai_fail(XAI_ERR_INVALID, "%s: tree %zu: node %d has two "
                                "parents (a shared node or a cycle; the second is "
                                "node %zu)", name, tree, (int)c[k], i);
        }
    }
    /* depth-first from the root; stack holds (node, depth) packed as two
     * entries would need 2*size, so depths are kept in parents[] instead
     * (reused: every parent count is 1 by now) */
    size_t top = 0, seen = 0;
    stack[top++] = 0;
    parents[0] = 0;
    while (top) {
        int32_t i = stack[--top];
        int d = parents[i];
        seen++;
        if (d > *max_depth)
            *max_depth = d;
        if (depth && d > *depth)
            *depth = (uint8_t)d;
        if (nodes[i].feature < 0)
            continue;
        if (d + 1 > XAI_TREE_MAX_DEPTH)
            return xai_fail(XAI_ERR_INVALID, "%s: tree %zu is deeper than %d "
                            "levels (node %d)", name, tree, XAI_TREE_MAX_DEPTH,
                            (int)i);
        parents[nodes[i].yes] = (uint8_t)(d + 1);
        parents[nodes[i].no] = (uint8_t)(d + 1);
        stack[top++] = nodes[i].yes;
        stack[top++] = nodes[i].no;
    }
    if (seen != size)
        return xai_fail(XAI_ERR_INVALID, "%s: tree %zu: %zu of its %zu nodes are "
                        "not reachable from the root (a detached cycle or "
                        "node)", name, tree, size - seen, size);
    return XAI_OK;
}

xai_status xai_tree_check(const xai_tree_ensemble *t, const char *name,
                          int *max_depth, uint8_t **depths)
{
    *max_depth = 0;
    if (depths)
        *depths = NULL;
    if (!t)
        return xai_fail(XAI_ERR_INVALID, "%s: no tree ensemble given", name);
    XAI_TRY(check_sizes(t, name));
    size_t largest = 0;
    for (size_t k = 0; k < t->n_trees; k++) {
        size_t size = t->tree_offset[k + 1] - t->tree_offset[k];
        if (size > largest)
            largest = size;
        for (size_t i = 0; i < size; i++)
            XAI_TRY(check_node(t, name, k, i, size));
    }
    uint8_t *parents = malloc(largest);
    int32_t *stack = malloc(largest * sizeof *stack);
    uint8_t *tree_depth = depths ? calloc(t->n_trees, 1) : NULL;
    xai_status s = XAI_OK;
    if (!parents || !stack || (depths && !tree_depth))
        s = xai_fail(XAI_ERR_NOMEM, "%s: out of memory checking %zu nodes", name,
                     largest);
    for (size_t k = 0; s == XAI_OK && k < t->n_trees; k++)
        s = check_shape(t, name, k, t->tree_offset[k + 1] - t->tree_offset[k],
                        parents, stack, max_depth, tree_depth ? &tree_depth[k] : NULL);
    free(parents);
    free(stack);
    if (depths && s == XAI_OK)
        *depths = tree_depth;
    else
        free(tree_depth);
    return s;
}
