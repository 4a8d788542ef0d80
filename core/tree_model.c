/* core/tree_model.c: the tree-ensemble backend (xai/trees.h): a validated
 * copy of the arrays, and batched inference: margins in double (base margin
 * plus the leaf of every tree), then the transform for XAI_OUTPUT_PROB. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "model_impl.h"
#include "tree_impl.h"

/* The walk's own copy of a node, 16 bytes (the public node is 48): info
 * holds the feature (24 bits), the split mode (3 bits) and whether a missing
 * value goes to yes (1 bit), plus FAST_LEAF on leaves; yes and no index the
 * model's whole node array.  A leaf points to itself both ways (feature 0),
 * so a walk may take more steps than the leaf's depth and stay there. */
typedef struct fast_node {
    float threshold;
    uint32_t info;
    int32_t yes, no;
} fast_node;
#define FAST_LEAF 0x80000000u
_Static_assert(XAI_TREE_MAX_FEATURES <= ((size_t)1 << 24), "features fit 24 bits");
_Static_assert(XAI_TREE_MAX_NODES <= (size_t)INT32_MAX, "node indices fit int32");

typedef struct tree_impl {
    xai_tree_ensemble e; /* its arrays are the ones below */
    size_t *offset;
    xai_tree_node *nodes;
    fast_node *fast;
    uint32_t *row;   /* node -> value row (leaves) */
    uint8_t *depth;  /* per tree */
    int split;       /* the split mode of every internal node, or -1 */
    double *leaf, *base;
    char *name;
} tree_impl;

/* Rows evaluated together, tree by tree, so a tree's nodes stay in cache. */
enum { BLOCK = 64 };

typedef struct tree_runner {
    const tree_impl *im;
    double *margin; /* BLOCK x M, then M outputs */
} tree_runner;

static void impl_free(void *p)
{
    tree_impl *im = p;
    if (!im)
        return;
    free(im->offset);
    free(im->nodes);
    free(im->fast);
    free(im->row);
    free(im->depth);
    free(im->leaf);
    free(im->base);
    free(im->name);
    free(im);
}

