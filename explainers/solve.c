/* explainers/solve.c: the solvers.  Weighted least squares in double with
 * ridge and intercept: normal equations by Cholesky when well-conditioned,
 * else LAPACK dgelsd (SVD, minimum norm if rank-deficient); KernelSHAP's efficiency constraint by eliminating the last
 * unit; the closed-form mean for gradient matching.  Also the LFA losses. */
#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "lfa.h"

/* Shapley constraint violations weigh this much in xai_lfa_loss. */
#define SHAPLEY_PENALTY 1e4

/* Fits below this reciprocal condition number (LAPACK dpocon estimate of
 * the normal matrix) go to the SVD solver: the normal equations square the
 * condition number, and 1e-10 still leaves ~1e-6 relative accuracy in double,
 * below float's resolution of the result. */
#define NORMAL_RCOND_MIN 1e-10

/* The rows of the unweighted design, x_s (P doubles), from its source. */
static void design_row(const xai_wls_design *d, size_t s, size_t P, double *x)
{
    if (d->X) {
        memcpy(x, d->X + s * P, P * sizeof *x);
    } else if (d->mask) {
        size_t U = P + (d->drop_last ? 1 : 0);
        const uint8_t *z = d->mask + s * U;
        int last = d->drop_last ? z[U - 1] : 0;
        for (size_t k = 0; k < P; k++)
            x[k] = (double)z[k] - last;
    } else {
        const float *q = d->pts + s * P;
        for (size_t k = 0; k < P; k++)
            x[k] = (double)q[k] - d->x0[k];
    }
}

/* Fills A's rows with sqrt(w_s) [1 x_s y_s] (no 1 without intercept) and
 * sums the weights into *sw.  The rows' inputs must be finite, weights >= 0
 * and not all 0: otherwise says what makes the fit ill-posed (LAPACK never
 * sees a NaN).  Mask rows hold only -1, 0 and 1: nothing to check there. */
static xai_status weigh_rows(const xai_wls_design *d, const double *y, const double *w,
                             size_t S, size_t P, int intercept, double *A, double *sw)
{
    size_t o = intercept ? 1 : 0, lda = P + o + 1, U = P + (d->drop_last ? 1 : 0);
    *sw = 0;
    for (size_t s = 0; s < S; s++) {
        if (!isfinite(w[s]) || w[s] < 0)
            return xai_fail(XAI_ERR_NUMERIC, "least squares: sample %zu has weight %g "
                            "(kernel width or sigma out of range)", s, w[s]);
        if (!isfinite(y[s]))
            return xai_fail(XAI_ERR_NUMERIC, "least squares: sample %zu has a non-finite "
                            "model output", s);
        double *row = A + s * lda, *x = row + o, sws = sqrt(w[s]);
        if (d->mask) { /* one pass from the bytes */
            const uint8_t *z = d->mask + s * U;
            int last = d->drop_last ? z[U - 1] : 0;
            for (size_t k = 0; k < P; k++)
                x[k] = ((double)z[k] - last) * sws;
        } else {
            design_row(d, s, P, x);
            for (size_t k = 0; k < P; k++)
                if (!isfinite(x[k]) || fabs(x[k]) > 1e150)
                    return xai_fail(XAI_ERR_NUMERIC, "least squares: sample %zu, feature "
                                    "%zu is %g away from the explained row; the "
                                    "neighbourhood is too wide to fit (use a smaller "
                                    "sigma)", s, k, x[k]);
            for (size_t k = 0; k < P; k++)
                x[k] *= sws;
        }
        if (intercept)
            row[0] = sws;
        row[P + o] = sws * y[s];
        *sw += w[s];
    }
    if (!(*sw > 0))
        return xai_fail(XAI_ERR_NUMERIC, "least squares: every sample has weight 0 (the "
                        "kernel width is too small for the sampled distances; use a larger "
                        "kernel width)");
    return XAI_OK;
}

