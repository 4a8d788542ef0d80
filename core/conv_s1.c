/* core/conv_s1.c: stride-1 convolution without im2col, over blocks of
 * samples.
 *
 * The input planes of a block of samples are copied into a zero-padded
 * buffer laid out channel, sample, row (hp), column (wp).  An output at
 * (s, oy, ox) computed at column p = s hp wp + oy wp + ox reads the buffer at
 * p + ch blk hp wp + i d0 wp + j d1 for weight k = (ch, i, j): one offset per
 * k, so the block's convolution is one matrix product W (mg x ck) B whose
 * row k is the buffer shifted by that offset (g_mm's boff).  Columns with
 * ox >= ow or oy >= oh are computed and dropped; a column's reads stay
 * inside its own sample's padded planes.  Each output is one fixed-order
 * chain over k (zeros of the padding included), whatever the block size or
 * the sample's place in it, so results are bit-identical for any batch.
 * When the output rows are a whole number of g_mm tiles wide, each output
 * row is instead its own product written straight into y. */
#include <string.h>

#include "simd.h"
#if !defined(G_X86) && defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "conv_s1.h"
#include "error.h"
#include "ops.h"

/* Scratch per block, in floats: the padded planes and the product stay in
 * L2 while g_mm streams through them. */
#define S1_BLOCK_FLOATS ((int64_t)1 << 11)
/* Columns per product rounded up to g_mm's tile width (16 with AVX-512, 8
 * with AVX2): a partial tile (masked loads / stores, slow on AMD cores; the
 * copy that reads them back cannot forward from a masked store) costs more
 * than the few extra columns.  The pad buffer has S1_COL_SLACK zeroed
 * floats of slack. */
#define S1_COL_SLACK 16
/* Layers with up to this many output channels may take narrow_mm. */
#define S1_NARROW 3
static int64_t col_align(void)
{
#ifdef G_X86
    if (g_cpu_avx512())
        return 16;
#endif
    return 8;
}

xai_status s1_conv_setup(s1_conv *c, const g_params *p, const conv_geo *q, size_t extra,
                         g_ws *ws, float **extra_p)
{
    c->p = p;
    c->q = q;
    c->hp = q->h + p->pads[0] + p->pads[2];
    c->wp = q->w + p->pads[1] + p->pads[3];
    c->img = c->hp * c->wp;
    int64_t per = (q->cg + q->mg) * c->img;
    c->blk = S1_BLOCK_FLOATS / (per ? per : 1);
    if (c->blk > q->n)
        c->blk = q->n;
    if (c->blk < 1)
        c->blk = 1;
    size_t nb = 2 * (size_t)q->ck, npad = (size_t)(q->cg * c->blk * c->img) + S1_COL_SLACK;
    size_t ncb = (size_t)(q->mg * (c->blk * c->img + S1_COL_SLACK));
    XAI_TRY(g_ws_reserve(ws, nb + npad + ncb + extra));
    c->boff = (size_t *)(void *)ws->p; /* malloc'ed: aligned for size_t */
    c->pad = ws->p + nb;
    c->cb = c->pad + npad;
    if (extra_p)
        *extra_p = c->cb + ncb;
    /* the borders stay 0: blocks overwrite only the interiors */
    memset(c->pad, 0, npad * sizeof *c->pad);
    /* The paths, by layer shape and CPU only (never by batch); all give the
     * same chain per output, so the same bits.
     * by_rows: output rows of whole 8-column AVX2 g_mm tiles: one product
     * per output row, straight into y (the plane size as C's row stride),
     * no dropped columns and no copy out; the bias is added afterwards in
     * place (the same sum), and a fresh y is zeroed and added to (the same
     * values as S1_ADD).  With AVX-512 tiles (16 columns, 64-column
     * blocks) the block mode's wide product is faster (digits fwd+VJP +20%),
     * and so is g_mm for few rows (+5% over narrow_mm). */
    c->align = (int)col_align();
    c->narrow = 0;
#ifdef G_X86
    c->narrow = q->mg <= S1_NARROW && g_cpu_avx2() && c->align == 8;
#endif
    c->by_rows = q->ow % 8 == 0 && !c->narrow && c->align == 8;
    size_t k = 0;
    for (int64_t ch = 0; ch < q->cg; ch++)
        for (int64_t i = 0; i < q->kh; i++)
            for (int64_t j = 0; j < q->kw; j++)
                c->boff[k++] = (size_t)(ch * c->blk * c->img + i * p->dilations[0] * c->wp +
                                        j * p->dilations[1]);
    return XAI_OK;
}

/* Plane copies between the padded buffers and the tensors: rows of a few
 * floats (4..32 here), where a memcpy call per row (what GCC turns a plain
 * row loop into) costs more than the copy.  PUT_COPY: d = s; PUT_BIAS:
 * d = s + b (b = 0 for S1_WRITE_ADD0); PUT_ADD: d += s. */
