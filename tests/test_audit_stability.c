/* tests/test_audit_stability.c: RIS / ROS / RRS (Agarwal et al. 2022) against
 * a brute-force recomputation in double precision on a small tanh MLP built
 * here as ONNX: the explanation callback records every neighbour the metric
 * asks about, and the test recomputes classes, logits, the hidden layer,
 * the relative changes, the class filter and the maximum itself. */
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
#include "support/run_cmd.h"
#include "support/shell.h"

enum { D = 4, H = 5, C = 3, N = 6, P = 12 };
static float W1[H * D], B1[H], W2[C * H], B2[C];
static char MODEL[64];

static void make_weights(void)
{
    for (int h = 0; h < H; h++) {
        for (int j = 0; j < D; j++)
            W1[h * D + j] = (float)(1.3 * sin(1.7 * h + 0.9 * j + 0.3));
        B1[h] = (float)(0.2 * cos(h));
    }
    for (int c = 0; c < C; c++) {
        for (int h = 0; h < H; h++)
            W2[c * H + h] = (float)(1.5 * cos(2.1 * c + 1.1 * h));
        B2[c] = (float)(0.1 * c);
    }
}

static void write_model(const char *path)
{
    ob_model *m = ob_new(13);
    ob_input(m, "x", 2, (int64_t[]){1, D});
    ob_output(m, "y", 2, (int64_t[]){1, C});
    ob_init_f(m, "W1", 2, (int64_t[]){H, D}, W1);
    ob_init_f(m, "B1", 1, (int64_t[]){H}, B1);
    ob_init_f(m, "W2", 2, (int64_t[]){C, H}, W2);
    ob_init_f(m, "B2", 1, (int64_t[]){C}, B2);
    ob_attr_i(ob_add(m, "Gemm", "fc1", "x,W1,B1", "pre"), "transB", 1);
    ob_add(m, "Tanh", "act", "pre", "hid");
    ob_attr_i(ob_add(m, "Gemm", "fc2", "hid,W2,B2", "z"), "transB", 1);
    ob_attr_i(ob_add(m, "Softmax", "sm", "z", "y"), "axis", 1);
    ob_write(m, path);
    ob_free(m);
}

/* double forward: pre-activation, hidden, logits */
static void fwd(const float *x, double *pre, double *hid, double *z)
{
    for (int h = 0; h < H; h++) {
        double a = B1[h];
        for (int j = 0; j < D; j++)
            a += (double)W1[h * D + j] * x[j];
        pre[h] = a;
        hid[h] = tanh(a);
    }
    for (int c = 0; c < C; c++) {
        double a = B2[c];
        for (int h = 0; h < H; h++)
            a += (double)W2[c * H + h] * hid[h];
        z[c] = a;
    }
}

static int argmax(const double *z)
{
    int b = 0;
    for (int c = 1; c < C; c++)
        if (z[c] > z[b])
            b = c;
    return b;
}

/* A non-linear "explanation" of x (any function of x works). */
static void explain_of(const float *x, double *phi)
{
    for (int j = 0; j < D; j++)
        phi[j] = sin(2.0 * x[j] + j) * (1.0 + x[0] * x[0]);
}

/* the neighbours the metric explained, in call order */
static float logged[P + 4][N * D];
static size_t n_logged;

static xai_status explain_log(void *u, const xai_model *m, const float *x, size_t n,
                              uint64_t first, float *phi)
{
    (void)u, (void)m, (void)first;
    assert_int_equal(n, N);
    assert_true(n_logged < P + 4);
    memcpy(logged[n_logged++], x, n * D * sizeof *x);
    for (size_t i = 0; i < n; i++) {
        double v[D];
        explain_of(x + i * D, v);
        for (int j = 0; j < D; j++)
            phi[i * D + j] = (float)v[j];
    }
    return XAI_OK;
}

static double rel(const double *a, const double *b, int n)
{
    double num = 0, den = 0;
    for (int k = 0; k < n; k++)
        num += (a[k] - b[k]) * (a[k] - b[k]), den += a[k] * a[k];
    return sqrt(num / den);
}

static void rows(float *x)
{
    xai_rng r;
    xai_rng_init(&r, 7, 0);
    for (int q = 0; q < N * D; q++)
        x[q] = (float)xai_rng_normal(&r);
}