/* Normal equations G theta = r, G = A^T A + ridge, r = A^T b with the
 * weighted rows [A b] (S x (n + 1), from weigh_rows), by Cholesky in double
 * (OpenBLAS runs single-threaded inside explain calls, and the shapes depend
 * on the row's own S and P only).  G is (n + 1) x (n + 1) scratch.  Returns
 * 1 when solved, 0 when G is too ill-conditioned (or not positive definite)
 * to trust. */
static int solve_normal(const double *A, size_t S, size_t P, int intercept, double ridge,
                        double *theta, double *G)
{
    size_t n = P + (intercept ? 1 : 0), o = intercept ? 1 : 0, lda = n + 1;
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)n, (int)S, 1.0, A, (int)lda,
                0.0, G, (int)n);
    cblas_dgemv(CblasRowMajor, CblasTrans, (int)S, (int)n, 1.0, A, (int)lda, A + n,
                (int)lda, 0.0, theta, 1);
    for (size_t k = 0; k < P; k++)
        G[(k + o) * n + k + o] += ridge;
    double anorm = 0; /* 1-norm of the symmetric G */
    for (size_t j = 0; j < n; j++) {
        double c = 0;
        for (size_t i = 0; i < n; i++)
            c += fabs(i <= j ? G[i * n + j] : G[j * n + i]);
        anorm = c > anorm ? c : anorm;
    }
    if (!isfinite(anorm) ||
        LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'U', (lapack_int)n, G, (lapack_int)n) != 0)
        return 0;
    double rcond = 0;
    if (LAPACKE_dpocon(LAPACK_ROW_MAJOR, 'U', (lapack_int)n, G, (lapack_int)n, anorm,
                       &rcond) != 0 || !(rcond >= NORMAL_RCOND_MIN))
        return 0;
    return LAPACKE_dpotrs(LAPACK_ROW_MAJOR, 'U', (lapack_int)n, 1, G, (lapack_int)n, theta,
                          1) == 0;
}

/* Minimum-norm least squares by SVD (dgelsd) on the weighted rows [A b]
 * (+ ridge rows sqrt(ridge) I on beta).  The rare fallback: allocates. */
static xai_status solve_svd(const double *Aw, size_t S, size_t P, int intercept,
                            double ridge, double *theta)
{
    size_t n = P + (intercept ? 1 : 0), m = S + (ridge > 0 ? P : 0), lda = n + 1;
    size_t ldb = m > n ? m : n, lenA;
    if (!xai_mul_size(m, n, &lenA) || m > INT32_MAX || n > INT32_MAX)
        return xai_fail(XAI_ERR_NOMEM, "least squares of %zu x %zu too large", m, n);
    double *A = calloc(lenA ? lenA : 1, sizeof *A), *B = calloc(ldb, sizeof *B);
    double *sv = malloc((m < n ? m : n) * sizeof *sv + sizeof *sv);
    if (!A || !B || !sv) {
        free(A), free(B), free(sv);
        return xai_fail(XAI_ERR_NOMEM, "out of memory (least squares %zu x %zu)", m, n);
    }
    for (size_t s = 0; s < S; s++) {
        for (size_t k = 0; k < n; k++)
            A[k * m + s] = Aw[s * lda + k];
        B[s] = Aw[s * lda + n];
    }
    for (size_t k = 0; ridge > 0 && k < P; k++)
        A[(k + (intercept ? 1 : 0)) * m + S + k] = sqrt(ridge);
    lapack_int rank;
    lapack_int info = LAPACKE_dgelsd(LAPACK_COL_MAJOR, (lapack_int)m, (lapack_int)n,
                                     1, A, (lapack_int)m, B, (lapack_int)ldb, sv,
                                     1e-12, &rank);
    free(A), free(sv);
    if (info != 0) {
        free(B);
        return xai_fail(XAI_ERR_NUMERIC, "least squares did not converge (LAPACK dgelsd "
                        "info %d): the samples are too far apart or too unevenly "
                        "weighted to fit", (int)info);
    }
    memcpy(theta, B, n * sizeof *theta);
    free(B);
    return XAI_OK;
}

