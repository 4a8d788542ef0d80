/* tests/test_lipschitz.c: the MLP reader and the certified Lipschitz bound.
 * References: the reader's layers recompute the ONNX model's outputs by
 * hand; the upper bound is at least every gradient norm found by dense
 * sampling of the ball (centre, interior, surface, steepest-ascent walks) on
 * random MLPs with every supported activation; for a logistic model (one
 * Gemm + Sigmoid, no hidden layer) it equals the exact constant
 * ||w s|| * sigmoid'(the logit nearest 0 on the ball); the exact Stability
 * R and its guarantee against a recomputation from the same draws. */
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

enum { MAXL = 4 };
static const char *const ACTS[] = {"Relu", "LeakyRelu", "Tanh", "Sigmoid"};

/* Writes an MLP D -> h[0] -> ... -> 1 -> Sigmoid with activations act[k]
 * (index into ACTS) and optional input standardisation Sub/Div. */
static void write_mlp(const char *path, int D, int nh, const int *h, const int *act,
                      int standardise, uint64_t seed)
{
    xai_rng r;
    xai_rng_init(&r, seed, 0);
    ob_model *m = ob_new(13);
    ob_input(m, "x", 2, (int64_t[]){1, D});
    ob_output(m, "y", 2, (int64_t[]){1, 1});
    char cur[32] = "x", name[32], out[32], buf[128];
    if (standardise) {
        float mean[64], sd[64];
        for (int j = 0; j < D; j++) {
            mean[j] = (float)xai_rng_normal(&r);
            sd[j] = (float)(0.5 + xai_rng_uniform(&r));
        }
        ob_init_f(m, "mean", 1, (int64_t[]){D}, mean);
        ob_init_f(m, "sd", 1, (int64_t[]){D}, sd);
        ob_add(m, "Sub", "sub", "x,mean", "xs");
        ob_add(m, "Div", "div", "xs,sd", "xn");
        strcpy(cur, "xn");
    }
    int in = D;
    for (int k = 0; k <= nh; k++) {
        int o = k < nh ? h[k] : 1;
        float *w = malloc((size_t)(o * in) * sizeof *w), b[64];
        for (int i = 0; i < o * in; i++)
            w[i] = (float)(xai_rng_normal(&r) * 1.5 / sqrt((double)in));
        for (int i = 0; i < o; i++)
            b[i] = (float)(0.3 * xai_rng_normal(&r));
        snprintf(name, sizeof name, "W%d", k);
        ob_init_f(m, name, 2, (int64_t[]){o, in}, w);
        snprintf(buf, sizeof buf, "b%d", k);
        ob_init_f(m, buf, 1, (int64_t[]){o}, b);
        snprintf(out, sizeof out, "z%d", k);
        char ins[256];
        snprintf(ins, sizeof ins, "%s,%s,%s", cur, name, buf);
        snprintf(buf, sizeof buf, "fc%d", k);
        ob_attr_i(ob_add(m, "Gemm", buf, ins, out), "transB", 1);
        free(w);
        if (k < nh) {
            snprintf(name, sizeof name, "a%d", k);
            snprintf(buf, sizeof buf, "act%d", k);
            ob_node *nd = ob_add(m, ACTS[act[k]], buf, out, name);
            if (act[k] == 1)
                ob_attr_f(nd, "alpha", 0.1f);
            strcpy(cur, name);
        } else {
            ob_add(m, "Sigmoid", "sig", out, "y");
        }
        in = o;
    }
    ob_write(m, path);
    ob_free(m);
}

static xai_model *load(const char *path)
{
    xai_model *m;
    if (xai_model_load(path, &m) != XAI_OK)
        fail_msg("%s", xai_last_error());
    return m;
}

static double act_f(xai_activation a, double alpha, double v)
{
    switch (a) {
    case XAI_ACT_RELU: return v > 0 ? v : 0;
    case XAI_ACT_LEAKY_RELU: return v > 0 ? v : alpha * v;
    case XAI_ACT_SIGMOID: return 1 / (1 + exp(-v));
    case XAI_ACT_TANH: return tanh(v);
    default: return v;
    }
}

