/* recourse/constraints.c: the feasible box, the projection onto one-hot groups
 * and integers, the feasibility check and the scaled costs (a feature is a
 * group: a changed one-hot category counts once). */
#include <math.h>

#include "recourse_impl.h"

void rc_box(const xai_recourse *rc, const float *x, float *lo, float *hi)
{
    for (size_t j = 0; j < rc->d; j++) {
        float l = rc->lo[j] < x[j] ? rc->lo[j] : x[j];
        float h = rc->hi[j] > x[j] ? rc->hi[j] : x[j];
        if (rc->flags[j] & XAI_RC_IMMUTABLE)
            l = h = x[j];
        else if (rc->flags[j] & XAI_RC_INCREASING)
            l = x[j];
        lo[j] = l;
        hi[j] = h;
    }
}

void rc_project(const xai_recourse *rc, const float *x, const float *blo,
                const float *bhi, float *xp)
{
    for (size_t j = 0; j < rc->d; j++) {
        uint32_t g = rc->group[j];
        if (rc->gsize[g] > 1) {
            if (rc->gfirst[g] != j)
                continue;
            /* One category: the column with the largest relaxed value (the
             * first on ties); an immutable group keeps x's category. */
            size_t best = j;
            for (size_t t = j; t < rc->d; t++)
                if (rc->group[t] == g) {
                    float v = (rc->flags[t] & XAI_RC_IMMUTABLE) ? x[t] : xp[t];
                    float vb = (rc->flags[best] & XAI_RC_IMMUTABLE) ? x[best] : xp[best];
                    if (v > vb)
                        best = t;
                }
            for (size_t t = j; t < rc->d; t++)
                if (rc->group[t] == g)
                    xp[t] = t == best ? 1.0f : 0.0f;
            continue;
        }
        if (rc->flags[j] & XAI_RC_INTEGER) {
            float v = roundf(xp[j]);
            if (v < blo[j])
                v = ceilf(blo[j]);
            if (v > bhi[j])
                v = floorf(bhi[j]);
            xp[j] = v;
        }
    }
}

int rc_feasible(const xai_recourse *rc, const float *x, const float *xp)
{
    for (size_t j = 0; j < rc->d; j++) {
        float v = xp[j];
        if (!isfinite(v))
            return 0;
        if ((rc->flags[j] & XAI_RC_IMMUTABLE) && v != x[j])
            return 0;
        if ((rc->flags[j] & XAI_RC_INCREASING) && v < x[j])
            return 0;
        if ((rc->flags[j] & XAI_RC_INTEGER) && v != roundf(v))
            return 0;
        float l = rc->lo[j] < x[j] ? rc->lo[j] : x[j];
        float h = rc->hi[j] > x[j] ? rc->hi[j] : x[j];
        if (v < l || v > h)
            return 0;
    }
    for (size_t g = 0; g < rc->n_groups; g++) {
        if (rc->gsize[g] < 2)
            continue;
        int ones = 0;
        for (size_t j = rc->gfirst[g]; j < rc->d; j++)
            if (rc->group[j] == g) {
                if (xp[j] != 0.0f && xp[j] != 1.0f)
                    return 0;
                ones += xp[j] == 1.0f;
            }
        if (ones != 1)
            return 0;
    }
    return 1;
}

void rc_cost(const xai_recourse *rc, const float *x, const float *xp, double *l1,
             double *l2, uint32_t *changed)
{
    double a = 0, b = 0;
    uint32_t c = 0;
    for (size_t j = 0; j < rc->d; j++) {
        double dj = ((double)xp[j] - x[j]) / rc->scale[j];
        a += fabs(dj);
        b += dj * dj;
        if (xp[j] == x[j])
            continue;
        /* A changed group (one-hot category) counts once. */
        int seen = 0;
        for (size_t t = rc->gfirst[rc->group[j]]; t < j && !seen; t++)
            seen = rc->group[t] == rc->group[j] && xp[t] != x[t];
        c += !seen;
    }
    *l1 = a;
    *l2 = sqrt(b);
    *changed = c;
}
