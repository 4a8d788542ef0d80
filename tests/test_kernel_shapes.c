/* tests/test_kernel_shapes.c: the dense and convolution kernels (core/ops_mm.c
 * and the OpenBLAS path for large weights) on the shapes where tiled code
 * goes wrong: widths that are not a multiple of the vector or tile size
 * (1, 3, 7, 8, 9, 17, 23; and 33 to 130 for the 16-float AVX-512 tiles of
 * 1 to 4 vectors and the 64-column blocks), strided / padded / dilated /
 * grouped / 1x1 convolutions, 2 x 2 max pooling, and a layer large enough
 * for OpenBLAS.  Each layer is
 * compared with a direct double-precision evaluation of its definition
 * (forward and VJP), and every row must be bit-identical whether it is
 * computed alone, in odd-sized batches, or at any position of a batch. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <xai/xai.h>

#include "support/onnx_build.h"

enum { N = 37 };

typedef struct conv_shape {
    int64_t c, h, w, m, kh, kw, group, sy, sx, dy, dx, pt, pl, pb, pr;
} conv_shape;

static float *randv(size_t n, uint64_t stream)
{
    float *p = malloc(n * sizeof *p);
    xai_rng rng;
    xai_rng_init(&rng, 5, stream);
    for (size_t i = 0; i < n; i++)
        p[i] = (float)xai_rng_normal(&rng);
    return p;
}

static xai_model *load(ob_model *mm)
{
    xai_model *m;
    xai_status s = ob_load(mm, &m);
    if (s != XAI_OK)
        fail_msg("%s", xai_last_error());
    return m;
}

/* Outputs and VJPs of N rows: against the reference (tolerance), and the
 * same rows alone, in chunks of 1..17 rows and shifted by 1..9 rows inside a
 * larger batch: bit-identical. */
static void check_rows(xai_model *m, const float *yref, const float *gref, const float *x,
                       const float *dy, const char *label)
{
    size_t D = xai_model_input_size(m), K = xai_model_output_size(m);
    float *y = malloc(N * K * sizeof *y), *g = malloc(N * D * sizeof *g);
    float *y2 = malloc(2 * N * K * sizeof *y2), *g2 = malloc(2 * N * D * sizeof *g2);
    float *xs = malloc(2 * N * D * sizeof *xs), *dys = malloc(2 * N * K * sizeof *dys);
    xai_runner *r;
    assert_int_equal(xai_runner_new(m, &r), XAI_OK);
    assert_int_equal(xai_runner_vjp(r, XAI_OUTPUT_SCORE, x, N, dy, g, y), XAI_OK);
    double worst = 0, scale = 1e-6;
    for (size_t i = 0; i < N * K; i++) {
        worst = fmax(worst, fabs(y[i] - yref[i]));
        scale = fmax(scale, fabs(yref[i]));
    }
    if (worst > 1e-5 * scale)
        fail_msg("%s: forward differs from the direct evaluation by %.3g (scale %.3g)",
                 label, worst, scale);
    worst = 0, scale = 1e-6;
    for (size_t i = 0; i < N * D; i++) {
        worst = fmax(worst, fabs(g[i] - gref[i]));
        scale = fmax(scale, fabs(gref[i]));
    }
    if (worst > 1e-5 * scale)
        fail_msg("%s: VJP differs from the direct evaluation by %.3g (scale %.3g)", label,
                 worst, scale);
    for (size_t c = 1; c <= 17; c++) {
        for (size_t s = 0; s < N; s += c) {
            size_t n = N - s < c ? N - s : c;
            assert_int_equal(xai_runner_vjp(r, XAI_OUTPUT_SCORE, x + s * D, n, dy + s * K,
                                            g2 + s * D, y2 + s * K),
                             XAI_OK);
        }
        if (memcmp(y, y2, N * K * sizeof *y) || memcmp(g, g2, N * D * sizeof *g))
            fail_msg("%s: rows differ when computed in chunks of %zu", label, c);
    }
    for (size_t shift = 1; shift <= 9; shift++) {
        /* the same rows after `shift` other rows (copies of row 0) */
        for (size_t i = 0; i < shift; i++) {
            memcpy(xs + i * D, x, D * sizeof *xs);
            memcpy(dys + i * K, dy, K * sizeof *dys);
        }
        memcpy(xs + shift * D, x, N * D * sizeof *xs);
        memcpy(dys + shift * K, dy, N * K * sizeof *dys);
        assert_int_equal(xai_runner_vjp(r, XAI_OUTPUT_SCORE, xs, N + shift, dys, g2, y2),
                         XAI_OK);
        if (memcmp(y, y2 + shift * K, N * K * sizeof *y) ||
            memcmp(g, g2 + shift * D, N * D * sizeof *g))
            fail_msg("%s: rows differ when shifted by %zu in the batch", label, shift);
    }
    xai_runner_free(r);
    free(y), free(g), free(y2), free(g2), free(xs), free(dys);
}

