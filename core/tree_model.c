/* core/tree_model.c: the tree-ensemble backend (xai/trees.h): a validated
 * copy of the arrays, and batched inference: margins in double (base margin
 * plus the leaf of every tree), then the transform for XAI_OUTPUT_PROB. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "model_impl.h"
#include "tree_impl.h"

typedef struct tree_impl {
    xai_tree_ensemble e; /* its arrays are the ones below */
    size_t *offset;
    xai_tree_node *nodes;
    double *leaf, *base;
    char *name;
} tree_impl;

typedef struct tree_runner {
    const tree_impl *im;
    double *margin; /* M, then M outputs */
} tree_runner;

static void impl_free(void *p)
{
    tree_impl *im = p;
    if (!im)
        return;
    free(im->offset);
    free(im->nodes);
    free(im->leaf);
    free(im->base);
    free(im->name);
    free(im);
}

static xai_status runner_new(const void *p, void **state)
{
    const tree_impl *im = p;
    tree_runner *r = malloc(sizeof *r);
    double *m = r ? malloc(2 * im->e.n_margins * sizeof *m) : NULL;
    if (!m) {
        free(r);
        return xai_fail(XAI_ERR_NOMEM, "out of memory creating a runner");
    }
    r->im = im;
    r->margin = m;
    *state = r;
    return XAI_OK;
}

static void runner_free(void *state)
{
    tree_runner *r = state;
    if (r)
        free(r->margin);
    free(r);
}

void xai_tree_apply_transform(const xai_tree_ensemble *t, const double *margin,
                              double *out)
{
    size_t M = t->n_margins;
    switch (t->transform) {
    case XAI_TREE_LOGISTIC:
        for (size_t k = 0; k < M; k++)
            out[k] = 1.0 / (1.0 + exp(-margin[k]));
        return;
    case XAI_TREE_SOFTMAX: {
        double mx = margin[0], sum = 0;
        for (size_t k = 1; k < M; k++)
            mx = margin[k] > mx ? margin[k] : mx;
        for (size_t k = 0; k < M; k++)
            sum += out[k] = exp(margin[k] - mx);
        for (size_t k = 0; k < M; k++)
            out[k] /= sum;
        return;
    }
    case XAI_TREE_IDENTITY:
    default:
        if (out != margin)
            memmove(out, margin, M * sizeof *out);
        return;
    }
}

/* margin (M) of one row */
static void row_margin(const xai_tree_ensemble *e, const float *x, double *margin)
{
    size_t M = e->n_margins;
    memcpy(margin, e->base_margin, M * sizeof *margin);
    for (size_t t = 0; t < e->n_trees; t++) {
        size_t leaf = xai_tree_leaf(e, t, x);
        const double *v = e->leaf_values +
                          (size_t)e->nodes[e->tree_offset[t] + leaf].value * M;
        for (size_t k = 0; k < M; k++)
            margin[k] += v[k];
    }
}

static xai_status forward(void *state, xai_output_kind kind, const float *x,
                          size_t n, float *y)
{
    tree_runner *r = state;
    const xai_tree_ensemble *e = &r->im->e;
    size_t D = e->n_features, M = e->n_margins;
    double *out = r->margin + M;
    for (size_t i = 0; i < n; i++) {
        row_margin(e, x + i * D, r->margin);
        if (kind == XAI_OUTPUT_SCORE)
            memcpy(out, r->margin, M * sizeof *out);
        else
            xai_tree_apply_transform(e, r->margin, out);
        for (size_t k = 0; k < M; k++)
            y[i * M + k] = (float)out[k];
    }
    return XAI_OK;
}

static void describe(const void *p, xai_model_info *info)
{
    const tree_impl *im = p;
    info->producer = im->name;
    info->n_nodes = im->e.tree_offset[im->e.n_trees];
}

/* No vjp: a tree model's gradient is zero almost everywhere (see
 * xai_model_piecewise_constant); the generic finite differences remain for
 * callers that insist. */
static const xai_backend_ops tree_ops = {
    .name = "trees", .free = impl_free, .runner_new = runner_new,
    .runner_free = runner_free, .forward = forward, .describe = describe};

const xai_tree_ensemble *xai_model_trees(const xai_model *m)
{
    if (!m || xai_model_backend_ops(m) != &tree_ops)
        return NULL;
    return &((const tree_impl *)xai_model_backend_impl(m))->e;
}

static void *copy_of(const void *src, size_t n, size_t size)
{
    void *p = malloc(n * size);
    if (p)
        memcpy(p, src, n * size);
    return p;
}

xai_status xai_tree_model_new(const xai_tree_ensemble *t, const char *name,
                              xai_model **out)
{
    *out = NULL;
    if (!name)
        name = "tree model";
    int depth;
    XAI_TRY(xai_tree_check(t, name, &depth)); /* bounds every size below */
    size_t n_nodes = t->tree_offset[t->n_trees];
    tree_impl *im = calloc(1, sizeof *im);
    if (!im)
        return xai_fail(XAI_ERR_NOMEM, "%s: out of memory", name);
    im->offset = copy_of(t->tree_offset, t->n_trees + 1, sizeof *im->offset);
    im->nodes = copy_of(t->nodes, n_nodes, sizeof *im->nodes);
    im->leaf = copy_of(t->leaf_values, t->n_values * t->n_margins, sizeof *im->leaf);
    im->base = copy_of(t->base_margin, t->n_margins, sizeof *im->base);
    im->name = strdup(name);
    if (!im->offset || !im->nodes || !im->leaf || !im->base || !im->name) {
        impl_free(im);
        return xai_fail(XAI_ERR_NOMEM, "%s: out of memory copying %zu nodes", name,
                        n_nodes);
    }
    im->e = *t;
    im->e.tree_offset = im->offset;
    im->e.nodes = im->nodes;
    im->e.leaf_values = im->leaf;
    im->e.base_margin = im->base;
    im->e.max_depth = depth;
    im->e.outputs_probabilities = t->outputs_probabilities ||
                                  t->transform != XAI_TREE_IDENTITY;
    xai_model_desc d = {.n_inputs = t->n_features,
                        .n_outputs = t->n_margins,
                        .outputs_probabilities = im->e.outputs_probabilities,
                        .piecewise_constant = 1};
    return xai_model_wrap(&tree_ops, im, &d, out);
}
