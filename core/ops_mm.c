/* core/ops_mm.c: xai's own small matrix product, C = alpha A B (+ C), used by
 * dense and convolution layers whose weights are small (see g_mm_fits).
 *
 * Why our own: a row of a batch must get bit-identical results whatever
 * batch it is in and wherever it sits.  Here every output element is one
 * chain of fused multiply-adds over k = 0, 1, ..., K-1 starting from 0, then
 * times alpha, then plus C when accumulating.  The register tiling only
 * decides which outputs are computed side by side, never the order of a
 * chain, so an element's value cannot depend on M, on its row's position,
 * or on the tile it falls in (the masked tail columns run the same
 * instructions).  It is also much cheaper than a BLAS call for the narrow
 * layers of tabular models and for one sample's convolution.  On x86-64
 * with AVX-512 (checked at run time) products more than 8 columns wide run
 * in tiles of 16-float vectors (6 to 12 rows x 1 to 4 vectors, the last
 * vector masked); with AVX2 and FMA the tiles are 8 rows x 8 columns or 4
 * rows x 16 columns of 8-float vectors; elsewhere a scalar loop with the
 * same chain order (a * b + c, unfused: the build uses -ffp-contract=off
 * through -std=c11).  All paths form the same chains, so they agree to the
 * bit. */
#include <string.h>

#include "ops.h"
#include "simd.h"

#ifdef G_X86
#define G_MM_AVX2 1
#endif

/* Row k of B starts at B + boff[k] when boff, else at B + k ldb. */
#define B_ROW(k) (boff ? B + boff[k] : B + (k) * ldb)

void g_mm_scalar(size_t M, size_t N, size_t K, float alpha, const float *A, size_t lda,
                 const float *B, size_t ldb, const size_t *boff, float *C, size_t ldc,
                 int accumulate, const float *bias)
{
    for (size_t i = 0; i < M; i++)
        for (size_t j = 0; j < N; j++) {
            float acc = 0.0f;
            for (size_t k = 0; k < K; k++)
                acc = acc + A[i * lda + k] * B_ROW(k)[j];
            acc = alpha * acc;
            acc = accumulate ? C[i * ldc + j] + acc : acc;
            C[i * ldc + j] = bias ? acc + bias[j] : acc;
        }
}

#ifdef G_MM_AVX2
/* An mr x (8 nv) tile; the last vector is masked to `tail` columns
 * (1..8).  mr and nv are constants after inlining. */
__attribute__((target("avx2,fma"), always_inline)) static inline void
tile(int mr, int nv, int tail, size_t K, float alpha, const float *A, size_t lda,
     const float *B, size_t ldb, const size_t *boff, float *C, size_t ldc, int accumulate,
     const float *bias)
{
    __m256 acc[8][2];
    _Pragma("GCC unroll 8")
    for (int i = 0; i < mr; i++)
        _Pragma("GCC unroll 8")
        for (int v = 0; v < nv; v++)
            acc[i][v] = _mm256_setzero_ps();
    static const int32_t ramp[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(tail),
                                      _mm256_loadu_si256((const __m256i *)ramp));
    int full = tail == 8;
    for (size_t k = 0; k < K; k++) {
        __m256 b[2];
        const float *bk = B_ROW(k);
        _Pragma("GCC unroll 8")
        for (int v = 0; v < nv; v++)
            b[v] = v + 1 < nv ? _mm256_loadu_ps(bk + 8 * v)
                              : _mm256_maskload_ps(bk + 8 * v, mask); /* all-ones if full */
        _Pragma("GCC unroll 8")
        for (int i = 0; i < mr; i++) {
            __m256 a = _mm256_broadcast_ss(A + (size_t)i * lda + k);
            _Pragma("GCC unroll 8")
            for (int v = 0; v < nv; v++)
                acc[i][v] = _mm256_fmadd_ps(a, b[v], acc[i][v]);
        }
    }
    __m256 al = _mm256_set1_ps(alpha);
    _Pragma("GCC unroll 8")
    for (int i = 0; i < mr; i++)
        _Pragma("GCC unroll 8")
        for (int v = 0; v < nv; v++) {
            float *c = C + (size_t)i * ldc + 8 * v;
            int last = v + 1 == nv && !full;
            __m256 r = _mm256_mul_ps(al, acc[i][v]);
            if (accumulate)
                r = _mm256_add_ps(last ? _mm256_maskload_ps(c, mask) : _mm256_loadu_ps(c), r);
            if (bias)
                r = _mm256_add_ps(r, last ? _mm256_maskload_ps(bias + 8 * v, mask)
                                          : _mm256_loadu_ps(bias + 8 * v));
            if (last)
                _mm256_maskstore_ps(c, mask, r);
            else
                _mm256_storeu_ps(c, r);
        }
}

