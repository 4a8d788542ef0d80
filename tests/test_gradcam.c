/* tests/test_gradcam.c: Smooth Grad-CAM++ maps against the PyTorch references
 * recorded in tests/fixtures/models/{cnn,cnn_bn}.ref, hand-computed cases,
 * bilinear upsampling against analytic answers, and the smooth-gradcam++
 * method end to end through the ONNX runtime and xai_explain_rows. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <xai/xai.h>

#include "explainers/gradcam.h"
#include "support/models.h"
#include "support/ref_file.h"

/* Block `key` of a .ref file as a malloc'd copy (rows x cols doubles). */
static double *ref_copy(const char *path, const char *key, size_t *rows,
                         size_t *cols)
{
    ref_file *rf = ref_load(path);
    assert_non_null(rf);
    const ref_block *b = ref_get(rf, key);
    assert_non_null(b);
    double *out = malloc(b->rows * b->cols * sizeof *out);
    assert_non_null(out);
    memcpy(out, b->v, b->rows * b->cols * sizeof *out);
    *rows = b->rows;
    *cols = b->cols;
    ref_free(rf);
    return out;
}

static float *to_float(const double *d, size_t n)
{
    float *f = malloc(n * sizeof *f);
    assert_non_null(f);
    for (size_t i = 0; i < n; i++)
        f[i] = (float)d[i];
    return f;
}

/* Layer shapes stated in the fixtures' comments (C x H x W). */
static const struct {
    const char *path;
    size_t C, H, W;
} fixtures[] = {
    {"tests/fixtures/models/cnn.ref", 8, 4, 4},
    {"tests/fixtures/models/cnn_bn.ref", 6, 4, 4},
};

static void check_fixture_map(const char *key, xai_cam_weights kind)
{
    for (size_t fi = 0; fi < sizeof fixtures / sizeof fixtures[0]; fi++) {
        size_t n, chw, n2, chw2, n3, hw;
        double *act = ref_copy(fixtures[fi].path, "act", &n, &chw);
        double *grad = ref_copy(fixtures[fi].path, "grad_act", &n2, &chw2);
        double *ref = ref_copy(fixtures[fi].path, key, &n3, &hw);
        size_t C = fixtures[fi].C;
        assert_int_equal(n, n2);
        assert_int_equal(n, n3);
        assert_int_equal(chw, chw2);
        assert_int_equal(hw, fixtures[fi].H * fixtures[fi].W);
        assert_int_equal(chw, C * hw);
        float *a = to_float(act, n * chw), *g = to_float(grad, n * chw);
        float map[64];
        double maxref = 0;
        for (size_t r = 0; r < n; r++) {
            assert_int_equal(xai_cam_map(a + r * chw, g + r * chw, 1, C, hw,
                                         kind, map), XAI_OK);
            for (size_t p = 0; p < hw; p++) {
                double want = ref[r * hw + p];
                maxref = fmax(maxref, fabs(want));
                /* 1e-4 relative (maps are ~1e-2; 1e-6 absolute near 0) */
                if (fabs(map[p] - want) > fmax(1e-4 * fabs(want), 1e-6))
                    fail_msg("%s %s row %zu pos %zu: got %.9g want %.9g",
                             fixtures[fi].path, key, r, p, map[p], want);
            }
        }
        assert_true(maxref > 1e-3); /* the reference is not all zero */
        free(act);
        free(grad);
        free(ref);
        free(a);
        free(g);
    }
}

static void gradcam_matches_pytorch(void **state)
{
    (void)state;
    check_fixture_map("gradcam", XAI_CAM_PLAIN);
}

static void gradcampp_matches_pytorch(void **state)
{
    (void)state;
    check_fixture_map("gradcampp", XAI_CAM_PLUSPLUS);
}

/* k identical copies average to the single copy; the copies' order does not
 * matter. */
