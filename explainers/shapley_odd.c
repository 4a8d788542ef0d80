/* explainers/shapley_odd.c: KernelSHAP from complementary pairs, with
 * interaction terms.
 *
 * In +-1 coordinates x = 2z - 1 a game is a sum of parities chi_T(x) =
 * prod_{i in T} x_i.  The Shapley value of chi_T is 0 for |T| even and
 * 2/|T| to each member of T for |T| odd, so phi depends on the odd part of
 * the game only, and a pair (z, complement) measures that part exactly at x:
 * d(x) = (v(z) - v(zbar)) / 2.  Paired linear KernelSHAP fits d with the
 * degree-1 parities, and the degree-3, 5, ... parts of d leak into phi as
 * sampling error.  Here d is fitted with the degree-1 terms free and the
 * degree-3 and degree-5 terms under a Gaussian prior (kernel ridge
 * regression: the k-additive fit of Pelegrina et al., "k-additive
 * KernelSHAP", restricted to the odd part that pairs leave), with the
 * efficiency constraint d(1) = (f(x) - f(b)) / 2 as a noiseless observation,
 * and phi is read off the fitted function.  The kernel of the degree-k
 * parities, sum_{|T|=k} chi_T(x) chi_T(x'), is the elementary symmetric
 * polynomial e_k of the products x_i x'_i, so it depends only on how many
 * units x and x' agree on.  Cost: one Cholesky of order n + 1 (n pairs). */
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "lfa.h"

/* Prior variance of the degree-3 and degree-5 parts of d at one point, in
 * units where the sample weights sum to 1 (the per-pair noise variance is
 * 1 / weight).  Chosen on the credit model at M = 20 (bench_kernelshap):
 * the error is flat within 5% for R3 between 1e4 and 1e5. */
#define PRIOR_DEG3 3.4e4
#define PRIOR_DEG5 1.5e3

/* Above this many pairs the linear fit (solve.c) takes over: the O(n^3)
 * solve costs about 3 ms per row at 512 pairs and 18 ms at 1044 (the
 * default budget at M = 20), which for a small model is 10-20 times the
 * model's own time; at large budgets the linear fit's error is already
 * below the interaction fit's at 1000 coalitions. */
#define ODD_FIT_MAX_PAIRS 512

/* e_k over a +-1 vector with `plus` ones and `minus` minus-ones, k = 0..5:
 * the coefficients of (1 + t)^plus (1 - t)^minus. */
static void esym(size_t plus, size_t minus, double e[6])
{
    memset(e, 0, 6 * sizeof *e);
    e[0] = 1;
    for (size_t i = 0; i < plus + minus; i++) {
        double sg = i < plus ? 1.0 : -1.0;
        for (int k = 5; k >= 1; k--)
            e[k] += sg * e[k - 1];
    }
}

static size_t agree(const uint64_t *a, const uint64_t *b, size_t words, size_t M)
{
    size_t diff = 0;
    for (size_t w = 0; w < words; w++)
        diff += (size_t)__builtin_popcountll(a[w] ^ b[w]);
    return M - diff;
}

