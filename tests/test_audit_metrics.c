/* tests/test_audit_metrics.c: the faithfulness metrics against analytic
 * answers on callback models (linear, logistic, quadratic, an image model
 * that looks only at a planted patch). */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <xai/audit.h>

#include "support/ref_file.h"

/* ---- a linear model f(x) = w . x (one output, a score) ---------------- */
enum { LD = 8, LN = 30 };
static const float LW[LD] = {3.0f, -2.5f, 2.0f, 1.5f, -1.0f, 0.6f, 0.3f, -0.1f};

static int lin_predict(void *u, const float *x, size_t n, float *y)
{
    (void)u;
    for (size_t i = 0; i < n; i++) {
        double a = 0;
        for (int j = 0; j < LD; j++)
            a += (double)LW[j] * x[i * LD + j];
        y[i] = (float)a;
    }
    return 0;
}

static void rows(float *x, size_t n, size_t D, uint64_t seed)
{
    xai_rng r;
    xai_rng_init(&r, seed, 99);
    for (size_t i = 0; i < n * D; i++)
        x[i] = (float)xai_rng_normal(&r);
}

static xai_model *linear_model(void)
{
    xai_model *m;
    assert_int_equal(xai_model_from_callbacks(LD, 1, 0, lin_predict, NULL, NULL, &m), XAI_OK);
    return m;
}

/* For f = w.x, PGI_k = E|sum_{j in top} w_j e_j| = sigma sqrt(2/pi)
 * sqrt(sum_{top} (w_j s_j)^2) (a half-normal mean), PGU likewise. */
static void pgi_linear_analytic(void **state)
{
    (void)state;
    xai_model *m = linear_model();
    xai_column_stats st[LD];
    for (int j = 0; j < LD; j++)
        st[j] = (xai_column_stats){0, 0.5 + 0.25 * j, -1, 1};
    float x[LN * LD], phi[LN * LD];
    rows(x, LN, LD, 1);
    for (int i = 0; i < LN; i++)
        memcpy(phi + i * LD, LW, sizeof LW);
    xai_audit_setup s = xai_audit_setup_default(m);
    s.stats = st;
    s.n_threads = 2;
    enum { K = 4 };
    double pgi[LN * K], pgu[LN * K], sigma = 0.2;
    assert_int_equal(xai_audit_pgi_pgu(&s, x, LN, phi, K, sigma, 400, pgi, pgu), XAI_OK);
    /* true ranking by |w|: 0,1,2,3,... */
    for (int k = 1; k <= K; k++) {
        double top = 0, rest = 0;
        for (int j = 0; j < LD; j++) {
            double v = LW[j] * st[j].std;
            if (j < k)
                top += v * v;
            else
                rest += v * v;
        }
        double wi = sigma * sqrt(2 / M_PI) * sqrt(top), wu = sigma * sqrt(2 / M_PI) * sqrt(rest);
        double gi = 0, gu = 0;
        for (int i = 0; i < LN; i++)
            gi += pgi[i * K + k - 1], gu += pgu[i * K + k - 1];
        gi /= LN, gu /= LN;
        /* 12000 draws: relative MC error about 1% */
        assert_true(fabs(gi - wi) < 0.04 * wi);
        assert_true(fabs(gu - wu) < 0.04 * wu);
    }
    xai_model_free(m);
}

