/* explainers/treeshap_path.c: path-dependent TreeSHAP (Lundberg et al.,
 * "From local explanations to global understanding with explainable AI for
 * trees", Nature MI 2020, Algorithm 2), O(L D^2) per tree of L leaves and
 * depth D, plus the scratch shared with the interventional algorithm.
 *
 * Walking down, the algorithm keeps the unique path: one element per unit
 * split on so far, with the fraction of "zero" paths (unit not in S: the
 * cover ratio) and "one" paths (unit in S: 1 if x goes this way, else 0)
 * that flow through, and pweight[i], the weight of coalitions of size i of
 * the path's units.  A unit met again is unwound first and its fractions
 * multiplied in, so a unit split several times on a path (or a group whose
 * features are split at different nodes) counts once. */
#include <stdlib.h>

#include "treeshap.h"

xai_treeshap_work *xai_treeshap_work_new(const xai_tree_ensemble *t, size_t n_units)
{
    size_t D = (size_t)(t->max_depth > 0 ? t->max_depth : 0);
    if (D > XAI_TREE_MAX_DEPTH)
        return NULL;
    xai_treeshap_work *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->depth = D + 1;
    w->path = malloc((1 + (D + 2) * (D + 3) / 2) * sizeof *w->path);
    w->state = calloc(n_units ? n_units : 1, 1);
    w->stack = malloc(w->depth * sizeof *w->stack);
    w->coef_x = malloc(w->depth * w->depth * sizeof *w->coef_x);
    w->coef_b = malloc(w->depth * w->depth * sizeof *w->coef_b);
    w->inv = malloc((D + 3) * sizeof *w->inv);
    if (!w->inv || !w->path || !w->state || !w->stack || !w->coef_x || !w->coef_b) {
        xai_treeshap_work_free(w);
        return NULL;
    }
    w->inv[0] = 0;
    for (size_t j = 1; j < D + 3; j++)
        w->inv[j] = 1.0 / (double)j;
    /* A leaf reached when the a units of A come from x and the c units of B
     * from b is the game 1[A in S, B out of S]: its Shapley value is
     * (a-1)! c! / (a+c)! = 1 / (a C(a+c, a)) to each unit of A and
     * -a! (c-1)! / (a+c)! = -1 / (c C(a+c, c)) to each unit of B. */
    for (size_t a = 0; a < w->depth; a++)
        for (size_t c = 0; c < w->depth; c++) {
            double binom = 1; /* C(a + c, a) */
            for (size_t i = 1; i <= a; i++)
                binom = binom * (double)(c + i) / (double)i;
            w->coef_x[a * w->depth + c] = a ? 1.0 / ((double)a * binom) : 0;
            w->coef_b[a * w->depth + c] = c ? 1.0 / ((double)c * binom) : 0;
        }
    return w;
}

void xai_treeshap_work_free(xai_treeshap_work *w)
{
    if (!w)
        return;
    free(w->path);
    free(w->state);
    free(w->stack);
    free(w->coef_x);
    free(w->coef_b);
    free(w->inv);
    free(w);
}

/* Appends a unit entering with fractions (zero, one) at position d. */
static void extend(xai_path_el *m, size_t d, double zero, double one, uint32_t unit)
{
    m[d].unit = unit;
    m[d].zero = zero;
    m[d].one = one;
    m[d].pweight = d == 0 ? 1.0 : 0.0;
    double o = one / (double)(d + 1), z = zero / (double)(d + 1);
    for (size_t i = d; i-- > 0;) {
        m[i + 1].pweight += o * m[i].pweight * (double)(i + 1);
        m[i].pweight = z * m[i].pweight * (double)(d - i);
    }
}

/* Removes element k from the path of last index d (undoes its extend). */
static void unwind(xai_path_el *m, size_t d, size_t k)
{
    double one = m[k].one, zero = m[k].zero, next = m[d].pweight;
    for (size_t i = d; i-- > 0;) {
        if (one != 0) {
            double tmp = m[i].pweight;
            m[i].pweight = next * (double)(d + 1) / ((double)(i + 1) * one);
            next = tmp - m[i].pweight * zero * (double)(d - i) / (double)(d + 1);
        } else {
            m[i].pweight = m[i].pweight * (double)(d + 1) / (zero * (double)(d - i));
        }
    }
    for (size_t i = k; i < d; i++) {
        m[i].unit = m[i + 1].unit;
        m[i].zero = m[i + 1].zero;
        m[i].one = m[i + 1].one;
    }
}