static void reader_reproduces_model(void **state)
{
    (void)state;
    const char *path = "/tmp/xai_test_lip_reader.onnx";
    int h[3] = {7, 5, 4}, act[3] = {0, 1, 2};
    write_mlp(path, 6, 3, h, act, 1, 3);
    xai_model *m = load(path);
    xai_mlp *mlp;
    assert_int_equal(xai_model_mlp(m, &mlp), XAI_OK);
    assert_int_equal(mlp->n_layers, 4);
    assert_int_equal(mlp->layers[3].act, XAI_ACT_SIGMOID);
    xai_runner *r;
    assert_int_equal(xai_runner_new(m, &r), XAI_OK);
    xai_rng g;
    xai_rng_init(&g, 5, 1);
    for (int t = 0; t < 20; t++) {
        float x[6], y;
        double v[16], u[16];
        for (int j = 0; j < 6; j++)
            v[j] = x[j] = (float)(2 * xai_rng_normal(&g));
        size_t w = 6;
        for (size_t k = 0; k < mlp->n_layers; k++) {
            const xai_dense *L = &mlp->layers[k];
            assert_int_equal(L->n_in, w);
            for (size_t i = 0; i < L->n_out; i++) {
                double s = L->b[i];
                for (size_t j = 0; j < L->n_in; j++)
                    s += L->w[i * L->n_in + j] * v[j];
                u[i] = act_f(L->act, L->alpha, s);
            }
            w = L->n_out;
            memcpy(v, u, w * sizeof *v);
        }
        assert_int_equal(xai_runner_forward(r, XAI_OUTPUT_PROB, x, 1, &y), XAI_OK);
        assert_true(fabs(v[0] - y) < 1e-5);
    }
    xai_runner_free(r);
    xai_mlp_free(mlp);
    xai_model_free(m);
    unlink(path);
}

static void reader_refuses_other_graphs(void **state)
{
    (void)state;
    const char *path = "/tmp/xai_test_lip_refuse.onnx";
    ob_model *o = ob_new(13);
    ob_input(o, "x", 2, (int64_t[]){1, 4});
    ob_output(o, "y", 2, (int64_t[]){1, 4});
    ob_add(o, "Exp", "e", "x", "t");
    ob_add(o, "Sigmoid", "s", "t", "y");
    ob_write(o, path);
    ob_free(o);
    xai_model *m = load(path);
    xai_mlp *mlp = NULL;
    assert_int_equal(xai_model_mlp(m, &mlp), XAI_ERR_UNSUPPORTED);
    assert_non_null(strstr(xai_last_error(), "node 'e' (Exp)"));
    assert_null(mlp);
    xai_model_free(m);
    /* a two-output softmax network is read, but the bound wants one sigmoid */
    o = ob_new(13);
    ob_input(o, "x", 2, (int64_t[]){1, 2});
    ob_output(o, "y", 2, (int64_t[]){1, 2});
    ob_init_f(o, "W", 2, (int64_t[]){2, 2}, (float[]){1, 2, 3, 4});
    ob_attr_i(ob_add(o, "Gemm", "fc", "x,W", "z"), "transB", 1);
    ob_add(o, "Softmax", "sm", "z", "y");
    ob_write(o, path);
    ob_free(o);
    m = load(path);
    assert_int_equal(xai_model_mlp(m, &mlp), XAI_OK);
    xai_lipschitz lb;
    float x[2] = {0, 0};
    assert_int_equal(xai_lipschitz_bounds(m, mlp, 1, NULL, x, 1, 0.1, 10, 0, &lb),
                     XAI_ERR_UNSUPPORTED);
    xai_mlp_free(mlp);
    xai_model_free(m);
    unlink(path);
}

/* Largest ||s * grad_x m|| found by the test's own search of the ball. */
static double search_ball(xai_model *m, const float *x, int D, const float *s, double radius,
                          uint64_t seed)
{
    xai_runner *r;
    assert_int_equal(xai_runner_new(m, &r), XAI_OK);
    xai_rng g;
    xai_rng_init(&g, seed, 2);
    enum { N = 3000 };
    float *p = malloc((size_t)N * D * sizeof *p), *gr = malloc((size_t)N * D * sizeof *gr);
    int32_t tgt[N] = {0};
    for (int i = 0; i < N; i++) {
        double dir[64], n2 = 0;
        for (int j = 0; j < D; j++) {
            dir[j] = xai_rng_normal(&g);
            n2 += dir[j] * dir[j];
        }
        /* a third on the surface, the rest inside */
        double rr = radius * (i % 3 == 0 ? 1.0 : xai_rng_uniform(&g)) / sqrt(n2);
        for (int j = 0; j < D; j++)
            p[i * D + j] = (float)(x[j] + s[j] * rr * dir[j]);
    }
    assert_int_equal(xai_runner_grad(r, XAI_OUTPUT_PROB, p, N, tgt, gr, NULL), XAI_OK);
    double best = 0;
    for (int i = 0; i < N; i++) {
        double t = 0;
        for (int j = 0; j < D; j++)
            t += (gr[i * D + j] * s[j]) * (gr[i * D + j] * s[j]);
        best = fmax(best, sqrt(t));
    }
    /* projected steepest ascent of the gradient norm by finite differences of
     * the norm is costly; instead walk along the gradient direction */
    float z[64];
    memcpy(z, x, (size_t)D * sizeof *z);
    for (int it = 0; it < 200; it++) {
        float gz[64];
        assert_int_equal(xai_runner_grad(r, XAI_OUTPUT_PROB, z, 1, tgt, gz, NULL), XAI_OK);
        double t = 0, d2 = 0;
        for (int j = 0; j < D; j++)
            t += (gz[j] * s[j]) * (gz[j] * s[j]);
        best = fmax(best, sqrt(t));
        for (int j = 0; j < D; j++)
            z[j] -= (float)(0.02 * radius * s[j] * gz[j] * s[j] / (sqrt(t) + 1e-12));
        for (int j = 0; j < D; j++)
            d2 += ((z[j] - x[j]) / s[j]) * ((z[j] - x[j]) / s[j]);
        if (sqrt(d2) > radius)
            break;
    }
    free(p);
    free(gr);
    xai_runner_free(r);
    return best;
}

