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
 * the sample's place in it, so results are bit-identical for any batch. */
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "conv_s1.h"
#include "error.h"
#include "ops.h"

/* Scratch per block, in floats: the padded planes and the product stay in
 * L2 while g_mm streams through them. */
#define S1_BLOCK_FLOATS ((int64_t)1 << 11)

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
    size_t nb = 2 * (size_t)q->ck, npad = (size_t)(q->cg * c->blk * c->img);
    size_t ncb = (size_t)(q->mg * c->blk * c->img);
    XAI_TRY(g_ws_reserve(ws, nb + npad + ncb + extra));
    c->boff = (size_t *)(void *)ws->p; /* malloc'ed: aligned for size_t */
    c->pad = ws->p + nb;
    c->cb = c->pad + npad;
    if (extra_p)
        *extra_p = c->cb + ncb;
    /* the borders stay 0: blocks overwrite only the interiors */
    memset(c->pad, 0, npad * sizeof *c->pad);
    size_t k = 0;
    for (int64_t ch = 0; ch < q->cg; ch++)
        for (int64_t i = 0; i < q->kh; i++)
            for (int64_t j = 0; j < q->kw; j++)
                c->boff[k++] = (size_t)(ch * c->blk * c->img + i * p->dilations[0] * c->wp +
                                        j * p->dilations[1]);
    return XAI_OK;
}

/* The row helpers move a few floats at a time (rows are 4..32 wide here),
 * where a memcpy call costs more than the copy. */
static inline void copy_row(float *restrict d, const float *restrict s, int64_t n)
{
    int64_t i = 0;
#ifdef __SSE2__
    for (; i + 4 <= n; i += 4)
        _mm_storeu_ps(d + i, _mm_loadu_ps(s + i));
#endif
    for (; i < n; i++)
        d[i] = s[i];
}

/* d = s + b (b = 0 for S1_WRITE_ADD0), or d += s for S1_ADD */
static inline void put_row(float *restrict d, const float *restrict s, int64_t n, float b,
                           int add)
{
    int64_t i = 0;
#ifdef __SSE2__
    __m128 bv = _mm_set1_ps(b);
    if (add)
        for (; i + 4 <= n; i += 4)
            _mm_storeu_ps(d + i, _mm_add_ps(_mm_loadu_ps(d + i), _mm_loadu_ps(s + i)));
    else
        for (; i + 4 <= n; i += 4)
            _mm_storeu_ps(d + i, _mm_add_ps(_mm_loadu_ps(s + i), bv));
#endif
    for (; i < n; i++)
        d[i] = add ? d[i] + s[i] : s[i] + b;
}

void s1_conv_run(const s1_conv *c, const float *x, const float *w, const float *bias,
                 float *y, s1_mode mode)
{
    const conv_geo *q = c->q;
    int64_t pt = c->p->pads[0], pl = c->p->pads[1];
    size_t xs = (size_t)(q->c * q->h * q->w), ys = (size_t)(q->m * q->hw);
    for (int64_t s0 = 0; s0 < q->n; s0 += c->blk) {
        int64_t nb = q->n - s0 < c->blk ? q->n - s0 : c->blk;
        size_t ncols = (size_t)((nb - 1) * c->img + (q->oh - 1) * c->wp + q->ow);
        for (int64_t gi = 0; gi < q->grp; gi++) {
            for (int64_t ch = 0; ch < q->cg; ch++)
                for (int64_t s = 0; s < nb; s++) {
                    const float *src = x + (size_t)(s0 + s) * xs +
                                       (size_t)((gi * q->cg + ch) * q->h * q->w);
                    float *dst = c->pad + ((ch * c->blk + s) * c->hp + pt) * c->wp + pl;
                    for (int64_t yy = 0; yy < q->h; yy++)
                        copy_row(dst + yy * c->wp, src + yy * q->w, q->w);
                }
            g_mm((size_t)q->mg, ncols, (size_t)q->ck, 1.0f, w + gi * q->mg * q->ck,
                 (size_t)q->ck, c->pad, 0, c->boff, c->cb, ncols, 0);
            for (int64_t s = 0; s < nb; s++)
                for (int64_t mm = 0; mm < q->mg; mm++) {
                    /* no bias: a copy keeps -0 (as the product left it) */
                    float b = bias ? bias[gi * q->mg + mm] : 0.0f;
                    float *dst = y + (size_t)(s0 + s) * ys + (size_t)((gi * q->mg + mm) * q->hw);
                    const float *src = c->cb + (size_t)mm * ncols + (size_t)(s * c->img);
                    for (int64_t oy = 0; oy < q->oh; oy++) {
                        if (mode == S1_WRITE && !bias)
                            copy_row(dst + oy * q->ow, src + oy * c->wp, q->ow);
                        else
                            put_row(dst + oy * q->ow, src + oy * c->wp, q->ow, b,
                                    mode == S1_ADD);
                    }
                }
        }
    }
}
