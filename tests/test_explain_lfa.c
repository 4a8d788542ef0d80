/* tests/test_explain_lfa.c: the LFA view.  No free lunch: on each method's
 * neighbourhood, that method has the lowest LFA loss among all methods;
 * custom triples reproduce presets; determinism across thread counts; clear
 * errors for bad options. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <xai/explain.h>

#include "support/models.h"

enum { D = 6, N = 20 };

static const xai_method lfa_methods[] = {
    XAI_METHOD_LIME, XAI_METHOD_CLIME, XAI_METHOD_KERNELSHAP,
    XAI_METHOD_OCCLUSION, XAI_METHOD_GRADIENT, XAI_METHOD_GRADIENT_X_INPUT,
    XAI_METHOD_SMOOTHGRAD, XAI_METHOD_INTEGRATED_GRADIENTS};
enum { NM = sizeof lfa_methods / sizeof lfa_methods[0] };

static xai_column_stats st[D];

static xai_explain_options opts(xai_method m)
{
    xai_explain_options o = xai_explain_options_default();
    o.method = m;
    o.seed = 99;
    o.target = 1;
    return o;
}

static void no_free_lunch(void **state)
{
    (void)state;
    tm_model t;
    tm_init(&t, TM_MLP, D, 16, 2, 81);
    xai_model *m = tm_wrap(&t, 0);
    float x[N * D];
    tm_rows(N, D, 82, x);
    for (size_t j = 0; j < D; j++)
        st[j] = (xai_column_stats){0.1 * (double)j, 0.8, -3, 3};
    xai_explain_context c = {.n_features = D, .stats = st};
    static float phi[NM][N * D];
    for (int a = 0; a < NM; a++) {
        xai_explain_options o = opts(lfa_methods[a]);
        tm_explain(m, &o, &c, x, N, phi[a], NULL);
    }
    /* pass 0: on the draws each method was fitted on, its own phi is the
     * exact minimiser; pass 1: on fresh draws (another seed), out of
     * sample, it must still win up to sampling noise (5%) */
    for (int pass = 0; pass < 2; pass++) {
    int winner_of[NM];
    double margin = pass ? 0.05 : 1e-6;
    for (int z = 0; z < NM; z++) { /* neighbourhood of method z */
        double mean[NM], loss[N];
        xai_explain_options oz = opts(lfa_methods[z]);
        if (pass)
            oz.seed = 4242;
        for (int a = 0; a < NM; a++) {
            if (xai_lfa_loss(m, &oz, &c, x, N, 0, phi[a], loss, 1) != XAI_OK)
                fail_msg("%s", xai_last_error());
            mean[a] = 0;
            for (size_t i = 0; i < N; i++)
                mean[a] += loss[i] / N;
        }
        if (getenv("XAI_TEST_VERBOSE")) { /* the methods x neighbourhoods table */
            printf("%-22s", xai_method_name(lfa_methods[z]));
            for (int a = 0; a < NM; a++)
                printf(" %10.3g", mean[a]);
            printf("\n");
        }
        int best = 0;
        for (int a = 1; a < NM; a++)
            if (mean[a] < mean[best])
                best = a;
        winner_of[z] = best;
        for (int a = 0; a < NM; a++)
            if (a != z && !(mean[z] <= mean[a] * (1 + margin) + 1e-12))
                fail_msg("%s: on the %s neighbourhood %s has loss %g < %s's %g",
                         pass ? "out of sample" : "in sample",
                         xai_method_name(lfa_methods[z]),
                         xai_method_name(lfa_methods[a]), mean[a],
                         xai_method_name(lfa_methods[z]), mean[z]);
    }
    /* no method is best everywhere */
    int distinct = 0;
    for (int z = 0; z < NM; z++)
        distinct += winner_of[z] != winner_of[0];
    assert_true(distinct > 0);
    }
    xai_model_free(m);
}

