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
 * units x and x' agree on.
 *
 * The solve: with Sigma = L L' (one Cholesky of order N = n + 1) and
 * W = L^-1 [X d] (one triangular solve, M + 1 right-hand sides), the GLS
 * normal matrix is X' Sigma^-1 X = W_X' W_X, its right-hand side
 * X' Sigma^-1 d = W_X' w_d, and the kernel weights are
 * alpha = Sigma^-1 (d - X a) = L'^-1 (w_d - W_X a). */
#include <cblas.h>
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
 * solve costs about 1.5 ms per row at 500 pairs (M = 23,
 * build/bench/bench_shapley_odd; 1.2 ms of it the Cholesky factorisation)
 * and about 10 ms at 1044 (the default budget at M = 20), which for a small
 * model is many times the model's own time; at large budgets the linear
 * fit's error is already below the interaction fit's at 1000 coalitions. */
#define ODD_FIT_MAX_PAIRS 512

/* Below this reciprocal condition number of X' Sigma^-1 X (dpocon) the
 * degree-1 terms are not determined by the points (e.g. fewer distinct
 * points than units) and the linear fit takes over. */
#define ODD_RCOND_MIN 1e-12

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

/* The lower triangle of column-major Sigma's kernel part:
 * sig[q N + t] = kd[units where points t and q differ], t >= q. */
static inline __attribute__((always_inline)) void
kernel_fill(const uint64_t *bits, size_t words, size_t N, const double *kd, double *sig)
{
    if (words == 1) {
        for (size_t q = 0; q < N; q++) {
            uint64_t b = bits[q];
            double *col = sig + q * N;
            for (size_t t = q; t < N; t++)
                col[t] = kd[__builtin_popcountll(b ^ bits[t])];
        }
        return;
    }
    for (size_t q = 0; q < N; q++)
        for (size_t t = q; t < N; t++) {
            size_t diff = 0;
            for (size_t w = 0; w < words; w++)
                diff += (size_t)__builtin_popcountll(bits[q * words + w] ^ bits[t * words + w]);
            sig[q * N + t] = kd[diff];
        }
}

#if defined(__x86_64__) || defined(__i386__)
/* The build targets baseline x86-64, where __builtin_popcountll is a libgcc
 * call; this copy uses the instruction when the CPU has it. */
__attribute__((target("popcnt"))) static void
kernel_fill_popcnt(const uint64_t *bits, size_t words, size_t N, const double *kd, double *sig)
{
    kernel_fill(bits, words, N, kd, sig);
}
#endif

static void kernel_matrix(const uint64_t *bits, size_t words, size_t N, const double *kd,
                          double *sig)
{
#if defined(__x86_64__) || defined(__i386__)
    if (__builtin_cpu_supports("popcnt")) {
        kernel_fill_popcnt(bits, words, N, kd, sig);
        return;
    }
#endif
    kernel_fill(bits, words, N, kd, sig);
}

/* The fit's buffers, carved from one scratch block in cache-line steps.
 * Everything but d, w_d, a and alpha depends on the coalitions and weights
 * alone (Sigma, its factor, W_X, the factor of G); a fit whose coalitions
 * and weights equal those the scratch holds (key) reuses them. */
typedef struct odd_key {
    size_t S, M;
    int ok; /* the factorisations succeeded and G is well-conditioned */
} odd_key;

typedef struct odd_buf {
    odd_key *key;
    uint8_t *kmask; /* S x M: the coalitions the factors belong to */
    double *kw;     /* S: their weights */
    double *sig;    /* N x N, column-major: Sigma, then its factor L */
    double *W;      /* N x (M + 1), column-major: [X d], then L^-1 [X d] */
    double *G, *a;  /* M x M: X' Sigma^-1 X, then its factor; M: W_X' w_d, then a */
    double *kd;     /* M + 1: kernel at 0..M differing units */
    double *lead;   /* 2M: lead[k][c], see below */
    double *work;   /* 3M: dpocon's */
    lapack_int *iwork; /* M: dpocon's */
    uint64_t *bits; /* N x words: the points' units kept */
    size_t *plus;   /* N: units kept per point */
} odd_buf;

/* The tag of the interaction fit's state in a scratch block. */
static const char odd_tag = 0;

static size_t lines(size_t bytes)
{
    return (bytes + 63) / 64 * 64;
}