static xai_status runner_new(const void *p, void **state)
{
    const tree_impl *im = p;
    tree_runner *r = malloc(sizeof *r);
    double *m = r ? malloc((BLOCK + 1) * im->e.n_margins * sizeof *m) : NULL;
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

/* The value row of the leaf that x reaches from node `root`. */
static uint32_t walk(const tree_impl *im, size_t root, const float *x)
{
    const fast_node *nodes = im->fast, *n = nodes + root;
    while (!(n->info & FAST_LEAF)) {
        float v = x[n->info & 0xffffffu], t = n->threshold;
        int yes;
        if (isnan(v))
            yes = (int)(n->info >> 27 & 1);
        else
            switch (n->info >> 24 & 7) {
            case XAI_SPLIT_LEQ: yes = v <= t; break;
            case XAI_SPLIT_LT: yes = v < t; break;
            case XAI_SPLIT_GTE: yes = v >= t; break;
            case XAI_SPLIT_GT: yes = v > t; break;
            case XAI_SPLIT_EQ: yes = v == t; break;
            default: yes = v != t; break;
            }
        n = nodes + (yes ? n->yes : n->no);
    }
    return im->row[n - nodes];
}

/* When every split is `<` (XGBoost) or every split `<=` (scikit-learn):
 * LANES rows walk one tree in lockstep for the tree's depth (independent
 * steps the processor overlaps; leaves loop on themselves).  A NaN fails
 * both comparisons and takes the missing bit. */
enum { LANES = 8 };
#define LOCKSTEP(NAME, CMP)                                                     \
    static void NAME(const tree_impl *im, size_t t, const float *xb, size_t nb, \
                     size_t D, uint32_t *rows)                                  \
    {                                                                           \
        const fast_node *nodes = im->fast;                                      \
        int32_t root = (int32_t)im->e.tree_offset[t];                           \
        int depth = im->depth[t];                                               \
        for (size_t b0 = 0; b0 < nb; b0 += LANES) {                             \
            size_t nl = nb - b0 < LANES ? nb - b0 : LANES;                      \
            int32_t idx[LANES];                                                 \
            for (size_t l = 0; l < LANES; l++)                                  \
                idx[l] = root;                                                  \
            const float *xl = xb + b0 * D;                                      \
            for (int d = 0; d < depth; d++)                                     \
                for (size_t l = 0; l < nl; l++) {                               \
                    const fast_node *n = nodes + idx[l];                        \
                    float v = xl[l * D + (n->info & 0xffffffu)];                \
                    int yes = (v CMP n->threshold) |                            \
                              ((isnan(v) ? 1 : 0) & (int)(n->info >> 27 & 1)); \
                    idx[l] = yes ? n->yes : n->no;                              \
                }                                                               \
            for (size_t l = 0; l < nl; l++)                                     \
                rows[b0 + l] = im->row[idx[l]];                                 \
        }                                                                       \
    }
LOCKSTEP(lockstep_lt, <)
LOCKSTEP(lockstep_leq, <=)

/* rows[b] = the value row of tree t's leaf for row b of the block */
static void tree_rows(const tree_impl *im, size_t t, const float *xb, size_t nb,
                      size_t D, uint32_t *rows)
{
    if (im->split == XAI_SPLIT_LT)
        lockstep_lt(im, t, xb, nb, D, rows);
    else if (im->split == XAI_SPLIT_LEQ)
        lockstep_leq(im, t, xb, nb, D, rows);
    else
        for (size_t b = 0; b < nb; b++)
            rows[b] = walk(im, im->e.tree_offset[t], xb + b * D);
}

/* Every row's margin is the base plus the trees' leaves in tree order,
 * whatever the block, so results do not depend on batch position. */
static xai_status forward(void *state, xai_output_kind kind, const float *x,
                          size_t n, float *y)
{
    tree_runner *r = state;
    const tree_impl *im = r->im;
    const xai_tree_ensemble *e = &im->e;
    size_t D = e->n_features, M = e->n_margins;
    double *mg = r->margin, *out = r->margin + BLOCK * M;
    for (size_t i0 = 0; i0 < n; i0 += BLOCK) {
        size_t nb = n - i0 < BLOCK ? n - i0 : BLOCK;
        const float *xb = x + i0 * D;
        for (size_t b = 0; b < nb; b++)
            memcpy(mg + b * M, e->base_margin, M * sizeof *mg);
        for (size_t t = 0; t < e->n_trees; t++) {
            uint32_t rows[BLOCK];
            tree_rows(im, t, xb, nb, D, rows);
            for (size_t b = 0; b < nb; b++) {
                const double *v = e->leaf_values + (size_t)rows[b] * M;
                double *m = mg + b * M;
                for (size_t k = 0; k < M; k++)
                    m[k] += v[k];
            }
        }
        for (size_t b = 0; b < nb; b++) {
            if (kind == XAI_OUTPUT_SCORE)
                memcpy(out, mg + b * M, M * sizeof *out);
            else
                xai_tree_apply_transform(e, mg + b * M, out);
            for (size_t k = 0; k < M; k++)
                y[(i0 + b) * M + k] = (float)out[k];
        }
    }
    return XAI_OK;
}

static void describe(const void *p, xai_model_info *info)
{
    (void)p;
    (void)info;
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
    uint8_t *depths;
    XAI_TRY(xai_tree_check(t, name, &depth, &depths)); /* bounds every size below */
    size_t n_nodes = t->tree_offset[t->n_trees];
    tree_impl *im = calloc(1, sizeof *im);
    if (!im) {
        free(depths);
        return xai_fail(XAI_ERR_NOMEM, "%s: out of memory", name);
    }
    im->depth = depths;
    im->offset = copy_of(t->tree_offset, t->n_trees + 1, sizeof *im->offset);
    im->nodes = copy_of(t->nodes, n_nodes, sizeof *im->nodes);
    im->leaf = copy_of(t->leaf_values, t->n_values * t->n_margins, sizeof *im->leaf);
    im->base = copy_of(t->base_margin, t->n_margins, sizeof *im->base);
    im->name = strdup(name);
    im->fast = malloc(n_nodes * sizeof *im->fast);
    im->row = calloc(n_nodes, sizeof *im->row);
    if (!im->offset || !im->nodes || !im->leaf || !im->base || !im->name || !im->fast ||
        !im->row) {
        impl_free(im);
        return xai_fail(XAI_ERR_NOMEM, "%s: out of memory copying %zu nodes", name,
                        n_nodes);
    }
    im->split = -2; /* no internal node seen yet */
    for (size_t k = 0; k < t->n_trees; k++)
        for (size_t i = t->tree_offset[k]; i < t->tree_offset[k + 1]; i++) {
            const xai_tree_node *nd = &t->nodes[i];
            fast_node *f = &im->fast[i];
            if (nd->feature < 0) {
                *f = (fast_node){0, FAST_LEAF, (int32_t)i, (int32_t)i};
                im->row[i] = nd->value;
                continue;
            }
            im->split = im->split == -2 || im->split == nd->split ? nd->split : -1;
            f->threshold = nd->threshold;
            f->info = (uint32_t)nd->feature | (uint32_t)nd->split << 24 |
                      (uint32_t)(nd->missing == nd->yes) << 27;
            f->yes = (int32_t)(t->tree_offset[k] + (size_t)nd->yes);
            f->no = (int32_t)(t->tree_offset[k] + (size_t)nd->no);
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
                        .piecewise_constant = 1,
                        .accepts_missing = 1};
    return xai_model_wrap(&tree_ops, im, &d, out);
}
