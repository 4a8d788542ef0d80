/* recourse/trex.c: T-Rex:I (Hamman et al., ICML 2023): from the closest
 * counterfactual, normalised gradient ascent on R^ (the gradient through one
 * batched VJP of the k noisy copies), in the scaled space
 *   d <- d + step * g / ||g||,  g_j = s_j dR^/dx'_j (0 on fixed features),
 * capped to ||d - d_start||_2 <= radius and clipped to the feasible box.
 * Each iterate is projected onto the constraints; only iterates that remain
 * counterfactuals are kept.  Stops at the first kept iterate with
 * R^ >= tau; otherwise the kept iterate of largest R^ is returned, marked.
 * R^ of a projected point is estimated once: not again when the next
 * iterates project to the same point, not at all when it is infeasible or
 * rejected, and taken from the ascent's own batch when the projection leaves
 * the iterate unchanged. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "recourse_impl.h"

/* One ascent step of z from start (both model units) along the gradient g
 * (model units; overwritten). */
static void ascend(const xai_recourse *rc, const float *blo, const float *bhi,
                   const float *start, float *z, double *g)
{
    const size_t D = rc->d;
    double norm = 0, dist = 0;
    for (size_t j = 0; j < D; j++) {
        g[j] = blo[j] == bhi[j] ? 0 : g[j] * rc->scale[j];
        norm += g[j] * g[j];
    }
    norm = sqrt(norm);
    if (!(norm > 0))
        return;
    for (size_t j = 0; j < D; j++) {
        g[j] = (z[j] - start[j]) / rc->scale[j] + rc->o.trex_step * g[j] / norm;
        dist += g[j] * g[j];
    }
    dist = sqrt(dist);
    double shrink = dist > rc->o.trex_radius ? rc->o.trex_radius / dist : 1.0;
    for (size_t j = 0; j < D; j++) {
        double v = start[j] + rc->scale[j] * g[j] * shrink;
        z[j] = (float)(v < blo[j] ? blo[j] : v > bhi[j] ? bhi[j] : v);
    }
}

xai_status rc_trex_row(xai_recourse *rc, xai_runner *r, const float *x,
                       uint64_t row, float *cf, xai_cf_result *res)
{
    const size_t D = rc->d, k = rc->o.k, no = rc->n_out;
    const xai_recourse_options *o = &rc->o;
    if (!res->found)
        return XAI_OK;
    float *mem = malloc((6 * D + 2 * (k + 1) * D + 2 * (k + 1) * no) * sizeof *mem);
    double *g = malloc(D * sizeof *g);
    if (!mem || !g) {
        free(mem);
        free(g);
        return xai_fail(XAI_ERR_NOMEM, "out of memory");
    }
    float *blo = mem, *bhi = mem + D, *z = mem + 2 * D, *zp = mem + 3 * D,
          *start = mem + 4 * D, *last = mem + 5 * D, *pts = mem + 6 * D,
          *grow = pts + (k + 1) * D, *buf = grow + (k + 1) * D, *dy = buf + (k + 1) * no;
    rc_box(rc, x, blo, bhi);
    memcpy(z, cf, D * sizeof *z);
    memcpy(start, cf, D * sizeof *start);
    xai_rng rng;
    xai_rng_init(&rng, o->seed ^ RC_TAG_TREX, row);
    double best_R = -INFINITY;
    int reached = 0, have_last = 0;
    xai_status s = XAI_OK;
    for (uint32_t it = 0; it <= o->trex_iters; it++) {
        double R, se, Rp = -INFINITY, lp = -1;
        if ((s = rc_stability(rc, r, z, &rng, pts, buf, dy, grow, &R, &se, g, NULL)) !=
            XAI_OK)
            break;
        memcpy(zp, z, D * sizeof *zp);
        if (rc->needs_projection)
            rc_project(rc, x, blo, bhi, zp);
        /* R^ and m at zp: from the ascent's own batch when the projection
         * left z alone (row 0 of that batch is z); nothing when zp is the
         * projected point already scored; else only when zp is a feasible
         * counterfactual. */
        int scored = 0;
        if (memcmp(zp, z, D * sizeof *zp) == 0) {
            lp = rc_logit(rc, buf);
            Rp = R;
            scored = 1;
        } else if (!have_last || memcmp(zp, last, D * sizeof *zp) != 0) {
            if (rc_feasible(rc, x, zp)) {
                if ((s = rc_eval(rc, r, zp, 1, buf, NULL, &lp)) != XAI_OK)
                    break;
                if (lp >= 0 &&
                    (s = rc_stability(rc, r, zp, &rng, pts, buf, NULL, NULL, &Rp, &se,
                                      NULL, NULL)) != XAI_OK)
                    break;
            }
            scored = 1;
        }
        if (scored) {
            memcpy(last, zp, D * sizeof *last);
            have_last = 1;
        }
        if (scored && lp >= 0 && rc_feasible(rc, x, zp) && Rp > best_R) {
            best_R = Rp;
            memcpy(cf, zp, D * sizeof *cf);
            if (Rp >= o->tau) {
                reached = 1;
                break;
            }
        }
        if (it < o->trex_iters)
            ascend(rc, blo, bhi, start, z, g);
    }
    if (s == XAI_OK && !reached)
        res->reason = "R^ stayed below tau within the step cap (the most stable kept "
                      "iterate is given)";
    free(mem);
    free(g);
    return s;
}