/* A user sampler: a fixed design around x (x + e_k, x - e_k, x + 0.5). */
static int design_sampler(void *user, xai_rng *rng, const float *x, size_t d,
                          size_t n, float *pts, double *w)
{
    (void)user, (void)rng;
    for (size_t s = 0; s < n; s++) {
        for (size_t k = 0; k < d; k++)
            pts[s * d + k] = x[k] + (s % (2 * d + 1) == 2 * d ? 0.5f : 0.0f);
        if (s % (2 * d + 1) < 2 * d)
            pts[s * d + (s % (2 * d + 1)) / 2] += s % 2 ? -1.0f : 1.0f;
        w[s] = 1.0 + (double)(s % 3);
    }
    return 0;
}

static void custom_triples(void **state)
{
    (void)state;
    tm_model t;
    tm_init(&t, TM_MLP, D, 8, 2, 91);
    xai_model *m = tm_wrap(&t, 0);
    float x[4 * D], a[4 * D], b[4 * D];
    tm_rows(4, D, 92, x);
    for (size_t j = 0; j < D; j++)
        st[j] = (xai_column_stats){0, 1, -3, 3};
    xai_explain_context c = {.n_features = D, .stats = st};
    struct {
        xai_method preset;
        xai_neighbourhood n;
        xai_loss l;
        xai_kernel k;
        xai_scale s;
    } same[] = {
        {XAI_METHOD_CLIME, XAI_NBHD_GAUSSIAN, XAI_LOSS_FUNCTION, XAI_KERNEL_UNIFORM, XAI_SCALE_NONE},
        {XAI_METHOD_LIME, XAI_NBHD_MASKS, XAI_LOSS_FUNCTION, XAI_KERNEL_EXPONENTIAL, XAI_SCALE_NONE},
        {XAI_METHOD_KERNELSHAP, XAI_NBHD_MASKS, XAI_LOSS_FUNCTION, XAI_KERNEL_SHAPLEY, XAI_SCALE_NONE},
        {XAI_METHOD_INTEGRATED_GRADIENTS, XAI_NBHD_PATH, XAI_LOSS_GRADIENT, XAI_KERNEL_UNIFORM, XAI_SCALE_DELTA},
        {XAI_METHOD_GRADIENT_X_INPUT, XAI_NBHD_POINT, XAI_LOSS_GRADIENT, XAI_KERNEL_UNIFORM, XAI_SCALE_INPUT},
    };
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        xai_explain_options o = opts(same[i].preset);
        o.sigma = 0.1;
        assert_int_equal(xai_explain_rows(m, &o, &c, x, 4, 0, a, NULL, 1), XAI_OK);
        o.method = XAI_METHOD_CUSTOM;
        o.custom.neighbourhood = same[i].n;
        o.custom.loss = same[i].l;
        o.custom.kernel = same[i].k;
        o.custom.scale = same[i].s;
        assert_int_equal(xai_explain_rows(m, &o, &c, x, 4, 0, b, NULL, 1), XAI_OK);
        assert_memory_equal(a, b, sizeof a);
    }
    xai_model_free(m);

    /* a user neighbourhood on a linear model recovers the weights */
    tm_init(&t, TM_LINEAR, D, 0, 1, 93);
    m = tm_wrap(&t, 0);
    xai_explain_options o = opts(XAI_METHOD_CUSTOM);
    o.target = 0;
    o.samples = 40;
    o.custom.neighbourhood = XAI_NBHD_USER;
    o.custom.sample = design_sampler;
    xai_explain_diag dg[4];
    tm_explain(m, &o, &c, x, 4, a, dg);
    for (size_t i = 0; i < 4 * D; i++)
        assert_float_equal(a[i], t.w[0][i % D], 1e-5);
    assert_float_equal(dg[0].intercept, dg[0].fx, 1e-5);
    xai_model_free(m);
}