/* The true weight ranking beats random rankings: higher PGI, lower PGU. */
static void pgi_true_beats_random(void **state)
{
    (void)state;
    xai_model *m = linear_model();
    float x[LN * LD], phi[LN * LD], rnd[LN * LD];
    rows(x, LN, LD, 2);
    rows(rnd, LN, LD, 3);
    for (int i = 0; i < LN; i++)
        memcpy(phi + i * LD, LW, sizeof LW);
    xai_audit_setup s = xai_audit_setup_default(m);
    enum { K = 3 };
    double ti[LN * K], tu[LN * K], ri[LN * K], ru[LN * K];
    assert_int_equal(xai_audit_pgi_pgu(&s, x, LN, phi, K, 0.1, 50, ti, tu), XAI_OK);
    assert_int_equal(xai_audit_pgi_pgu(&s, x, LN, rnd, K, 0.1, 50, ri, ru), XAI_OK);
    double avg[4] = {0};
    for (int i = 0; i < LN * K; i++)
        avg[0] += ti[i], avg[1] += tu[i], avg[2] += ri[i], avg[3] += ru[i];
    assert_true(avg[0] > 1.5 * avg[2]);
    assert_true(avg[1] < 0.8 * avg[3]);
    /* per instance with the paired test: the true ranking wins */
    double a[LN], b[LN];
    for (int i = 0; i < LN; i++) {
        a[i] = b[i] = 0;
        for (int k = 0; k < K; k++)
            a[i] += ti[i * K + k] / K, b[i] += ri[i * K + k] / K;
    }
    assert_int_equal(xai_audit_paired(a, b, LN, NULL), 1);
    /* bit-identical for any thread count */
    double t1[LN * K];
    s.n_threads = 1;
    assert_int_equal(xai_audit_pgi_pgu(&s, x, LN, phi, K, 0.1, 50, t1, NULL), XAI_OK);
    assert_memory_equal(t1, ti, sizeof t1);
    xai_model_free(m);
}

/* For f = w.x: INFD(w) = 0 exactly (up to float), and
 * INFD(w + d) = E[(I.d)^2] = sigma^2 sum_j (d_j s_j)^2. */
static void infidelity_linear(void **state)
{
    (void)state;
    xai_model *m = linear_model();
    float x[LN * LD], phi[LN * LD], bad[LN * LD];
    rows(x, LN, LD, 4);
    float d[LD] = {1, 0, 0, -0.5f, 0, 0, 2, 0};
    for (int i = 0; i < LN; i++)
        for (int j = 0; j < LD; j++)
            phi[i * LD + j] = LW[j], bad[i * LD + j] = LW[j] + d[j];
    xai_audit_setup s = xai_audit_setup_default(m);
    double inf0[LN], inf1[LN], sigma = 0.3;
    assert_int_equal(xai_audit_infidelity(&s, x, LN, phi, sigma, 200, inf0), XAI_OK);
    assert_int_equal(xai_audit_infidelity(&s, x, LN, bad, sigma, 200, inf1), XAI_OK);
    double want = 0;
    for (int j = 0; j < LD; j++)
        want += sigma * sigma * d[j] * d[j];
    xai_audit_stat a = xai_audit_stat_of(inf0, LN), b = xai_audit_stat_of(inf1, LN);
    assert_true(a.mean < 1e-9);
    assert_true(fabs(b.mean - want) < 0.05 * want);
    xai_model_free(m);
}

/* ---- a quadratic model f = |x|^2 / 2, gradient x -------------------- */
static int quad_predict(void *u, const float *x, size_t n, float *y)
{
    size_t D = *(const size_t *)u;
    for (size_t i = 0; i < n; i++) {
        double a = 0;
        for (size_t j = 0; j < D; j++)
            a += 0.5 * (double)x[i * D + j] * x[i * D + j];
        y[i] = (float)a;
    }
    return 0;
}

/* "explanations": the analytic gradient (= x) */
static xai_status explain_identity(void *u, const xai_model *m, const float *x,
                                   size_t n, uint64_t first, float *phi)
{
    (void)u, (void)first;
    memcpy(phi, x, n * xai_model_input_size(m) * sizeof *phi);
    return XAI_OK;
}

/* SENS = max_p |u_p| / |x| with u_p ~ U[-r, r] (one feature): with many
 * points it is just below r / |x|. */
static void max_sensitivity_quadratic(void **state)
{
    (void)state;
    size_t D = 1;
    xai_model *m;
    assert_int_equal(xai_model_from_callbacks(1, 1, 0, quad_predict, NULL, &D, &m), XAI_OK);
    float x[3] = {2.0f, -0.5f, 1.0f}, phi[3];
    memcpy(phi, x, sizeof x);
    xai_audit_setup s = xai_audit_setup_default(m);
    double sens[3], r = 0.1;
    assert_int_equal(xai_audit_max_sensitivity(&s, explain_identity, NULL, x, 3, phi,
                                               r, 200, sens), XAI_OK);
    for (int i = 0; i < 3; i++) {
        double bound = r / fabs(x[i]);
        assert_true(sens[i] <= bound * (1 + 1e-5));
        assert_true(sens[i] > 0.95 * bound);
    }
    xai_model_free(m);
}

