/* tests/test_mm_paths.c: xai's matrix kernel called directly, on every path
 * this CPU can take (the one g_mm_bias picks: AVX-512 or AVX2 tiles) and on
 * the portable scalar path CPUs without AVX2/FMA take, against a
 * double-precision evaluation of C = (alpha A B (+ C)) + bias, with rows of
 * B given by offsets (as convolutions do) or by a stride, over shapes that
 * cover tile and vector tails. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/ops.h"

static float val(size_t i, unsigned salt)
{
    uint64_t h = (i + 1) * 0x9E3779B97F4A7C15ull ^ (uint64_t)salt * 0xBF58476D1CE4E5B9ull;
    h ^= h >> 29;
    return (float)((double)(h % 20001) / 10000.0 - 1.0);
}

typedef void (*mm_fn)(size_t, size_t, size_t, float, const float *, size_t, const float *,
                      size_t, const size_t *, float *, size_t, int, const float *);

static void one_case(mm_fn fn, const char *path, size_t M, size_t N, size_t K, int acc,
                     int with_bias, int with_boff)
{
    size_t lda = K + 2, ldb = N + 3, ldc = N + 1;
    float *A = malloc(M * lda * sizeof *A), *B = malloc((K + 1) * ldb * sizeof *B);
    float *C = malloc(M * ldc * sizeof *C), *C0 = malloc(M * ldc * sizeof *C0);
    float *bias = malloc(N * sizeof *bias);
    size_t *boff = malloc(K * sizeof *boff);
    assert_true(A && B && C && C0 && bias && boff);
    for (size_t i = 0; i < M * lda; i++)
        A[i] = val(i, 1);
    for (size_t i = 0; i < (K + 1) * ldb; i++)
        B[i] = val(i, 2);
    for (size_t i = 0; i < M * ldc; i++)
        C[i] = C0[i] = val(i, 3);
    for (size_t j = 0; j < N; j++)
        bias[j] = val(j, 4);
    for (size_t k = 0; k < K; k++) /* rows of B in reverse order, one row later */
        boff[k] = (K - k) * ldb;
    float alpha = 0.75f;
    fn(M, N, K, alpha, A, lda, B, ldb, with_boff ? boff : NULL, C, ldc, acc,
       with_bias ? bias : NULL);
    for (size_t i = 0; i < M; i++)
        for (size_t j = 0; j < ldc; j++) {
            double want = C0[i * ldc + j];
            if (j < N) {
                double s = 0;
                for (size_t k = 0; k < K; k++)
                    s += (double)A[i * lda + k] *
                         B[(with_boff ? boff[k] : k * ldb) + j];
                want = alpha * s + (acc ? want : 0.0) + (with_bias ? bias[j] : 0.0);
            }
            /* columns past N must be untouched */
            double tol = j < N ? 1e-5 * (1.0 + (double)K) : 0.0;
            if (fabs((double)C[i * ldc + j] - want) > tol)
                fail_msg("%s path, M %zu N %zu K %zu acc %d bias %d boff %d: C[%zu][%zu] "
                         "= %.9g, want %.9g", path, M, N, K, acc, with_bias, with_boff, i, j,
                         (double)C[i * ldc + j], want);
        }
    free(A), free(B), free(C), free(C0), free(bias), free(boff);
}

static void every_path_and_shape(void **state)
{
    (void)state;
    static const size_t Ms[] = {1, 5, 13, 25}, Ns[] = {1, 7, 8, 9, 16, 33, 70},
                        Ks[] = {1, 3, 17};
    for (size_t a = 0; a < 4; a++)
        for (size_t b = 0; b < 7; b++)
            for (size_t c = 0; c < 3; c++)
                for (int flags = 0; flags < 8; flags++) {
                    one_case(g_mm_bias, "chosen", Ms[a], Ns[b], Ks[c], flags & 1,
                             (flags >> 1) & 1, (flags >> 2) & 1);
                    one_case(g_mm_scalar, "scalar", Ms[a], Ns[b], Ks[c], flags & 1,
                             (flags >> 1) & 1, (flags >> 2) & 1);
                }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_path_and_shape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