static void deterministic_across_threads(void **state)
{
    (void)state;
    enum { DD = 12, NN = 37 };
    tm_model t;
    tm_init(&t, TM_MLP, DD, 8, 2, 101);
    xai_model *m = tm_wrap(&t, 0);
    float *x = malloc(NN * DD * sizeof *x), *p1 = malloc(NN * DD * sizeof *p1),
          *p2 = malloc(NN * DD * sizeof *p2);
    tm_rows(NN, DD, 102, x);
    xai_column_stats s12[DD];
    for (size_t j = 0; j < DD; j++)
        s12[j] = (xai_column_stats){0, 1, -3, 3};
    xai_explain_context c = {.n_features = DD, .stats = s12};
    xai_method ms[] = {XAI_METHOD_KERNELSHAP, XAI_METHOD_LIME, XAI_METHOD_CLIME,
                       XAI_METHOD_SMOOTHGRAD};
    for (size_t k = 0; k < 4; k++) {
        xai_explain_options o = opts(ms[k]);
        o.target = XAI_TARGET_PRED;
        o.samples = 300;
        assert_int_equal(xai_explain_rows(m, &o, &c, x, NN, 5, p1, NULL, 1), XAI_OK);
        for (int nt = 2; nt <= 3; nt++) {
            assert_int_equal(xai_explain_rows(m, &o, &c, x, NN, 5, p2, NULL, nt), XAI_OK);
            assert_memory_equal(p1, p2, NN * DD * sizeof *p1);
        }
        /* a row depends only on (seed, its instance index) */
        assert_int_equal(xai_explain_rows(m, &o, &c, x + 7 * DD, 1, 12, p2, NULL, 1), XAI_OK);
        assert_memory_equal(p1 + 7 * DD, p2, DD * sizeof *p1);
    }
    free(x), free(p1), free(p2);
    xai_model_free(m);
}

static void expect_error(xai_status want, const char *needle, xai_status got)
{
    if (got != want || !strstr(xai_last_error(), needle))
        fail_msg("expected status %d with '%s', got %d: '%s'", want, needle, got,
                 xai_last_error());
}

/* The documented defaults (xai/explain.h) after resolving: samples 1000
 * (LIME, C-LIME), 2M + 2048 (KernelSHAP), 50 (SmoothGrad, IG); sigma 0.15
 * (SmoothGrad), 0.1 (C-LIME); kernel width 0.75 sqrt(M) (LIME). */
static void documented_defaults(void **state)
{
    (void)state;
    tm_model t;
    tm_init(&t, TM_MLP, D, 4, 2, 7);
    xai_model *m = tm_wrap(&t, 0);
    for (size_t j = 0; j < D; j++)
        st[j] = (xai_column_stats){0, 1, -3, 3};
    xai_explain_context c = {.n_features = D, .stats = st};
    struct {
        xai_method m;
        int64_t samples;
        double sigma, width;
    } want[] = {
        {XAI_METHOD_LIME, 1000, -1, 0.75 * sqrt((double)D)},
        {XAI_METHOD_CLIME, 1000, 0.1, -1},
        {XAI_METHOD_KERNELSHAP, 2 * D + 2048, -1, -1},
        {XAI_METHOD_SMOOTHGRAD, 50, 0.15, -1},
        {XAI_METHOD_INTEGRATED_GRADIENTS, 50, -1, -1},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        xai_explain_options o = xai_explain_options_default(), r;
        o.method = want[i].m;
        if (xai_explain_options_resolve(m, &o, &c, &r) != XAI_OK)
            fail_msg("%s", xai_last_error());
        if (r.samples != want[i].samples)
            fail_msg("%s: %lld samples, documented %lld", xai_method_name(want[i].m),
                     (long long)r.samples, (long long)want[i].samples);
        if (want[i].sigma > 0)
            assert_float_equal(r.sigma, want[i].sigma, 1e-12);
        if (want[i].width > 0)
            assert_float_equal(r.kernel_width, want[i].width, 1e-12);
    }
    xai_model_free(m);
    /* images: M = ceil(H / patch) ceil(W / patch) units (6 x 8, patch 2:
     * 3 x 4 = 12; patch 3: 2 x 3 = 6) */
    tm_init(&t, TM_LINEAR, 48, 0, 1, 7);
    m = tm_wrap(&t, 0);
    xai_explain_context ci = {.n_features = 48, .image_c = 1, .image_h = 6, .image_w = 8,
                              .value_range = 1};
    const int32_t patch[2] = {2, 3};
    const size_t units[2] = {12, 6};
    for (int k = 0; k < 2; k++) {
        xai_explain_options o = xai_explain_options_default(), r;
        o.patch = patch[k];
        o.baseline = XAI_BASELINE_ZERO;
        if (xai_explain_options_resolve(m, &o, &ci, &r) != XAI_OK)
            fail_msg("%s", xai_last_error());
        assert_int_equal(r.samples, 2 * units[k] + 2048);
        o.method = XAI_METHOD_LIME;
        assert_int_equal(xai_explain_options_resolve(m, &o, &ci, &r), XAI_OK);
        assert_float_equal(r.kernel_width, 0.75 * sqrt((double)units[k]), 1e-12);
    }
    xai_model_free(m);
}