/* Constant explanations (a linear model's gradient) have sensitivity 0. */
static xai_status explain_weights(void *u, const xai_model *m, const float *x,
                                  size_t n, uint64_t first, float *phi)
{
    (void)u, (void)m, (void)x, (void)first;
    for (size_t i = 0; i < n; i++)
        memcpy(phi + i * LD, LW, sizeof LW);
    return XAI_OK;
}

static void max_sensitivity_constant(void **state)
{
    (void)state;
    xai_model *m = linear_model();
    float x[4 * LD], phi[4 * LD];
    rows(x, 4, LD, 5);
    explain_weights(NULL, m, x, 4, 0, phi);
    xai_audit_setup s = xai_audit_setup_default(m);
    double sens[4];
    assert_int_equal(xai_audit_max_sensitivity(&s, explain_weights, NULL, x, 4, phi,
                                               0.2, 5, sens), XAI_OK);
    for (int i = 0; i < 4; i++)
        assert_true(sens[i] == 0.0);
    xai_model_free(m);
}

/* ---- max-sensitivity: common random numbers and per-column radius ----- */
enum { SD = 3, SP = 400 };
typedef struct recorder {
    float pts[2][SP * 4 * SD]; /* calls x rows x SD, per call n rows */
    size_t calls, n;
    float scale; /* phi = scale * x */
} recorder;

static xai_status explain_record(void *u, const xai_model *m, const float *x, size_t n,
                                 uint64_t first, float *phi)
{
    (void)m, (void)first;
    recorder *r = u;
    if (r->calls < SP)
        memcpy(r->pts[0] + r->calls * n * SD, x, n * SD * sizeof *x);
    r->calls++;
    r->n = n;
    for (size_t i = 0; i < n * SD; i++)
        phi[i] = r->scale * x[i];
    return XAI_OK;
}

static void max_sensitivity_common_random_numbers(void **state)
{
    (void)state;
    size_t D = SD;
    xai_model *m;
    assert_int_equal(xai_model_from_callbacks(SD, 1, 0, quad_predict, NULL, &D, &m), XAI_OK);
    static const float x[4 * SD] = {1, -2, 0.5f, 3, 1, -1, 0.2f, 0.4f, 2, -1, 1, 1};
    float phi[4 * SD];
    const xai_column_stats st[SD] = {{0, 0.5, -9, 9}, {0, 2.0, -9, 9}, {0, 0, -9, 9}};
    xai_audit_setup s = xai_audit_setup_default(m);
    s.stats = st;
    s.seed = 77;
    s.first_instance = 10;
    static recorder a, b, c;
    a.scale = c.scale = 1, b.scale = -3;
    double sa[4], sb[4], sc[1], r = 0.1;
    for (int i = 0; i < 4 * SD; i++)
        phi[i] = x[i];
    assert_int_equal(xai_audit_max_sensitivity(&s, explain_record, &a, x, 4, phi, r, SP, sa),
                     XAI_OK);
    for (int i = 0; i < 4 * SD; i++)
        phi[i] = -3 * x[i];
    assert_int_equal(xai_audit_max_sensitivity(&s, explain_record, &b, x, 4, phi, r, SP, sb),
                     XAI_OK);
    /* every method sees the same perturbed points (paired comparisons) */
    assert_int_equal(a.calls, SP);
    assert_memory_equal(a.pts[0], b.pts[0], sizeof a.pts[0]);
    /* phi = k x: |k u| / |k x| does not depend on k */
    for (int i = 0; i < 4; i++)
        assert_float_equal(sa[i], sb[i], 1e-6 * sa[i]);
    /* row 2 alone (instance 12) draws the same points as inside the batch */
    s.first_instance = 12;
    for (int i = 0; i < SD; i++)
        phi[i] = x[2 * SD + i];
    assert_int_equal(xai_audit_max_sensitivity(&s, explain_record, &c, x + 2 * SD, 1, phi,
                                               r, SP, sc), XAI_OK);
    for (size_t p = 0; p < SP; p++)
        assert_memory_equal(c.pts[0] + p * SD, a.pts[0] + (p * 4 + 2) * SD, SD * sizeof(float));
    assert_float_equal(sc[0], sa[2], 1e-12);
    /* u_j ~ U[-r s_j, r s_j], s_j the column's std (1 when it is 0) */
    const double sj[SD] = {0.5, 2.0, 1.0};
    for (int i = 0; i < 4; i++) {
        double want = 0, den = 0;
        for (int j = 0; j < SD; j++) {
            double lo = 0, hi = 0;
            for (size_t p = 0; p < SP; p++) {
                double u = (double)a.pts[0][(p * 4 + i) * SD + j] - x[i * SD + j];
                lo = fmin(lo, u), hi = fmax(hi, u);
            }
            double R = r * sj[j];
            assert_true(hi <= R * (1 + 1e-5) + 1e-6 && lo >= -R * (1 + 1e-5) - 1e-6);
            assert_true(hi > 0.95 * R && lo < -0.95 * R);
            want += R * R;
            den += (double)x[i * SD + j] * x[i * SD + j];
        }
        /* the max over 400 points of |u| / |x| approaches its supremum */
        double sup = sqrt(want / den);
        assert_true(sa[i] <= sup * (1 + 1e-5) && sa[i] > 0.7 * sup);
    }
    xai_model_free(m);
}