static void copies_average_and_commute(void **state)
{
    (void)state;
    size_t n, chw;
    double *act = ref_copy(fixtures[0].path, "act", &n, &chw);
    double *grad = ref_copy(fixtures[0].path, "grad_act", &n, &chw);
    float *a = to_float(act, n * chw), *g = to_float(grad, n * chw);
    size_t C = 8, hw = 16;
    float one[16], rep[16], all[16], rev[16];
    float *a3 = malloc(3 * chw * sizeof *a3), *g3 = malloc(3 * chw * sizeof *g3);
    for (int k = 0; k < 3; k++) {
        memcpy(a3 + k * chw, a + chw, chw * sizeof *a);
        memcpy(g3 + k * chw, g + chw, chw * sizeof *g);
    }
    assert_int_equal(xai_cam_map(a + chw, g + chw, 1, C, hw, XAI_CAM_PLUSPLUS, one), XAI_OK);
    assert_int_equal(xai_cam_map(a3, g3, 3, C, hw, XAI_CAM_PLUSPLUS, rep), XAI_OK);
    for (size_t p = 0; p < hw; p++)
        assert_float_equal(rep[p], one[p], 1e-5 * fmax(1, fabs(one[p])));
    /* the 4 fixture rows as 4 copies, forwards and backwards */
    float *ar = malloc(n * chw * sizeof *ar), *gr = malloc(n * chw * sizeof *gr);
    for (size_t k = 0; k < n; k++) {
        memcpy(ar + k * chw, a + (n - 1 - k) * chw, chw * sizeof *a);
        memcpy(gr + k * chw, g + (n - 1 - k) * chw, chw * sizeof *g);
    }
    assert_int_equal(xai_cam_map(a, g, n, C, hw, XAI_CAM_PLUSPLUS, all), XAI_OK);
    assert_int_equal(xai_cam_map(ar, gr, n, C, hw, XAI_CAM_PLUSPLUS, rev), XAI_OK);
    for (size_t p = 0; p < hw; p++)
        assert_float_equal(all[p], rev[p], 1e-5 * fmax(1, fabs(all[p])));
    free(act); free(grad); free(a); free(g); free(a3); free(g3); free(ar); free(gr);
}

/* One channel, one position, by hand: the moments are averaged separately,
 * not the per-copy maps. */
static void smooth_moments_by_hand(void **state)
{
    (void)state;
    float map[1];
    /* A = 1, G = 1 and 3: mean G = 2, mean G^2 = 5, mean G^3 = 14, S = 1:
     * alpha = 5 / (10 + 14), w = 2 alpha = 5/12, map = 5/12 (averaging the
     * per-copy maps would give (1/3 + 3/5) / 2 = 7/15). */
    float a[2] = {1, 1}, g[2] = {1, 3};
    assert_int_equal(xai_cam_map(a, g, 2, 1, 1, XAI_CAM_PLUSPLUS, map), XAI_OK);
    assert_float_equal(map[0], 5.0 / 12.0, 1e-7);
    /* G = +1 and -1: mean G = 0, so ReLU(mean G) = 0 and the map is 0 */
    float g2[2] = {1, -1};
    assert_int_equal(xai_cam_map(a, g2, 2, 1, 1, XAI_CAM_PLUSPLUS, map), XAI_OK);
    assert_float_equal(map[0], 0.0, 0);
    /* Grad-CAM: A = 2 and 4 (mean 3), G = 1 and 3 (mean 2): map = 6 */
    float a3[2] = {2, 4};
    assert_int_equal(xai_cam_map(a3, g, 2, 1, 1, XAI_CAM_PLAIN, map), XAI_OK);
    assert_float_equal(map[0], 6.0, 1e-6);
    /* Two channels, two positions, one copy.  c0: A = (1, 3), G = (1, 1):
     * S = 4, alpha = 1 / (2 + 4) = 1/6 each, w0 = 2/6 = 1/3.
     * c1: A = (2, 0), G = (-1, 2): S = 2, alpha(pos1) = 4 / (8 + 16) = 1/6,
     * ReLU(-1) = 0 at pos0, w1 = 2/6 = 1/3.
     * map = ReLU(1/3 (1, 3) + 1/3 (2, 0)) = (1, 1). */
    float a4[4] = {1, 3, 2, 0}, g4[4] = {1, 1, -1, 2}, m2[2];
    assert_int_equal(xai_cam_map(a4, g4, 1, 2, 2, XAI_CAM_PLUSPLUS, m2), XAI_OK);
    assert_float_equal(m2[0], 1.0, 1e-6);
    assert_float_equal(m2[1], 1.0, 1e-6);
    /* Grad-CAM of the same: w0 = 1, w1 = 0.5: (1 + 1, 3 + 0) = (2, 3) */
    assert_int_equal(xai_cam_map(a4, g4, 1, 2, 2, XAI_CAM_PLAIN, m2), XAI_OK);
    assert_float_equal(m2[0], 2.0, 1e-6);
    assert_float_equal(m2[1], 3.0, 1e-6);
}

