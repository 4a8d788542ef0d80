/* explainers/treeshap_interventional.c: interventional TreeSHAP against one
 * background row b, O(L D) per tree.
 *
 * In the game v(S) = tree(z), z_j = x_j for units in S and b_j otherwise,
 * the row z reaches a leaf exactly when every unit in a set A (where the
 * path follows x and b would not) is in S and every unit in a set B (the
 * path follows b, not x) is out of S.  The tree is the sum over its leaves
 * of value * 1[A in S, B out of S], and each such term has closed-form
 * Shapley values (coef_x, coef_b of the work, treeshap_path.c).  The walk
 * visits the leaves with a consistent (A, B): where x and b agree it
 * follows them; where they part, a unit already in A (B) follows x (b), a
 * new one is tried in A, then in B. */
#include "treeshap.h"

enum { FREE = 0, FROM_X = 1, FROM_B = 2 };

typedef struct iwalk {
    const xai_tree_node *nodes;
    const double *leaf; /* leaf_values + k */
    size_t M;
    const uint32_t *unit;
    const float *x, *b;
    xai_treeshap_work *w;
    double *phi;
} iwalk;

static void leaf_credit(const iwalk *W, double v, size_t na, size_t nb)
{
    if (na + nb == 0)
        return; /* reached for every S: part of v(empty set) */
    size_t D = W->w->depth, n = na + nb;
    double cx = v * W->w->coef_x[na * D + nb], cb = v * W->w->coef_b[na * D + nb];
    for (size_t i = 0; i < n; i++) {
        uint32_t u = W->w->stack[i];
        W->phi[u] += W->w->state[u] == FROM_X ? cx : -cb;
    }
}

static void iwalk_rec(const iwalk *W, int32_t i, size_t na, size_t nb)
{
    for (;;) {
        const xai_tree_node *n = &W->nodes[i];
        if (n->feature < 0) {
            leaf_credit(W, W->leaf[(size_t)n->value * W->M], na, nb);
            return;
        }
        int32_t gx = xai_tree_next(n, W->x[n->feature]);
        int32_t gb = xai_tree_next(n, W->b[n->feature]);
        if (gx == gb) {
            i = gx;
            continue;
        }
        uint32_t u = W->unit[n->feature];
        uint8_t *st = &W->w->state[u];
        if (*st != FREE) {
            i = *st == FROM_X ? gx : gb;
            continue;
        }
        W->w->stack[na + nb] = u;
        *st = FROM_X;
        iwalk_rec(W, gx, na + 1, nb);
        *st = FROM_B;
        iwalk_rec(W, gb, na, nb + 1);
        *st = FREE;
        return;
    }
}

void xai_treeshap_interventional(const xai_tree_ensemble *t, const uint32_t *unit,
                                 const float *x, const float *b, size_t k,
                                 xai_treeshap_work *w, double *phi)
{
    iwalk W = {.leaf = t->leaf_values + k, .M = t->n_margins, .unit = unit,
               .x = x, .b = b, .w = w, .phi = phi};
    for (size_t tr = 0; tr < t->n_trees; tr++) {
        W.nodes = t->nodes + t->tree_offset[tr];
        iwalk_rec(&W, 0, 0, 0);
    }
}
