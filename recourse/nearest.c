/* recourse/nearest.c: `nn` (the nearest accepted training row that satisfies
 * the constraints, scaled L2) and `trex-nn` (the nearest such row with
 * R^ >= tau). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "recourse_impl.h"

typedef struct cand {
    double d;
    uint32_t i;
} cand;

static int cand_cmp(const void *a, const void *b)
{
    const cand *p = a, *q = b;
    if (p->d != q->d)
        return p->d < q->d ? -1 : 1;
    return p->i < q->i ? -1 : p->i > q->i;
}

size_t rc_nearest_feasible(const xai_recourse *rc, const float *x, uint32_t *idx,
                           double *dist)
{
    cand *c = malloc((rc->n_acc ? rc->n_acc : 1) * sizeof *c);
    if (!c)
        return SIZE_MAX;
    size_t n = 0;
    for (size_t i = 0; i < rc->n_acc; i++) {
        const float *row = rc->acc + i * rc->d;
        if (!rc_feasible(rc, x, row))
            continue;
        double l1, l2;
        uint32_t ch;
        rc_cost(rc, x, row, &l1, &l2, &ch);
        c[n++] = (cand){l2, (uint32_t)i};
    }
    qsort(c, n, sizeof *c, cand_cmp);
    for (size_t i = 0; i < n; i++) {
        idx[i] = c[i].i;
        if (dist)
            dist[i] = c[i].d;
    }
    free(c);
    return n;
}

static const char *const NO_ACCEPTED =
    "no accepted training row satisfies the constraints";

xai_status rc_trexnn_row(xai_recourse *rc, xai_runner *r, const float *x,
                         uint64_t row, float *cf, xai_cf_result *res, int need_stable)
{
    size_t d = rc->d, k = rc->o.k;
    uint32_t *idx = malloc((rc->n_acc ? rc->n_acc : 1) * sizeof *idx);
    if (!idx)
        return xai_fail(XAI_ERR_NOMEM, "out of memory");
    size_t n = rc_nearest_feasible(rc, x, idx, NULL);
    if (n == SIZE_MAX) {
        free(idx);
        return xai_fail(XAI_ERR_NOMEM, "out of memory");
    }
    res->found = 0;
    res->reason = NO_ACCEPTED;
    if (n && !need_stable) {
        memcpy(cf, rc->acc + (size_t)idx[0] * d, d * sizeof *cf);
        res->found = 1;
        res->reason = "";
    } else if (n) {
        float *pts = malloc((k + 1) * d * sizeof *pts);
        float *buf = malloc((k + 1) * rc->n_out * sizeof *buf);
        xai_status s = pts && buf ? XAI_OK : xai_fail(XAI_ERR_NOMEM, "out of memory");
        xai_rng g;
        xai_rng_init(&g, rc->o.seed ^ RC_TAG_TREXNN, row);
        res->reason = "no accepted training row within the constraints reaches R^ >= tau";
        for (size_t t = 0; t < n && s == XAI_OK; t++) {
            const float *cand_row = rc->acc + (size_t)idx[t] * d;
            double R, se;
            s = rc_stability(rc, r, cand_row, &g, pts, buf, NULL, NULL, &R, &se, NULL, NULL);
            if (s == XAI_OK && R >= rc->o.tau) {
                memcpy(cf, cand_row, d * sizeof *cf);
                res->found = 1;
                res->reason = "";
                break;
            }
        }
        free(pts);
        free(buf);
        if (s != XAI_OK) {
            free(idx);
            return s;
        }
    }
    free(idx);
    return XAI_OK;
}
