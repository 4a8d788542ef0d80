/* tests/test_backdoor.c: SmoothInv pieces against independent references:
 * the smoothed gradient against central differences of the smoothed
 * objective (common random numbers), with and without a denoiser and for
 * probability and logit models; sigma 0 against a plain targeted PGD written
 * here; the projection; ASR, energy window and anomaly index against hand
 * computations. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <xai/xai.h>

enum { D = 6, K = 3 };

/* f(x) = softmax(W x + b) (or the logits W x + b). */
typedef struct lin {
    size_t d, k;
    double w[K][D], b[K];
    int softmax;
} lin;

static void lin_logits(const lin *m, const float *x, double *l)
{
    for (size_t j = 0; j < m->k; j++) {
        l[j] = m->b[j];
        for (size_t i = 0; i < m->d; i++)
            l[j] += m->w[j][i] * x[i];
    }
}

static void softmax_d(double *l, size_t k)
{
    double mx = l[0], s = 0;
    for (size_t j = 1; j < k; j++)
        mx = fmax(mx, l[j]);
    for (size_t j = 0; j < k; j++)
        s += (l[j] = exp(l[j] - mx));
    for (size_t j = 0; j < k; j++)
        l[j] /= s;
}

static int lin_predict(void *user, const float *x, size_t n, float *y)
{
    const lin *m = user;
    for (size_t r = 0; r < n; r++) {
        double l[K];
        lin_logits(m, x + r * m->d, l);
        if (m->softmax)
            softmax_d(l, m->k);
        for (size_t j = 0; j < m->k; j++)
            y[r * m->k + j] = (float)l[j];
    }
    return 0;
}

static int lin_vjp(void *user, const float *x, size_t n, const float *dy, float *dx)
{
    const lin *m = user;
    for (size_t r = 0; r < n; r++) {
        double l[K], dl[K];
        lin_logits(m, x + r * m->d, l);
        const float *g = dy + r * m->k;
        if (m->softmax) {
            softmax_d(l, m->k);
            double s = 0;
            for (size_t j = 0; j < m->k; j++)
                s += g[j] * l[j];
            for (size_t j = 0; j < m->k; j++)
                dl[j] = l[j] * (g[j] - s);
        } else {
            for (size_t j = 0; j < m->k; j++)
                dl[j] = g[j];
        }
        for (size_t i = 0; i < m->d; i++) {
            double a = 0;
            for (size_t j = 0; j < m->k; j++)
                a += m->w[j][i] * dl[j];
            dx[r * m->d + i] = (float)a;
        }
    }
    return 0;
}

static void lin_init(lin *m, int softmax)
{
    m->d = D;
    m->k = K;
    m->softmax = softmax;
    for (size_t j = 0; j < K; j++) {
        m->b[j] = 0.1 * (double)j - 0.1;
        for (size_t i = 0; i < D; i++)
            m->w[j][i] = sin(1.3 * (double)(j * D + i) + 0.4) * 2.0;
    }
}

static xai_model *lin_wrap(lin *m)
{
    xai_model *out = NULL;
    assert_int_equal(xai_model_from_callbacks(m->d, m->k, m->softmax, lin_predict, lin_vjp,
                                              m, &out), XAI_OK);
    return out;
}

/* A non-linear image-to-image "denoiser": v_i = tanh(x_i + 0.3 x_{i+1}). */
static int den_predict(void *user, const float *x, size_t n, float *y)
{
    (void)user;
    for (size_t r = 0; r < n; r++)
        for (size_t i = 0; i < D; i++) {
            const float *xr = x + r * D;
            y[r * D + i] = (float)tanh(xr[i] + 0.3 * (i + 1 < D ? xr[i + 1] : 0.0));
        }
    return 0;
}

static int den_vjp(void *user, const float *x, size_t n, const float *dy, float *dx)
{
    (void)user;
    for (size_t r = 0; r < n; r++) {
        const float *xr = x + r * D;
        double s[D];
        for (size_t i = 0; i < D; i++) {
            double t = tanh(xr[i] + 0.3 * (i + 1 < D ? xr[i + 1] : 0.0));
            s[i] = (1 - t * t) * dy[r * D + i];
        }
        for (size_t i = 0; i < D; i++)
            dx[r * D + i] = (float)(s[i] + (i > 0 ? 0.3 * s[i - 1] : 0.0));
    }
    return 0;
}