enum { PUT_COPY, PUT_BIAS, PUT_ADD };

/* n planes of rows x width floats: plane k, row r starts at
 * d + k dp + r ds (and s + k sp + r ss); plane k's bias is bias[k] (0
 * without bias). */
typedef struct plane_set {
    float *d;
    const float *s, *bias;
    int64_t dp, ds, sp, ss, n, rows, width;
} plane_set;

#ifdef G_X86
/* 16, 8 and 4 floats per step, the rest (< 4) masked: unmasked moves are
 * the fast ones, and rows here are 4, 8 or 16 wide. */
#define PUT_STEP(LOAD, STORE, ADD, B)                                          \
    do {                                                                       \
        __typeof__(B) v_ = LOAD(sp + i);                                       \
        if (op == PUT_BIAS)                                                    \
            v_ = ADD(v_, B);                                                   \
        else if (op == PUT_ADD)                                                \
            v_ = ADD(LOAD(dp + i), v_);                                        \
        STORE(dp + i, v_);                                                     \
    } while (0)

__attribute__((target("avx512f"))) static void planes_512(const plane_set *ps, int op)
{
    int64_t width = ps->width;
    __mmask16 m = (__mmask16)((1u << (width & 3)) - 1);
    for (int64_t k = 0; k < ps->n; k++) {
        float b = ps->bias ? ps->bias[k] : 0.0f;
        __m512 b16 = _mm512_set1_ps(b);
        __m256 b8 = _mm256_set1_ps(b);
        __m128 b4 = _mm_set1_ps(b);
        for (int64_t r = 0; r < ps->rows; r++) {
            float *dp = ps->d + k * ps->dp + r * ps->ds;
            const float *sp = ps->s + k * ps->sp + r * ps->ss;
            int64_t i = 0;
            for (; i + 16 <= width; i += 16)
                PUT_STEP(_mm512_loadu_ps, _mm512_storeu_ps, _mm512_add_ps, b16);
            if (i + 8 <= width) {
                PUT_STEP(_mm256_loadu_ps, _mm256_storeu_ps, _mm256_add_ps, b8);
                i += 8;
            }
            if (i + 4 <= width) {
                PUT_STEP(_mm_loadu_ps, _mm_storeu_ps, _mm_add_ps, b4);
                i += 4;
            }
            if (m) {
                __m512 v = _mm512_maskz_loadu_ps(m, sp + i);
                if (op == PUT_BIAS)
                    v = _mm512_add_ps(v, b16);
                else if (op == PUT_ADD)
                    v = _mm512_add_ps(_mm512_maskz_loadu_ps(m, dp + i), v);
                _mm512_mask_storeu_ps(dp + i, m, v);
            }
        }
    }
}
#endif

/* Every plane of ps as op (the AVX-512 moves when the CPU has them). */
static void planes(const plane_set *ps, int op)
{
#ifdef G_X86
    if (g_cpu_avx512()) {
        planes_512(ps, op);
        return;
    }
#endif
    for (int64_t k = 0; k < ps->n; k++) {
        float b = ps->bias ? ps->bias[k] : 0.0f;
        for (int64_t r = 0; r < ps->rows; r++) {
            float *dp = ps->d + k * ps->dp + r * ps->ds;
            const float *sp = ps->s + k * ps->sp + r * ps->ss;
            int64_t i = 0;
#ifdef __SSE2__
            __m128 bv = _mm_set1_ps(b);
            for (; i + 4 <= ps->width; i += 4) {
                __m128 v = _mm_loadu_ps(sp + i);
                if (op == PUT_BIAS)
                    v = _mm_add_ps(v, bv);
                else if (op == PUT_ADD)
                    v = _mm_add_ps(_mm_loadu_ps(dp + i), v);
                _mm_storeu_ps(dp + i, v);
            }
#endif
            for (; i < ps->width; i++)
                dp[i] = op == PUT_ADD ? dp[i] + sp[i] : op == PUT_BIAS ? sp[i] + b : sp[i];
        }
    }
}

/* A product with few rows (a layer with 1..S1_NARROW output channels, such
 * as the VJP of a one-channel input): g_mm's AVX2 tiles give each row one
 * or two accumulator chains, so it waits on FMA latency.  Here each row runs 8
 * chains over 64 columns at a time.  The same chain per element as g_mm
 * (0, then one FMA per k in order; alpha is 1), so the same results.  N is
 * a multiple of 8 (the block mode's rounded columns). */

#ifdef G_X86
__attribute__((target("avx2,fma"), always_inline)) static inline void
narrow_tile(int nv, size_t K, const float *a, const float *B, const size_t *boff, float *c)
{
    __m256 acc[8];
    _Pragma("GCC unroll 8")
    for (int v = 0; v < nv; v++)
        acc[v] = _mm256_setzero_ps();
    for (size_t k = 0; k < K; k++) {
        __m256 av = _mm256_broadcast_ss(a + k);
        const float *bk = B + boff[k];
        _Pragma("GCC unroll 8")
        for (int v = 0; v < nv; v++)
            acc[v] = _mm256_fmadd_ps(av, _mm256_loadu_ps(bk + 8 * v), acc[v]);
    }
    _Pragma("GCC unroll 8")
    for (int v = 0; v < nv; v++)
        _mm256_storeu_ps(c + 8 * v, acc[v]);
}

