/* tests/test_recourse.c: counterfactuals and their scores against independent
 * references: R^ of a logistic model against numerical integration, `closest`
 * on a logistic model against the analytic elastic-net solution (KKT +
 * bisection), T-Rex reaching tau (checked by integration), constraints on
 * random rows of a non-linear model, validity counted by hand, LOF against a
 * brute-force implementation, thread invariance and bad inputs. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <xai/recourse.h>
#include <xai/rng.h>

#include "recourse/recourse_impl.h"

/* ---- models: p = sigmoid(w . x + b), and sigmoid(V . tanh(W x + a) + c) --- */
enum { MAXD = 16, MAXH = 8 };
typedef struct net {
    size_t d, h; /* h == 0: logistic */
    double w[MAXD], b;
    double W[MAXH][MAXD], a[MAXH], V[MAXH];
} net;

static double net_logit(const net *t, const float *x, double *hid)
{
    double s = t->b;
    if (!t->h) {
        for (size_t j = 0; j < t->d; j++)
            s += t->w[j] * x[j];
        return s;
    }
    for (size_t i = 0; i < t->h; i++) {
        double u = t->a[i];
        for (size_t j = 0; j < t->d; j++)
            u += t->W[i][j] * x[j];
        hid[i] = tanh(u);
        s += t->V[i] * hid[i];
    }
    return s;
}

static double sigm(double s) { return 1 / (1 + exp(-s)); }

static int net_predict(void *u, const float *x, size_t n, float *y)
{
    const net *t = u;
    double hid[MAXH];
    for (size_t i = 0; i < n; i++)
        y[i] = (float)sigm(net_logit(t, x + i * t->d, hid));
    return 0;
}

static int net_vjp(void *u, const float *x, size_t n, const float *dy, float *dx)
{
    const net *t = u;
    double hid[MAXH];
    for (size_t i = 0; i < n; i++) {
        double p = sigm(net_logit(t, x + i * t->d, hid)), f = dy[i] * p * (1 - p);
        for (size_t j = 0; j < t->d; j++) {
            double g = t->h ? 0 : t->w[j];
            for (size_t k = 0; k < t->h; k++)
                g += t->V[k] * (1 - hid[k] * hid[k]) * t->W[k][j];
            dx[i * t->d + j] = (float)(f * g);
        }
    }
    return 0;
}

static xai_model *wrap(net *t)
{
    xai_model *m;
    assert_int_equal(xai_model_from_callbacks(t->d, 1, 1, net_predict, net_vjp, t, &m),
                     XAI_OK);
    return m;
}

/* Training rows uniform in [-2, 2]^d with rows 0 and 1 at the corners, so
 * every feature's range (the scale s_j) is exactly 4. */
static float *box_rows(size_t n, size_t d, uint64_t seed)
{
    float *x = malloc(n * d * sizeof *x);
    xai_rng r;
    xai_rng_init(&r, seed, 7);
    for (size_t i = 0; i < n * d; i++)
        x[i] = (float)(4 * xai_rng_uniform(&r) - 2);
    for (size_t j = 0; j < d; j++) {
        x[j] = -2;
        x[d + j] = 2;
    }
    return x;
}

static xai_recourse *make_rc(xai_model *m, const float *train, size_t n, size_t d,
                             const uint32_t *groups, const uint8_t *flags,
                             const xai_recourse_options *o)
{
    xai_recourse *rc = NULL;
    xai_status s = xai_recourse_new(m, train, n, d, groups, flags, o, &rc);
    if (s != XAI_OK)
        fail_msg("xai_recourse_new: %s", xai_last_error());
    return rc;
}

/* E[R^] and sd of one term for a logistic model: the logit of x_i is
 * N(mu, tau^2), mu = w.x' + b, tau = sigma sqrt(sum (w_j s_j)^2); trapezoid rule
 * over the standard normal on [-12, 12]. */