static double loss_at(xai_smoother *s, const float *z, int32_t y, double sigma)
{
    xai_rng rng;
    xai_rng_init(&rng, 5, 9);
    double l;
    assert_int_equal(xai_smoother_loss_grad(s, z, y, sigma, &rng, &l, NULL), XAI_OK);
    return l;
}

static void check_fd(int softmax, int with_denoiser)
{
    lin t;
    lin_init(&t, softmax);
    xai_model *m = lin_wrap(&t), *den = NULL;
    if (with_denoiser)
        assert_int_equal(xai_model_from_callbacks(D, D, 0, den_predict, den_vjp, NULL, &den),
                         XAI_OK);
    xai_smoother *s;
    assert_int_equal(xai_smoother_new(m, den, 16, &s), XAI_OK);
    float z[D] = {0.2f, 0.7f, 0.4f, 0.9f, 0.1f, 0.5f}, g[D];
    for (int32_t y = 0; y < K; y++) {
        xai_rng rng;
        xai_rng_init(&rng, 5, 9);
        double l;
        assert_int_equal(xai_smoother_loss_grad(s, z, y, 0.4, &rng, &l, g), XAI_OK);
        assert_float_equal(l, loss_at(s, z, y, 0.4), 1e-12);
        double h = 1e-2, gn = 0;
        for (size_t i = 0; i < D; i++)
            gn += (double)g[i] * g[i];
        assert_true(gn > 1e-4);
        for (size_t i = 0; i < D; i++) {
            float zp[D], zm[D];
            memcpy(zp, z, sizeof zp);
            memcpy(zm, z, sizeof zm);
            zp[i] += (float)h;
            zm[i] -= (float)h;
            double fd = (loss_at(s, zp, y, 0.4) - loss_at(s, zm, y, 0.4)) / (2 * h);
            assert_float_equal(g[i], fd, 2e-3 * (1 + fabs(fd)));
        }
    }
    xai_smoother_free(s);
    xai_model_free(m);
    xai_model_free(den);
}

static void smoothed_gradient_matches_fd(void **state)
{
    (void)state;
    check_fd(1, 0);
}

static void smoothed_gradient_logits_model(void **state)
{
    (void)state;
    check_fd(0, 0);
}

static void smoothed_gradient_through_denoiser(void **state)
{
    (void)state;
    check_fd(1, 1);
}

/* The smoothed objective is the mean of the copies' probabilities: check g
 * against the copies drawn here from the same stream. */
static void smoothed_value_is_mean_probability(void **state)
{
    (void)state;
    lin t;
    lin_init(&t, 1);
    xai_model *m = lin_wrap(&t);
    xai_smoother *s;
    assert_int_equal(xai_smoother_new(m, NULL, 7, &s), XAI_OK);
    float z[D] = {0.3f, 0.1f, 0.8f, 0.5f, 0.6f, 0.2f};
    xai_rng rng;
    xai_rng_init(&rng, 11, 3);
    double g = 0;
    for (int c = 0; c < 7; c++) {
        float u[D];
        for (size_t i = 0; i < D; i++)
            u[i] = (float)(z[i] + 0.5 * xai_rng_normal(&rng));
        double l[K];
        lin_logits(&t, u, l);
        softmax_d(l, K);
        g += l[2] / 7;
    }
    xai_rng_init(&rng, 11, 3);
    double loss;
    assert_int_equal(xai_smoother_loss_grad(s, z, 2, 0.5, &rng, &loss, NULL), XAI_OK);
    assert_float_equal(loss, -log(g), 1e-5);
    xai_smoother_free(s);
    xai_model_free(m);
}