/* Rows i0..M-1 of one column block: full tiles of `rows`, then one tail. */
#define ROWS_OF(R, NV)                                                              \
    __attribute__((target("avx2,fma"))) static void rows_##R##_##NV(                \
        size_t M, int tail, size_t K, float alpha, const float *A, size_t lda,      \
        const float *B, size_t ldb, const size_t *boff, float *C, size_t ldc,       \
        int accumulate, const float *bias)                                          \
    {                                                                               \
        size_t i = 0;                                                               \
        for (; i + R <= M; i += R)                                                  \
            tile(R, NV, tail, K, alpha, A + i * lda, lda, B, ldb, boff, C + i * ldc,  \
                 ldc, accumulate, bias);                                            \
        switch (M - i) {                                                            \
        case 7: tile(7, NV, tail, K, alpha, A + i * lda, lda, B, ldb, boff, C + i * ldc, ldc, accumulate, bias); break; \
        case 6: tile(6, NV, tail, K, alpha, A + i * lda, lda, B, ldb, boff, C + i * ldc, ldc, accumulate, bias); break; \
        case 5: tile(5, NV, tail, K, alpha, A + i * lda, lda, B, ldb, boff, C + i * ldc, ldc, accumulate, bias); break; \
        case 4: tile(4, NV, tail, K, alpha, A + i * lda, lda, B, ldb, boff, C + i * ldc, ldc, accumulate, bias); break; \
        case 3: tile(3, NV, tail, K, alpha, A + i * lda, lda, B, ldb, boff, C + i * ldc, ldc, accumulate, bias); break; \
        case 2: tile(2, NV, tail, K, alpha, A + i * lda, lda, B, ldb, boff, C + i * ldc, ldc, accumulate, bias); break; \
        case 1: tile(1, NV, tail, K, alpha, A + i * lda, lda, B, ldb, boff, C + i * ldc, ldc, accumulate, bias); break; \
        default: break;                                                             \
        }                                                                           \
    }
ROWS_OF(8, 1)
ROWS_OF(4, 2)

__attribute__((target("avx2,fma"))) static void
mm_avx2(size_t M, size_t N, size_t K, float alpha, const float *A, size_t lda,
        const float *B, size_t ldb, const size_t *boff, float *C, size_t ldc, int accumulate,
        const float *bias)
{
    size_t j = 0;
    for (; j + 16 <= N; j += 16)
        rows_4_2(M, 8, K, alpha, A, lda, B + j, ldb, boff, C + j, ldc, accumulate,
                 bias ? bias + j : NULL);
    if (N - j > 8)
        rows_4_2(M, (int)(N - j - 8), K, alpha, A, lda, B + j, ldb, boff, C + j, ldc,
                 accumulate, bias ? bias + j : NULL);
    else if (N > j)
        rows_8_1(M, (int)(N - j), K, alpha, A, lda, B + j, ldb, boff, C + j, ldc, accumulate,
                 bias ? bias + j : NULL);
}

/* AVX-512: an mr x (16 nv) tile, the last vector masked by `mask`. */
__attribute__((target("avx512f"), always_inline)) static inline void
tile512(int mr, int nv, __mmask16 mask, size_t K, float alpha, const float *A, size_t lda,
        const float *B, size_t ldb, const size_t *boff, float *C, size_t ldc,
        int accumulate, const float *bias)
{
    __m512 acc[12][4];
    _Pragma("GCC unroll 12")
    for (int i = 0; i < mr; i++)
        _Pragma("GCC unroll 4")
        for (int v = 0; v < nv; v++)
            acc[i][v] = _mm512_setzero_ps();
    for (size_t k = 0; k < K; k++) {
        __m512 b[4];
        const float *bk = B_ROW(k);
        _Pragma("GCC unroll 4")
        for (int v = 0; v < nv; v++)
            b[v] = v + 1 < nv ? _mm512_loadu_ps(bk + 16 * v)
                              : _mm512_maskz_loadu_ps(mask, bk + 16 * v);
        _Pragma("GCC unroll 12")
        for (int i = 0; i < mr; i++) {
            __m512 a = _mm512_set1_ps(A[(size_t)i * lda + k]);
            _Pragma("GCC unroll 4")
            for (int v = 0; v < nv; v++)
                acc[i][v] = _mm512_fmadd_ps(a, b[v], acc[i][v]);
        }
    }
    __m512 al = _mm512_set1_ps(alpha);
    _Pragma("GCC unroll 12")
    for (int i = 0; i < mr; i++)
        _Pragma("GCC unroll 4")
        for (int v = 0; v < nv; v++) {
            float *c = C + (size_t)i * ldc + 16 * v;
            __mmask16 mv = v + 1 < nv ? (__mmask16)0xFFFF : mask;
            __m512 r = _mm512_mul_ps(al, acc[i][v]);
            if (accumulate)
                r = _mm512_add_ps(_mm512_maskz_loadu_ps(mv, c), r);
            if (bias)
                r = _mm512_add_ps(r, _mm512_maskz_loadu_ps(mv, bias + 16 * v));
            _mm512_mask_storeu_ps(c, mv, r);
        }
}