static void zero_gradient_and_bad_input(void **state)
{
    (void)state;
    float a[4] = {1, -2, 3, 4}, g[4] = {0, 0, 0, 0}, map[4] = {9, 9, 9, 9};
    assert_int_equal(xai_cam_map(a, g, 1, 1, 4, XAI_CAM_PLUSPLUS, map), XAI_OK);
    for (int p = 0; p < 4; p++)
        assert_float_equal(map[p], 0.0, 0);
    assert_int_equal(xai_cam_map(a, g, 0, 1, 4, XAI_CAM_PLUSPLUS, map), XAI_ERR_INVALID);
    assert_non_null(strstr(xai_last_error(), "gradcam"));
    assert_int_equal(xai_cam_map(a, g, 1, 1, 4, (xai_cam_weights)7, map), XAI_ERR_INVALID);
    float big[1] = {3e38f}, gb[1] = {3e38f};
    assert_int_equal(xai_cam_map(big, gb, 1, 1, 1, XAI_CAM_PLAIN, map), XAI_ERR_NUMERIC);
    assert_int_equal(xai_cam_upsample(a, 0, 2, map, 2, 2), XAI_ERR_INVALID);
}

/* ---- bilinear upsampling ---------------------------------------------- */

static void upsample_2x2_by_hand(void **state)
{
    (void)state;
    /* columns: output x -> source (x + 0.5) / 2 - 0.5 = -0.25 (clamped to 0),
     * 0.25, 0.75, 1.25 (past the last column: its value).  So the row
     * (0, 4) becomes (0, 1, 3, 4); in 2D each axis the same. */
    const float in[4] = {0, 4, 8, 12};
    const float want[16] = {0, 1, 3, 4,      2, 3, 5, 6,
                            6, 7, 9, 10,     8, 9, 11, 12};
    float out[16];
    assert_int_equal(xai_cam_upsample(in, 2, 2, out, 4, 4), XAI_OK);
    for (int i = 0; i < 16; i++)
        assert_float_equal(out[i], want[i], 1e-6);
    /* a single corner: out(1,1) = 0.75 * 0.75 from (0,0) */
    const float e[4] = {1, 0, 0, 0};
    assert_int_equal(xai_cam_upsample(e, 2, 2, out, 4, 4), XAI_OK);
    assert_float_equal(out[0], 1.0, 1e-7);
    assert_float_equal(out[5], 0.5625, 1e-7);
    assert_float_equal(out[6], 0.1875, 1e-7);
    assert_float_equal(out[15], 0.0, 1e-7);
}

/* PyTorch 1.13 reference for a non-integer ratio, recorded with
 *   x = torch.arange(15.).reshape(1, 1, 3, 5) ** 1.5
 *   F.interpolate(x, size=(8, 7), mode='bilinear', align_corners=False) */
static void upsample_matches_pytorch(void **state)
{
    (void)state;
    static const float want[56] = {
        0, 0.571428597, 1.52240777, 2.82842731, 4.51965952, 6.3978014, 8,
        0.698771238, 1.36007833, 2.41408968, 3.80916667, 5.57805204, 7.52927542, 9.1875,
        4.89139843, 6.09197664, 7.76418018, 9.69360352, 11.9284086, 14.3181171, 16.3125,
        9.08402634, 10.8238754, 13.1142712, 15.5780411, 18.2787647, 21.1069603, 23.4375,
        15.0132961, 17.1667271, 19.9418411, 22.8419399, 25.9357738, 29.1387539, 31.7593498,
        22.6792107, 25.1205349, 28.246891, 31.4852982, 34.8994331, 38.4135017, 41.2780495,
        30.3451233, 33.0743408, 36.5519409, 40.1286583, 43.8630943, 47.6882477, 50.7967529,
        31.622776, 34.3999748, 37.9361153, 41.5692177, 45.3570404, 49.2340393, 52.3832016};
    float in[15], out[56];
    for (int i = 0; i < 15; i++)
        in[i] = (float)pow(i, 1.5);
    assert_int_equal(xai_cam_upsample(in, 3, 5, out, 8, 7), XAI_OK);
    for (int i = 0; i < 56; i++)
        assert_float_equal(out[i], want[i], 1e-5 * fmax(1, fabs(want[i])));
}