/* Plain targeted PGD written independently (double precision). */
static void ref_pgd(const lin *t, const float *x, int y, double eps, int steps, double lo,
                    double hi, double *delta)
{
    double v[D] = {0};
    memset(delta, 0, D * sizeof *delta);
    for (int s = 0; s < steps; s++) {
        double lr = s < (3 * steps) / 4 ? eps / 20 : eps / 40;
        float z[D];
        for (size_t i = 0; i < D; i++)
            z[i] = (float)(x[i] + delta[i]);
        double p[K];
        lin_logits(t, z, p);
        softmax_d(p, K);
        double g[D], nn = 0;
        for (size_t i = 0; i < D; i++) { /* d(-log p_y)/dz = sum_j p_j w_j - w_y */
            g[i] = -t->w[y][i];
            for (size_t j = 0; j < K; j++)
                g[i] += p[j] * t->w[j][i];
            nn += g[i] * g[i];
        }
        nn = sqrt(nn);
        double dn = 0;
        for (size_t i = 0; i < D; i++) {
            v[i] = 0.9 * v[i] + g[i] / nn;
            delta[i] -= lr * v[i];
            dn += delta[i] * delta[i];
        }
        dn = sqrt(dn);
        for (size_t i = 0; i < D; i++) {
            if (dn > eps)
                delta[i] *= eps / dn;
            delta[i] = fmin(fmax(x[i] + delta[i], lo), hi) - x[i];
        }
    }
}

static void sigma_zero_is_pgd(void **state)
{
    (void)state;
    lin t;
    lin_init(&t, 1);
    xai_model *m = lin_wrap(&t);
    xai_smoother *s;
    assert_int_equal(xai_smoother_new(m, NULL, 1, &s), XAI_OK);
    xai_backdoor_options o = xai_backdoor_options_default();
    o.steps = 40;
    o.eps = 0.8;
    o.sigma = 0;
    float x[D] = {0.2f, 0.95f, 0.4f, 0.05f, 0.6f, 0.5f}, delta[D];
    double ref[D];
    for (int32_t y = 0; y < K; y++) {
        assert_int_equal(xai_backdoor_invert(s, &o, 0.0, x, 3, y, delta), XAI_OK);
        ref_pgd(&t, x, y, o.eps, (int)o.steps, 0, 1, ref);
        for (size_t i = 0; i < D; i++)
            assert_float_equal(delta[i], ref[i], 1e-4);
    }
    xai_smoother_free(s);
    xai_model_free(m);
}

static void projection_keeps_ball_and_range(void **state)
{
    (void)state;
    lin t;
    lin_init(&t, 1);
    xai_model *m = lin_wrap(&t);
    xai_smoother *s;
    assert_int_equal(xai_smoother_new(m, NULL, 8, &s), XAI_OK);
    xai_backdoor_options o = xai_backdoor_options_default();
    o.steps = 30;
    o.seed = 3;
    float mid[D] = {0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f};
    float edge[D] = {0.0f, 1.0f, 0.02f, 0.98f, 1.0f, 0.0f}, delta[D];
    /* small eps from the middle: the ball binds */
    o.eps = 0.3;
    assert_int_equal(xai_backdoor_invert(s, &o, 0.5, mid, 0, 1, delta), XAI_OK);
    double n2 = 0;
    for (size_t i = 0; i < D; i++)
        n2 += (double)delta[i] * delta[i];
    assert_true(sqrt(n2) <= 0.3 * (1 + 1e-6));
    assert_true(sqrt(n2) >= 0.29);
    /* large eps from the edges: the range binds */
    o.eps = 5;
    o.lo = 0;
    o.hi = 1;
    int at_bound = 0;
    for (int32_t y = 0; y < K; y++) {
        assert_int_equal(xai_backdoor_invert(s, &o, 0.5, edge, 0, y, delta), XAI_OK);
        n2 = 0;
        for (size_t i = 0; i < D; i++) {
            float v = edge[i] + delta[i];
            assert_true(v >= 0.0f && v <= 1.0f);
            at_bound += v == 0.0f || v == 1.0f;
            n2 += (double)delta[i] * delta[i];
        }
        assert_true(sqrt(n2) <= 5.0);
    }
    assert_true(at_bound > 0);
    xai_smoother_free(s);
    xai_model_free(m);
}

/* Logits l = x (2 classes): hand-checked arg-maxes. */
static int ident_predict(void *user, const float *x, size_t n, float *y)
{
    (void)user;
    memcpy(y, x, n * 2 * sizeof *y);
    return 0;
}