static void dense_case(size_t k, size_t n, int trans_b, float alpha)
{
    char label[96];
    snprintf(label, sizeof label, "Gemm %zu -> %zu (transB %d, alpha %g)", k, n, trans_b,
             (double)alpha);
    ob_model *mm = ob_new(13);
    ob_input(mm, "x", 2, (int64_t[]){1, (int64_t)k});
    ob_output(mm, "y", 0, NULL);
    float *w = randv(k * n, k * 100 + n), *b = randv(n, 7);
    ob_init_f(mm, "W", 2, trans_b ? (int64_t[]){(int64_t)n, (int64_t)k}
                                  : (int64_t[]){(int64_t)k, (int64_t)n}, w);
    ob_init_f(mm, "B", 1, (int64_t[]){(int64_t)n}, b);
    ob_node *nd = ob_add(mm, "Gemm", "g", "x,W,B", "y");
    ob_attr_i(nd, "transB", trans_b);
    ob_attr_f(nd, "alpha", alpha);
    xai_model *m = load(mm);
    float *x = randv(N * k, 1), *dy = randv(N * n, 2);
    float *yref = malloc(N * n * sizeof *yref), *gref = malloc(N * k * sizeof *gref);
    for (size_t i = 0; i < N; i++) {
        for (size_t j = 0; j < n; j++) {
            double acc = 0;
            for (size_t t = 0; t < k; t++)
                acc += (double)x[i * k + t] * w[trans_b ? j * k + t : t * n + j];
            yref[i * n + j] = (float)(alpha * acc + b[j]);
        }
        for (size_t t = 0; t < k; t++) {
            double acc = 0;
            for (size_t j = 0; j < n; j++)
                acc += (double)dy[i * n + j] * w[trans_b ? j * k + t : t * n + j];
            gref[i * k + t] = (float)(alpha * acc);
        }
    }
    check_rows(m, yref, gref, x, dy, label);
    xai_model_free(m);
    free(w), free(b), free(x), free(dy), free(yref), free(gref);
}

/* y = x W1 + x W2: x has two readers, so the second VJP adds into dx (the
 * kernel's accumulate path), k columns wide. */
static void dense_two_readers(size_t k)
{
    enum { NO = 5 };
    char label[64];
    snprintf(label, sizeof label, "two Gemms reading one %zu-wide input", k);
    ob_model *mm = ob_new(13);
    ob_input(mm, "x", 2, (int64_t[]){1, (int64_t)k});
    ob_output(mm, "y", 0, NULL);
    float *w1 = randv(k * NO, 11), *w2 = randv(k * NO, 12);
    ob_init_f(mm, "W1", 2, (int64_t[]){(int64_t)k, NO}, w1);
    ob_init_f(mm, "W2", 2, (int64_t[]){(int64_t)k, NO}, w2);
    ob_add(mm, "Gemm", "g1", "x,W1", "y1");
    ob_add(mm, "Gemm", "g2", "x,W2", "y2");
    ob_add(mm, "Add", "sum", "y1,y2", "y");
    xai_model *m = load(mm);
    float *x = randv(N * k, 13), *dy = randv(N * NO, 14);
    float *yref = malloc(N * NO * sizeof *yref), *gref = malloc(N * k * sizeof *gref);
    for (size_t i = 0; i < N; i++) {
        for (size_t j = 0; j < NO; j++) {
            double a1 = 0, a2 = 0;
            for (size_t t = 0; t < k; t++) {
                a1 += (double)x[i * k + t] * w1[t * NO + j];
                a2 += (double)x[i * k + t] * w2[t * NO + j];
            }
            yref[i * NO + j] = (float)a1 + (float)a2;
        }
        for (size_t t = 0; t < k; t++) {
            double acc = 0;
            for (size_t j = 0; j < NO; j++)
                acc += (double)dy[i * NO + j] * ((double)w1[t * NO + j] + w2[t * NO + j]);
            gref[i * k + t] = (float)acc;
        }
    }
    check_rows(m, yref, gref, x, dy, label);
    xai_model_free(m);
    free(w1), free(w2), free(x), free(dy), free(yref), free(gref);
}