/* ---- logistic models for the randomisation check ---------------------- */
enum { RD = 12, RN = 20 };
typedef struct logit { float w[RD]; } logit;

static int logit_predict(void *u, const float *x, size_t n, float *y)
{
    const logit *l = u;
    for (size_t i = 0; i < n; i++) {
        double a = 0;
        for (int j = 0; j < RD; j++)
            a += (double)l->w[j] * x[i * RD + j];
        y[i] = (float)(1 / (1 + exp(-a)));
    }
    return 0;
}

/* The explainer's user data: which weights belong to which model. */
typedef struct pair {
    const xai_model *m[2];
    const logit *w[2];
} pair;

/* analytic gradient of the model it is asked about: sigma'(a) w */
static xai_status explain_gradient(void *u, const xai_model *m, const float *x,
                                   size_t n, uint64_t first, float *phi)
{
    const pair *p = u;
    (void)first;
    const logit *l = m == p->m[0] ? p->w[0] : p->w[1];
    for (size_t i = 0; i < n; i++) {
        double a = 0;
        for (int j = 0; j < RD; j++)
            a += (double)l->w[j] * x[i * RD + j];
        double s = 1 / (1 + exp(-a));
        for (int j = 0; j < RD; j++)
            phi[i * RD + j] = (float)(s * (1 - s) * l->w[j]);
    }
    return XAI_OK;
}

/* The input itself: ignores the model entirely. */
static xai_status explain_input(void *u, const xai_model *m, const float *x,
                                size_t n, uint64_t first, float *phi)
{
    (void)u, (void)m, (void)first;
    memcpy(phi, x, n * RD * sizeof *phi);
    return XAI_OK;
}

static double mean_finite(const double *v, size_t n)
{
    return xai_audit_stat_of(v, n).mean;
}