static void asr_counts_only_masked_images(void **state)
{
    (void)state;
    xai_model *m;
    assert_int_equal(xai_model_from_callbacks(2, 2, 0, ident_predict, NULL, NULL, &m), XAI_OK);
    xai_runner *r;
    assert_int_equal(xai_runner_new(m, &r), XAI_OK);
    float x[8] = {0.2f, 0.1f, 0.6f, 0.5f, 0.9f, 0.0f, 0.1f, 0.3f};
    float delta[2] = {0.0f, 0.35f};
    /* perturbed: (.2,.45)->1  (.6,.85)->1  (.9,.35)->0  (.1,.65)->1 */
    uint8_t mask[4] = {1, 1, 1, 0};
    double asr;
    size_t cnt;
    assert_int_equal(xai_backdoor_asr(r, x, 4, mask, delta, 0, 1, 1, &asr, &cnt), XAI_OK);
    assert_int_equal(cnt, 3);
    assert_float_equal(asr, 2.0 / 3.0, 1e-12);
    uint8_t mask2[4] = {0, 0, 1, 1};
    assert_int_equal(xai_backdoor_asr(r, x, 4, mask2, delta, 0, 1, 0, &asr, &cnt), XAI_OK);
    assert_int_equal(cnt, 2);
    assert_float_equal(asr, 0.5, 1e-12);
    /* the clip: delta pushes x1 above 1 for row 1; 0.6 + 0.5 clipped to 1 */
    float big[2] = {0.5f, 0.5f};
    uint8_t one[4] = {0, 1, 0, 0};
    assert_int_equal(xai_backdoor_asr(r, x, 4, one, big, 0, 1, 1, &asr, &cnt), XAI_OK);
    assert_float_equal(asr, 0.0, 1e-12); /* (1, 1): tie goes to class 0 */
    xai_runner_free(r);
    xai_model_free(m);
}

static void energy_window_by_hand(void **state)
{
    (void)state;
    float d[16] = {0};
    d[1 * 4 + 1] = 1;
    d[2 * 4 + 2] = 1;
    xai_energy_window w;
    assert_int_equal(xai_backdoor_energy_window(d, 1, 4, 4, &w), XAI_OK);
    assert_int_equal(w.size, 1);
    assert_int_equal(w.x, 1);
    assert_int_equal(w.y, 1);
    assert_float_equal(w.share, 0.5, 1e-12);
    assert_float_equal(w.uniform_share, 1.0 / 16, 1e-12);
    /* two channels: 0.6 at (0,0) in channel 0, a 2x2 block of 0.5 at (2,2)
     * in channel 1: total 0.36 + 1, half 0.68 -> the 2x2 block */
    float e[32] = {0};
    e[0] = 0.6f;
    e[16 + 2 * 4 + 2] = e[16 + 2 * 4 + 3] = e[16 + 3 * 4 + 2] = e[16 + 3 * 4 + 3] = 0.5f;
    assert_int_equal(xai_backdoor_energy_window(e, 2, 4, 4, &w), XAI_OK);
    assert_int_equal(w.size, 2);
    assert_int_equal(w.x, 2);
    assert_int_equal(w.y, 2);
    assert_float_equal(w.share, 1.0 / 1.36, 1e-6);
    assert_float_equal(w.uniform_share, 4.0 / 16, 1e-12);
}