/* Workspace (doubles): [A b] S x (n + 1), G (n + 1)^2, theta n + 1, and
 * 4 P for the design rows the R^2 pass reads, with n + 1 <= P + 2. */
size_t xai_wls_work(size_t S, size_t P)
{
    size_t len;
    if (P > SIZE_MAX - 8 || S > SIZE_MAX - 8 - P ||
        !xai_mul_size(S + P + 8, P + 2, &len) || len > SIZE_MAX / sizeof(double))
        return 0;
    return len;
}

xai_status xai_wls_fit(const xai_wls_design *d, const double *y, const double *w,
                       size_t S, size_t P, int intercept, double ridge, double *work,
                       double *beta, double *b, double *r2)
{
    size_t n = P + (intercept ? 1 : 0);
    double sw;
    if (S > INT32_MAX || n >= INT32_MAX || xai_wls_work(S, P) == 0)
        return xai_fail(XAI_ERR_NOMEM, "least squares of %zu x %zu too large", S, n);
    double *A = work, *G = A + S * (n + 1), *theta = G + (n + 1) * (n + 1);
    double *xr = theta + n + 1;
    XAI_TRY(weigh_rows(d, y, w, S, P, intercept, A, &sw));
    if (!isfinite(ridge) || ridge < 0)
        return xai_fail(XAI_ERR_INVALID, "least squares: ridge %g must be >= 0", ridge);
    if (!solve_normal(A, S, P, intercept, ridge, theta, G))
        XAI_TRY(solve_svd(A, S, P, intercept, ridge, theta));
    *b = intercept ? theta[0] : 0.0;
    memcpy(beta, theta + (intercept ? 1 : 0), P * sizeof *beta);
    /* weighted R^2 = 1 - sum w (y - yhat)^2 / sum w (y - ybar)^2 */
    double swy = 0, res = 0, tot = 0;
    for (size_t s = 0; s < S; s++)
        swy += w[s] * y[s];
    double ybar = swy / sw;
    for (size_t s0 = 0; s0 < S; s0 += 4) {
        /* four samples' b + X_s . beta side by side (four independent
         * chains of adds instead of one), each summed in feature order */
        size_t m = S - s0 < 4 ? S - s0 : 4;
        double yh[4] = {*b, *b, *b, *b};
        const double *x0 = d->X ? d->X + s0 * P : xr;
        int bytes = d->mask && m == 4; /* read the masks in place */
        for (size_t l = 0; !d->X && !bytes && l < m; l++)
            design_row(d, s0 + l, P, xr + l * P);
        if (bytes) {
            size_t U = P + (d->drop_last ? 1 : 0);
            const uint8_t *z = d->mask + s0 * U;
            int c0 = d->drop_last ? z[U - 1] : 0, c1 = d->drop_last ? z[2 * U - 1] : 0;
            int c2 = d->drop_last ? z[3 * U - 1] : 0, c3 = d->drop_last ? z[4 * U - 1] : 0;
            double h0 = *b, h1 = *b, h2 = *b, h3 = *b;
            for (size_t k = 0; k < P; k++) {
                double bk = beta[k];
                h0 += ((double)z[k] - c0) * bk;
                h1 += ((double)z[U + k] - c1) * bk;
                h2 += ((double)z[2 * U + k] - c2) * bk;
                h3 += ((double)z[3 * U + k] - c3) * bk;
            }
            yh[0] = h0, yh[1] = h1, yh[2] = h2, yh[3] = h3;
        } else if (m == 4) {
            /* in registers: indexing yh here would keep it in memory, each
             * add waiting for the store of the one before */
            double h0 = *b, h1 = *b, h2 = *b, h3 = *b;
            for (size_t k = 0; k < P; k++) {
                double bk = beta[k];
                h0 += x0[k] * bk;
                h1 += x0[P + k] * bk;
                h2 += x0[2 * P + k] * bk;
                h3 += x0[3 * P + k] * bk;
            }
            yh[0] = h0, yh[1] = h1, yh[2] = h2, yh[3] = h3;
        } else
            for (size_t l = 0; l < m; l++)
                for (size_t k = 0; k < P; k++)
                    yh[l] += x0[l * P + k] * beta[k];
        for (size_t l = 0; l < m; l++) {
            size_t s = s0 + l;
            res += w[s] * (y[s] - yh[l]) * (y[s] - yh[l]);
            tot += w[s] * (y[s] - ybar) * (y[s] - ybar);
        }
    }
    *r2 = tot > 0 ? 1 - res / tot : (res <= 1e-24 ? 1.0 : NAN);
    return XAI_OK;
}