/* The input-as-explanation is flagged (rho = 1), the gradient passes. */
static void randomization_check(void **state)
{
    (void)state;
    logit w0, w1;
    xai_rng r;
    xai_rng_init(&r, 7, 0);
    for (int j = 0; j < RD; j++)
        w0.w[j] = (float)xai_rng_normal(&r), w1.w[j] = (float)xai_rng_normal(&r);
    xai_model *m0, *m1;
    assert_int_equal(xai_model_from_callbacks(RD, 1, 1, logit_predict, NULL, &w0, &m0), XAI_OK);
    assert_int_equal(xai_model_from_callbacks(RD, 1, 1, logit_predict, NULL, &w1, &m1), XAI_OK);
    pair p = {{m0, m1}, {&w0, &w1}};
    float x[RN * RD], phi[RN * RD];
    rows(x, RN, RD, 6);
    xai_audit_setup s = xai_audit_setup_default(m0);
    double rho[RN];
    explain_input(&p, m0, x, RN, 0, phi);
    assert_int_equal(xai_audit_randomization(&s, m1, explain_input, &p, x, RN, phi, rho), XAI_OK);
    assert_true(mean_finite(rho, RN) > XAI_AUDIT_SANITY_THRESHOLD);
    assert_true(fabs(mean_finite(rho, RN) - 1.0) < 1e-12);
    explain_gradient(&p, m0, x, RN, 0, phi);
    assert_int_equal(xai_audit_randomization(&s, m1, explain_gradient, &p, x, RN, phi, rho), XAI_OK);
    /* independent reference: the gradient's ranking is that of w (a
     * positive scale), so rho = Spearman(w0, w1) by the textbook formula
     * 1 - 6 sum d^2 / (n (n^2 - 1)) (no ties) */
    int r0[RD], r1[RD];
    for (int j = 0; j < RD; j++) {
        r0[j] = r1[j] = 0;
        for (int k = 0; k < RD; k++)
            r0[j] += w0.w[k] < w0.w[j], r1[j] += w1.w[k] < w1.w[j];
    }
    double d2 = 0;
    for (int j = 0; j < RD; j++)
        d2 += (double)(r0[j] - r1[j]) * (r0[j] - r1[j]);
    double want = 1 - 6 * d2 / (RD * (RD * RD - 1.0));
    for (int i = 0; i < RN; i++)
        assert_float_equal(rho[i], want, 1e-9);
    assert_true(mean_finite(rho, RN) < XAI_AUDIT_SANITY_THRESHOLD);
    /* shape mismatch is an error */
    xai_model *small;
    assert_int_equal(xai_model_from_callbacks(RD, 2, 1, logit_predict, NULL, &w1, &small), XAI_OK);
    assert_int_equal(xai_audit_randomization(&s, small, explain_gradient, &p, x, RN, phi, rho),
                     XAI_ERR_SHAPE);
    xai_model_free(small);
    xai_model_free(m0);
    xai_model_free(m1);
}

/* Ties share their average rank: a = {1,2,2,3}, b = {1,2,3,4}: ranks
 * (1, 2.5, 2.5, 4) and (1, 2, 3, 4), Pearson = 4.5 / sqrt(4.5 * 5). */
static void spearman_ties(void **state)
{
    (void)state;
    float a[4] = {1, 2, 2, 3}, b[4] = {1, 2, 3, 4}, c[4] = {5, 5, 5, 5};
    assert_float_equal(xai_audit_spearman(a, b, 4), 4.5 / sqrt(22.5), 1e-12);
    float nb[4] = {-1, -2, -3, -4};
    assert_float_equal(xai_audit_spearman(b, nb, 4), -1.0, 1e-12);
    assert_true(isnan(xai_audit_spearman(a, c, 4)));
}

/* ---- image model that looks only at a planted patch ------------------- */
enum { IH = 8, IW = 8, IPX = IH * IW, IN = 10 };
/* planted 2x2 patch at (y, x) = (2..3, 5..6) with weights v */
static const int PY = 2, PX = 5;
static const float PV[4] = {2.0f, 1.5f, 1.0f, 2.5f};

static double patch_score(const float *img)
{
    double a = -2.0;
    for (int k = 0; k < 4; k++)
        a += PV[k] * img[(PY + k / 2) * IW + PX + k % 2];
    return a;
}

static int patch_predict(void *u, const float *x, size_t n, float *y)
{
    (void)u;
    for (size_t i = 0; i < n; i++)
        y[i] = (float)(1 / (1 + exp(-patch_score(x + i * IPX))));
    return 0;
}

/* Independent optimum: with fill 0, x >= 0 and v > 0 the score after
 * removing a set R of pixels is a - sum_{R} v_p x_p, so removing pixels by
 * decreasing v_p x_p minimises the curve at every step (sigmoid is
 * increasing), hence the area. */
static double optimal_deletion_area(const float *img)
{
    double c[4], s0 = patch_score(img), curve[IPX + 1];
    for (int k = 0; k < 4; k++)
        c[k] = PV[k] * img[(PY + k / 2) * IW + PX + k % 2];
    for (int a = 0; a < 4; a++) /* sort descending */
        for (int b = a + 1; b < 4; b++)
            if (c[b] > c[a]) {
                double t = c[a];
                c[a] = c[b];
                c[b] = t;
            }
    double s = s0;
    for (int t = 0; t <= IPX; t++) {
        if (t >= 1 && t <= 4)
            s -= c[t - 1];
        curve[t] = (float)(1 / (1 + exp(-s)));
    }
    double area = 0;
    for (int t = 0; t < IPX; t++)
        area += 0.5 * (curve[t] + curve[t + 1]);
    return area / IPX;
}