static int odd_alloc(xai_scratch *s, size_t S, size_t N, size_t M, size_t words, odd_buf *b)
{
    size_t nn, nm, mm, nw, sm;
    if (!xai_mul_size(N, N, &nn) || !xai_mul_size(N, M + 1, &nm) ||
        !xai_mul_size(M, M, &mm) || !xai_mul_size(N, words, &nw) ||
        !xai_mul_size(S, M, &sm) || nn > SIZE_MAX / 16 || nm > SIZE_MAX / 16 ||
        mm > SIZE_MAX / 16 || nw > SIZE_MAX / 16 || S > SIZE_MAX / 16 || M > SIZE_MAX / 64)
        return 0;
    enum { PARTS = 12 };
    size_t len[PARTS] = {lines(sizeof(odd_key)), lines(sm), lines(S * 8), lines(nn * 8),
                         lines(nm * 8), lines(mm * 8), lines(M * 8), lines((M + 1) * 8),
                         lines(2 * M * 8), lines(3 * M * 8), lines(M * sizeof(lapack_int)),
                         lines(nw * 8)};
    size_t total = lines(N * sizeof(size_t));
    for (int i = 0; i < PARTS; i++) {
        if (total > SIZE_MAX - len[i])
            return 0;
        total += len[i];
    }
    char *p = xai_scratch_get(s, total);
    if (!p)
        return 0;
    b->key = (odd_key *)p, p += len[0];
    b->kmask = (uint8_t *)p, p += len[1];
    b->kw = (double *)p, p += len[2];
    b->sig = (double *)p, p += len[3];
    b->W = (double *)p, p += len[4];
    b->G = (double *)p, p += len[5];
    b->a = (double *)p, p += len[6];
    b->kd = (double *)p, p += len[7];
    b->lead = (double *)p, p += len[8];
    b->work = (double *)p, p += len[9];
    b->iwork = (lapack_int *)p, p += len[10];
    b->bits = (uint64_t *)p, p += len[11];
    b->plus = (size_t *)p;
    return 1;
}

/* The parts of the fit that depend on the coalitions and weights only:
 * kd, lead, the points, Sigma = L L', W_X = L^-1 X, G = W_X' W_X and its
 * factor.  Returns 0 when a factorisation fails or G is too
 * ill-conditioned (the linear fit takes over). */
static int odd_factor(const xai_job *j, odd_buf *b, size_t n, size_t M, size_t words)
{
    size_t N = n + 1;
    lapack_int nl = (lapack_int)N, ml = (lapack_int)M;
    double wsum = 0;
    for (size_t s = 0; s < j->S; s++)
        wsum += j->w[s];
    double c3 = 1, c5 = 1; /* C(M, 3), C(M, 5) */
    for (size_t i = 0; i < 3; i++)
        c3 = c3 * (double)(M - i) / (double)(i + 1);
    for (size_t i = 0; i < 5; i++)
        c5 = c5 * (double)(M > i ? M - i : 0) / (double)(i + 1);
    double rho3 = PRIOR_DEG3 / c3, rho5 = c5 > 0 ? PRIOR_DEG5 / c5 : 0;
    /* kd[m]: rho3 e3 + rho5 e5 at m differing units; lead[k][a]: e_{k-1}
     * over M - 1 units with a plus-ones (k = 3, 5) */
    for (size_t m = 0; m <= M; m++) {
        double e[6];
        esym(M - m, m, e);
        b->kd[m] = rho3 * e[3] + rho5 * e[5];
    }
    for (size_t c = 0; c < M; c++) {
        double e[6];
        esym(c, M - 1 - c, e);
        b->lead[c] = rho3 * (2.0 / 3.0) * e[2];
        b->lead[M + c] = rho5 * (2.0 / 5.0) * e[4];
    }
    /* points: pair q's first member (rows 2q, 2q + 1 are complements), and
     * x = 1 (every unit kept) for the constraint; W_X column-major */
    static const double pm[2] = {-1.0, 1.0}; /* indexed, not branched on: z is random */
    memset(b->bits, 0, N * words * sizeof *b->bits);
    for (size_t q = 0; q < n; q++) {
        const uint8_t *z = j->mask + 2 * q * M;
        size_t cnt = 0;
        for (size_t u = 0; u < M; u++) {
            unsigned on = z[u] != 0;
            b->bits[q * words + u / 64] |= (uint64_t)on << (u % 64);
            b->W[u * N + q] = pm[on];
            cnt += on;
        }
        b->plus[q] = cnt;
    }
    for (size_t u = 0; u < M; u++) {
        b->bits[n * words + u / 64] |= (uint64_t)1 << (u % 64);
        b->W[u * N + n] = 1.0;
    }
    b->plus[n] = M;
    kernel_matrix(b->bits, words, N, b->kd, b->sig);
    for (size_t q = 0; q < n; q++)
        b->sig[q * N + q] += wsum / j->w[2 * q];
    /* the lower factor: OpenBLAS's is about 8% faster than the upper one at
     * N = 501; the _work variants skip LAPACKE's NaN scans (the inputs are
     * finite) */
    if (LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'L', nl, b->sig, nl) != 0)
        return 0;
    cblas_dtrsm(CblasColMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, nl, ml, 1.0,
                b->sig, nl, b->W, nl);
    cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, ml, nl, 1.0, b->W, nl, 0.0, b->G, ml);
    double anorm = 0, rcond = 0; /* 1-norm of the symmetric G */
    for (size_t c = 0; c < M; c++) {
        double sum = 0;
        for (size_t r = 0; r < M; r++)
            sum += fabs(r <= c ? b->G[c * M + r] : b->G[r * M + c]);
        anorm = sum > anorm ? sum : anorm;
    }
    return isfinite(anorm) && LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'U', ml, b->G, ml) == 0 &&
           LAPACKE_dpocon_work(LAPACK_COL_MAJOR, 'U', ml, b->G, ml, anorm, &rcond, b->work,
                               b->iwork) == 0 &&
           rcond >= ODD_RCOND_MIN;
}