static void logistic_R(const net *t, const float *xp, double sigma, double scale,
                       double *mean, double *sd)
{
    double hid[MAXH], mu = net_logit(t, xp, hid), tau = 0;
    for (size_t j = 0; j < t->d; j++)
        tau += t->w[j] * scale * t->w[j] * scale;
    tau = sigma * sqrt(tau);
    double m0 = sigm(mu), e1 = 0, e2 = 0, h = 1e-3;
    for (double z = -12; z <= 12 + 1e-9; z += h) {
        double wt = exp(-z * z / 2) / sqrt(2 * M_PI) * h;
        double mi = sigm(mu + tau * z), v = mi - fabs(m0 - mi);
        e1 += wt * v;
        e2 += wt * v * v;
    }
    *mean = e1;
    *sd = sqrt(e2 - e1 * e1);
}

static void stability_vs_integration(void **state)
{
    (void)state;
    net t = {.d = 3, .w = {1.5, -2.0, 0.7}, .b = 0.2};
    xai_model *m = wrap(&t);
    float *train = box_rows(50, 3, 1);
    xai_recourse_options o = xai_recourse_options_default();
    o.k = 20000;
    o.sigma = 0.1;
    xai_recourse *rc = make_rc(m, train, 50, 3, NULL, NULL, &o);
    float pts[3 * 3] = {0.1f, -0.2f, 0.3f, 1.0f, 0.0f, -0.5f, -0.3f, 0.4f, 0.0f};
    xai_cf_score sc[3];
    assert_int_equal(xai_recourse_score(rc, pts, NULL, 3, 0, sc), XAI_OK);
    for (int i = 0; i < 3; i++) {
        double mean, sd;
        logistic_R(&t, pts + 3 * i, o.sigma, 4.0, &mean, &sd);
        double se = sd / sqrt((double)o.k);
        assert_true(fabs(sc[i].stability - mean) < 4 * se);
        assert_true(fabs(sc[i].stability_se - se) < 0.05 * se);
        assert_true(fabs(sc[i].output - sigm(net_logit(&t, pts + 3 * i, NULL))) < 1e-6);
        assert_true(isnan(sc[i].cost_l1));
    }
    xai_recourse_free(rc);
    xai_model_free(m);
    free(train);
}

/* Analytic closest for a logistic model: minimise beta |d|_1 + |d|_2^2 subject
 * to v.d >= r (v_j = w_j s_j, r = kappa - logit(x)): d_j = sign(v_j)
 * max(0, lam |v_j| - beta) / 2 with lam found by bisection so v.d = r. */
static void analytic_closest(const double *v, size_t d, double r, double beta,
                             double *dd)
{
    double lo = 0, hi = 1e6;
    for (int it = 0; it < 200; it++) {
        double lam = (lo + hi) / 2, s = 0;
        for (size_t j = 0; j < d; j++)
            s += fabs(v[j]) * fmax(0, lam * fabs(v[j]) - beta) / 2;
        if (s < r)
            lo = lam;
        else
            hi = lam;
    }
    for (size_t j = 0; j < d; j++)
        dd[j] = copysign(fmax(0, hi * fabs(v[j]) - beta) / 2, v[j]);
}

static void closest_matches_analytic(void **state)
{
    (void)state;
    net t = {.d = 4, .w = {2.0, -1.0, 0.3, 0.05}, .b = -0.5};
    xai_model *m = wrap(&t);
    float *train = box_rows(60, 4, 2);
    xai_recourse_options o = xai_recourse_options_default();
    o.beta = 0.05;
    o.kappa = 0.5;
    o.iters = 1000;
    o.c_steps = 14;
    xai_recourse *rc = make_rc(m, train, 60, 4, NULL, NULL, &o);
    float x[2 * 4] = {-0.5f, 0.3f, 0.1f, 0.0f, -0.2f, 0.6f, -1.0f, 0.5f};
    float cf[2 * 4];
    xai_cf_result res[2];
    assert_int_equal(xai_recourse_generate(rc, XAI_CF_CLOSEST, x, 2, 0, cf, res), XAI_OK);
    for (int i = 0; i < 2; i++) {
        assert_true(res[i].found);
        double v[4], dd[4];
        for (int j = 0; j < 4; j++)
            v[j] = t.w[j] * 4.0;
        analytic_closest(v, 4, o.kappa - net_logit(&t, x + 4 * i, NULL), o.beta, dd);
        for (int j = 0; j < 4; j++) {
            double got = (cf[4 * i + j] - x[4 * i + j]) / 4.0;
            if (fabs(got - dd[j]) > 5e-3)
                fail_msg("row %d feature %d: d %.6f, analytic %.6f", i, j, got, dd[j]);
        }
        /* The L1 term zeroes the weak features exactly. */
        assert_true(dd[3] == 0 && cf[4 * i + 3] == x[4 * i + 3]);
    }
    xai_recourse_free(rc);
    xai_model_free(m);
    free(train);
}