xai_status xai_shapley_odd_fit(const xai_job *j, double *pu, int *used)
{
    const xai_plan *p = j->plan;
    size_t M = p->U, n = j->S / 2, N = n + 1, words = (M + 63) / 64;
    *used = 0;
    if (!j->paired || M < 3 || n == 0 || n > ODD_FIT_MAX_PAIRS || p->opt.ridge != 0)
        return XAI_OK;
    double wsum = 0;
    for (size_t s = 0; s < j->S; s++) {
        if (!isfinite(j->y[s]) || !(j->w[s] > 0))
            return XAI_OK; /* the linear fit names the sample */
        wsum += j->w[s];
    }
    if (!isfinite(wsum))
        return XAI_OK;
    double *sig = malloc(N * N * sizeof *sig), *rhs = malloc(N * (M + 1) * sizeof *rhs);
    uint64_t *bits = calloc(N * words, sizeof *bits);
    size_t *plus = malloc(N * sizeof *plus);
    /* kern[m]: rho3 e3 + rho5 e5 at m agreements; lead[k][a]: e_{k-1} over
     * M - 1 units with a plus-ones (k = 3, 5) */
    double *kern = malloc((M + 1) * sizeof *kern), *lead = malloc(2 * M * sizeof *lead);
    double A[64 * 64], *Ah = NULL, *a = malloc(M * sizeof *a);
    if (M > 64)
        Ah = malloc(M * M * sizeof *Ah);
    double *G = M > 64 ? Ah : A;
    xai_status st = XAI_OK;
    if (!sig || !rhs || !bits || !plus || !kern || !lead || !a || (M > 64 && !Ah)) {
        st = xai_fail(XAI_ERR_NOMEM, "out of memory (KernelSHAP fit of %zu pairs)", n);
        goto out;
    }
    double c3 = 1, c5 = 1; /* C(M, 3), C(M, 5) */
    for (size_t i = 0; i < 3; i++)
        c3 = c3 * (double)(M - i) / (double)(i + 1);
    for (size_t i = 0; i < 5; i++)
        c5 = c5 * (double)(M > i ? M - i : 0) / (double)(i + 1);
    double rho3 = PRIOR_DEG3 / c3, rho5 = c5 > 0 ? PRIOR_DEG5 / c5 : 0;
    for (size_t m = 0; m <= M; m++) {
        double e[6];
        esym(m, M - m, e);
        kern[m] = rho3 * e[3] + rho5 * e[5];
    }
    for (size_t c = 0; c < M; c++) {
        double e[6];
        esym(c, M - 1 - c, e);
        lead[c] = rho3 * (2.0 / 3.0) * e[2];
        lead[M + c] = rho5 * (2.0 / 5.0) * e[4];
    }
    /* points: pair q's first member (rows 2q, 2q + 1 are complements), and
     * x = 1 (every unit kept) for the constraint */
    for (size_t q = 0; q < N; q++) {
        const uint8_t *z = q < n ? j->mask + 2 * q * M : NULL;
        plus[q] = 0;
        for (size_t u = 0; u < M; u++) {
            int on = z ? z[u] != 0 : 1;
            bits[q * words + u / 64] |= (uint64_t)on << (u % 64);
            rhs[u * N + q] = on ? 1.0 : -1.0;
            plus[q] += (size_t)on;
        }
        rhs[M * N + q] = q < n ? (j->y[2 * q] - j->y[2 * q + 1]) / 2 : (j->fx - j->fb) / 2;
    }
    for (size_t q = 0; q < N; q++) {
        for (size_t t = 0; t <= q; t++)
            sig[q * N + t] = kern[agree(bits + q * words, bits + t * words, words, M)];
        if (q < n)
            sig[q * N + q] += wsum / j->w[2 * q];
    }
    /* Sigma [Y r] = [X d]; sig's row-major lower triangle is the column-major
     * upper one, rhs is column-major N x (M + 1) */
    if (LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'U', (lapack_int)N, sig, (lapack_int)N) != 0 ||
        LAPACKE_dpotrs(LAPACK_COL_MAJOR, 'U', (lapack_int)N, (lapack_int)(M + 1), sig,
                       (lapack_int)N, rhs, (lapack_int)N) != 0)
        goto out; /* not positive definite: the linear fit takes over */
    /* GLS for the free degree-1 terms: (X' Y) a = X' r */
    for (size_t u = 0; u < M; u++) {
        for (size_t v = 0; v <= M; v++) {
            double acc = 0;
            for (size_t q = 0; q < N; q++) {
                double xu = bits[q * words + u / 64] >> (u % 64) & 1 ? 1.0 : -1.0;
                acc += xu * rhs[v * N + q];
            }
            if (v < M)
                G[u * M + v] = acc;
            else
                a[u] = acc;
        }
    }
    if (LAPACKE_dposv(LAPACK_ROW_MAJOR, 'L', (lapack_int)M, 1, G, (lapack_int)M, a, 1) != 0)
        goto out;
    /* alpha = r - Y a; phi_i = 2 a_i + sum_q alpha_q x_qi sum_k rho_k (2/k)
     * e_{k-1}(x_q without i) */
    for (size_t u = 0; u < M; u++)
        pu[u] = 2 * a[u];
    for (size_t q = 0; q < N; q++) {
        double al = rhs[M * N + q];
        for (size_t u = 0; u < M; u++)
            al -= rhs[u * N + q] * a[u];
        const uint64_t *b = bits + q * words;
        for (size_t u = 0; u < M; u++) {
            int on = b[u / 64] >> (u % 64) & 1;
            size_t others = plus[q] - (size_t)on;
            double l = lead[others] + lead[M + others];
            pu[u] += on ? al * l : -al * l;
        }
    }
    *used = 1;
out:
    free(sig), free(rhs), free(bits), free(plus), free(kern), free(lead), free(Ah), free(a);
    return st;
}
