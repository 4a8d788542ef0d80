/* tests/test_conv_s1.c: the stride-1 convolution kernel (core/conv_s1.c)
 * called directly, with each of its paths forced (the wide block product
 * with 8- or 16-column rounding, one product per output row, the narrow
 * few-channel kernel) whatever this CPU would pick: every path must give
 * the same bits, and on CPUs with FMA the bits of the documented chain
 * (0, one fmaf per weight in (channel, row, column) order, padding zeros
 * included, then + bias; S1_ADD: y + that; S1_WRITE_ADD0: 0 + that).
 * Shapes: odd widths and heights, uneven pads, dilation, groups, 1..3 and
 * 16 output channels, batches of 1 to 7 samples. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <xai/xai.h>

#include "core/conv_s1.h"

typedef struct shape {
    int64_t n, c, h, w, m, kh, kw, grp, dy, dx, pt, pl, pb, pr;
} shape;

static int have_fma(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

static float *randv(size_t n, uint64_t stream)
{
    float *p = malloc(n * sizeof *p);
    xai_rng rng;
    xai_rng_init(&rng, 9, stream);
    for (size_t i = 0; i < n; i++)
        p[i] = (float)xai_rng_normal(&rng);
    return p;
}

/* the chain for output (s, o, oy, ox) */
static float chain(const shape *t, const conv_geo *q, const g_params *p, const float *x,
                   const float *w, int64_t s, int64_t o, int64_t oy, int64_t ox)
{
    int64_t gi = o / q->mg;
    float acc = 0.0f;
    for (int64_t ch = 0; ch < q->cg; ch++)
        for (int64_t i = 0; i < t->kh; i++)
            for (int64_t j = 0; j < t->kw; j++) {
                int64_t yy = oy + i * p->dilations[0] - t->pt;
                int64_t xx = ox + j * p->dilations[1] - t->pl;
                int in = yy >= 0 && yy < t->h && xx >= 0 && xx < t->w;
                float v = in ? x[((s * t->c + gi * q->cg + ch) * t->h + yy) * t->w + xx] : 0.0f;
                acc = fmaf(w[((o * q->cg + ch) * t->kh + i) * t->kw + j], v, acc);
            }
    return acc;
}

static void run_case(const shape *t)
{
    g_params p;
    memset(&p, 0, sizeof p);
    p.kernel[0] = t->kh, p.kernel[1] = t->kw;
    p.strides[0] = p.strides[1] = 1;
    p.dilations[0] = t->dy, p.dilations[1] = t->dx;
    p.pads[0] = t->pt, p.pads[1] = t->pl, p.pads[2] = t->pb, p.pads[3] = t->pr;
    p.group = (int)t->grp;
    conv_geo q;
    q.n = t->n, q.c = t->c, q.h = t->h, q.w = t->w, q.m = t->m;
    q.kh = t->kh, q.kw = t->kw, q.grp = t->grp;
    q.oh = t->h + t->pt + t->pb - (t->kh - 1) * t->dy;
    q.ow = t->w + t->pl + t->pr - (t->kw - 1) * t->dx;
    q.cg = t->c / t->grp, q.mg = t->m / t->grp;
    q.ck = q.cg * t->kh * t->kw, q.hw = q.oh * q.ow;
    size_t nx = (size_t)(t->n * t->c * t->h * t->w), ny = (size_t)(t->n * t->m * q.hw);
    float *x = randv(nx, 1), *w = randv((size_t)(t->m * q.ck), 2), *b = randv((size_t)t->m, 3);
    float *y0 = randv(ny, 4), *ref = malloc(ny * sizeof *ref), *y = malloc(ny * sizeof *y);
    /* (narrow, by_rows, align): the paths to force */
    static const int paths[][3] = {{0, 0, 8}, {0, 0, 16}, {0, 1, 8}, {1, 0, 8}, {1, 0, 16}};
    for (int mode = 0; mode < 3; mode++) {
        int have_ref = 0;
        for (size_t k = 0; k < sizeof paths / sizeof *paths; k++) {
            if (paths[k][1] && q.ow % 8)
                continue; /* by_rows needs whole 8-column rows */
            if (paths[k][0] && !have_fma())
                continue; /* narrow_mm is AVX2 + FMA code */
            g_ws ws = {NULL, 0};
            s1_conv c;
            assert_int_equal(s1_conv_setup(&c, &p, &q, 0, &ws, NULL), XAI_OK);
            c.narrow = paths[k][0], c.by_rows = paths[k][1], c.align = paths[k][2];
            memcpy(y, y0, ny * sizeof *y);
            s1_conv_run(&c, x, w, mode == S1_WRITE ? b : NULL, y, (s1_mode)mode);
            g_ws_free(&ws);
            if (!have_ref) {
                memcpy(ref, y, ny * sizeof *y);
                have_ref = 1;
            } else if (memcmp(ref, y, ny * sizeof *y)) {
                fail_msg("c %lld h %lld w %lld m %lld: path %zu differs in mode %d",
                         (long long)t->c, (long long)t->h, (long long)t->w, (long long)t->m,
                         k, mode);
            }
        }
        for (int64_t s = 0; have_fma() && s < t->n; s++)
            for (int64_t o = 0; o < t->m; o++)
                for (int64_t oy = 0; oy < q.oh; oy++)
                    for (int64_t ox = 0; ox < q.ow; ox++) {
                        size_t at = (size_t)(((s * t->m + o) * q.oh + oy) * q.ow + ox);
                        float v = chain(t, &q, &p, x, w, s, o, oy, ox);
                        float want = mode == S1_WRITE ? v + b[o]
                                     : mode == S1_ADD ? y0[at] + v : 0.0f + v;
                        if (memcmp(&want, &ref[at], sizeof want))
                            fail_msg("c %lld h %lld w %lld m %lld mode %d: y[%zu] = %a, "
                                     "the chain gives %a",
                                     (long long)t->c, (long long)t->h, (long long)t->w,
                                     (long long)t->m, mode, at, ref[at], want);
                    }
    }
    free(x), free(w), free(b), free(y0), free(ref), free(y);
}

static void paths_agree(void **state)
{
    (void)state;
    static const shape shapes[] = {
        /* n  c  h   w   m kh kw grp dy dx pt pl pb pr */
        {3, 1, 8, 8, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1},    /* digits conv1 */
        {2, 8, 8, 8, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1},    /* its VJP: one channel */
        {2, 8, 8, 8, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1},   /* digits conv2 */
        {4, 16, 4, 4, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1},  /* digits conv3 */
        {7, 2, 5, 13, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1},   /* odd sizes, 3 channels */
        {1, 3, 9, 16, 2, 3, 2, 1, 2, 1, 2, 0, 1, 1},   /* dilated, uneven pads, 16 wide */
        {5, 4, 6, 7, 6, 3, 3, 2, 1, 1, 0, 2, 2, 0},    /* 2 groups of 3 channels */
        {2, 2, 3, 24, 1, 1, 5, 1, 1, 1, 0, 2, 0, 2},   /* one row of taps, 24 wide */
    };
    for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++)
        run_case(&shapes[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(paths_agree),
    };
    return cmocka_run_group_tests_name("conv_s1", tests, NULL, NULL);
}