static void dense(void **state)
{
    (void)state;
    static const size_t widths[] = {1, 3, 7, 8, 9, 17, 23};
    for (size_t a = 0; a < 7; a++)
        for (size_t c = 0; c < 7; c++)
            dense_case(widths[a], widths[c], (int)((a + c) & 1), 1.0f);
    dense_case(23, 8, 1, 0.5f);
    /* the AVX-512 tiles: 1 to 4 vectors with a masked last one, 64-column
     * blocks then a remainder, in the forward (n) and the VJP (k) */
    static const size_t wide[] = {33, 48, 64, 65, 130};
    for (size_t a = 0; a < 5; a++) {
        dense_case(17, wide[a], (int)(a & 1), 1.0f);
        dense_case(wide[a], 3, (int)(~a & 1), 0.5f);
        dense_two_readers(wide[a]);
    }
    dense_two_readers(7);
    dense_case(300, 300, 1, 1.0f); /* beyond g_mm_fits: the OpenBLAS path */
    dense_case(300, 300, 0, 1.0f);
}

/* twice: y = conv(x) + conv(x), so dX is accumulated into, not fresh */
static void conv_case(const conv_shape *q, int twice)
{
    char label[176];
    snprintf(label, 160,
             "Conv %lldx%lldx%lld -> %lld, kernel %lldx%lld, group %lld, strides %lld %lld, "
             "dilations %lld %lld, pads %lld %lld %lld %lld",
             (long long)q->c, (long long)q->h, (long long)q->w, (long long)q->m,
             (long long)q->kh, (long long)q->kw, (long long)q->group, (long long)q->sy,
             (long long)q->sx, (long long)q->dy, (long long)q->dx, (long long)q->pt,
             (long long)q->pl, (long long)q->pb, (long long)q->pr);
    if (twice)
        strcat(label, ", twice");
    int64_t cg = q->c / q->group, mg = q->m / q->group;
    int64_t oh = (q->h + q->pt + q->pb - ((q->kh - 1) * q->dy + 1)) / q->sy + 1;
    int64_t ow = (q->w + q->pl + q->pr - ((q->kw - 1) * q->dx + 1)) / q->sx + 1;
    size_t D = (size_t)(q->c * q->h * q->w), K = (size_t)(q->m * oh * ow);
    size_t wl = (size_t)(q->m * cg * q->kh * q->kw);
    ob_model *mm = ob_new(13);
    ob_input(mm, "x", 4, (int64_t[]){1, q->c, q->h, q->w});
    ob_output(mm, "y", 0, NULL);
    float *w = randv(wl, wl), *b = randv((size_t)q->m, 9);
    ob_init_f(mm, "W", 4, (int64_t[]){q->m, cg, q->kh, q->kw}, w);
    ob_init_f(mm, "B", 1, (int64_t[]){q->m}, b);
    for (int k = 0; k < 1 + twice; k++) {
        ob_node *nd = ob_add(mm, "Conv", k ? "c1" : "c0", "x,W,B",
                             twice ? (k ? "b" : "a") : "y");
        ob_attr_i(nd, "group", q->group);
        ob_attr_ints(nd, "strides", 2, (int64_t[]){q->sy, q->sx});
        ob_attr_ints(nd, "dilations", 2, (int64_t[]){q->dy, q->dx});
        ob_attr_ints(nd, "pads", 4, (int64_t[]){q->pt, q->pl, q->pb, q->pr});
    }
    if (twice)
        ob_add(mm, "Add", "s", "a,b", "y");
    xai_model *m = load(mm);
    assert_int_equal(xai_model_input_size(m), D);
    assert_int_equal(xai_model_output_size(m), K);
    float *x = randv(N * D, 3), *dy = randv(N * K, 4);
    float *yref = malloc(N * K * sizeof *yref);
    double *gacc = calloc(N * D, sizeof *gacc);
    float *gref = malloc(N * D * sizeof *gref);
    for (size_t s = 0; s < N; s++)
        for (int64_t o = 0; o < q->m; o++)
            for (int64_t oy = 0; oy < oh; oy++)
                for (int64_t ox = 0; ox < ow; ox++) {
                    size_t yi = s * K + (size_t)((o * oh + oy) * ow + ox);
                    double acc = b[o];
                    for (int64_t c = 0; c < cg; c++)
                        for (int64_t i = 0; i < q->kh; i++)
                            for (int64_t j = 0; j < q->kw; j++) {
                                int64_t yy = oy * q->sy - q->pt + i * q->dy;
                                int64_t xx = ox * q->sx - q->pl + j * q->dx;
                                if (yy < 0 || yy >= q->h || xx < 0 || xx >= q->w)
                                    continue;
                                int64_t ch = (o / mg) * cg + c;
                                size_t xi = s * D + (size_t)((ch * q->h + yy) * q->w + xx);
                                double wv = w[((o * cg + c) * q->kh + i) * q->kw + j];
                                acc += wv * x[xi];
                                gacc[xi] += wv * dy[yi];
                            }
                    yref[yi] = (float)((1 + twice) * acc);
                }
    for (size_t i = 0; i < N * D; i++)
        gref[i] = (float)((1 + twice) * gacc[i]);
    check_rows(m, yref, gref, x, dy, label);
    xai_model_free(m);
    free(w), free(b), free(x), free(dy), free(yref), free(gacc), free(gref);
}