static void anomaly_index_by_hand(void **state)
{
    (void)state;
    double v[6] = {0.1, 0.3, 0.2, 0.9, 0.5, 0.4}, a[6], med, mad;
    /* median 0.35; |dev| .25 .05 .15 .55 .15 .05 -> MAD 0.15 */
    assert_int_equal(xai_backdoor_anomaly(v, 6, 0.05, a, &med, &mad), XAI_OK);
    assert_float_equal(med, 0.35, 1e-12);
    assert_float_equal(mad, 0.15, 1e-12);
    assert_float_equal(a[3], 0.55 / (1.4826 * 0.15), 1e-9);
    assert_float_equal(a[0], -0.25 / (1.4826 * 0.15), 1e-9);
    /* a flat scan: MAD 0 is floored, every index is 0 */
    double f[5] = {0.3, 0.3, 0.3, 0.3, 0.3};
    assert_int_equal(xai_backdoor_anomaly(f, 5, XAI_BACKDOOR_MAD_FLOOR, a, &med, &mad), XAI_OK);
    assert_float_equal(mad, 0.0, 0);
    for (int i = 0; i < 5; i++)
        assert_float_equal(a[i], 0.0, 0);
    /* nearly flat: one class 0.1 above, MAD 0 -> floor 0.05 */
    f[4] = 0.4;
    assert_int_equal(xai_backdoor_anomaly(f, 5, XAI_BACKDOOR_MAD_FLOOR, a, &med, &mad), XAI_OK);
    assert_float_equal(a[4], 0.1 / (1.4826 * 0.05), 1e-9);
    assert_true(a[4] < 2.0);
}

/* The smoothed inversion draws step t's noise from stream (seed, (y, row, t)):
 * the same loop written here on top of the (FD-checked) smoother. */
static void smoothed_inversion_uses_documented_streams(void **state)
{
    (void)state;
    lin t;
    lin_init(&t, 1);
    xai_model *m = lin_wrap(&t);
    xai_smoother *s;
    assert_int_equal(xai_smoother_new(m, NULL, 6, &s), XAI_OK);
    xai_backdoor_options o = xai_backdoor_options_default();
    o.steps = 12;
    o.eps = 0.7;
    o.seed = 99;
    float x[D] = {0.3f, 0.6f, 0.1f, 0.9f, 0.5f, 0.4f}, delta[D], g[D];
    assert_int_equal(xai_backdoor_invert(s, &o, 0.3, x, 17, 2, delta), XAI_OK);
    double ref[D] = {0}, v[D] = {0};
    for (uint32_t k = 0; k < o.steps; k++) {
        float z[D];
        for (size_t i = 0; i < D; i++)
            z[i] = (float)(x[i] + ref[i]);
        xai_rng rng;
        xai_rng_init(&rng, 99, ((uint64_t)2 << 46) | ((uint64_t)17 << 22) | k);
        double l, nn = 0, dn = 0;
        assert_int_equal(xai_smoother_loss_grad(s, z, 2, 0.3, &rng, &l, g), XAI_OK);
        for (size_t i = 0; i < D; i++)
            nn += (double)g[i] * g[i];
        for (size_t i = 0; i < D; i++) {
            v[i] = 0.9 * v[i] + g[i] / sqrt(nn);
            ref[i] -= (k < 9 ? 0.7 / 20 : 0.7 / 40) * v[i];
            dn += ref[i] * ref[i];
        }
        for (size_t i = 0; i < D; i++) {
            if (sqrt(dn) > 0.7)
                ref[i] *= 0.7 / sqrt(dn);
            ref[i] = fmin(fmax(x[i] + ref[i], 0), 1) - x[i];
        }
    }
    for (size_t i = 0; i < D; i++)
        assert_float_equal(delta[i], ref[i], 1e-4);
    xai_smoother_free(s);
    xai_model_free(m);
}

/* The scan on the example: every class's ASR counts exactly the images not
 * of the class minus its sources; sources are never of the class; the
 * result does not depend on the thread count. */