xai_status xai_wls(const double *X, const double *y, const double *w,
                   size_t S, size_t P, int intercept, double ridge,
                   double *beta, double *b, double *r2)
{
    size_t len = xai_wls_work(S, P);
    if (len == 0 || S > INT32_MAX)
        return xai_fail(XAI_ERR_NOMEM, "least squares of %zu x %zu too large", S, P);
    double *work = malloc(len * sizeof *work);
    if (!work)
        return xai_fail(XAI_ERR_NOMEM, "out of memory (least squares %zu x %zu)", S, P);
    xai_wls_design d = {.X = X};
    xai_status s = xai_wls_fit(&d, y, w, S, P, intercept, ridge, work, beta, b, r2);
    free(work);
    return s;
}

/* Units -> features: each unit's value spread equally over its features
 * (averaged over the units that hold a feature). */
static void spread_units(const xai_plan *p, const double *pu, float *phi)
{
    double *acc = calloc(p->D, sizeof *acc);
    if (!acc) { /* cannot happen for sizes already allocated twice over */
        memset(phi, 0, p->D * sizeof *phi);
        return;
    }
    for (size_t u = 0; u < p->U; u++) {
        double n = (double)(p->ustart[u + 1] - p->ustart[u]);
        for (size_t k = p->ustart[u]; k < p->ustart[u + 1]; k++)
            acc[p->ufeat[k]] += pu[u] / n;
    }
    for (size_t f = 0; f < p->D; f++)
        phi[f] = (float)(acc[f] * p->cover[f]);
    free(acc);
}

/* n doubles of the solving thread's scratch (or of own when the job has
 * none); the fit overwrites whatever state the block held. */
static double *fit_scratch(const xai_job *j, xai_scratch *own, size_t n)
{
    xai_scratch *s = j->scratch ? j->scratch : own;
    double *p = n && n <= SIZE_MAX / sizeof *p ? xai_scratch_get(s, n * sizeof *p) : NULL;
    if (p)
        s->holds = NULL;
    return p;
}

/* KernelSHAP: phi_M = D - sum_{k<M} phi_k with D = fx - fb, so
 * y - fb - z_M D = sum_{k<M} phi_k (z_k - z_M): an unconstrained WLS. */