static void trex_reaches_tau(void **state)
{
    (void)state;
    net t = {.d = 3, .w = {3.0, -2.0, 1.0}, .b = -1.0};
    xai_model *m = wrap(&t);
    float *train = box_rows(80, 3, 3);
    xai_recourse_options o = xai_recourse_options_default();
    o.k = 400;
    o.tau = 0.75;
    xai_recourse *rc = make_rc(m, train, 80, 3, NULL, NULL, &o);
    float x[3 * 3] = {-0.5f, 0.5f, 0.0f, -1.0f, 0.0f, -0.5f, 0.0f, 0.2f, 0.1f};
    float cl[9], tx[9];
    xai_cf_result rcl[3], rtx[3];
    assert_int_equal(xai_recourse_generate(rc, XAI_CF_CLOSEST, x, 3, 0, cl, rcl), XAI_OK);
    assert_int_equal(xai_recourse_generate(rc, XAI_CF_TREX, x, 3, 0, tx, rtx), XAI_OK);
    for (int i = 0; i < 3; i++) {
        assert_true(rcl[i].found && rtx[i].found);
        assert_string_equal(rtx[i].reason, "");
        double mc, mt, sd;
        logistic_R(&t, cl + 3 * i, o.sigma, 4.0, &mc, &sd);
        logistic_R(&t, tx + 3 * i, o.sigma, 4.0, &mt, &sd);
        /* closest sits on the boundary (R^ well below tau); T-Rex's exact
         * expectation is at tau up to the Monte-Carlo error of its stop test. */
        assert_true(mc < 0.6);
        assert_true(mt > o.tau - 4 * sd / sqrt((double)o.k));
        assert_true(net_logit(&t, tx + 3 * i, NULL) >= 0);
    }
    xai_recourse_free(rc);
    xai_model_free(m);
    free(train);
}

/* The same with an integer column: every iterate is projected (rounded), so
 * R^ must be estimated at the projected points, not at the relaxed ones. */
static void trex_reaches_tau_projected(void **state)
{
    (void)state;
    net t = {.d = 3, .w = {3.0, -2.0, 1.0}, .b = -1.0};
    xai_model *m = wrap(&t);
    float *train = box_rows(80, 3, 3);
    const uint8_t flags[3] = {0, XAI_RC_INTEGER, 0};
    xai_recourse_options o = xai_recourse_options_default();
    o.k = 400;
    o.tau = 0.75;
    xai_recourse *rc = make_rc(m, train, 80, 3, NULL, flags, &o);
    float x[3 * 3] = {-0.5f, 1.0f, 0.0f, -1.0f, 0.0f, -0.5f, 0.0f, 0.0f, 0.1f};
    float tx[9];
    xai_cf_result rtx[3];
    assert_int_equal(xai_recourse_generate(rc, XAI_CF_TREX, x, 3, 0, tx, rtx), XAI_OK);
    for (int i = 0; i < 3; i++) {
        assert_true(rtx[i].found);
        assert_string_equal(rtx[i].reason, "");
        assert_true(tx[3 * i + 1] == roundf(tx[3 * i + 1]));
        double mt, sd;
        logistic_R(&t, tx + 3 * i, o.sigma, 4.0, &mt, &sd);
        assert_true(mt > o.tau - 4 * sd / sqrt((double)o.k));
        /* it stops at the first projected point past tau, not at the bound
         * of the integer column where the projection stops changing it
         * (R^ near 1 there) */
        assert_true(mt < 0.9);
        assert_true(net_logit(&t, tx + 3 * i, NULL) >= 0);
    }
    xai_recourse_free(rc);
    xai_model_free(m);
    free(train);
}