/* Brute force from the logged neighbours; layer 0: pre, 1: hid. */
static void brute(const float *x, int layer, double eps, double *out, int *kept, int *dropped)
{
    for (int i = 0; i < N; i++) {
        double pre0[H], hid0[H], z0[C], phi0[D], xd[D];
        fwd(x + i * D, pre0, hid0, z0);
        explain_of(x + i * D, phi0);
        for (int j = 0; j < D; j++)
            xd[j] = x[i * D + j];
        out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = NAN;
        for (size_t p = 0; p < n_logged; p++) {
            const float *xp = logged[p] + i * D;
            double pre1[H], hid1[H], z1[C], phi1[D], xpd[D];
            fwd(xp, pre1, hid1, z1);
            if (argmax(z1) != argmax(z0)) {
                ++*dropped;
                continue;
            }
            ++*kept;
            explain_of(xp, phi1);
            for (int j = 0; j < D; j++)
                xpd[j] = xp[j];
            double e = rel(phi0, phi1, D);
            double den[3] = {rel(xd, xpd, D), rel(z0, z1, C),
                             layer ? rel(hid0, hid1, H) : rel(pre0, pre1, H)};
            for (int q = 0; q < 3; q++) {
                double v = e / fmax(den[q], eps);
                if (isnan(out[3 * i + q]) || v > out[3 * i + q])
                    out[3 * i + q] = v;
            }
        }
    }
}

static void check_against_brute(const char *layer, int layer_kind)
{
    xai_model *m;
    assert_int_equal(xai_model_load(MODEL, &m), XAI_OK);
    float x[N * D], phi[N * D];
    rows(x);
    for (int i = 0; i < N; i++) {
        double v[D];
        explain_of(x + i * D, v);
        for (int j = 0; j < D; j++)
            phi[i * D + j] = (float)v[j];
    }
    xai_audit_setup s = xai_audit_setup_default(m);
    s.seed = 3;
    double ris[N], ros[N], rrs[N], ref[3 * N];
    n_logged = 0;
    assert_int_equal(xai_audit_relative_stability(&s, explain_log, NULL, x, N, phi, layer,
                                                  0.6, P, 1e-6, ris, ros, rrs), XAI_OK);
    assert_int_equal(n_logged, P);
    int kept = 0, dropped = 0;
    brute(x, layer_kind, 1e-6, ref, &kept, &dropped);
    /* the class filter was exercised both ways */
    assert_true(kept > N);
    assert_true(dropped > 0);
    for (int i = 0; i < N; i++) {
        const double got[3] = {ris[i], ros[i], rrs[i]};
        for (int q = 0; q < 3; q++) {
            if (isnan(ref[3 * i + q])) {
                assert_true(isnan(got[q]));
                continue;
            }
            assert_true(fabs(got[q] - ref[3 * i + q]) <= 1e-4 * ref[3 * i + q] + 1e-9);
        }
    }
    xai_model_free(m);
}

static void stability_brute_force_default_layer(void **state)
{
    (void)state;
    xai_model *m;
    assert_int_equal(xai_model_load(MODEL, &m), XAI_OK);
    assert_non_null(xai_model_hidden_layer_name(m));
    assert_string_equal(xai_model_hidden_layer_name(m), "hid");
    xai_model_free(m);
    check_against_brute(NULL, 1);
}

static void stability_brute_force_named_layer(void **state)
{
    (void)state;
    check_against_brute("pre", 0);
}

/* The eps floor: a neighbour identical to x in the layer is skipped, a tiny
 * nonzero change is floored.  Checked on the formula with eps = 10: every
 * denominator is below it, so RIS = max e / 10. */
static void stability_eps_floor(void **state)
{
    (void)state;
    xai_model *m;
    assert_int_equal(xai_model_load(MODEL, &m), XAI_OK);
    float x[N * D], phi[N * D];
    rows(x);
    for (int i = 0; i < N; i++) {
        double v[D];
        explain_of(x + i * D, v);
        for (int j = 0; j < D; j++)
            phi[i * D + j] = (float)v[j];
    }
    xai_audit_setup s = xai_audit_setup_default(m);
    double ris[N], ref[3 * N];
    n_logged = 0;
    assert_int_equal(xai_audit_relative_stability(&s, explain_log, NULL, x, N, phi, NULL,
                                                  0.6, P, 10.0, ris, NULL, NULL), XAI_OK);
    int kept = 0, dropped = 0;
    brute(x, 1, 10.0, ref, &kept, &dropped);
    for (int i = 0; i < N; i++)
        if (!isnan(ref[3 * i]))
            assert_true(fabs(ris[i] - ref[3 * i]) <= 1e-4 * ref[3 * i]);
    xai_model_free(m);
}