static void deletion_planted_patch(void **state)
{
    (void)state;
    xai_model *m;
    assert_int_equal(xai_model_from_callbacks(IPX, 1, 1, patch_predict, NULL, NULL, &m), XAI_OK);
    float x[IN * IPX], grad[IN * IPX], rnd[IN * IPX];
    xai_rng r;
    xai_rng_init(&r, 11, 0);
    for (int i = 0; i < IN * IPX; i++) {
        x[i] = (float)(0.5 + 0.5 * xai_rng_uniform(&r));
        rnd[i] = (float)xai_rng_uniform(&r);
    }
    /* true attribution: the analytic gradient sigma'(a) v on the patch */
    for (int i = 0; i < IN; i++) {
        double a = patch_score(x + i * IPX), s = 1 / (1 + exp(-a));
        for (int p = 0; p < IPX; p++)
            grad[i * IPX + p] = 0;
        for (int k = 0; k < 4; k++)
            grad[i * IPX + (PY + k / 2) * IW + PX + k % 2] = (float)(s * (1 - s) * PV[k]);
    }
    xai_audit_setup s = xai_audit_setup_default(m);
    xai_audit_image img = {.c = 1, .h = IH, .w = IW, .patch = 1, .n_steps = 0};
    assert_int_equal(xai_audit_curve_steps(&img), (size_t)IPX);
    double dc[IN * (IPX + 1)], ic[IN * (IPX + 1)], da[IN], ia[IN], rda[IN], ria[IN];
    assert_int_equal(xai_audit_deletion_insertion(&s, &img, x, IN, grad, dc, ic, da, ia), XAI_OK);
    assert_int_equal(xai_audit_deletion_insertion(&s, &img, x, IN, rnd, NULL, NULL, rda, ria), XAI_OK);
    float zero[IPX] = {0};
    float f0;
    patch_predict(NULL, zero, 1, &f0);
    double opt_sum = 0, true_sum = 0, rnd_sum = 0;
    for (int i = 0; i < IN; i++) {
        float fx;
        patch_predict(NULL, x + i * IPX, 1, &fx);
        /* endpoints: d_0 = i_T = f(x), d_T = i_0 = f(fill) */
        assert_float_equal(dc[i * (IPX + 1)], fx, 1e-7);
        assert_float_equal(dc[i * (IPX + 1) + IPX], f0, 1e-7);
        assert_float_equal(ic[i * (IPX + 1)], f0, 1e-7);
        assert_float_equal(ic[i * (IPX + 1) + IPX], fx, 1e-7);
        double opt = optimal_deletion_area(x + i * IPX);
        assert_true(da[i] >= opt - 1e-6);
        assert_true(da[i] < opt + 0.01);
        opt_sum += opt, true_sum += da[i], rnd_sum += rda[i];
        assert_true(ia[i] > ria[i]);
    }
    assert_true(true_sum < opt_sum + 0.005 * IN);
    assert_true(rnd_sum > true_sum + 0.1 * IN);
    /* patches of 2x2 with a planted patch spanning two units; 5 steps */
    img.patch = 2;
    img.n_steps = 5;
    assert_int_equal(xai_audit_curve_steps(&img), 5u);
    double da2[IN], rda2[IN];
    assert_int_equal(xai_audit_deletion_insertion(&s, &img, x, IN, grad, NULL, NULL, da2, NULL), XAI_OK);
    assert_int_equal(xai_audit_deletion_insertion(&s, &img, x, IN, rnd, NULL, NULL, rda2, NULL), XAI_OK);
    for (int i = 0; i < IN; i++)
        assert_true(da2[i] < rda2[i]);
    /* a fill of the wrong shape is rejected */
    img.c = 3;
    assert_int_equal(xai_audit_deletion_insertion(&s, &img, x, IN, grad, NULL, NULL, da2, NULL),
                     XAI_ERR_SHAPE);
    xai_model_free(m);
}