/* ---- constraints on a non-linear model ---------------------------------- */
enum { PD = 8 };
/* Columns: 0, 1 integer; 2, 7 immutable categories; 3 increasing; 4-6 one-hot
 * group: nothing but integers, a one-hot group and a growing column can move. */
static const uint32_t PGROUPS[PD] = {0, 1, 2, 3, 4, 4, 4, 5};
static const uint8_t PFLAGS[PD] = {XAI_RC_INTEGER, XAI_RC_INTEGER, XAI_RC_IMMUTABLE,
                                   XAI_RC_INCREASING, 0, 0, 0, XAI_RC_IMMUTABLE};

static void mixed_rows(float *x, size_t n, uint64_t seed)
{
    xai_rng r;
    xai_rng_init(&r, seed, 3);
    for (size_t i = 0; i < n; i++) {
        float *p = x + i * PD;
        p[0] = (float)xai_rng_below(&r, 10);
        p[1] = (float)xai_rng_below(&r, 5) - 2;
        p[2] = (float)xai_rng_below(&r, 3); /* a category, as sex */
        p[3] = (float)(3 * xai_rng_uniform(&r));
        size_t c = xai_rng_below(&r, 3);
        p[4] = c == 0;
        p[5] = c == 1;
        p[6] = c == 2;
        p[7] = (float)xai_rng_below(&r, 2);
    }
}

static void check_constraints(const float *x, const float *cf, const float *lo,
                              const float *hi)
{
    for (int j = 0; j < PD; j++) {
        float l = fminf(lo[j], x[j]), h = fmaxf(hi[j], x[j]);
        if (cf[j] < l || cf[j] > h)
            fail_msg("feature %d = %g outside [%g, %g]", j, cf[j], l, h);
    }
    assert_true(cf[0] == roundf(cf[0]) && cf[1] == roundf(cf[1]));
    assert_true(cf[2] == x[2] && cf[7] == x[7]);
    assert_true(cf[3] >= x[3]);
    int ones = 0;
    for (int j = 4; j < 7; j++) {
        assert_true(cf[j] == 0.0f || cf[j] == 1.0f);
        ones += cf[j] == 1.0f;
    }
    assert_int_equal(ones, 1);
}

