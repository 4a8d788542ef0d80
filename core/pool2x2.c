/* core/pool2x2.c: MaxPool with a 2 x 2 window and stride 2 inside the input
 * (the common CNN case), 4 windows at a time with SSE.
 *
 * Same semantics as the generic path (core/ops_pool.c): the window's taps
 * are visited (0,0), (0,1), (1,0), (1,1) and a tap replaces the running
 * maximum only when strictly greater, so the first maximum wins and a NaN
 * never replaces a number (maxps(t, m) is t > m ? t : m, exactly that
 * step).  The VJP recomputes the winners with the same comparisons and
 * adds dY there. */
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "pool2x2.h"

/* Winner of one window (0..3) and its value. */
static inline int win4(float a, float b, float c, float d, float *v)
{
    int w = 0;
    float m = a;
    if (b > m) m = b, w = 1;
    if (c > m) m = c, w = 2;
    if (d > m) m = d, w = 3;
    *v = m;
    return w;
}

void pool2x2_fwd(const float *x, float *y, size_t planes, int64_t H, int64_t W,
                 int64_t OH, int64_t OW)
{
    for (size_t pl = 0; pl < planes; pl++) {
        const float *xp = x + pl * (size_t)(H * W);
        float *yp = y + pl * (size_t)(OH * OW);
        for (int64_t oy = 0; oy < OH; oy++) {
            const float *r0 = xp + 2 * oy * W, *r1 = r0 + W;
            float *yr = yp + oy * OW;
            int64_t ox = 0;
#ifdef __SSE2__
            for (; ox + 4 <= OW; ox += 4) {
                __m128 a0 = _mm_loadu_ps(r0 + 2 * ox), a1 = _mm_loadu_ps(r0 + 2 * ox + 4);
                __m128 b0 = _mm_loadu_ps(r1 + 2 * ox), b1 = _mm_loadu_ps(r1 + 2 * ox + 4);
                __m128 m = _mm_shuffle_ps(a0, a1, _MM_SHUFFLE(2, 0, 2, 0));
                m = _mm_max_ps(_mm_shuffle_ps(a0, a1, _MM_SHUFFLE(3, 1, 3, 1)), m);
                m = _mm_max_ps(_mm_shuffle_ps(b0, b1, _MM_SHUFFLE(2, 0, 2, 0)), m);
                m = _mm_max_ps(_mm_shuffle_ps(b0, b1, _MM_SHUFFLE(3, 1, 3, 1)), m);
                _mm_storeu_ps(yr + ox, m);
            }
#endif
            for (; ox < OW; ox++)
                (void)win4(r0[2 * ox], r0[2 * ox + 1], r1[2 * ox], r1[2 * ox + 1], yr + ox);
        }
    }
}

void pool2x2_bwd(const float *x, const float *dy, float *dx, size_t planes, int64_t H,
                 int64_t W, int64_t OH, int64_t OW, int fresh)
{
    if (fresh && (H != 2 * OH || W != 2 * OW)) { /* rows / columns outside every window */
        memset(dx, 0, planes * (size_t)(H * W) * sizeof *dx);
        fresh = 0;
    }
    for (size_t pl = 0; pl < planes; pl++) {
        const float *xp = x + pl * (size_t)(H * W), *gp = dy + pl * (size_t)(OH * OW);
        float *dp = dx + pl * (size_t)(H * W);
        for (int64_t oy = 0; oy < OH; oy++) {
            const float *r0 = xp + 2 * oy * W, *r1 = r0 + W, *g = gp + oy * OW;
            float *d0 = dp + 2 * oy * W, *d1 = d0 + W;
            int64_t ox = 0;
#ifdef __SSE2__
            __m128 z = _mm_setzero_ps();
            for (; ox + 4 <= OW; ox += 4) {
                __m128 a0 = _mm_loadu_ps(r0 + 2 * ox), a1 = _mm_loadu_ps(r0 + 2 * ox + 4);
                __m128 b0 = _mm_loadu_ps(r1 + 2 * ox), b1 = _mm_loadu_ps(r1 + 2 * ox + 4);
                __m128 t0 = _mm_shuffle_ps(a0, a1, _MM_SHUFFLE(2, 0, 2, 0));
                __m128 t1 = _mm_shuffle_ps(a0, a1, _MM_SHUFFLE(3, 1, 3, 1));
                __m128 t2 = _mm_shuffle_ps(b0, b1, _MM_SHUFFLE(2, 0, 2, 0));
                __m128 t3 = _mm_shuffle_ps(b0, b1, _MM_SHUFFLE(3, 1, 3, 1));
                /* c_k: tap k beat the running maximum; the winner is the
                 * last tap that did (tap 0 when none did) */
                __m128 c1 = _mm_cmpgt_ps(t1, t0), m = _mm_max_ps(t1, t0);
                __m128 c2 = _mm_cmpgt_ps(t2, m);
                m = _mm_max_ps(t2, m);
                __m128 c3 = _mm_cmpgt_ps(t3, m);
                __m128 gv = _mm_loadu_ps(g + ox);
                __m128 g3 = _mm_and_ps(c3, gv);
                __m128 g2 = _mm_andnot_ps(c3, _mm_and_ps(c2, gv));
                __m128 n23 = _mm_or_ps(c2, c3);
                __m128 g1 = _mm_andnot_ps(n23, _mm_and_ps(c1, gv));
                __m128 g0 = _mm_andnot_ps(_mm_or_ps(n23, c1), gv);
                /* back to the interleaved columns: taps 0/1 on row 0, 2/3 on row 1 */
                __m128 e0 = _mm_unpacklo_ps(g0, g1), e1 = _mm_unpackhi_ps(g0, g1);
                __m128 f0 = _mm_unpacklo_ps(g2, g3), f1 = _mm_unpackhi_ps(g2, g3);
                float *p0 = d0 + 2 * ox, *p1 = d1 + 2 * ox;
                if (fresh) { /* 0 + v: the values of adding to a zeroed dX */
                    _mm_storeu_ps(p0, _mm_add_ps(z, e0));
                    _mm_storeu_ps(p0 + 4, _mm_add_ps(z, e1));
                    _mm_storeu_ps(p1, _mm_add_ps(z, f0));
                    _mm_storeu_ps(p1 + 4, _mm_add_ps(z, f1));
                } else {
                    _mm_storeu_ps(p0, _mm_add_ps(_mm_loadu_ps(p0), e0));
                    _mm_storeu_ps(p0 + 4, _mm_add_ps(_mm_loadu_ps(p0 + 4), e1));
                    _mm_storeu_ps(p1, _mm_add_ps(_mm_loadu_ps(p1), f0));
                    _mm_storeu_ps(p1 + 4, _mm_add_ps(_mm_loadu_ps(p1 + 4), f1));
                }
            }
#endif
            for (; ox < OW; ox++) {
                float v, *at[4] = {d0 + 2 * ox, d0 + 2 * ox + 1, d1 + 2 * ox, d1 + 2 * ox + 1};
                int w = win4(r0[2 * ox], r0[2 * ox + 1], r1[2 * ox], r1[2 * ox + 1], &v);
                for (int k = 0; k < 4; k++)
                    *at[k] = (fresh ? 0.0f : *at[k]) + (k == w ? g[ox] : 0.0f);
            }
        }
    }
}