/* ---- statistics, accuracy and bad input ------------------------------- */
static void paired_and_stats(void **state)
{
    (void)state;
    double a[6] = {1, 2, 3, 4, 5, 6}, b[6], c[6];
    for (int i = 0; i < 6; i++)
        b[i] = a[i] + 1, c[i] = a[i] + (i % 2 ? 0.1 : -0.1);
    xai_audit_stat d;
    assert_int_equal(xai_audit_paired(a, b, 6, &d), -1);
    assert_float_equal(d.mean, -1, 1e-12);
    assert_int_equal(xai_audit_paired(b, a, 6, NULL), 1);
    assert_int_equal(xai_audit_paired(a, c, 6, NULL), 0);
    /* mean 3.5, sample sd sqrt(3.5), se sqrt(3.5 / 6) */
    xai_audit_stat s = xai_audit_stat_of(a, 6);
    assert_float_equal(s.mean, 3.5, 1e-12);
    assert_float_equal(s.se, sqrt(3.5 / 6), 1e-12);
    a[2] = NAN;
    assert_int_equal(xai_audit_stat_of(a, 6).count, 5u);
    assert_float_equal(xai_audit_t95(10), 2.228, 5e-4);
    assert_float_equal(xai_audit_t95(1000), 1.962, 5e-4);
}

static int two_class(void *u, const float *x, size_t n, float *y)
{
    (void)u;
    for (size_t i = 0; i < n; i++)
        y[2 * i] = x[i], y[2 * i + 1] = 1 - x[i];
    return 0;
}

static void accuracy_counts(void **state)
{
    (void)state;
    xai_model *m;
    assert_int_equal(xai_model_from_callbacks(1, 2, 1, two_class, NULL, NULL, &m), XAI_OK);
    /* predictions: class 0 when x > 0.5 */
    float x[6] = {0.9f, 0.8f, 0.1f, 0.2f, 0.7f, 0.3f}, lab[6] = {0, 1, 1, 1, 0, 0};
    double acc, maj;
    assert_int_equal(xai_audit_accuracy(m, x, lab, 6, 2, &acc, &maj), XAI_OK);
    assert_float_equal(acc, 4.0 / 6, 1e-12); /* rows 0, 2, 3, 4 right */
    assert_float_equal(maj, 0.5, 1e-12);
    lab[1] = 2;
    assert_int_equal(xai_audit_accuracy(m, x, lab, 6, 2, &acc, &maj), XAI_ERR_INVALID);
    xai_model_free(m);
}

/* two features, the second ignored: p(class 0) = x0 */
static int two_class_2d(void *u, const float *x, size_t n, float *y)
{
    (void)u;
    for (size_t i = 0; i < n; i++)
        y[2 * i] = x[2 * i], y[2 * i + 1] = 1 - x[2 * i];
    return 0;
}

/* Many rows (several model calls' worth, sizes around any chunking):
 * the accuracy counted here row by row. */
static void accuracy_many_rows(void **state)
{
    (void)state;
    xai_model *m;
    assert_int_equal(xai_model_from_callbacks(2, 2, 1, two_class_2d, NULL, NULL, &m), XAI_OK);
    enum { NMAX = 1200 };
    static float x[2 * NMAX], lab[NMAX];
    const size_t sizes[] = {1, 255, 256, 257, 511, 512, 513, 1025, NMAX};
    for (size_t i = 0; i < NMAX; i++) {
        x[2 * i] = (float)((i * 37 % 101 + 0.25) / 101.0); /* never 0.5: no ties */
        x[2 * i + 1] = (float)i;
        lab[i] = (float)((i * 13 % 7) < 3); /* unrelated to x */
    }
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        size_t n = sizes[k], right = 0, ones = 0;
        for (size_t i = 0; i < n; i++) {
            right += (x[2 * i] > 0.5f ? 0 : 1) == (int)lab[i];
            ones += lab[i] == 1;
        }
        double acc, maj;
        assert_int_equal(xai_audit_accuracy(m, x, lab, n, 2, &acc, &maj), XAI_OK);
        if (fabs(acc - (double)right / n) > 1e-12)
            fail_msg("n = %zu: accuracy %.6f, counted %.6f", n, acc, (double)right / n);
        assert_float_equal(maj, (double)(ones > n - ones ? ones : n - ones) / n, 1e-12);
    }
    xai_model_free(m);
}