static void constraints_never_violated(void **state)
{
    (void)state;
    net t = {.d = PD, .h = 4, .b = -2.0};
    xai_rng r;
    xai_rng_init(&r, 11, 0);
    for (int i = 0; i < 4; i++) {
        t.a[i] = 0.3 * xai_rng_normal(&r);
        t.V[i] = 1.5 * xai_rng_normal(&r);
        for (int j = 0; j < PD; j++)
            t.W[i][j] = xai_rng_normal(&r) / 2;
    }
    xai_model *m = wrap(&t);
    enum { NT = 300, NX = 64 };
    float *train = malloc(NT * PD * sizeof *train), *x = malloc(NX * PD * sizeof *x);
    float *cf = malloc(NX * PD * sizeof *cf);
    mixed_rows(train, NT, 1);
    mixed_rows(x, NX, 2);
    float lo[PD], hi[PD];
    for (int j = 0; j < PD; j++) {
        lo[j] = hi[j] = train[j];
        for (int i = 1; i < NT; i++) {
            lo[j] = fminf(lo[j], train[i * PD + j]);
            hi[j] = fmaxf(hi[j], train[i * PD + j]);
        }
    }
    xai_recourse_options o = xai_recourse_options_default();
    o.k = 100;
    o.iters = 100;
    o.c_steps = 6;
    o.trex_iters = 30;
    xai_recourse *rc = make_rc(m, train, NT, PD, PGROUPS, PFLAGS, &o);
    xai_cf_result res[NX];
    int found_total = 0;
    /* the box and the projection themselves */
    float blo[PD], bhi[PD], xp[PD];
    rc_box(rc, x, blo, bhi);
    assert_true(blo[2] == x[2] && bhi[2] == x[2] && blo[7] == x[7] && bhi[7] == x[7]);
    assert_true(blo[3] == x[3] && bhi[3] == fmaxf(hi[3], x[3]));
    assert_true(blo[0] == fminf(lo[0], x[0]) && bhi[0] == fmaxf(hi[0], x[0]));
    memcpy(xp, x, sizeof xp);
    xp[0] = 2.4f;
    xp[1] = -0.6f;
    xp[4] = 0.2f;
    xp[5] = 0.7f;
    xp[6] = 0.1f;
    rc_project(rc, x, blo, bhi, xp);
    assert_true(xp[0] == 2.0f && xp[1] == -1.0f);
    assert_true(xp[4] == 0.0f && xp[5] == 1.0f && xp[6] == 0.0f);
    for (int meth = 0; meth < XAI_CF_METHOD_COUNT; meth++) {
        assert_int_equal(xai_recourse_generate(rc, meth, x, NX, 0, cf, res), XAI_OK);
        int found = 0, acc_total = 0;
        for (int i = 0; i < NX; i++) {
            double hid[MAXH];
            int acc0 = net_logit(&t, x + i * PD, hid) >= 0;
            assert_int_equal(res[i].already_accepted, acc0);
            acc_total += acc0;
            if (!res[i].found) {
                assert_true(res[i].reason && res[i].reason[0]);
                assert_memory_equal(cf + i * PD, x + i * PD, PD * sizeof(float));
                continue;
            }
            found++;
            check_constraints(x + i * PD, cf + i * PD, lo, hi);
            assert_true(net_logit(&t, cf + i * PD, hid) >= 0);
        }
        found_total += found;
        /* the projection, not the final check, must keep iterates feasible:
         * every method finds most rows (18 of 18 when this was written) */
        assert_true(found >= (NX - acc_total) * 8 / 10);
        print_message("%s: %d found of %d\n", xai_cf_method_name(meth), found, NX - acc_total);
        assert_true(found > 0);
    }
    assert_true(found_total > 20);
    xai_recourse_free(rc);
    xai_model_free(m);
    free(train);
    free(x);
    free(cf);
}

/* The gradient of R^ (one batched VJP) against central differences of R^
 * with common random numbers (the same draws at x + h e_j and x - h e_j). */