static void conv(void **state)
{
    (void)state;
    static const conv_shape shapes[] = {
        /* c  h  w  m kh kw g sy sx dy dx pt pl pb pr */
        {1, 8, 8, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},   /* digits conv1 */
        {8, 8, 8, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},  /* digits conv2 */
        {3, 7, 5, 5, 3, 2, 1, 2, 1, 1, 2, 1, 0, 2, 1},   /* odd everything */
        {4, 6, 6, 8, 3, 3, 4, 2, 2, 1, 1, 1, 1, 1, 1},   /* depthwise x2 */
        {6, 5, 7, 9, 1, 1, 3, 1, 1, 1, 1, 0, 0, 0, 0},   /* 1x1, groups */
        {5, 9, 3, 3, 1, 1, 1, 2, 1, 1, 1, 0, 0, 0, 0},   /* 1x1 strided */
        {2, 4, 4, 3, 4, 4, 1, 1, 1, 1, 1, 2, 2, 1, 1},   /* kernel as large as the input */
        {3, 7, 6, 4, 3, 3, 1, 1, 1, 2, 2, 2, 1, 0, 2},   /* stride 1, dilated, uneven pads */
        {4, 5, 5, 6, 3, 3, 2, 1, 1, 1, 1, 1, 1, 1, 1},   /* stride 1, 2 groups */
        {2, 6, 6, 3, 3, 3, 1, 1, 1, 1, 1, 3, 0, 0, 3},   /* pad > kernel - 1: col2im */
        {3, 9, 8, 6, 3, 3, 3, 2, 1, 2, 2, 2, 1, 1, 2},   /* depthwise x2, strided, dilated */
        {64, 6, 6, 128, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1}, /* beyond g_mm_fits */
    };
    for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++)
        for (int twice = 0; twice < 2; twice++)
            conv_case(&shapes[i], twice);
}

/* MaxPool 2 x 2, stride 2 (core/pool2x2.c) on c planes of h x w, against
 * a direct first-maximum scan.  The inputs are multiples of 0.5 so windows
 * hold ties (the first maximum must win); `twice` pools x twice and adds,
 * so dX is accumulated into (not written fresh). */