/* 97.5% Student t quantiles against tests/fixtures/stats/t975.ref (mpmath
 * at 40 digits through the incomplete beta function; written by
 * tests/fixtures/make_t975.py): every df 1-45 (the old table gave 2.021 for
 * all of df 31-40), around 60 and 120, the switch to the asymptotic
 * expansion at 10000 and far beyond.  Then a printed 3-decimal table as a
 * second, coarser source. */
static void t_quantiles(void **state)
{
    (void)state;
    ref_file *rf = ref_load("tests/fixtures/stats/t975.ref");
    assert_non_null(rf);
    const ref_block *b = ref_get(rf, "t975");
    assert_non_null(b);
    assert_true(b->rows >= 60 && b->cols == 2);
    for (size_t r = 0; r < b->rows; r++) {
        size_t df = (size_t)b->v[2 * r];
        double want = b->v[2 * r + 1], got = xai_audit_t95(df);
        /* exact up to df 10000, then an expansion whose next term is < 3e-12 */
        if (fabs(got - want) > (df <= 10000 ? 1e-12 : 5e-12))
            fail_msg("df %zu: t95 %.17g, reference %.17g", df, got, want);
    }
    ref_free(rf);
    static const double t[31] = {0, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365,
                                 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
                                 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069,
                                 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};
    for (size_t df = 1; df <= 30; df++)
        assert_float_equal(xai_audit_t95(df), t[df], 5e-4);
    assert_float_equal(xai_audit_t95(31), 2.040, 5e-4);
    assert_float_equal(xai_audit_t95(40), 2.021, 5e-4);
    assert_float_equal(xai_audit_t95(60), 2.000, 5e-4);
    assert_float_equal(xai_audit_t95(120), 1.980, 5e-4);
    assert_true(isinf(xai_audit_t95(0)));
    /* strictly decreasing in df, towards the normal 1.959964 */
    for (size_t df = 1; df < 300; df++)
        assert_true(xai_audit_t95(df + 1) < xai_audit_t95(df));
    assert_true(xai_audit_t95(1000000000) > 1.959963984);
}

static void bad_input(void **state)
{
    (void)state;
    xai_model *m = linear_model();
    float x[2 * LD] = {0}, phi[2 * LD] = {0};
    double out[2 * LD];
    xai_audit_setup s = xai_audit_setup_default(m);
    assert_int_equal(xai_audit_pgi_pgu(&s, x, 2, phi, 0, 0.1, 10, out, NULL), XAI_ERR_INVALID);
    assert_int_equal(xai_audit_pgi_pgu(&s, x, 2, phi, LD + 1, 0.1, 10, out, NULL), XAI_ERR_INVALID);
    x[LD + 3] = NAN;
    assert_int_equal(xai_audit_infidelity(&s, x, 2, phi, 0.1, 10, out), XAI_ERR_NUMERIC);
    assert_non_null(strstr(xai_last_error(), "row 1, feature 3"));
    x[LD + 3] = 0;
    int32_t t[2] = {0, 1};
    s.target = t;
    assert_int_equal(xai_audit_infidelity(&s, x, 2, phi, 0.1, 10, out), XAI_ERR_INVALID);
    assert_non_null(strstr(xai_last_error(), "target 1 out of range"));
    s.target = NULL;
    s.n_features = LD - 1;
    assert_int_equal(xai_audit_infidelity(&s, x, 2, phi, 0.1, 10, out), XAI_ERR_SHAPE);
    xai_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pgi_linear_analytic),
        cmocka_unit_test(pgi_true_beats_random),
        cmocka_unit_test(infidelity_linear),
        cmocka_unit_test(max_sensitivity_quadratic),
        cmocka_unit_test(max_sensitivity_constant),
        cmocka_unit_test(max_sensitivity_common_random_numbers),
        cmocka_unit_test(randomization_check),
        cmocka_unit_test(spearman_ties),
        cmocka_unit_test(deletion_planted_patch),
        cmocka_unit_test(paired_and_stats),
        cmocka_unit_test(accuracy_counts),
        cmocka_unit_test(accuracy_many_rows),
        cmocka_unit_test(t_quantiles),
        cmocka_unit_test(bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