static void stability_gradient_vs_differences(void **state)
{
    (void)state;
    net t = {.d = 4, .h = 3, .b = 0.4};
    xai_rng r;
    xai_rng_init(&r, 21, 0);
    for (int i = 0; i < 3; i++) {
        t.a[i] = 0.3 * xai_rng_normal(&r);
        t.V[i] = 2 * xai_rng_normal(&r);
        for (int j = 0; j < 4; j++)
            t.W[i][j] = xai_rng_normal(&r);
    }
    xai_model *m = wrap(&t);
    float *train = box_rows(40, 4, 6);
    xai_recourse_options o = xai_recourse_options_default();
    o.k = 300;
    o.sigma = 0.1;
    xai_recourse *rc = make_rc(m, train, 40, 4, NULL, NULL, &o);
    xai_runner *run;
    assert_int_equal(xai_runner_new(m, &run), XAI_OK);
    size_t k = o.k;
    float *pts = malloc((k + 1) * 4 * sizeof *pts), *grow = malloc((k + 1) * 4 * sizeof *grow);
    float *buf = malloc((k + 1) * sizeof *buf), *dy = malloc((k + 1) * sizeof *dy);
    float x[4] = {0.2f, -0.4f, 0.5f, 0.1f};
    double R, se, g[4];
    xai_rng_init(&r, 3, 3);
    assert_int_equal(rc_stability(rc, run, x, &r, pts, buf, dy, grow, &R, &se, g, NULL), XAI_OK);
    const double h = 2e-3;
    for (int j = 0; j < 4; j++) {
        double Rp, Rm;
        float xp[4], xm[4];
        memcpy(xp, x, sizeof x);
        memcpy(xm, x, sizeof x);
        xp[j] += (float)h;
        xm[j] -= (float)h;
        xai_rng_init(&r, 3, 3);
        assert_int_equal(rc_stability(rc, run, xp, &r, pts, buf, NULL, NULL, &Rp, &se, NULL,
                                      NULL), XAI_OK);
        xai_rng_init(&r, 3, 3);
        assert_int_equal(rc_stability(rc, run, xm, &r, pts, buf, NULL, NULL, &Rm, &se, NULL,
                                      NULL), XAI_OK);
        double fd = (Rp - Rm) / (((double)xp[j] - xm[j]));
        if (fabs(fd - g[j]) > 2e-3 + 1e-2 * fabs(fd))
            fail_msg("feature %d: gradient %.6f, differences %.6f", j, g[j], fd);
    }
    free(pts);
    free(grow);
    free(buf);
    free(dy);
    xai_runner_free(run);
    xai_recourse_free(rc);
    xai_model_free(m);
    free(train);
}

static void threads_identical(void **state)
{
    (void)state;
    net t = {.d = 3, .w = {3.0, -2.0, 1.0}, .b = -1.0};
    xai_model *m = wrap(&t);
    float *train = box_rows(80, 3, 3), *x = box_rows(40, 3, 9);
    float a[120], b[120];
    xai_cf_result ra[40], rb[40];
    xai_cf_score sa[40], sb[40];
    for (int meth = 0; meth < XAI_CF_METHOD_COUNT; meth++) {
        xai_recourse_options o = xai_recourse_options_default();
        o.k = 200;
        o.iters = 100;
        o.n_threads = 1;
        xai_recourse *rc = make_rc(m, train, 80, 3, NULL, NULL, &o);
        assert_int_equal(xai_recourse_generate(rc, meth, x, 40, 5, a, ra), XAI_OK);
        assert_int_equal(xai_recourse_score(rc, a, x, 40, 5, sa), XAI_OK);
        xai_recourse_free(rc);
        o.n_threads = 2;
        rc = make_rc(m, train, 80, 3, NULL, NULL, &o);
        assert_int_equal(xai_recourse_generate(rc, meth, x, 40, 5, b, rb), XAI_OK);
        assert_int_equal(xai_recourse_score(rc, b, x, 40, 5, sb), XAI_OK);
        xai_recourse_free(rc);
        assert_memory_equal(a, b, sizeof a);
        for (int i = 0; i < 40; i++) {
            assert_int_equal(ra[i].found, rb[i].found);
            assert_memory_equal(&sa[i].stability, &sb[i].stability, sizeof(double));
            assert_memory_equal(&sa[i].lof, &sb[i].lof, sizeof(double));
        }
    }
    xai_model_free(m);
    free(train);
    free(x);
}