static void pool_case(int64_t c, int64_t h, int64_t w, int twice)
{
    char label[96];
    snprintf(label, sizeof label, "MaxPool 2x2/2 of %lldx%lldx%lld%s", (long long)c,
             (long long)h, (long long)w, twice ? ", twice" : "");
    int64_t oh = h / 2, ow = w / 2;
    size_t D = (size_t)(c * h * w), K = (size_t)(c * oh * ow);
    ob_model *mm = ob_new(13);
    ob_input(mm, "x", 4, (int64_t[]){1, c, h, w});
    ob_output(mm, "y", 0, NULL);
    for (int k = 0; k < 1 + twice; k++) {
        ob_node *nd = ob_add(mm, "MaxPool", k ? "p1" : "p0", "x", twice ? (k ? "b" : "a") : "y");
        ob_attr_ints(nd, "kernel_shape", 2, (int64_t[]){2, 2});
        ob_attr_ints(nd, "strides", 2, (int64_t[]){2, 2});
    }
    if (twice)
        ob_add(mm, "Add", "s", "a,b", "y");
    xai_model *m = load(mm);
    assert_int_equal(xai_model_output_size(m), K);
    float *x = randv(N * D, 11), *dy = randv(N * K, 12);
    for (size_t i = 0; i < N * D; i++)
        x[i] = roundf(2.0f * x[i]) * 0.5f;
    float *yref = malloc(N * K * sizeof *yref), *gref = calloc(N * D, sizeof *gref);
    for (size_t s = 0; s < N; s++)
        for (int64_t pl = 0; pl < c; pl++)
            for (int64_t oy = 0; oy < oh; oy++)
                for (int64_t ox = 0; ox < ow; ox++) {
                    size_t best = 0, yi = s * K + (size_t)((pl * oh + oy) * ow + ox);
                    for (int64_t i = 0; i < 2; i++)
                        for (int64_t j = 0; j < 2; j++) {
                            size_t at = s * D + (size_t)((pl * h + 2 * oy + i) * w + 2 * ox + j);
                            if ((i == 0 && j == 0) || x[at] > x[best])
                                best = at;
                        }
                    yref[yi] = (float)(1 + twice) * x[best];
                    gref[best] += (float)(1 + twice) * dy[yi];
                }
    check_rows(m, yref, gref, x, dy, label);
    xai_model_free(m);
    free(x), free(dy), free(yref), free(gref);
}

static void maxpool(void **state)
{
    (void)state;
    /* widths around the 4-window vector step; odd sizes leave a row and a
     * column outside every window */
    static const int64_t shapes[][3] = {{1, 2, 2}, {3, 5, 7}, {2, 8, 8}, {2, 4, 16},
                                        {1, 7, 19}, {16, 8, 8}, {2, 3, 9}};
    for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++)
        for (int twice = 0; twice < 2; twice++)
            pool_case(shapes[i][0], shapes[i][1], shapes[i][2], twice);
}

/* Stride-1 convolutions with 1..3 output channels, forward and VJP, bit for
 * bit against the documented chain (core/ops_mm.c, core/conv_s1.c): per
 * output 0, then one fused multiply-add per weight in (channel, row,
 * column) order, padding zeros included, then + bias (forward) or 0 +
 * (a fresh input gradient).  The VJP's weights are the flipped, transposed
 * kernel over dY padded by k - 1 - pad.  Only where the CPU has FMA (the
 * scalar fallback is unfused, the same chain otherwise). */