/* The neighbours are x + N(0, (sigma s_j)^2). */
static void stability_noise_scale(void **state)
{
    (void)state;
    xai_model *m;
    assert_int_equal(xai_model_load(MODEL, &m), XAI_OK);
    float x[N * D], phi[N * D];
    rows(x);
    for (int q = 0; q < N * D; q++)
        phi[q] = 1;
    xai_column_stats st[D];
    for (int j = 0; j < D; j++)
        st[j] = (xai_column_stats){0, 0.5 + j, -3, 3};
    xai_audit_setup s = xai_audit_setup_default(m);
    s.stats = st;
    double ris[N];
    n_logged = 0;
    assert_int_equal(xai_audit_relative_stability(&s, explain_log, NULL, x, N, phi, NULL,
                                                  0.2, P, 1e-6, ris, NULL, NULL), XAI_OK);
    for (int j = 0; j < D; j++) {
        double ss = 0;
        for (size_t p = 0; p < n_logged; p++)
            for (int i = 0; i < N; i++) {
                double d = logged[p][i * D + j] - x[i * D + j];
                ss += d * d;
            }
        double sd = sqrt(ss / (double)(n_logged * N)), want = 0.2 * st[j].std;
        /* 72 draws: sd within ~25% */
        assert_true(fabs(sd - want) < 0.25 * want);
    }
    xai_model_free(m);
}

static void stability_bad_input(void **state)
{
    (void)state;
    xai_model *m;
    assert_int_equal(xai_model_load(MODEL, &m), XAI_OK);
    float x[N * D], phi[N * D];
    rows(x);
    for (int q = 0; q < N * D; q++)
        phi[q] = 1;
    xai_audit_setup s = xai_audit_setup_default(m);
    double v[N];
    assert_int_equal(xai_audit_relative_stability(&s, explain_log, NULL, x, N, phi, "nope",
                                                  0.1, 2, 1e-6, v, v, v), XAI_ERR_INVALID);
    assert_non_null(strstr(xai_last_error(), "'nope'"));
    assert_int_equal(xai_audit_relative_stability(&s, explain_log, NULL, x, N, phi, NULL,
                                                  0.1, 0, 1e-6, v, v, v), XAI_ERR_INVALID);
    assert_int_equal(xai_audit_relative_stability(&s, explain_log, NULL, x, N, phi, NULL,
                                                  0.1, 2, 0, v, v, v), XAI_ERR_INVALID);
    assert_int_equal(xai_audit_relative_stability(&s, NULL, NULL, x, N, phi, NULL,
                                                  0.1, 2, 1e-6, v, v, v), XAI_ERR_INVALID);
    xai_model_free(m);
    /* a callback model has no layer to tap: RRS refused, RIS / ROS fine */
    static cmd_result r;
    assert_int_equal(cmd_run(&r, "audit --model tests/fixtures/openxai/model.onnx --data "
                             "tests/fixtures/openxai/data.csv --label label --methods "
                             "gradient --rrs-layer nope --json /tmp/xai_stab_%ld.json",
                             (long)getpid()), 2);
    assert_non_null(strstr(r.err, "'nope'"));
}

/* Through the CLI: the JSON holds the three metrics and the layer used. */
static void stability_cli(void **state)
{
    (void)state;
    char j[64];
    snprintf(j, sizeof j, "/tmp/xai_stab_%ld.json", (long)getpid());
    static cmd_result r;
    assert_int_equal(cmd_run(&r, "audit --model tests/fixtures/openxai/model.onnx --data "
                             "tests/fixtures/openxai/data.csv --label label --rows 0:8 "
                             "--methods gradient,smoothgrad --sens-points 0 --samples 30 "
                             "--stab-points 4 --json %s", j), 0);
    sh_json_check(j, "s=d[\"settings\"]\n"
                     "assert s[\"stability_points\"]==4 and s[\"rrs_layer\"]==\"h1\", s\n"
                     "for m in d[\"metrics\"].values():\n"
                     "  assert m[\"ris\"][\"mean\"]>0 and m[\"ros\"][\"mean\"]>0 and m[\"rrs\"][\"mean\"]>0\n");
    assert_int_equal(cmd_run(&r, "audit --model tests/fixtures/openxai/model.onnx --data "
                             "tests/fixtures/openxai/data.csv --label label --rows 0:8 "
                             "--methods gradient --sens-points 0 --samples 30 "
                             "--stab-points 0 --json %s", j), 0);
    sh_json_check(j, "assert \"ris\" not in d[\"metrics\"][\"gradient\"]\n"
                     "assert d[\"settings\"][\"rrs_layer\"] is None\n");
    remove(j);
}

int main(int argc, char **argv)
{
    (void)argc;
    cmd_init(argv[0]);
    make_weights();
    snprintf(MODEL, sizeof MODEL, "/tmp/xai_stab_%ld.onnx", (long)getpid());
    write_model(MODEL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stability_brute_force_default_layer),
        cmocka_unit_test(stability_brute_force_named_layer),
        cmocka_unit_test(stability_eps_floor),
        cmocka_unit_test(stability_noise_scale),
        cmocka_unit_test(stability_bad_input),
        cmocka_unit_test(stability_cli),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    remove(MODEL);
    return rc;
}