static xai_status solve_shapley(xai_job *j, double *pu, xai_explain_diag *dg)
{
    const xai_plan *p = j->plan;
    size_t U = p->U;
    double delta = j->fx - j->fb;
    dg->intercept = j->fb;
    if (U == 1 || j->S == 0) {
        for (size_t u = 0; u < U; u++)
            pu[u] = delta / (double)U;
        dg->r2 = NAN;
        return XAI_OK;
    }
    int odd;
    XAI_TRY(xai_shapley_odd_fit(j, pu, &odd));
    xai_status s = XAI_OK;
    xai_scratch own = {0};
    if (!odd) {
        /* yy (rounded up to whole cache lines), then the fit's workspace */
        size_t ny = (j->S + 7) & ~(size_t)7, nw = xai_wls_work(j->S, U - 1);
        double *yy = nw && ny <= SIZE_MAX - nw ? fit_scratch(j, &own, ny + nw) : NULL;
        if (!yy)
            return xai_fail(XAI_ERR_NOMEM, "out of memory (design %zu x %zu)", j->S, U - 1);
        for (size_t i = 0; i < j->S; i++)
            yy[i] = j->y[i] - j->fb - j->mask[i * U + U - 1] * delta;
        xai_wls_design d = {.mask = j->mask, .drop_last = 1};
        double b, r2;
        s = xai_wls_fit(&d, yy, j->w, j->S, U - 1, 0, p->opt.ridge, yy + ny, pu, &b, &r2);
        double sum = 0;
        for (size_t u = 0; s == XAI_OK && u + 1 < U; u++)
            sum += pu[u];
        pu[U - 1] = delta - sum;
    }
    if (s == XAI_OK) {
        /* R^2 of the full surrogate fb + phi.z on the samples */
        double sw = 0, swy = 0, res = 0, tot = 0;
        for (size_t i = 0; i < j->S; i++)
            sw += j->w[i], swy += j->w[i] * j->y[i];
        for (size_t i = 0; i < j->S; i++) {
            double yh = j->fb;
            for (size_t u = 0; u < U; u++)
                yh += pu[u] * j->mask[i * U + u];
            res += j->w[i] * (j->y[i] - yh) * (j->y[i] - yh);
            tot += j->w[i] * (j->y[i] - swy / sw) * (j->y[i] - swy / sw);
        }
        dg->r2 = tot > 0 ? 1 - res / tot : NAN;
    }
    xai_scratch_free(&own);
    return s;
}

static xai_status solve_points(xai_job *j, float *phi, xai_explain_diag *dg)
{
    const xai_plan *p = j->plan;
    /* beta (rounded up to whole cache lines), then the fit's workspace */
    size_t nb = (p->D + 7) & ~(size_t)7, nw = xai_wls_work(j->S, p->D);
    xai_scratch own = {0};
    double *beta = nw && nb <= SIZE_MAX - nw ? fit_scratch(j, &own, nb + nw) : NULL;
    if (!beta)
        return xai_fail(XAI_ERR_NOMEM, "out of memory (design %zu x %zu)", j->S, p->D);
    xai_wls_design d = {.pts = j->pts, .x0 = j->x};
    xai_status s = xai_wls_fit(&d, j->y, j->w, j->S, p->D, 1, p->opt.ridge, beta + nb, beta,
                               &dg->intercept, &dg->r2);
    for (size_t k = 0; s == XAI_OK && k < p->D; k++)
        phi[k] = (float)beta[k];
    xai_scratch_free(&own);
    return s;
}

static double weight_sum(const xai_job *j)
{
    double sw = 0;
    for (size_t s = 0; s < j->S; s++)
        sw += j->w[s];
    return sw;
}

xai_status xai_solve_job(xai_job *j, float *phi, xai_explain_diag *dg)
{
    const xai_plan *p = j->plan;
    dg->intercept = NAN;
    dg->r2 = NAN;
    xai_status s = XAI_OK;
    if (p->spec.loss == XAI_LOSS_GRADIENT) {
        double sw = weight_sum(j);
        for (size_t k = 0; k < p->D; k++)
            phi[k] = (float)(sw > 0 ? j->gacc[k] / sw : 0.0);
    } else if (p->spec.neighbourhood == XAI_NBHD_MASKS ||
               p->spec.neighbourhood == XAI_NBHD_ONEHOT) {
        double *pu = calloc(p->U, sizeof *pu);
        if (!pu)
            return xai_fail(XAI_ERR_NOMEM, "out of memory (%zu units)", p->U);
        if (p->spec.neighbourhood == XAI_NBHD_ONEHOT) {
            /* exact fit on {x} + one-hot: phi_u = f(x) - f(x, u off) */
            double sum = 0;
            for (size_t u = 0; u < p->U; u++)
                sum += pu[u] = j->fx - j->y[u];
            dg->intercept = j->fx - sum;
        } else if (p->spec.kernel == XAI_KERNEL_SHAPLEY) {
            s = solve_shapley(j, pu, dg);
        } else {
            xai_scratch own = {0};
            double *work = fit_scratch(j, &own, xai_wls_work(j->S, p->U));
            xai_wls_design d = {.mask = j->mask};
            s = work ? xai_wls_fit(&d, j->y, j->w, j->S, p->U, 1, p->opt.ridge, work, pu,
                                   &dg->intercept, &dg->r2)
                     : xai_fail(XAI_ERR_NOMEM, "out of memory (design %zu x %zu)", j->S,
                                p->U);
            xai_scratch_free(&own);
        }
        if (s == XAI_OK)
            spread_units(p, pu, phi);
        free(pu);
    } else {
        s = solve_points(j, phi, dg);
    }
    if (s != XAI_OK)
        return s;
    double sum = 0;
    for (size_t k = 0; k < p->D; k++) {
        if (!isfinite(phi[k]))
            return xai_fail(XAI_ERR_NUMERIC, "attribution of feature %zu is not "
                            "finite", k);
        sum += phi[k];
    }
    dg->completeness_gap = fabs(sum - (j->fx - j->fb));
    return XAI_OK;
}