/* Bilinear interpolation reproduces an affine function at the clamped source
 * coordinates; a constant stays constant; equal sizes are the identity. */
static void upsample_invariants(void **state)
{
    (void)state;
    const size_t sizes[][4] = {{4, 4, 8, 8}, {3, 5, 8, 7}, {4, 4, 4, 4},
                               {1, 1, 5, 3}, {2, 3, 9, 11}, {6, 6, 3, 4}};
    float in[64], out[128];
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        size_t ih = sizes[s][0], iw = sizes[s][1], oh = sizes[s][2], ow = sizes[s][3];
        for (size_t y = 0; y < ih; y++)
            for (size_t x = 0; x < iw; x++)
                in[y * iw + x] = (float)(1.5 * y - 0.75 * x + 2);
        assert_int_equal(xai_cam_upsample(in, ih, iw, out, oh, ow), XAI_OK);
        for (size_t y = 0; y < oh; y++)
            for (size_t x = 0; x < ow; x++) {
                double sy = fmin(fmax((y + 0.5) * ih / oh - 0.5, 0), ih - 1.0);
                double sx = fmin(fmax((x + 0.5) * iw / ow - 0.5, 0), iw - 1.0);
                assert_float_equal(out[y * ow + x], 1.5 * sy - 0.75 * sx + 2, 1e-5);
            }
        for (size_t i = 0; i < ih * iw; i++)
            in[i] = 0.37f;
        assert_int_equal(xai_cam_upsample(in, ih, iw, out, oh, ow), XAI_OK);
        for (size_t i = 0; i < oh * ow; i++)
            assert_float_equal(out[i], 0.37f, 1e-7);
    }
    for (size_t i = 0; i < 16; i++)
        in[i] = (float)((i * 7919) % 13) - 6.0f;
    assert_int_equal(xai_cam_upsample(in, 4, 4, out, 4, 4), XAI_OK);
    assert_memory_equal(in, out, 16 * sizeof(float));
}

/* ---- the method end to end (ONNX runtime + xai_explain_rows) ---------- */

static const struct {
    const char *onnx, *ref;
    uint32_t c, h, w;  /* input image */
    size_t lh, lw;     /* the default layer's spatial size */
} e2e[] = {
    {"tests/fixtures/models/cnn.onnx", "tests/fixtures/models/cnn.ref", 1, 8, 8, 4, 4},
    {"tests/fixtures/models/cnn_bn.onnx", "tests/fixtures/models/cnn_bn.ref", 3, 8, 8, 4, 4},
};

static xai_explain_options cam_options(void)
{
    xai_explain_options o = xai_explain_options_default();
    assert_int_equal(xai_method_lookup("smooth-gradcam++", &o.method), XAI_OK);
    return o;
}

static xai_model *load(const char *path)
{
    xai_model *m = NULL;
    if (xai_model_load(path, &m) != XAI_OK)
        fail_msg("%s", xai_last_error());
    return m;
}

/* Noise off: the whole pipeline (layer choice, tap, map, upsampling,
 * broadcast to channels) reproduces the recorded Grad-CAM++ map, upsampled
 * with xai_cam_upsample (itself checked against PyTorch above). */