static void upper_bounds_every_sampled_gradient(void **state)
{
    (void)state;
    const char *path = "/tmp/xai_test_lip_rand.onnx";
    int checked = 0;
    for (int net = 0; net < 8; net++) {
        int D = 3 + net % 4, nh = 1 + net % 3, h[3], act[3];
        for (int k = 0; k < nh; k++) {
            h[k] = 4 + (net * 3 + k) % 6;
            act[k] = (net + k) % 4;
        }
        write_mlp(path, D, nh, h, act, net % 2, 100 + net);
        xai_model *m = load(path);
        xai_mlp *mlp;
        assert_int_equal(xai_model_mlp(m, &mlp), XAI_OK);
        float s[64];
        for (int j = 0; j < D; j++)
            s[j] = (float)(0.5 + j);
        xai_rng g;
        xai_rng_init(&g, net, 3);
        const double radii[3] = {0.05, 0.3, 1.0};
        for (int t = 0; t < 3; t++) {
            float x[64];
            for (int j = 0; j < D; j++)
                x[j] = (float)xai_rng_normal(&g);
            xai_lipschitz lb;
            assert_int_equal(xai_lipschitz_bounds(m, mlp, net % 2, s, x, 1, radii[t], 200,
                                                  7, &lb), XAI_OK);
            double seen = search_ball(m, x, D, s, radii[t], net * 10 + t);
            if (!(lb.upper >= seen * (1 - 1e-5)))
                fail_msg("net %d radius %g: upper %.9g < sampled %.9g", net, radii[t],
                         lb.upper, seen);
            assert_true(lb.lower <= lb.upper * (1 + 1e-5));
            assert_true(lb.upper <= lb.upper_norms && lb.upper <= lb.upper_interval);
            checked++;
        }
        xai_mlp_free(mlp);
        xai_model_free(m);
    }
    assert_int_equal(checked, 24);
    unlink(path);
}

static double dsig(double v)
{
    double p = 1 / (1 + exp(-v));
    return p * (1 - p);
}

static void logistic_bound_is_exact(void **state)
{
    (void)state;
    /* A logistic model is an MLP without a hidden layer: m = sigmoid(w.x + b).
     * grad_z m = sigmoid'(w.x + b) w s, so L = ||w s|| max over the ball of
     * sigmoid'; the logit ranges over c +- r ||w s|| exactly. */
    const char *path = "/tmp/xai_test_lip_logistic.onnx";
    const float w[4] = {1.5f, -0.5f, 2.0f, 0.25f}, b = -0.3f;
    ob_model *o = ob_new(13);
    ob_input(o, "x", 2, (int64_t[]){1, 4});
    ob_output(o, "y", 2, (int64_t[]){1, 1});
    ob_init_f(o, "W", 2, (int64_t[]){1, 4}, w);
    ob_init_f(o, "B", 1, (int64_t[]){1}, &b);
    ob_attr_i(ob_add(o, "Gemm", "fc", "x,W,B", "z"), "transB", 1);
    ob_add(o, "Sigmoid", "s", "z", "y");
    ob_write(o, path);
    ob_free(o);
    xai_model *m = load(path);
    xai_mlp *mlp;
    assert_int_equal(xai_model_mlp(m, &mlp), XAI_OK);
    const float s[4] = {1, 2, 0.5f, 4};
    double ws = 0;
    for (int j = 0; j < 4; j++)
        ws += (double)w[j] * s[j] * w[j] * s[j];
    ws = sqrt(ws);
    const float xs[3][4] = {{0, 0, 0, 0}, {2, 1, 1, 1}, {-1, 0.5f, -2, 0}};
    const double radii[3] = {0.1, 0.5, 2.0};
    for (int i = 0; i < 3; i++)
        for (int t = 0; t < 3; t++) {
            double c = b;
            for (int j = 0; j < 4; j++)
                c += (double)w[j] * xs[i][j];
            double lo = c - radii[t] * ws, hi = c + radii[t] * ws;
            double near = lo > 0 ? lo : hi < 0 ? hi : 0;
            double exact = ws * dsig(near);
            xai_lipschitz lb;
            assert_int_equal(xai_lipschitz_bounds(m, mlp, 1, s, xs[i], 1, radii[t], 100, 1,
                                                  &lb), XAI_OK);
            if (fabs(lb.upper - exact) > 1e-5 * exact)
                fail_msg("x%d r %g: upper %.9g, exact %.9g", i, radii[t], lb.upper, exact);
            assert_true(lb.lower <= exact * (1 + 1e-5));
        }
    xai_mlp_free(mlp);
    xai_model_free(m);
    unlink(path);
}