#define T512(r) tile512(r, nv_, mask, K, alpha, A + i * lda, lda, B, ldb, boff, C + i * ldc, ldc, accumulate, bias)
/* Rows 0..M-1 of one column block of NV vectors: tiles of R rows, then one
 * shorter tile. */
#define ROWS512(R, NV)                                                              \
    __attribute__((target("avx512f"))) static void rows512_##NV(                    \
        size_t M, __mmask16 mask, size_t K, float alpha, const float *A, size_t lda, \
        const float *B, size_t ldb, const size_t *boff, float *C, size_t ldc,       \
        int accumulate, const float *bias)                                          \
    {                                                                               \
        const int nv_ = NV;                                                         \
        size_t i = 0;                                                               \
        for (; i + R <= M; i += R)                                                  \
            T512(R);                                                                \
        switch (M - i) {                                                            \
        case 11: if (R > 11) T512(11); break;                                       \
        case 10: if (R > 10) T512(10); break;                                       \
        case 9: if (R > 9) T512(9); break;                                          \
        case 8: if (R > 8) T512(8); break;                                          \
        case 7: if (R > 7) T512(7); break;                                          \
        case 6: if (R > 6) T512(6); break;                                          \
        case 5: T512(5); break;                                                     \
        case 4: T512(4); break;                                                     \
        case 3: T512(3); break;                                                     \
        case 2: T512(2); break;                                                     \
        case 1: T512(1); break;                                                     \
        default: break;                                                             \
        }                                                                           \
    }
ROWS512(12, 1)
ROWS512(8, 2)
ROWS512(6, 3)
ROWS512(6, 4)

/* Column blocks of 64, then one block of 1 to 4 vectors (N > 8). */
__attribute__((target("avx512f"))) static void
mm_avx512(size_t M, size_t N, size_t K, float alpha, const float *A, size_t lda,
          const float *B, size_t ldb, const size_t *boff, float *C, size_t ldc,
          int accumulate, const float *bias)
{
    size_t j = 0;
    for (; N - j > 64; j += 64)
        rows512_4(M, 0xFFFF, K, alpha, A, lda, B + j, ldb, boff, C + j, ldc, accumulate,
                  bias ? bias + j : NULL);
    size_t r = N - j, nv = (r + 15) / 16, tail = r - 16 * (nv - 1);
    __mmask16 mask = (__mmask16)(tail == 16 ? 0xFFFFu : (1u << tail) - 1);
    const float *bj = bias ? bias + j : NULL;
    switch (nv) {
    case 1: rows512_1(M, mask, K, alpha, A, lda, B + j, ldb, boff, C + j, ldc, accumulate, bj); break;
    case 2: rows512_2(M, mask, K, alpha, A, lda, B + j, ldb, boff, C + j, ldc, accumulate, bj); break;
    case 3: rows512_3(M, mask, K, alpha, A, lda, B + j, ldb, boff, C + j, ldc, accumulate, bj); break;
    default: rows512_4(M, mask, K, alpha, A, lda, B + j, ldb, boff, C + j, ldc, accumulate, bj); break;
    }
}
#endif

void g_mm_bias(size_t M, size_t N, size_t K, float alpha, const float *A, size_t lda,
               const float *B, size_t ldb, const size_t *boff, float *C, size_t ldc,
               int accumulate, const float *bias)
{
#ifdef G_MM_AVX2
    if (N > 8 && g_cpu_avx512()) {
        mm_avx512(M, N, K, alpha, A, lda, B, ldb, boff, C, ldc, accumulate, bias);
        return;
    }
    if (g_cpu_avx2()) {
        mm_avx2(M, N, K, alpha, A, lda, B, ldb, boff, C, ldc, accumulate, bias);
        return;
    }
#endif
    g_mm_scalar(M, N, K, alpha, A, lda, B, ldb, boff, C, ldc, accumulate, bias);
}

void g_mm(size_t M, size_t N, size_t K, float alpha, const float *A, size_t lda,
          const float *B, size_t ldb, const size_t *boff, float *C, size_t ldc,
          int accumulate)
{
    g_mm_bias(M, N, K, alpha, A, lda, B, ldb, boff, C, ldc, accumulate, NULL);
}

int g_mm_fits(size_t k, size_t n)
{
    /* B (k x n) is re-read from cache for every tile of rows; up to 64K
     * floats (256 KiB, the L2 of current cores) this beats a BLAS call at the
     * batch sizes xai runs.  Larger weights go to OpenBLAS in fixed-shape
     * calls (g_gemm_rows, g_conv). */
    return k * n <= ((size_t)1 << 16);
}