/* The total pweight the path would have without element k; inv[j] = 1/j. */
static double unwound_sum(const xai_path_el *m, size_t d, size_t k, const double *inv)
{
    double one = m[k].one, zero = m[k].zero, next = m[d].pweight, total = 0;
    double d1 = (double)(d + 1);
    if (one != 0) {
        double a = d1 / one, b = zero * inv[d + 1];
        for (size_t i = d; i-- > 0;) {
            double tmp = next * a * inv[i + 1];
            total += tmp;
            next = m[i].pweight - tmp * b * (double)(d - i);
        }
    } else {
        double a = d1 / zero;
        for (size_t i = d; i-- > 0;)
            total += m[i].pweight * a * inv[d - i];
    }
    return total;
}

typedef struct walk {
    const xai_tree_node *nodes; /* the tree's nodes */
    const double *leaf;         /* leaf_values + k */
    size_t M;
    const uint32_t *unit;
    const float *x;
    double *phi;
    const double *inv; /* inv[j] = 1 / j */
} walk;

static void recurse(const walk *W, int32_t node, xai_path_el *parent, size_t d,
                    double zero, double one, uint32_t unit)
{
    xai_path_el *m = parent + d + 1; /* this level's slice, after the parent's */
    for (size_t i = 0; i < d; i++)
        m[i] = parent[i];
    extend(m, d, zero, one, unit);
    const xai_tree_node *n = &W->nodes[node];
    if (n->feature < 0) {
        double v = W->leaf[(size_t)n->value * W->M];
        for (size_t i = 1; i <= d; i++)
            W->phi[m[i].unit] += unwound_sum(m, d, i, W->inv) * (m[i].one - m[i].zero) * v;
        return;
    }
    int32_t hot = xai_tree_next(n, W->x[n->feature]);
    int32_t cold = hot == n->yes ? n->no : n->yes;
    uint32_t u = W->unit[n->feature];
    double in_zero = 1, in_one = 1;
    size_t k = 1;
    while (k <= d && m[k].unit != u)
        k++;
    if (k <= d) { /* the unit is already on the path: merge */
        in_zero = m[k].zero;
        in_one = m[k].one;
        unwind(m, d, k);
        d--;
    }
    double c = n->cover;
    recurse(W, hot, m, d + 1, W->nodes[hot].cover / c * in_zero, in_one, u);
    recurse(W, cold, m, d + 1, W->nodes[cold].cover / c * in_zero, 0, u);
}

void xai_treeshap_path(const xai_tree_ensemble *t, const uint32_t *unit,
                       const float *x, size_t k, xai_treeshap_work *w,
                       double *phi)
{
    walk W = {.leaf = t->leaf_values + k, .M = t->n_margins, .unit = unit,
              .x = x, .phi = phi, .inv = w->inv};
    for (size_t tr = 0; tr < t->n_trees; tr++) {
        W.nodes = t->nodes + t->tree_offset[tr];
        /* the root's slice starts at path + 1 */
        recurse(&W, 0, w->path, 0, 1, 1, UINT32_MAX);
    }
}

static double expected(const xai_tree_node *nodes, int32_t i, const double *leaf, size_t M)
{
    const xai_tree_node *n = &nodes[i];
    if (n->feature < 0)
        return leaf[(size_t)n->value * M];
    return (nodes[n->yes].cover * expected(nodes, n->yes, leaf, M) +
            nodes[n->no].cover * expected(nodes, n->no, leaf, M)) / n->cover;
}

double xai_treeshap_expected(const xai_tree_ensemble *t, size_t k)
{
    double e = t->base_margin[k];
    for (size_t tr = 0; tr < t->n_trees; tr++)
        e += expected(t->nodes + t->tree_offset[tr], 0, t->leaf_values + k, t->n_margins);
    return e;
}

double xai_tree_margin(const xai_tree_ensemble *t, const float *x, size_t k)
{
    double s = t->base_margin[k];
    for (size_t tr = 0; tr < t->n_trees; tr++) {
        const xai_tree_node *nodes = t->nodes + t->tree_offset[tr];
        int32_t i = 0;
        while (nodes[i].feature >= 0)
            i = xai_tree_next(&nodes[i], x[nodes[i].feature]);
        s += t->leaf_values[(size_t)nodes[i].value * t->n_margins + k];
    }
    return s;
}
