/* recourse/stability.c: the relaxed stability
 *   R^(x') = (1/k) sum_i [ m(x_i) - |m(x') - m(x_i)| ],  x_i ~ N(x', diag(sigma s)^2),
 * with its Monte-Carlo standard error, and its gradient for T-Rex. */
#include <math.h>
#include <string.h>

#include "core/error.h"
#include "recourse_impl.h"

xai_status rc_stability(const xai_recourse *rc, xai_runner *r, const float *xp,
                        xai_rng *rng, float *pts, float *buf, float *dy, float *grow,
                        double *R, double *se, double *grad, double *mxp)
{
    size_t k = rc->o.k, d = rc->d, no = rc->n_out;
    /* Row 0 is x' itself, rows 1..k the noisy copies. */
    memcpy(pts, xp, d * sizeof *pts);
    double e[256];
    for (size_t i = 1; i <= k; i++)
        for (size_t j0 = 0; j0 < d; j0 += 256) {
            size_t nj = d - j0 < 256 ? d - j0 : 256;
            xai_rng_normals(rng, nj, e);
            for (size_t j = 0; j < nj; j++)
                pts[i * d + j0 + j] =
                    (float)(xp[j0 + j] + rc->o.sigma * rc->scale[j0 + j] * e[j]);
        }
    if (grad) {
        memset(dy, 0, (k + 1) * no * sizeof *dy);
        for (size_t i = 0; i <= k; i++)
            dy[i * no + (no == 1 ? 0 : (size_t)rc->o.desired)] =
                no == 1 && rc->o.desired == 0 ? -1.0f : 1.0f;
        XAI_TRY(xai_runner_vjp(r, XAI_OUTPUT_PROB, pts, k + 1, dy, grow, buf));
    } else {
        XAI_TRY(xai_runner_forward(r, XAI_OUTPUT_PROB, pts, k + 1, buf));
    }
    double m0 = rc_prob(rc, buf), sum = 0, sum2 = 0, sg_sum = 0;
    if (grad)
        memset(grad, 0, d * sizeof *grad);
    for (size_t i = 1; i <= k; i++) {
        double mi = rc_prob(rc, buf + i * no);
        double v = mi - fabs(m0 - mi);
        sum += v;
        sum2 += v * v;
        if (grad) {
            /* Row i contributes (1 + sg) grad m(x_i); x' gets -sum sg once. */
            double sg = m0 > mi ? 1 : m0 < mi ? -1 : 0;
            sg_sum += sg;
            if (sg > -1) {
                const float *gi = grow + i * d;
                for (size_t j = 0; j < d; j++)
                    grad[j] += (1 + sg) * gi[j];
            }
        }
    }
    if (grad)
        for (size_t j = 0; j < d; j++)
            grad[j] -= sg_sum * grow[j];
    double mean = sum / (double)k;
    double var = (sum2 - sum * mean) / (double)(k - 1);
    *R = mean;
    *se = sqrt(var > 0 ? var / (double)k : 0);
    if (mxp)
        *mxp = m0;
    if (grad)
        for (size_t j = 0; j < d; j++)
            grad[j] /= (double)k;
    return XAI_OK;
}