static void e2e_noise_off_matches_pytorch(void **state)
{
    (void)state;
    for (size_t fi = 0; fi < sizeof e2e / sizeof e2e[0]; fi++) {
        xai_model *m = load(e2e[fi].onnx);
        size_t n, D, nt, one, nm, hw;
        double *in = ref_copy(e2e[fi].ref, "input", &n, &D);
        double *tgt = ref_copy(e2e[fi].ref, "target", &nt, &one);
        double *ref = ref_copy(e2e[fi].ref, "gradcampp", &nm, &hw);
        size_t HW = (size_t)e2e[fi].h * e2e[fi].w;
        assert_int_equal(D, e2e[fi].c * HW);
        assert_int_equal(hw, e2e[fi].lh * e2e[fi].lw);
        float *x = to_float(in, n * D), *phi = malloc(n * D * sizeof *phi);
        xai_explain_diag dg[4];
        xai_explain_options o = cam_options();
        o.output = XAI_OUTPUT_SCORE; /* the references use the score */
        o.sigma = 0;
        xai_explain_context c = {.n_features = D, .image_c = e2e[fi].c,
                                 .image_h = e2e[fi].h, .image_w = e2e[fi].w};
        if (xai_explain_rows(m, &o, &c, x, n, 0, phi, dg, 1) != XAI_OK)
            fail_msg("%s: %s", e2e[fi].onnx, xai_last_error());
        for (size_t r = 0; r < n; r++) {
            float lmap[64], want[64];
            for (size_t p = 0; p < hw; p++)
                lmap[p] = (float)ref[r * hw + p];
            assert_int_equal(xai_cam_upsample(lmap, e2e[fi].lh, e2e[fi].lw, want,
                                              e2e[fi].h, e2e[fi].w), XAI_OK);
            assert_int_equal(dg[r].target, (int32_t)tgt[r]);
            assert_int_equal(dg[r].samples, 1);
            assert_true(dg[r].evaluations >= 1);
            assert_true(dg[r].seconds >= 0);
            for (size_t ch = 0; ch < e2e[fi].c; ch++)
                for (size_t p = 0; p < HW; p++) {
                    double got = phi[r * D + ch * HW + p];
                    if (fabs(got - want[p]) > fmax(1e-4 * fabs(want[p]), 1e-6))
                        fail_msg("%s row %zu channel %zu pixel %zu: got %.9g "
                                 "want %.9g", e2e[fi].onnx, r, ch, p, got, want[p]);
                }
        }
        /* naming the default layer explicitly changes nothing */
        float *phi2 = malloc(n * D * sizeof *phi2);
        o.layer = fi == 0 ? "/conv2/Conv_output_0" : "/dwconv/Conv_output_0";
        assert_int_equal(xai_explain_rows(m, &o, &c, x, n, 0, phi2, NULL, 1), XAI_OK);
        assert_memory_equal(phi, phi2, n * D * sizeof *phi);
        /* an earlier layer at full resolution works too: a non-negative map */
        o.layer = "/conv1/Conv_output_0";
        assert_int_equal(xai_explain_rows(m, &o, &c, x, n, 0, phi2, NULL, 1), XAI_OK);
        double tot = 0;
        for (size_t i = 0; i < n * D; i++) {
            assert_true(phi2[i] >= 0 && isfinite(phi2[i]));
            tot += phi2[i];
        }
        assert_true(tot > 0);
        free(in); free(tgt); free(ref); free(x); free(phi); free(phi2);
        xai_model_free(m);
    }
}

static void e2e_bad_layer(void **state)
{
    (void)state;
    xai_model *m = load(e2e[0].onnx);
    float x[64] = {0}, phi[64];
    xai_explain_options o = cam_options();
    xai_explain_context c = {.n_features = 64, .image_c = 1, .image_h = 8, .image_w = 8};
    o.layer = "/no/such_tensor";
    assert_int_equal(xai_explain_rows(m, &o, &c, x, 1, 0, phi, NULL, 1), XAI_ERR_INVALID);
    assert_non_null(strstr(xai_last_error(), "/no/such_tensor"));
    assert_non_null(strstr(xai_last_error(), "/conv2/Conv_output_0"));
    o.layer = "output"; /* rank 1 per sample */
    assert_int_equal(xai_explain_rows(m, &o, &c, x, 1, 0, phi, NULL, 1), XAI_ERR_UNSUPPORTED);
    assert_non_null(strstr(xai_last_error(), "'output'"));
    xai_model_free(m);
}

/* 120 rows near the fixture inputs, stream (99, i). */
static float *many_rows(const float *x4, size_t D, size_t n)
{
    float *x = malloc(n * D * sizeof *x);
    for (size_t i = 0; i < n; i++) {
        xai_rng g;
        xai_rng_init(&g, 99, i);
        for (size_t j = 0; j < D; j++)
            x[i * D + j] = x4[(i % 4) * D + j] + 0.05f * (float)xai_rng_normal(&g);
    }
    return x;
}

/* Noise on: identical for any thread count, for a repeated call and for a
 * row explained alone at its instance index; a different seed differs. */