static void scan_heldout_sets(void **state)
{
    (void)state;
    xai_model *m;
    assert_int_equal(xai_model_load("examples/backdoor/model_backdoored.onnx", &m), XAI_OK);
    xai_csv_options co = xai_csv_options_default();
    co.label = "digit";
    co.image_c = 1, co.image_h = 8, co.image_w = 8;
    co.scale = 16;
    xai_dataset *ds;
    assert_int_equal(xai_dataset_load_csv("examples/backdoor/data/validation.csv", &co, &ds),
                     XAI_OK);
    xai_backdoor_options o = xai_backdoor_options_default();
    o.steps = 3;
    o.noise_samples = 2;
    o.sources = 3;
    o.seed = 4;
    o.n_threads = 1;
    xai_backdoor_result *r1, *r2;
    assert_int_equal(xai_backdoor_scan(m, ds, &o, &r1), XAI_OK);
    o.n_threads = 2;
    assert_int_equal(xai_backdoor_scan(m, ds, &o, &r2), XAI_OK);
    const float *lab = xai_dataset_labels(ds);
    size_t n = xai_dataset_rows(ds);
    assert_int_equal(r1->n_classes, 10);
    for (size_t c = 0; c < 10; c++) {
        size_t other = 0;
        for (size_t i = 0; i < n; i++)
            other += lab[i] != (float)c;
        assert_int_equal(r1->classes[c].n_heldout, other - 3);
        assert_true(lab[r1->classes[c].best_source] != (float)c);
        assert_true(lab[r1->classes[c].best_source_unsmoothed] != (float)c);
        assert_memory_equal(r1->classes[c].delta, r2->classes[c].delta, 64 * sizeof(float));
        /* the best of the sources, and its ASR recomputed here over the
         * images not of class c and not among the sources */
        const xai_backdoor_class *k = &r1->classes[c];
        assert_int_equal(k->n_sources, 3);
        double best = -1, best0 = -1;
        uint8_t mask[120];
        assert_true(n <= 120);
        for (size_t i = 0; i < n; i++)
            mask[i] = lab[i] != (float)c;
        for (uint32_t a = 0; a < 3; a++) {
            best = fmax(best, k->source_asr[a]);
            best0 = fmax(best0, k->source_asr_unsmoothed[a]);
            assert_true(lab[k->sources[a]] != (float)c);
            mask[k->sources[a]] = 0;
        }
        assert_true(k->asr == best && k->asr_unsmoothed == best0);
        xai_runner *run;
        assert_int_equal(xai_runner_new(m, &run), XAI_OK);
        double asr;
        size_t cnt;
        assert_int_equal(xai_backdoor_asr(run, xai_dataset_values(ds), n, mask, k->delta, 0, 1,
                                          (int32_t)c, &asr, &cnt), XAI_OK);
        assert_int_equal(cnt, other - 3);
        assert_true(asr == k->asr);
        xai_runner_free(run);
        assert_true(r1->classes[c].asr == r2->classes[c].asr);
    }
    xai_backdoor_result_free(r1);
    xai_backdoor_result_free(r2);
    xai_dataset_free(ds);
    xai_model_free(m);
}

static void options_are_checked(void **state)
{
    (void)state;
    lin t;
    lin_init(&t, 1);
    xai_model *m = lin_wrap(&t);
    xai_backdoor_options o = xai_backdoor_options_default();
    /* a callback model has a flat input: not an image model */
    assert_int_equal(xai_backdoor_check(m, &o), XAI_ERR_SHAPE);
    assert_non_null(strstr(xai_last_error(), "not an image model"));
    xai_model_free(m);
    xai_model *img;
    assert_int_equal(xai_model_load("examples/backdoor/model_backdoored.onnx", &img), XAI_OK);
    assert_int_equal(xai_backdoor_check(img, &o), XAI_OK);
    o.eps = 0;
    assert_int_equal(xai_backdoor_check(img, &o), XAI_ERR_INVALID);
    o.eps = 1;
    o.target = 10;
    assert_int_equal(xai_backdoor_check(img, &o), XAI_ERR_INVALID);
    assert_non_null(strstr(xai_last_error(), "out of range"));
    o.target = -1;
    o.sigma = -0.1;
    assert_int_equal(xai_backdoor_check(img, &o), XAI_ERR_INVALID);
    xai_model_free(img);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(smoothed_gradient_matches_fd),
        cmocka_unit_test(smoothed_gradient_logits_model),
        cmocka_unit_test(smoothed_gradient_through_denoiser),
        cmocka_unit_test(smoothed_value_is_mean_probability),
        cmocka_unit_test(sigma_zero_is_pgd),
        cmocka_unit_test(projection_keeps_ball_and_range),
        cmocka_unit_test(asr_counts_only_masked_images),
        cmocka_unit_test(energy_window_by_hand),
        cmocka_unit_test(anomaly_index_by_hand),
        cmocka_unit_test(smoothed_inversion_uses_documented_streams),
        cmocka_unit_test(scan_heldout_sets),
        cmocka_unit_test(options_are_checked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
