/* explainers/treeshap.h: exact Shapley values of tree ensembles (internal).
 *
 * Players are units: unit[j] is feature j's unit (a feature group, or the
 * feature itself), n_units of them.  Both algorithms add the Shapley values
 * of margin k (one of the ensemble's M margins) to phi (n_units doubles):
 *
 *  path-dependent (Lundberg et al., Nature MI 2020, Algorithm 2): the game
 *    v(S) = sum over trees of E[tree | x_S], where a split on a unit outside
 *    S sends the row down both children weighted by their covers;
 *  interventional: the game v(S) = f(z) with z_j = x_j for unit[j] in S and
 *    b_j otherwise, for one background row b (average the phi of several
 *    rows for a background set).
 *
 * Rows go down a node as xai_tree_next says (NaN: the missing child). */
#ifndef XAI_EXPLAINERS_TREESHAP_H
#define XAI_EXPLAINERS_TREESHAP_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include <xai/trees.h>

/* The child of internal node n taken by value v (an index within the tree). */
static inline int32_t xai_tree_next(const xai_tree_node *n, float v)
{
    if (isnan(v))
        return n->missing;
    int yes;
    switch (n->split) {
    case XAI_SPLIT_LEQ: yes = v <= n->threshold; break;
    case XAI_SPLIT_LT: yes = v < n->threshold; break;
    case XAI_SPLIT_GTE: yes = v >= n->threshold; break;
    case XAI_SPLIT_GT: yes = v > n->threshold; break;
    case XAI_SPLIT_EQ: yes = v == n->threshold; break;
    default: yes = v != n->threshold; break;
    }
    return yes ? n->yes : n->no;
}

/* One element of the path-dependent algorithm's unique path. */
typedef struct xai_path_el {
    uint32_t unit;   /* UINT32_MAX for the root's dummy element */
    double zero, one;
    double pweight;
} xai_path_el;

/* Scratch for one thread; sized for the ensemble's depth and units. */
typedef struct xai_treeshap_work {
    xai_path_el *path; /* 1 + (D + 2)(D + 3) / 2: one slice per depth */
    uint8_t *state;    /* interventional: per unit 0, 1 (from x), 2 (from b) */
    uint32_t *stack;   /* interventional: units assigned, in order */
    double *coef_x, *coef_b; /* interventional: (D + 1)^2 Shapley weights */
    double *inv;       /* D + 3: inv[j] = 1 / j */
    size_t depth;      /* D + 1 */
} xai_treeshap_work;
xai_treeshap_work *xai_treeshap_work_new(const xai_tree_ensemble *t, size_t n_units);
void xai_treeshap_work_free(xai_treeshap_work *w);

/* Path-dependent TreeSHAP of margin k at x; adds to phi (n_units). */
void xai_treeshap_path(const xai_tree_ensemble *t, const uint32_t *unit,
                       const float *x, size_t k, xai_treeshap_work *w,
                       double *phi);

/* Interventional TreeSHAP of margin k at x against background row b; adds
 * to phi (n_units). */
void xai_treeshap_interventional(const xai_tree_ensemble *t, const uint32_t *unit,
                                 const float *x, const float *b, size_t k,
                                 xai_treeshap_work *w, double *phi);

/* The path-dependent game's v(empty set): base_margin[k] plus each tree's
 * cover-weighted mean leaf value. */
double xai_treeshap_expected(const xai_tree_ensemble *t, size_t k);

/* margin k of the ensemble at x. */
double xai_tree_margin(const xai_tree_ensemble *t, const float *x, size_t k);

#endif