static void exact_chain_case(int64_t c, int64_t m, int64_t h, int64_t w)
{
    int64_t kh = 3, kw = 3, pad = 1, oh = h, ow = w;
    size_t D = (size_t)(c * h * w), K = (size_t)(m * oh * ow);
    ob_model *mm = ob_new(13);
    ob_input(mm, "x", 4, (int64_t[]){1, c, h, w});
    ob_output(mm, "y", 0, NULL);
    float *wt = randv((size_t)(m * c * kh * kw), 31), *b = randv((size_t)m, 32);
    ob_init_f(mm, "W", 4, (int64_t[]){m, c, kh, kw}, wt);
    ob_init_f(mm, "B", 1, (int64_t[]){m}, b);
    ob_node *nd = ob_add(mm, "Conv", "c", "x,W,B", "y");
    ob_attr_ints(nd, "pads", 4, (int64_t[]){pad, pad, pad, pad});
    xai_model *md = load(mm);
    float *x = randv(N * D, 33), *dy = randv(N * K, 34);
    float *y = malloc(N * K * sizeof *y), *g = malloc(N * D * sizeof *g);
    xai_runner *r;
    assert_int_equal(xai_runner_new(md, &r), XAI_OK);
    assert_int_equal(xai_runner_vjp(r, XAI_OUTPUT_SCORE, x, N, dy, g, y), XAI_OK);
    for (size_t s = 0; s < N; s++) {
        for (int64_t o = 0; o < m; o++)
            for (int64_t oy = 0; oy < oh; oy++)
                for (int64_t ox = 0; ox < ow; ox++) {
                    float acc = 0.0f;
                    for (int64_t ch = 0; ch < c; ch++)
                        for (int64_t i = 0; i < kh; i++)
                            for (int64_t j = 0; j < kw; j++) {
                                int64_t yy = oy + i - pad, xx = ox + j - pad;
                                int in = yy >= 0 && yy < h && xx >= 0 && xx < w;
                                float v = in ? x[s * D + (size_t)((ch * h + yy) * w + xx)] : 0.0f;
                                acc = fmaf(wt[((o * c + ch) * kh + i) * kw + j], v, acc);
                            }
                    float want = acc + b[o], got = y[s * K + (size_t)((o * oh + oy) * ow + ox)];
                    if (memcmp(&want, &got, sizeof want))
                        fail_msg("Conv %lld -> %lld on %lldx%lld: y[%zu] %a, the chain gives %a",
                                 (long long)c, (long long)m, (long long)h, (long long)w, s, got,
                                 want);
                }
        for (int64_t ch = 0; ch < c; ch++)
            for (int64_t yy = 0; yy < h; yy++)
                for (int64_t xx = 0; xx < w; xx++) {
                    float acc = 0.0f;
                    for (int64_t o = 0; o < m; o++)
                        for (int64_t i = 0; i < kh; i++)
                            for (int64_t j = 0; j < kw; j++) {
                                int64_t oy = yy + i - (kh - 1 - pad), ox = xx + j - (kw - 1 - pad);
                                int in = oy >= 0 && oy < oh && ox >= 0 && ox < ow;
                                float v = in ? dy[s * K + (size_t)((o * oh + oy) * ow + ox)] : 0.0f;
                                acc = fmaf(wt[((o * c + ch) * kh + (kh - 1 - i)) * kw + (kw - 1 - j)],
                                           v, acc);
                            }
                    float want = 0.0f + acc, got = g[s * D + (size_t)((ch * h + yy) * w + xx)];
                    if (memcmp(&want, &got, sizeof want))
                        fail_msg("Conv %lld -> %lld on %lldx%lld: dx[%zu] %a, the chain gives %a",
                                 (long long)c, (long long)m, (long long)h, (long long)w, s, got,
                                 want);
                }
    }
    xai_runner_free(r);
    xai_model_free(md);
    free(wt), free(b), free(x), free(dy), free(y), free(g);
}

static void conv_exact_chain(void **state)
{
    (void)state;
#if defined(__x86_64__) && defined(__GNUC__)
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma"))
        skip();
#else
    skip();
#endif
    exact_chain_case(1, 8, 8, 8);  /* digits conv1: its VJP has one output channel */
    exact_chain_case(2, 1, 9, 9);  /* one output channel, odd width */
    exact_chain_case(1, 3, 5, 13); /* three, with a VJP of one */
    exact_chain_case(3, 2, 4, 4);
    exact_chain_case(8, 16, 8, 8); /* digits conv2: g_mm one output row at a time */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dense),
        cmocka_unit_test(conv),
        cmocka_unit_test(maxpool),
        cmocka_unit_test(conv_exact_chain),
    };
    return cmocka_run_group_tests_name("kernel_shapes", tests, NULL, NULL);
}