static void validity_by_hand(void **state)
{
    (void)state;
    net t = {.d = 2, .w = {1, 0}, .b = 0};   /* accepts x0 >= 0 */
    net a1 = {.d = 2, .w = {1, 0}, .b = -1}; /* accepts x0 >= 1 */
    net a2 = {.d = 2, .w = {0, 1}, .b = 0};  /* accepts x1 >= 0 */
    net a3 = {.d = 3, .w = {1, 0, 0}};       /* another width */
    xai_model *m = wrap(&t), *m1 = wrap(&a1), *m2 = wrap(&a2), *m3 = wrap(&a3);
    float *train = box_rows(20, 2, 4);
    xai_recourse_options o = xai_recourse_options_default();
    xai_recourse *rc = make_rc(m, train, 20, 2, NULL, NULL, &o);
    const float cf[5 * 2] = {0.5f, 1, 1.5f, -1, 2, 2, 0.1f, 0, -0.5f, 0.5f};
    /* By hand: a1 accepts rows 1, 2; a2 accepts rows 0, 2, 3 (x1 = 0), 4. */
    const uint8_t want1[5] = {0, 1, 1, 0, 0}, want2[5] = {1, 0, 1, 1, 1};
    uint8_t v[5];
    assert_int_equal(xai_recourse_validity(rc, m1, cf, 5, v), XAI_OK);
    assert_memory_equal(v, want1, 5);
    assert_int_equal(xai_recourse_validity(rc, m2, cf, 5, v), XAI_OK);
    assert_memory_equal(v, want2, 5);
    assert_int_equal(xai_recourse_validity(rc, m3, cf, 5, v), XAI_ERR_SHAPE);
    assert_non_null(strstr(xai_last_error(), "3 inputs"));
    xai_recourse_free(rc);
    xai_model_free(m);
    xai_model_free(m1);
    xai_model_free(m2);
    xai_model_free(m3);
    free(train);
}

/* Brute-force LOF: full distance matrix, sorted neighbour lists. */
static double bf_dist(const float *a, const float *b, size_t d, const double *s)
{
    double t = 0;
    for (size_t j = 0; j < d; j++)
        t += (((double)a[j] - b[j]) / s[j]) * (((double)a[j] - b[j]) / s[j]);
    return sqrt(t);
}

static void bf_knn(const float *rows, size_t n, size_t d, const double *s, const float *p,
                   long self, size_t k, size_t *idx)
{
    /* selection by repeated minimum (ties: lower index) */
    char *used = calloc(n, 1);
    for (size_t t = 0; t < k; t++) {
        long best = -1;
        double bd = INFINITY;
        for (size_t i = 0; i < n; i++) {
            if ((long)i == self || used[i])
                continue;
            double v = bf_dist(p, rows + i * d, d, s);
            if (v < bd) {
                bd = v;
                best = (long)i;
            }
        }
        used[best] = 1;
        idx[t] = (size_t)best;
    }
    free(used);
}

static double bf_lof(const float *rows, size_t n, size_t d, const double *s, const float *p,
                     size_t k)
{
    double *kd = malloc(n * sizeof *kd), *lrd = malloc(n * sizeof *lrd);
    size_t idx[16];
    for (size_t i = 0; i < n; i++) {
        bf_knn(rows, n, d, s, rows + i * d, (long)i, k, idx);
        kd[i] = bf_dist(rows + i * d, rows + idx[k - 1] * d, d, s);
    }
    for (size_t i = 0; i < n; i++) {
        bf_knn(rows, n, d, s, rows + i * d, (long)i, k, idx);
        double m = 0;
        for (size_t t = 0; t < k; t++)
            m += fmax(kd[idx[t]], bf_dist(rows + i * d, rows + idx[t] * d, d, s));
        lrd[i] = 1 / (m / k + 1e-10);
    }
    bf_knn(rows, n, d, s, p, -1, k, idx);
    double m = 0, q = 0;
    for (size_t t = 0; t < k; t++) {
        m += fmax(kd[idx[t]], bf_dist(p, rows + idx[t] * d, d, s));
        q += lrd[idx[t]];
    }
    double out = (q / k) / (1 / (m / k + 1e-10));
    free(kd);
    free(lrd);
    return out;
}