static void e2e_noise_deterministic(void **state)
{
    (void)state;
    enum { N = 120, D = 64 };
    xai_model *m = load(e2e[0].onnx);
    size_t n4, d4;
    double *in = ref_copy(e2e[0].ref, "input", &n4, &d4);
    float *x4 = to_float(in, n4 * d4), *x = many_rows(x4, D, N);
    float *a = malloc(N * D * sizeof *a), *b = malloc(N * D * sizeof *b);
    xai_explain_diag dg[N];
    xai_explain_options o = cam_options();
    o.sigma = 0.2;
    o.samples = 24; /* 120 rows are then several engine blocks */
    o.seed = 11;
    xai_explain_context c = {.n_features = D, .image_c = 1, .image_h = 8,
                             .image_w = 8, .value_range = 1};
    assert_int_equal(xai_explain_rows(m, &o, &c, x, N, 0, a, dg, 1), XAI_OK);
    assert_int_equal(dg[0].samples, 24);
    assert_true(dg[N - 1].evaluations >= 24);
    assert_int_equal(xai_explain_rows(m, &o, &c, x, N, 0, b, NULL, 3), XAI_OK);
    assert_memory_equal(a, b, N * D * sizeof *a);
    assert_int_equal(xai_explain_rows(m, &o, &c, x, N, 0, b, NULL, 1), XAI_OK);
    assert_memory_equal(a, b, N * D * sizeof *a);
    assert_int_equal(xai_explain_rows(m, &o, &c, x + 37 * D, 3, 37, b, NULL, 2), XAI_OK);
    assert_memory_equal(a + 37 * D, b, 3 * D * sizeof *a);
    o.seed = 12;
    assert_int_equal(xai_explain_rows(m, &o, &c, x, 4, 0, b, NULL, 1), XAI_OK);
    assert_true(memcmp(a, b, 4 * D * sizeof *a) != 0);
    free(in); free(x4); free(x); free(a); free(b);
    xai_model_free(m);
}

/* Noise on, one row, against the documented recipe done by hand: copies
 * x + N(0, (sigma * value_range)^2) from stream (seed, instance), drawn copy
 * by copy, one tap at the last conv layer, the map, upsampling.  Also:
 * vanishing noise tends to Grad-CAM++, large noise moves the map. */
static void e2e_noise_recipe(void **state)
{
    (void)state;
    enum { D = 64, S = 16 };
    xai_model *m = load(e2e[0].onnx);
    size_t n4, d4;
    double *in = ref_copy(e2e[0].ref, "input", &n4, &d4);
    float *x4 = to_float(in, n4 * d4);
    const float *x = x4 + 2 * D; /* row 2, explained as instance 5 */
    xai_explain_options o = cam_options();
    o.sigma = 0.1;
    o.samples = S;
    o.seed = 3;
    o.output = XAI_OUTPUT_SCORE;
    xai_explain_context c = {.n_features = D, .image_c = 1, .image_h = 8,
                             .image_w = 8, .value_range = 2.5};
    float phi[D], want[D], clean[D], lmap[16];
    xai_explain_diag dg;
    assert_int_equal(xai_explain_rows(m, &o, &c, x, 1, 5, phi, &dg, 1), XAI_OK);

    static float xs[S * D], act[S * 128], grad[S * 128];
    int32_t tg[S];
    xai_rng g;
    xai_rng_init(&g, 3, 5);
    for (size_t k = 0; k < S; k++) {
        tg[k] = dg.target;
        for (size_t j = 0; j < D; j++)
            xs[k * D + j] = x[j] + (float)(0.1 * 2.5 * xai_rng_normal(&g));
    }
    xai_runner *r;
    assert_int_equal(xai_runner_new(m, &r), XAI_OK);
    assert_int_equal(xai_runner_tap(r, XAI_OUTPUT_SCORE, "/conv2/Conv_output_0",
                                    xs, S, tg, act, grad, NULL), XAI_OK);
    xai_runner_free(r);
    assert_int_equal(xai_cam_map(act, grad, S, 8, 16, XAI_CAM_PLUSPLUS, lmap), XAI_OK);
    assert_int_equal(xai_cam_upsample(lmap, 4, 4, want, 8, 8), XAI_OK);
    for (size_t p = 0; p < D; p++)
        assert_float_equal(phi[p], want[p], 1e-6 * fmax(1, fabs(want[p])));

    o.sigma = 0;
    assert_int_equal(xai_explain_rows(m, &o, &c, x, 1, 5, clean, NULL, 1), XAI_OK);
    double top = 0, diff_big = 0, diff_small = 0;
    for (size_t p = 0; p < D; p++) {
        top = fmax(top, fabs(clean[p]));
        diff_big = fmax(diff_big, fabs(phi[p] - clean[p]));
    }
    o.sigma = 1e-5;
    assert_int_equal(xai_explain_rows(m, &o, &c, x, 1, 5, phi, NULL, 1), XAI_OK);
    for (size_t p = 0; p < D; p++)
        diff_small = fmax(diff_small, fabs(phi[p] - clean[p]));
    assert_true(top > 0);
    assert_true(diff_small < 1e-3 * top);
    assert_true(diff_big > 1e-2 * top);
    free(in); free(x4);
    xai_model_free(m);
}

