/* tests/test_explain_masks.c: mask methods against brute-force references:
 * KernelSHAP vs exact Shapley values by enumeration (with a baseline row, a
 * background set, and feature groups), occlusion on an additive model, LIME
 * on a linear model, image patches. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <xai/explain.h>

#include "support/models.h"

enum { MAXD = 10 };

/* v(S) = mean_k f_target(x on units S, background k elsewhere). */
static double value(const tm_model *t, const float *x, const float *bg, size_t nb,
                    const uint32_t *unit, uint32_t S, int target)
{
    double acc = 0, y[TM_MAX_OUT];
    float z[TM_MAX_IN];
    for (size_t k = 0; k < nb; k++) {
        for (size_t j = 0; j < t->d; j++)
            z[j] = (S >> unit[j]) & 1 ? x[j] : bg[k * t->d + j];
        tm_eval(t, z, y);
        /* the engine sees float outputs: round the same way */
        acc += (double)(float)y[target];
    }
    return acc / (double)nb;
}

/* phi_i = sum_{S not containing i} |S|! (M-|S|-1)! / M! (v(S+i) - v(S)) */
static void shapley(const tm_model *t, const float *x, const float *bg, size_t nb,
                    const uint32_t *unit, size_t M, int target, double *phi)
{
    double fact[MAXD + 1] = {1};
    for (size_t i = 1; i <= MAXD; i++)
        fact[i] = fact[i - 1] * (double)i;
    for (size_t i = 0; i < M; i++) {
        phi[i] = 0;
        for (uint32_t S = 0; S < (1u << M); S++) {
            if (S >> i & 1)
                continue;
            int s = __builtin_popcount(S);
            double w = fact[s] * fact[M - s - 1] / fact[M];
            phi[i] += w * (value(t, x, bg, nb, unit, S | 1u << i, target) -
                           value(t, x, bg, nb, unit, S, target));
        }
    }
}

static void kernelshap_exact_matches_enumeration(void **state)
{
    (void)state;
    enum { D = 8, N = 4, NB = 3 };
    tm_model t;
    tm_init(&t, TM_MLP, D, 12, 2, 21);
    xai_model *m = tm_wrap(&t, 0);
    float x[N * D], phi[N * D], bg[NB * D];
    tm_rows(N, D, 22, x);
    tm_rows(NB, D, 23, bg);
    uint32_t id[D];
    for (uint32_t j = 0; j < D; j++)
        id[j] = j;
    for (int use_bg = 0; use_bg < 2; use_bg++) {
        xai_explain_context c = {.n_features = D, .baseline_row = bg,
                                 .background = bg, .n_background = NB};
        xai_explain_options o = xai_explain_options_default();
        o.method = XAI_METHOD_KERNELSHAP;
        o.target = 1;
        o.baseline = use_bg ? XAI_BASELINE_BACKGROUND : XAI_BASELINE_ROW;
        xai_explain_diag dg[N];
        tm_explain(m, &o, &c, x, N, phi, dg);
        for (size_t i = 0; i < N; i++) {
            double ref[D];
            shapley(&t, x + i * D, bg, use_bg ? NB : 1, id, D, 1, ref);
            assert_int_equal(dg[i].exact, 1);
            assert_int_equal(dg[i].samples, (1 << D) - 2);
            assert_true(dg[i].completeness_gap < 1e-5);
            for (size_t j = 0; j < D; j++)
                assert_float_equal(phi[i * D + j], ref[j], 1e-6);
        }
    }
    xai_model_free(m);
}

static void kernelshap_groups_are_units(void **state)
{
    (void)state;
    enum { D = 9, G = 5, N = 3 };
    tm_model t;
    tm_init(&t, TM_MLP, D, 10, 1, 31);
    xai_model *m = tm_wrap(&t, 0);
    float x[N * D], phi[N * D], base[D];
    tm_rows(N, D, 32, x);
    tm_rows(1, D, 33, base);
    uint32_t grp[D] = {0, 0, 1, 2, 2, 2, 3, 4, 4};
    xai_explain_context c = {.n_features = D, .groups = grp, .n_groups = G,
                             .baseline_row = base};
    xai_explain_options o = xai_explain_options_default();
    o.baseline = XAI_BASELINE_ROW;
    tm_explain(m, &o, &c, x, N, phi, NULL);
    for (size_t i = 0; i < N; i++) {
        double ref[G], sum[G] = {0};
        shapley(&t, x + i * D, base, 1, grp, G, 0, ref);
        for (size_t j = 0; j < D; j++)
            sum[grp[j]] += phi[i * D + j];
        for (size_t g = 0; g < G; g++)
            assert_float_equal(sum[g], ref[g], 1e-6);
        /* spread equally inside a group */
        assert_float_equal(phi[i * D + 3], phi[i * D + 5], 1e-7);
    }
    xai_model_free(m);
}