static void lof_vs_brute_force(void **state)
{
    (void)state;
    /* A model that accepts everything: the accepted rows are all rows. */
    net t = {.d = 3, .w = {0, 0, 0}, .b = 3};
    xai_model *m = wrap(&t);
    float *train = box_rows(120, 3, 5);
    for (int i = 0; i < 120; i++)
        train[i * 3 + 2] *= 3; /* another range: the scaling matters */
    xai_recourse_options o = xai_recourse_options_default();
    o.k = 10;
    xai_recourse *rc = make_rc(m, train, 120, 3, NULL, NULL, &o);
    assert_int_equal(xai_recourse_accepted_count(rc), 120);
    float p[4 * 3] = {0, 0, 0, 1.9f, -1.9f, 5.5f, 4, 4, 4, 0.3f, 0.2f, -1};
    memcpy(p + 9, train + 30 * 3, 3 * sizeof(float)); /* a training row itself */
    xai_cf_score sc[4];
    assert_int_equal(xai_recourse_score(rc, p, NULL, 4, 0, sc), XAI_OK);
    double s[3] = {4, 4, 12};
    for (int i = 0; i < 4; i++) {
        double want = bf_lof(train, 120, 3, s, p + 3 * i, 10);
        if (fabs(sc[i].lof - want) > 1e-9 * fmax(1, want))
            fail_msg("point %d: lof %.12g, brute force %.12g", i, sc[i].lof, want);
    }
    assert_true(sc[2].lof > 2); /* far outside */
    xai_recourse_free(rc);
    xai_model_free(m);
    free(train);
}

static void bad_inputs(void **state)
{
    (void)state;
    net t = {.d = PD, .w = {1, 1, 1, 1, 1, 1, 1, 1}};
    xai_model *m = wrap(&t);
    float *train = malloc(50 * PD * sizeof *train);
    mixed_rows(train, 50, 3);
    xai_recourse *rc = NULL;
    xai_recourse_options o = xai_recourse_options_default();
    o.desired = 2;
    assert_int_equal(xai_recourse_new(m, train, 50, PD, PGROUPS, PFLAGS, &o, &rc),
                     XAI_ERR_INVALID);
    assert_non_null(strstr(xai_last_error(), "desired class 2"));
    assert_null(rc);
    o = xai_recourse_options_default();
    uint8_t all[PD];
    memset(all, XAI_RC_IMMUTABLE, PD);
    assert_int_equal(xai_recourse_new(m, train, 50, PD, PGROUPS, all, &o, &rc),
                     XAI_ERR_INVALID);
    assert_non_null(strstr(xai_last_error(), "every feature is immutable"));
    uint8_t inc[PD] = {0, 0, 0, 0, 0, XAI_RC_INCREASING, 0, 0};
    assert_int_equal(xai_recourse_new(m, train, 50, PD, PGROUPS, inc, &o, &rc),
                     XAI_ERR_INVALID);
    train[5 * PD + 4] = 1; /* row 5's group has two ones now */
    train[5 * PD + 5] = 1;
    assert_int_equal(xai_recourse_new(m, train, 50, PD, PGROUPS, NULL, &o, &rc),
                     XAI_ERR_INVALID);
    assert_non_null(strstr(xai_last_error(), "training row 5"));
    assert_int_equal(xai_recourse_new(m, train, 50, PD - 1, NULL, NULL, &o, &rc),
                     XAI_ERR_SHAPE);
    o.sigma = 0;
    assert_int_equal(xai_recourse_new(m, train, 50, PD, NULL, NULL, &o, &rc),
                     XAI_ERR_INVALID);
    xai_model *score_model;
    assert_int_equal(xai_model_from_callbacks(PD, 1, 0, net_predict, NULL, &t, &score_model),
                     XAI_OK);
    o = xai_recourse_options_default();
    assert_int_equal(xai_recourse_new(score_model, train, 50, PD, NULL, NULL, &o, &rc),
                     XAI_ERR_UNSUPPORTED);
    xai_model_free(score_model);
    xai_model_free(m);
    free(train);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stability_vs_integration),
        cmocka_unit_test(closest_matches_analytic),
        cmocka_unit_test(trex_reaches_tau),
        cmocka_unit_test(trex_reaches_tau_projected),
        cmocka_unit_test(constraints_never_violated),
        cmocka_unit_test(stability_gradient_vs_differences),
        cmocka_unit_test(threads_identical),
        cmocka_unit_test(validity_by_hand),
        cmocka_unit_test(lof_vs_brute_force),
        cmocka_unit_test(bad_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