/* Models without a usable conv layer: a clear XAI_ERR_UNSUPPORTED. */
/* Resolving names the layer that will be used: the fixture script records
 * the last conv layer with spatial size above 1x1 of each CNN. */
static void resolve_names_default_layer(void **state)
{
    (void)state;
    const char *names[] = {"cnn", "cnn_bn"};
    for (int k = 0; k < 2; k++) {
        char path[128];
        snprintf(path, sizeof path, "tests/fixtures/models/%s.onnx", names[k]);
        xai_model *m = load(path);
        snprintf(path, sizeof path, "tests/fixtures/models/%s.ref", names[k]);
        ref_file *rf = ref_load(path);
        assert_non_null(rf);
        const char *want = rf->layer;
        assert_true(want[0] != '\0');
        int64_t d[4];
        assert_int_equal(xai_model_input_shape(m, d), 3);
        xai_explain_context c = {.n_features = xai_model_input_size(m),
                                 .image_c = (uint32_t)d[0], .image_h = (uint32_t)d[1],
                                 .image_w = (uint32_t)d[2]};
        xai_explain_options o = cam_options(), r;
        assert_null(o.layer);
        assert_int_equal(xai_explain_options_resolve(m, &o, &c, &r), XAI_OK);
        assert_string_equal(r.layer, want);
        ref_free(rf);
        xai_model_free(m);
    }
}

static void e2e_unsupported_models(void **state)
{
    (void)state;
    xai_model *m = load("tests/fixtures/models/mlp_sigmoid.onnx");
    float x[10] = {0}, phi[16];
    xai_explain_options o = cam_options();
    xai_explain_context c = {.n_features = 10, .image_c = 1, .image_h = 2, .image_w = 5};
    assert_int_equal(xai_explain_rows(m, &o, &c, x, 1, 0, phi, NULL, 1), XAI_ERR_UNSUPPORTED);
    assert_non_null(strstr(xai_last_error(), "convolutional layer"));
    assert_non_null(strstr(xai_last_error(), "onnx model (Gemm x2"));
    xai_explain_context tab = {.n_features = 10};
    assert_int_equal(xai_explain_rows(m, &o, &tab, x, 1, 0, phi, NULL, 1), XAI_ERR_UNSUPPORTED);
    assert_non_null(strstr(xai_last_error(), "image"));
    xai_model_free(m);

    tm_model t;
    tm_init(&t, TM_LINEAR, 16, 0, 2, 5);
    m = tm_wrap(&t, 0);
    xai_explain_context c16 = {.n_features = 16, .image_c = 1, .image_h = 4, .image_w = 4};
    /* the layer is resolved with the options: refused even with no rows */
    assert_int_equal(xai_explain_rows(m, &o, &c16, x, 0, 0, phi, NULL, 1), XAI_ERR_UNSUPPORTED);
    assert_non_null(strstr(xai_last_error(), "callbacks model"));
    float x16[16] = {0};
    assert_int_equal(xai_explain_rows(m, &o, &c16, x16, 1, 0, phi, NULL, 1), XAI_ERR_UNSUPPORTED);
    assert_non_null(strstr(xai_last_error(), "callbacks model"));
    xai_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gradcam_matches_pytorch),
        cmocka_unit_test(gradcampp_matches_pytorch),
        cmocka_unit_test(copies_average_and_commute),
        cmocka_unit_test(smooth_moments_by_hand),
        cmocka_unit_test(zero_gradient_and_bad_input),
        cmocka_unit_test(upsample_2x2_by_hand),
        cmocka_unit_test(upsample_matches_pytorch),
        cmocka_unit_test(upsample_invariants),
        cmocka_unit_test(e2e_noise_off_matches_pytorch),
        cmocka_unit_test(e2e_bad_layer),
        cmocka_unit_test(e2e_noise_deterministic),
        cmocka_unit_test(e2e_noise_recipe),
        cmocka_unit_test(e2e_unsupported_models),
        cmocka_unit_test(resolve_names_default_layer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