static void exact_stability_and_guarantee(void **state)
{
    (void)state;
    const char *path = "/tmp/xai_test_lip_stab.onnx";
    const float w[2] = {3.0f, -1.0f}, b = -0.5f;
    ob_model *o = ob_new(13);
    ob_input(o, "x", 2, (int64_t[]){1, 2});
    ob_output(o, "y", 2, (int64_t[]){1, 1});
    ob_init_f(o, "W", 2, (int64_t[]){1, 2}, w);
    ob_init_f(o, "B", 1, (int64_t[]){1}, &b);
    ob_attr_i(ob_add(o, "Gemm", "fc", "x,W,B", "z"), "transB", 1);
    ob_add(o, "Sigmoid", "s", "z", "y");
    ob_write(o, path);
    ob_free(o);
    xai_model *m = load(path);
    xai_mlp *mlp;
    assert_int_equal(xai_model_mlp(m, &mlp), XAI_OK);
    /* training rows spanning [0, 1]^2: scale 1 */
    float train[4 * 2] = {0, 0, 1, 1, 0, 1, 1, 0};
    xai_recourse_options opt = xai_recourse_options_default();
    opt.k = 500;
    opt.sigma = 0.02;
    xai_recourse *rc;
    assert_int_equal(xai_recourse_new(m, train, 4, 2, NULL, NULL, &opt, &rc), XAI_OK);
    /* deep inside (logit 3.5) and on the boundary (logit 0) */
    float cf[2 * 2] = {1.5f, 0.5f, 0.5f, 1.0f};
    xai_stability_exact e[2];
    assert_int_equal(xai_recourse_stability_exact(rc, mlp, cf, 2, 0, 0.2, e), XAI_OK);
    double ws = sqrt(9.0 + 1.0);
    for (int i = 0; i < 2; i++) {
        /* recompute from the same draws (stream seed ^ 'SCOR', row) */
        xai_rng g;
        xai_rng_init(&g, opt.seed ^ 0x53434f52u, (uint64_t)i);
        double c = b + w[0] * cf[2 * i] + w[1] * cf[2 * i + 1];
        double lo = c - 0.2 * ws, hi = c + 0.2 * ws;
        double gamma = ws * dsig(lo > 0 ? lo : hi < 0 ? hi : 0);
        double sum = 0;
        unsigned kin = 0;
        for (unsigned k = 0; k < opt.k; k++) {
            float p0 = (float)(cf[2 * i] + opt.sigma * xai_rng_normal(&g));
            float p1 = (float)(cf[2 * i + 1] + opt.sigma * xai_rng_normal(&g));
            double d = sqrt(((double)p0 - cf[2 * i]) * ((double)p0 - cf[2 * i]) +
                            ((double)p1 - cf[2 * i + 1]) * ((double)p1 - cf[2 * i + 1]));
            if (d > 0.2)
                continue;
            sum += 1 / (1 + exp(-(b + w[0] * p0 + w[1] * p1))) - gamma * d;
            kin++;
        }
        assert_int_equal(e[i].k_in, kin);
        assert_true(fabs(e[i].gamma - gamma) < 1e-5 * gamma);
        assert_true(fabs(e[i].R - sum / kin) < 1e-4);
    }
    /* deep inside: a meaningful guarantee; on the boundary: vacuous */
    assert_false(e[0].vacuous);
    assert_true(fabs(e[0].guarantee - exp(-2.0 * e[0].k_in * (e[0].R - 0.5) * (e[0].R - 0.5))) <
                1e-12);
    assert_true(e[0].guarantee < 1e-6);
    assert_true(e[1].vacuous);
    assert_true(e[1].guarantee == 1.0);
    xai_recourse_free(rc);
    xai_mlp_free(mlp);
    xai_model_free(m);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reader_reproduces_model),
        cmocka_unit_test(reader_refuses_other_graphs),
        cmocka_unit_test(upper_bounds_every_sampled_gradient),
        cmocka_unit_test(logistic_bound_is_exact),
        cmocka_unit_test(exact_stability_and_guarantee),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
