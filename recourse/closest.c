/* recourse/closest.c: the sparse closest counterfactual (elastic net, as EAD
 * of Chen et al. 2018): in the scaled space d = (x' - x) / s, minimise
 *   c * max(0, kappa - logit(x + s d)) + beta ||d||_1 + ||d||_2^2
 * by ISTA (gradient step on the smooth part, soft threshold beta * step,
 * projection onto the feasible box; step lr * sqrt(1 - t/iters)), for a
 * binary search on c: a c that gives a counterfactual halves towards the
 * largest failing one, else c grows (x10 until a success bounds it).  Every
 * iterate is projected onto the constraints (one-hot, integers) and
 * re-checked by the model; the cheapest (beta L1 + L2^2) accepted projected
 * iterate over all c is the answer.  Rows go to the model together. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "recourse_impl.h"

typedef struct row_state {
    double c, c_lo, c_hi, best;
    int found, found_c;
} row_state;

xai_status rc_closest_block(xai_recourse *rc, xai_runner *r, const float *x, size_t n,
                            float *cf, xai_cf_result *res)
{
    const size_t D = rc->d, no = rc->n_out;
    const xai_recourse_options *o = &rc->o;
    size_t nd = n * D;
    float *mem = malloc((6 * nd + 2 * n * no) * sizeof *mem);
    double *dd = malloc(2 * n * sizeof *dd);
    double *dv = malloc(nd * sizeof *dv);
    if (!mem || !dd || !dv) {
        free(mem);
        free(dd);
        free(dv);
        return xai_fail(XAI_ERR_NOMEM, "out of memory");
    }
    float *blo = mem, *bhi = mem + nd, *xr = mem + 2 * nd, *xp = mem + 3 * nd,
          *grad = mem + 4 * nd, *best = mem + 5 * nd, *buf = mem + 6 * nd,
          *dy = buf + n * no;
    double *logit = dd, *logitp = dd + n;
    row_state st[RC_BLOCK];
    for (size_t i = 0; i < n; i++) {
        rc_box(rc, x + i * D, blo + i * D, bhi + i * D);
        st[i] = (row_state){o->c_init, 0, INFINITY, INFINITY, 0, 0};
    }
    memcpy(best, x, nd * sizeof *best);
    xai_status s = XAI_OK;
    for (uint32_t step = 0; step < o->c_steps && s == XAI_OK; step++) {
        memset(dv, 0, nd * sizeof *dv);
        for (size_t i = 0; i < n; i++)
            st[i].found_c = 0;
        for (uint32_t it = 0; it < o->iters; it++) {
            double lr = o->lr * sqrt(1.0 - (double)it / o->iters);
            for (size_t t = 0; t < nd; t++) {
                size_t j = t % D;
                double v = x[t] + rc->scale[j] * dv[t];
                v = v < blo[t] ? blo[t] : v > bhi[t] ? bhi[t] : v;
                xr[t] = (float)v;
            }
            if ((s = rc_logit_grad(rc, r, xr, n, buf, dy, grad, logit)) != XAI_OK)
                break;
            if (rc->needs_projection) {
                memcpy(xp, xr, nd * sizeof *xp);
                for (size_t i = 0; i < n; i++)
                    rc_project(rc, x + i * D, blo + i * D, bhi + i * D, xp + i * D);
                if ((s = rc_eval(rc, r, xp, n, buf, NULL, logitp)) != XAI_OK)
                    break;
            } else {
                memcpy(xp, xr, nd * sizeof *xp);
                memcpy(logitp, logit, n * sizeof *logitp);
            }
            for (size_t i = 0; i < n; i++) {
                row_state *q = &st[i];
                const float *x0 = x + i * D;
                if (logitp[i] >= o->kappa && logitp[i] >= 0 &&
                    rc_feasible(rc, x0, xp + i * D)) {
                    double l1, l2;
                    uint32_t ch;
                    rc_cost(rc, x0, xp + i * D, &l1, &l2, &ch);
                    double cost = o->beta * l1 + l2 * l2;
                    q->found_c = 1;
                    if (cost < q->best) {
                        q->best = cost;
                        q->found = 1;
                        memcpy(best + i * D, xp + i * D, D * sizeof *best);
                    }
                }
                int hinge = logit[i] < o->kappa;
                for (size_t j = 0; j < D; j++) {
                    size_t t = i * D + j;
                    double g = 2 * dv[t] - (hinge ? q->c * rc->scale[j] * grad[t] : 0);
                    double v = dv[t] - lr * g, th = lr * o->beta;
                    v = v > th ? v - th : v < -th ? v + th : 0;
                    double lo = (blo[t] - x0[j]) / rc->scale[j];
                    double hi = (bhi[t] - x0[j]) / rc->scale[j];
                    dv[t] = v < lo ? lo : v > hi ? hi : v;
                }
            }
        }
        for (size_t i = 0; i < n; i++) {
            row_state *q = &st[i];
            if (q->found_c) {
                q->c_hi = q->c;
                q->c = (q->c_lo + q->c_hi) / 2;
            } else {
                q->c_lo = q->c;
                q->c = isfinite(q->c_hi) ? (q->c_lo + q->c_hi) / 2 : q->c * 10;
            }
        }
    }
    if (s == XAI_OK) {
        memcpy(cf, best, nd * sizeof *cf);
        for (size_t i = 0; i < n; i++) {
            res[i].found = st[i].found;
            res[i].already_accepted = 0;
            res[i].reason = st[i].found ? ""
                                        : "no counterfactual within the constraints "
                                          "(closest: no accepted iterate for any c)";
        }
    }
    free(mem);
    free(dd);
    free(dv);
    return s;
}