/* Sampled mode: error against exact values shrinks with the budget. */
static void kernelshap_sampled_error_shrinks(void **state)
{
    (void)state;
    enum { D = 10, N = 20 };
    tm_model t;
    tm_init(&t, TM_MLP, D, 12, 1, 41);
    xai_model *m = tm_wrap(&t, 0);
    float x[N * D], phi[N * D], base[D];
    tm_rows(N, D, 42, x);
    tm_rows(1, D, 43, base);
    uint32_t id[D];
    for (uint32_t j = 0; j < D; j++)
        id[j] = j;
    double ref[N][D];
    for (size_t i = 0; i < N; i++)
        shapley(&t, x + i * D, base, 1, id, D, 0, ref[i]);
    xai_explain_context c = {.n_features = D, .baseline_row = base};
    int64_t budget[] = {64, 256, 4096};
    double err[3];
    for (int b = 0; b < 3; b++) {
        xai_explain_options o = xai_explain_options_default();
        o.baseline = XAI_BASELINE_ROW;
        o.samples = budget[b];
        o.seed = 3;
        xai_explain_diag dg[N];
        tm_explain(m, &o, &c, x, N, phi, dg);
        err[b] = 0;
        for (size_t i = 0; i < N; i++) {
            assert_int_equal(dg[i].exact, budget[b] >= 1022);
            assert_true(dg[i].completeness_gap < 1e-5); /* efficiency holds */
            for (size_t j = 0; j < D; j++)
                err[b] += fabs(phi[i * D + j] - ref[i][j]) / (N * D);
        }
    }
    assert_true(err[1] < err[0]);
    assert_true(err[2] < err[1]);
    assert_true(err[2] < 1e-6);
    xai_model_free(m);
}

static void occlusion_additive_is_exact(void **state)
{
    (void)state;
    enum { D = 7, N = 4, NB = 2 };
    tm_model t;
    tm_init(&t, TM_ADDITIVE, D, 0, 1, 51);
    xai_model *m = tm_wrap(&t, 0);
    float x[N * D], phi[N * D], bg[NB * D];
    tm_rows(N, D, 52, x);
    tm_rows(NB, D, 53, bg);
    xai_explain_context c = {.n_features = D, .background = bg, .n_background = NB};
    xai_explain_options o = xai_explain_options_default();
    o.method = XAI_METHOD_OCCLUSION;
    o.baseline = XAI_BASELINE_BACKGROUND;
    xai_explain_diag dg[N];
    tm_explain(m, &o, &c, x, N, phi, dg);
    for (size_t i = 0; i < N; i++) {
        assert_int_equal(dg[i].evaluations, 1 + NB + D * NB);
        for (size_t j = 0; j < D; j++) {
            /* contribution of feature j: f_j(x_j) - mean_k f_j(b_kj) */
            double ref = 0;
            for (size_t k = 0; k < NB; k++) {
                double b = bg[k * D + j], xi = x[i * D + j];
                ref += (t.w[0][j] * (sin(xi) - sin(b)) +
                        t.v[j] * (xi * xi - b * b)) / NB;
            }
            assert_float_equal(phi[i * D + j], ref, 2e-5);
        }
        /* additive: occlusion is complete */
        assert_true(dg[i].completeness_gap < 1e-4);
    }
    xai_model_free(m);
}

static void lime_linear_recovers_weights(void **state)
{
    (void)state;
    enum { D = 6, N = 4 };
    tm_model t;
    tm_init(&t, TM_LINEAR, D, 0, 1, 61);
    xai_model *m = tm_wrap(&t, 0);
    float x[N * D], phi[N * D];
    tm_rows(N, D, 62, x);
    xai_column_stats st[D];
    for (size_t j = 0; j < D; j++)
        st[j] = (xai_column_stats){0.25 * (double)j - 0.5, 1, -3, 3};
    xai_explain_context c = {.n_features = D, .stats = st};
    xai_explain_options o = xai_explain_options_default();
    o.method = XAI_METHOD_LIME; /* mean baseline */
    xai_explain_diag dg[N];
    tm_explain(m, &o, &c, x, N, phi, dg);
    for (size_t i = 0; i < N; i++) {
        assert_true(dg[i].r2 > 1 - 1e-9);
        assert_int_equal(dg[i].samples, 1000);
        for (size_t j = 0; j < D; j++)
            assert_float_equal(phi[i * D + j],
                               t.w[0][j] * (x[i * D + j] - (float)st[j].mean), 1e-5);
    }
    xai_model_free(m);
}

/* Occlusion with overlapping windows (7 x 6 image, window 3, stride 2):
 * origins 0, 2, 4 down and 0, 2 plus the flush 3 across.  A pixel's value
 * is the mean over the windows covering it of the window's effect
 * f(x) - f(x, window at the baseline) divided by the window's size;
 * recomputed here on a non-additive model. */