/* Whether the scratch holds the factors of j's coalitions and weights. */
static int odd_cached(const xai_scratch *s, const odd_buf *b, const xai_job *j, size_t M)
{
    return s->holds == &odd_tag && b->key->S == j->S && b->key->M == M &&
           memcmp(b->kmask, j->mask, j->S * M) == 0 &&
           memcmp(b->kw, j->w, j->S * sizeof *j->w) == 0;
}

xai_status xai_shapley_odd_fit(const xai_job *j, double *pu, int *used)
{
    const xai_plan *p = j->plan;
    size_t M = p->U, n = j->S / 2, N = n + 1, words = (M + 63) / 64;
    *used = 0;
    /* M > N: X' Sigma^-1 X has rank N < M, the degree-1 terms are not determined */
    if (!j->paired || M < 3 || n == 0 || n > ODD_FIT_MAX_PAIRS || M > N || p->opt.ridge != 0)
        return XAI_OK;
    double wsum = 0;
    for (size_t s = 0; s < j->S; s++) {
        if (!isfinite(j->y[s]) || !(j->w[s] > 0))
            return XAI_OK; /* the linear fit names the sample */
        wsum += j->w[s];
    }
    if (!isfinite(wsum))
        return XAI_OK;
    xai_scratch own = {0}, *scr = j->scratch ? j->scratch : &own;
    odd_buf b;
    if (!odd_alloc(scr, j->S, N, M, words, &b)) {
        xai_scratch_free(&own);
        return xai_fail(XAI_ERR_NOMEM, "out of memory (KernelSHAP fit of %zu pairs)", n);
    }
    if (!odd_cached(scr, &b, j, M)) {
        b.key->ok = odd_factor(j, &b, n, M, words);
        b.key->S = j->S, b.key->M = M;
        memcpy(b.kmask, j->mask, j->S * M);
        memcpy(b.kw, j->w, j->S * sizeof *j->w);
        scr->holds = &odd_tag;
    }
    if (b.key->ok) {
        /* w_d = L^-1 d, a = G^-1 W_X' w_d, alpha = L'^-1 (w_d - W_X a) */
        lapack_int nl = (lapack_int)N, ml = (lapack_int)M;
        double *wd = b.W + M * N;
        for (size_t q = 0; q < n; q++)
            wd[q] = (j->y[2 * q] - j->y[2 * q + 1]) / 2;
        wd[n] = (j->fx - j->fb) / 2;
        cblas_dtrsv(CblasColMajor, CblasLower, CblasNoTrans, CblasNonUnit, nl, b.sig, nl, wd, 1);
        cblas_dgemv(CblasColMajor, CblasTrans, nl, ml, 1.0, b.W, nl, wd, 1, 0.0, b.a, 1);
        LAPACKE_dpotrs_work(LAPACK_COL_MAJOR, 'U', ml, 1, b.G, ml, b.a, ml);
        cblas_dgemv(CblasColMajor, CblasNoTrans, nl, ml, -1.0, b.W, nl, b.a, 1, 1.0, wd, 1);
        cblas_dtrsv(CblasColMajor, CblasLower, CblasTrans, CblasNonUnit, nl, b.sig, nl, wd, 1);
        /* phi_i = 2 a_i + sum_q alpha_q x_qi sum_k rho_k (2/k) e_{k-1}(x_q
         * without i) */
        const double *alpha = wd;
        for (size_t u = 0; u < M; u++)
            pu[u] = 2 * b.a[u];
        for (size_t q = 0; q < N; q++) {
            /* term[on]: a unit's share of point q when it is off (0) or on
             * (1) there; the others kept number plus - on */
            size_t pl = b.plus[q];
            double term[2] = {0, 0};
            if (pl < M)
                term[0] = -alpha[q] * (b.lead[pl] + b.lead[M + pl]);
            if (pl > 0)
                term[1] = alpha[q] * (b.lead[pl - 1] + b.lead[M + pl - 1]);
            const uint64_t *bq = b.bits + q * words;
            for (size_t u = 0; u < M; u++)
                pu[u] += term[bq[u / 64] >> (u % 64) & 1];
        }
        *used = 1;
    }
    xai_scratch_free(&own);
    return XAI_OK;
}