/* Weighted variance of r: the squared loss with the best intercept. */
static double wvar(const double *r, const double *w, size_t n)
{
    double sw = 0, swr = 0, v = 0;
    for (size_t i = 0; i < n; i++)
        sw += w ? w[i] : 1, swr += (w ? w[i] : 1) * r[i];
    double m = swr / sw;
    for (size_t i = 0; i < n; i++)
        v += (w ? w[i] : 1) * (r[i] - m) * (r[i] - m);
    return v / sw;
}

xai_status xai_loss_job(xai_job *j, double *loss)
{
    const xai_plan *p = j->plan;
    const float *phi = j->phi_in;
    if (p->spec.loss == XAI_LOSS_GRADIENT) {
        *loss = j->gloss / weight_sum(j);
        return XAI_OK;
    }
    size_t n = p->spec.neighbourhood == XAI_NBHD_ONEHOT ? p->U + 1 : j->S;
    double *r = malloc((n ? n : 1) * sizeof *r), *pu = calloc(p->U + 1, sizeof *pu);
    if (!r || !pu) {
        free(r), free(pu);
        return xai_fail(XAI_ERR_NOMEM, "out of memory (%zu samples)", n);
    }
    if (p->spec.neighbourhood == XAI_NBHD_MASKS || p->spec.neighbourhood == XAI_NBHD_ONEHOT) {
        double tot = 0; /* phi of a unit: the sum over its features */
        for (size_t u = 0; u < p->U; u++) {
            for (size_t k = p->ustart[u]; k < p->ustart[u + 1]; k++)
                pu[u] += phi[p->ufeat[k]];
            tot += pu[u];
        }
        if (p->spec.neighbourhood == XAI_NBHD_ONEHOT) {
            r[0] = j->fx - tot;
            for (size_t u = 0; u < p->U; u++)
                r[u + 1] = j->y[u] - (tot - pu[u]);
            *loss = wvar(r, NULL, n);
        } else {
            for (size_t s = 0; s < j->S; s++) {
                double g = 0;
                for (size_t u = 0; u < p->U; u++)
                    g += pu[u] * j->mask[s * p->U + u];
                r[s] = j->y[s] - g;
            }
            if (p->spec.kernel == XAI_KERNEL_SHAPLEY) {
                double sw = 0, v = 0, gap = tot - (j->fx - j->fb);
                for (size_t s = 0; s < j->S; s++)
                    sw += j->w[s], v += j->w[s] * (r[s] - j->fb) * (r[s] - j->fb);
                *loss = (sw > 0 ? v / sw : 0) + SHAPLEY_PENALTY * gap * gap;
            } else {
                *loss = wvar(r, j->w, j->S);
            }
        }
    } else {
        for (size_t s = 0; s < j->S; s++) {
            double g = 0;
            for (size_t k = 0; k < p->D; k++)
                g += phi[k] * ((double)j->pts[s * p->D + k] - j->x[k]);
            r[s] = j->y[s] - g;
        }
        *loss = wvar(r, j->w, j->S);
    }
    free(r), free(pu);
    return XAI_OK;
}