static void bad_options(void **state)
{
    (void)state;
    tm_model t;
    tm_init(&t, TM_MLP, D, 4, 2, 111);
    xai_model *m = tm_wrap(&t, 0);
    float x[D], phi[D];
    tm_rows(1, D, 112, x);
    xai_explain_context c = {.n_features = D, .stats = st};
    xai_method meth;
    expect_error(XAI_ERR_INVALID, "unknown method 'foo'", xai_method_lookup("foo", &meth));
    assert_int_equal(xai_method_lookup("IG", &meth), XAI_OK);
    assert_int_equal(meth, XAI_METHOD_INTEGRATED_GRADIENTS);

    xai_explain_options o = opts(XAI_METHOD_LIME);
    o.samples = 0;
    expect_error(XAI_ERR_INVALID, "samples must be positive",
                 xai_explain_rows(m, &o, &c, x, 1, 0, phi, NULL, 1));
    o = opts(XAI_METHOD_LIME);
    o.target = 2;
    expect_error(XAI_ERR_INVALID, "target 2 out of range",
                 xai_explain_rows(m, &o, &c, x, 1, 0, phi, NULL, 1));
    o = opts(XAI_METHOD_GRADIENT);
    x[3] = NAN;
    expect_error(XAI_ERR_NUMERIC, "row 4, feature 3",
                 xai_explain_rows(m, &o, &c, x, 1, 4, phi, NULL, 1));
    x[3] = 0;
    o = opts(XAI_METHOD_KERNELSHAP);
    xai_explain_context nostats = {.n_features = D};
    expect_error(XAI_ERR_INVALID, "mean baseline needs column statistics",
                 xai_explain_rows(m, &o, &nostats, x, 1, 0, phi, NULL, 1));
    xai_explain_context wrong = {.n_features = D + 1};
    expect_error(XAI_ERR_SHAPE, "model takes 6 inputs",
                 xai_explain_rows(m, &o, &wrong, x, 1, 0, phi, NULL, 1));
    o.baseline = XAI_BASELINE_BACKGROUND;
    expect_error(XAI_ERR_INVALID, "background",
                 xai_explain_rows(m, &o, &c, x, 1, 0, phi, NULL, 1));
    o = opts(XAI_METHOD_CUSTOM);
    o.custom.neighbourhood = XAI_NBHD_MASKS;
    o.custom.loss = XAI_LOSS_GRADIENT;
    expect_error(XAI_ERR_INVALID, "no gradients to match",
                 xai_explain_rows(m, &o, &c, x, 1, 0, phi, NULL, 1));
    o = opts(XAI_METHOD_SMOOTH_GRADCAM_PP);
    expect_error(XAI_ERR_UNSUPPORTED, "smooth-gradcam++",
                 xai_explain_rows(m, &o, &c, x, 1, 0, phi, NULL, 1));
    o = opts(XAI_METHOD_CLIME);
    o.sigma = -0.5;
    expect_error(XAI_ERR_INVALID, "sigma",
                 xai_explain_rows(m, &o, &c, x, 1, 0, phi, NULL, 1));
    /* resolution reports the defaults actually used */
    xai_explain_options r;
    o = opts(XAI_METHOD_KERNELSHAP);
    o.target = XAI_TARGET_PRED;
    assert_int_equal(xai_explain_options_resolve(m, &o, &c, &r), XAI_OK);
    assert_int_equal(r.samples, 2 * D + 2048);
    o.method = XAI_METHOD_LIME;
    assert_int_equal(xai_explain_options_resolve(m, &o, &c, &r), XAI_OK);
    assert_int_equal(r.samples, 1000);
    assert_float_equal(r.kernel_width, 0.75 * sqrt(D), 1e-12);
    xai_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(no_free_lunch),
        cmocka_unit_test(custom_triples),
        cmocka_unit_test(deterministic_across_threads),
        cmocka_unit_test(bad_options),
        cmocka_unit_test(documented_defaults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
