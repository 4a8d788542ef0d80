/* bench/bench_shapley_odd.c: the time of KernelSHAP's interaction fit
 * (explainers/shapley_odd.c) per row, against the same run's time of the
 * one step it cannot avoid, the Cholesky factorisation of its N x N matrix
 * (N = pairs + 1, LAPACK dpotrf on a positive definite matrix of the same
 * order).  A fit at 1.0x the Cholesky would spend nothing else.  Also the
 * time of a fit whose coalitions and weights the thread's scratch already
 * holds the factors of (a row with the same coalitions as the previous one;
 * the sampler draws new ones per row today).  Random pairs on M = 23 units
 * (the mlp23 case of bench_vs_torch at 1000 coalitions is M = 23, 500
 * pairs).  Prints figures, never fails. */
#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xai/xai.h>

#include "explainers/lfa.h"
#include "one_blas_thread.h"

enum { M = 23, REPS = 15 };

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Seconds per fit of n random pairs (best of REPS), or NAN; `kept`: with
 * the factors of the previous rep's coalitions kept. */
static double time_fit(size_t n, xai_scratch *scr, int kept)
{
    uint8_t *mask = malloc(2 * n * M);
    double *w = malloc(2 * n * sizeof *w), *y = malloc(2 * n * sizeof *y);
    if (!mask || !w || !y) {
        free(mask), free(w), free(y);
        return NAN;
    }
    xai_rng rng;
    xai_rng_init(&rng, 1, n);
    for (size_t q = 0; q < n; q++) {
        size_t on = 0;
        for (size_t u = 0; u < M; u++) {
            mask[2 * q * M + u] = (uint8_t)(xai_rng_uniform(&rng) < 0.5);
            mask[(2 * q + 1) * M + u] = !mask[2 * q * M + u];
            on += mask[2 * q * M + u];
        }
        w[2 * q] = w[2 * q + 1] = 1.0 / (1.0 + (double)(on < M - on ? on : M - on));
        y[2 * q] = sin(0.1 * (double)on) + 0.1 * xai_rng_normal(&rng);
        y[2 * q + 1] = cos(0.1 * (double)on);
    }
    xai_plan p;
    memset(&p, 0, sizeof p);
    p.U = M;
    xai_job j;
    memset(&j, 0, sizeof j);
    j.plan = &p;
    j.S = 2 * n;
    j.mask = mask, j.w = w, j.y = y;
    j.fx = 0.9, j.fb = 0.1;
    j.paired = 1;
    j.scratch = scr;
    double pu[M], best = INFINITY;
    for (int r = 0; r < REPS; r++) {
        int used = 0;
        if (!kept)
            scr->holds = NULL; /* as if the coalitions were new */
        double t0 = now();
        if (xai_shapley_odd_fit(&j, pu, &used) != XAI_OK || !used) {
            best = NAN;
            break;
        }
        double t = now() - t0;
        best = t < best ? t : best;
    }
    free(mask), free(w), free(y);
    return best;
}

/* Seconds per dpotrf of order N (best of REPS), or NAN. */
static double time_cholesky(size_t N)
{
    double *A = malloc(N * N * sizeof *A), *S = malloc(N * N * sizeof *S);
    if (!A || !S) {
        free(A), free(S);
        return NAN;
    }
    for (size_t c = 0; c < N; c++) /* 1 on the diagonal, 1/2 elsewhere */
        for (size_t r = 0; r < N; r++)
            S[c * N + r] = r == c ? 1.0 : 0.5;
    double best = INFINITY;
    for (int k = 0; k < REPS; k++) {
        memcpy(A, S, N * N * sizeof *A);
        double t0 = now();
        if (LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'U', (lapack_int)N, A, (lapack_int)N) != 0) {
            best = NAN;
            break;
        }
        double t = now() - t0;
        best = t < best ? t : best;
    }
    free(A), free(S);
    return best;
}

int main(int argc, char **argv)
{
    (void)argc;
    one_blas_thread(argv);
    openblas_set_num_threads(1);
    printf("KernelSHAP interaction fit, M = %d units, 1 thread (best of %d)\n", M, REPS);
    printf("%8s %12s %14s %8s %16s\n", "pairs", "fit ms", "Cholesky ms", "ratio",
           "kept factors ms");
    static const size_t pairs[] = {125, 250, 500};
    xai_scratch scr = {0};
    for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++) {
        double f = time_fit(pairs[i], &scr, 0), c = time_cholesky(pairs[i] + 1);
        double k = time_fit(pairs[i], &scr, 1);
        printf("%8zu %12.3f %14.3f %8.2f %16.3f\n", pairs[i], 1e3 * f, 1e3 * c, f / c, 1e3 * k);
    }
    xai_scratch_free(&scr);
    return 0;
}