__attribute__((target("avx2,fma"))) static void
narrow_mm(size_t M, size_t N, size_t K, const float *A, const float *B, const size_t *boff,
          float *C, size_t ldc)
{
    for (size_t i = 0; i < M; i++) {
        const float *a = A + i * K;
        float *c = C + i * ldc;
        size_t j = 0;
        for (; j + 64 <= N; j += 64)
            narrow_tile(8, K, a, B + j, boff, c + j);
        switch ((N - j) / 8) {
        case 7: narrow_tile(7, K, a, B + j, boff, c + j); break;
        case 6: narrow_tile(6, K, a, B + j, boff, c + j); break;
        case 5: narrow_tile(5, K, a, B + j, boff, c + j); break;
        case 4: narrow_tile(4, K, a, B + j, boff, c + j); break;
        case 3: narrow_tile(3, K, a, B + j, boff, c + j); break;
        case 2: narrow_tile(2, K, a, B + j, boff, c + j); break;
        case 1: narrow_tile(1, K, a, B + j, boff, c + j); break;
        default: break;
        }
    }
}
#endif

void s1_conv_run(const s1_conv *c, const float *x, const float *w, const float *bias,
                 float *y, s1_mode mode)
{
    const conv_geo *q = c->q;
    int64_t pt = c->p->pads[0], pl = c->p->pads[1];
    size_t xs = (size_t)(q->c * q->h * q->w), ys = (size_t)(q->m * q->hw);
    /* no bias: a copy keeps -0 (as the product left it) */
    int op = mode == S1_ADD ? PUT_ADD : mode == S1_WRITE && !bias ? PUT_COPY : PUT_BIAS;
    int narrow = c->narrow, by_rows = c->by_rows;
    size_t align = (size_t)c->align;
    for (int64_t s0 = 0; s0 < q->n; s0 += c->blk) {
        int64_t nb = q->n - s0 < c->blk ? q->n - s0 : c->blk;
        size_t ncols = (size_t)((nb - 1) * c->img + (q->oh - 1) * c->wp + q->ow);
        ncols = (ncols + align - 1) / align * align;
        for (int64_t gi = 0; gi < q->grp; gi++) {
            for (int64_t s = 0; s < nb; s++) {
                plane_set in = {c->pad + (s * c->hp + pt) * c->wp + pl,
                                x + (size_t)(s0 + s) * xs + (size_t)(gi * q->cg * q->h * q->w),
                                NULL, c->blk * c->img, c->wp, q->h * q->w, q->w, q->cg,
                                q->h, q->w};
                planes(&in, PUT_COPY);
            }
            const float *wg = w + gi * q->mg * q->ck;
            if (by_rows) {
                for (int64_t s = 0; s < nb; s++) {
                    float *yg = y + (size_t)(s0 + s) * ys + (size_t)(gi * q->mg * q->hw);
                    if (mode == S1_WRITE_ADD0)
                        memset(yg, 0, (size_t)(q->mg * q->hw) * sizeof *yg);
                    for (int64_t oy = 0; oy < q->oh; oy++)
                        g_mm((size_t)q->mg, (size_t)q->ow, (size_t)q->ck, 1.0f, wg,
                             (size_t)q->ck, c->pad + s * c->img + oy * c->wp, 0, c->boff,
                             yg + oy * q->ow, (size_t)q->hw, mode != S1_WRITE);
                    plane_set bs = {yg, yg, bias ? bias + gi * q->mg : NULL, q->hw, q->hw,
                                    q->hw, q->hw, q->mg, 1, q->hw};
                    if (bias && mode == S1_WRITE)
                        planes(&bs, PUT_BIAS);
                }
                continue;
            }
#ifdef G_X86
            if (narrow)
                narrow_mm((size_t)q->mg, ncols, (size_t)q->ck, wg, c->pad, c->boff, c->cb,
                          ncols);
            else
#endif
                g_mm((size_t)q->mg, ncols, (size_t)q->ck, 1.0f, wg, (size_t)q->ck, c->pad,
                     0, c->boff, c->cb, ncols, 0);
            for (int64_t s = 0; s < nb; s++) {
                plane_set out = {y + (size_t)(s0 + s) * ys + (size_t)(gi * q->mg * q->hw),
                                 c->cb + s * c->img, bias ? bias + gi * q->mg : NULL, q->hw,
                                 q->ow, (int64_t)ncols, c->wp, q->mg, q->oh, q->ow};
                planes(&out, op);
            }
        }
    }
}
