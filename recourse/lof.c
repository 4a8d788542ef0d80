/* recourse/lof.c: the local outlier factor (Breunig et al., 2000) of a point
 * among the accepted training rows, in the scaled space (Euclidean):
 *   reach(p, o) = max(kdist(o), |p - o|),
 *   lrd(p) = 1 / (mean_{o in N_k(p)} reach(p, o) + 1e-10),
 *   LOF(p) = mean_{o in N_k(p)} lrd(o) / lrd(p),
 * N_k the k nearest rows (ties: lower index first); a training row is not its
 * own neighbour.  About 1 for a point inside the data, larger outside. */
#include <math.h>
#include <stdlib.h>

#include "core/error.h"
#include "recourse_impl.h"

static double dist(const xai_recourse *rc, const float *a, const float *b)
{
    double s = 0;
    for (size_t j = 0; j < rc->d; j++) {
        double t = ((double)a[j] - b[j]) / rc->scale[j];
        s += t * t;
    }
    return sqrt(s);
}

/* The k nearest accepted rows of p (skipping row `self`, or none when
 * SIZE_MAX), ascending: idx and dd have k entries; returns how many. */
static size_t knn(const xai_recourse *rc, const float *p, size_t self, size_t k,
                  size_t *idx, double *dd)
{
    size_t have = 0;
    for (size_t i = 0; i < rc->n_acc; i++) {
        if (i == self)
            continue;
        double v = dist(rc, p, rc->acc + i * rc->d);
        if (have == k && v >= dd[k - 1])
            continue;
        size_t at = have < k ? have++ : k - 1;
        while (at > 0 && dd[at - 1] > v) {
            dd[at] = dd[at - 1];
            idx[at] = idx[at - 1];
            at--;
        }
        dd[at] = v;
        idx[at] = i;
    }
    return have;
}

static size_t lof_k(const xai_recourse *rc)
{
    size_t k = rc->o.lof_k;
    return k < rc->n_acc - 1 ? k : rc->n_acc - 1;
}

static double lrd_of(const xai_recourse *rc, const size_t *idx, const double *dd, size_t k)
{
    double s = 0;
    for (size_t t = 0; t < k; t++)
        s += dd[t] > rc->acc_kdist[idx[t]] ? dd[t] : rc->acc_kdist[idx[t]];
    return 1.0 / (s / (double)k + 1e-10);
}

xai_status rc_lof_prepare(xai_recourse *rc)
{
    if (rc->n_acc < 2)
        return XAI_OK;
    size_t n = rc->n_acc, k = lof_k(rc);
    rc->acc_kdist = malloc(n * sizeof *rc->acc_kdist);
    rc->acc_lrd = malloc(n * sizeof *rc->acc_lrd);
    size_t *idx = malloc(k * sizeof *idx);
    double *dd = malloc(k * sizeof *dd);
    if (!rc->acc_kdist || !rc->acc_lrd || !idx || !dd) {
        free(idx);
        free(dd);
        return xai_fail(XAI_ERR_NOMEM, "out of memory for the outlier factor");
    }
    for (size_t i = 0; i < n; i++) {
        knn(rc, rc->acc + i * rc->d, i, k, idx, dd);
        rc->acc_kdist[i] = dd[k - 1];
    }
    for (size_t i = 0; i < n; i++) {
        knn(rc, rc->acc + i * rc->d, i, k, idx, dd);
        rc->acc_lrd[i] = lrd_of(rc, idx, dd, k);
    }
    free(idx);
    free(dd);
    return XAI_OK;
}

double rc_lof(const xai_recourse *rc, const float *xp)
{
    if (rc->n_acc < 2 || !rc->acc_lrd)
        return NAN;
    size_t k = lof_k(rc);
    size_t idx[64];
    double dd[64];
    if (k > 64)
        k = 64;
    k = knn(rc, xp, SIZE_MAX, k, idx, dd);
    double lrd = lrd_of(rc, idx, dd, k), s = 0;
    for (size_t t = 0; t < k; t++)
        s += rc->acc_lrd[idx[t]];
    return s / (double)k / lrd;
}