static double occl_f(const float *x, size_t n)
{
    double a = 0.2, q = 0;
    for (size_t j = 0; j < n; j++) {
        a += sin(0.7 * (double)j) * x[j];
        q += x[j] * (j % 3 == 0 ? 1.0 : -0.5);
    }
    return a + 0.05 * q * q;
}

static int occl_predict(void *u, const float *x, size_t n, float *y)
{
    size_t D = *(const size_t *)u;
    for (size_t i = 0; i < n; i++)
        y[i] = (float)occl_f(x + i * D, D);
    return 0;
}

static void occlusion_overlapping_windows(void **state)
{
    (void)state;
    enum { C = 2, H = 7, W = 6, D = C * H * W, WND = 3 };
    size_t dd = D;
    xai_model *m;
    assert_int_equal(xai_model_from_callbacks(D, 1, 0, occl_predict, NULL, &dd, &m), XAI_OK);
    float x[D], phi[D];
    for (int j = 0; j < D; j++)
        x[j] = (float)(0.1 * ((j * 5) % 13) - 0.4);
    xai_explain_context c = {.n_features = D, .image_c = C, .image_h = H, .image_w = W};
    xai_explain_options o = xai_explain_options_default();
    o.method = XAI_METHOD_OCCLUSION;
    o.baseline = XAI_BASELINE_ZERO;
    o.window = WND;
    o.stride = 2;
    xai_explain_diag dg;
    tm_explain(m, &o, &c, x, 1, phi, &dg);
    const int oy[] = {0, 2, 4}, ox[] = {0, 2, 3};
    double acc[D] = {0}, cnt[D] = {0}, fx = occl_f(x, D);
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++) {
            float z[D];
            memcpy(z, x, sizeof z);
            for (int ch = 0; ch < C; ch++)
                for (int y = oy[a]; y < oy[a] + WND; y++)
                    for (int xx = ox[b]; xx < ox[b] + WND; xx++)
                        z[(ch * H + y) * W + xx] = 0;
            double eff = fx - (double)(float)occl_f(z, D);
            for (int ch = 0; ch < C; ch++)
                for (int y = oy[a]; y < oy[a] + WND; y++)
                    for (int xx = ox[b]; xx < ox[b] + WND; xx++) {
                        acc[(ch * H + y) * W + xx] += eff / (C * WND * WND);
                        cnt[(ch * H + y) * W + xx] += 1;
                    }
        }
    assert_int_equal(dg.evaluations, 1 + 9 + 1); /* x, 9 windows, the baseline */
    for (int j = 0; j < D; j++) {
        assert_true(cnt[j] > 0);
        if (fabs(phi[j] - acc[j] / cnt[j]) > 1e-5 * (1 + fabs(acc[j] / cnt[j])))
            fail_msg("pixel %d: occlusion %g, recomputed %g", j, phi[j], acc[j] / cnt[j]);
    }
    xai_model_free(m);
}

/* Images: 2 x 6 x 6 pixels, patches of 3 (4 units): KernelSHAP on a linear
 * model puts on each pixel its patch's total / pixels; occlusion with 3 x 3
 * windows equals KernelSHAP there (additive). */
static void image_patches(void **state)
{
    (void)state;
    enum { C = 2, H = 6, W = 6, D = C * H * W };
    tm_model t;
    tm_init(&t, TM_LINEAR, D, 0, 1, 71);
    xai_model *m = tm_wrap(&t, 0);
    float x[D], phi[D], phio[D];
    tm_rows(1, D, 72, x);
    xai_explain_context c = {.n_features = D, .image_c = C, .image_h = H, .image_w = W};
    xai_explain_options o = xai_explain_options_default();
    o.baseline = XAI_BASELINE_ZERO;
    o.patch = 3;
    tm_explain(m, &o, &c, x, 1, phi, NULL);
    o.method = XAI_METHOD_OCCLUSION;
    tm_explain(m, &o, &c, x, 1, phio, NULL);
    for (size_t j = 0; j < D; j++) {
        size_t y = (j / W) % H, xx = j % W, py = y / 3, px = xx / 3;
        double tot = 0;
        for (size_t k = 0; k < D; k++)
            if ((k / W) % H / 3 == py && k % W / 3 == px)
                tot += t.w[0][k] * x[k];
        assert_float_equal(phi[j], tot / (C * 9), 1e-5);
        assert_float_equal(phio[j], tot / (C * 9), 1e-5);
    }
    xai_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(kernelshap_exact_matches_enumeration),
        cmocka_unit_test(kernelshap_groups_are_units),
        cmocka_unit_test(kernelshap_sampled_error_shrinks),
        cmocka_unit_test(occlusion_additive_is_exact),
        cmocka_unit_test(occlusion_overlapping_windows),
        cmocka_unit_test(lime_linear_recovers_weights),
        cmocka_unit_test(image_patches),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
