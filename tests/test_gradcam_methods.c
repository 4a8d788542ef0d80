/* tests/test_gradcam_methods.c: issue 14 item 21.  `grad-cam` and
 * `grad-cam++` are named methods, each computing what its name says, checked
 * against an independent computation in this file: a one-conv model built
 * here (Conv 1->2, 3x3, pad 1 -> Relu -> GlobalAveragePool -> Flatten ->
 * Gemm), whose layer activation A (the Conv output) and gradient
 * G = dS/dA = V[t][c] / 16 * [A > 0] are derived by hand:
 *   Grad-CAM:   w_c = mean_ij G_cij,  map = ReLU(sum_c w_c A_c)
 *   Grad-CAM++: alpha = G^2 / (2 G^2 + sum_ab A_cab G^3),
 *               w_c = sum_ij alpha ReLU(G),  map = ReLU(sum_c w_c A_c)
 * The 4x4 layer is the image's size, so the upsampling is the identity.
 * The alias `gradcam` means Grad-CAM (it used to run Smooth Grad-CAM++). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <xai/xai.h>

#include "support/onnx_build.h"
#include "support/shell.h"

enum { C = 2, H = 4, W = 4, HW = H * W, K = 2 };

static float Wc[C][9], Bc[C], V[K][C], Cg[K];
static char path[96];

static void make_model(void)
{
    for (int c = 0; c < C; c++) {
        for (int k = 0; k < 9; k++)
            Wc[c][k] = (float)(((c * 9 + k) * 37 % 17) - 8) / 8.0f;
        Bc[c] = c ? 0.3f : -0.2f;
    }
    V[0][0] = 1.5f, V[0][1] = -0.7f, V[1][0] = -0.4f, V[1][1] = 0.9f;
    Cg[0] = 0.1f, Cg[1] = -0.2f;
    ob_model *m = ob_new(13);
    ob_input(m, "x", 4, (int64_t[]){1, 1, H, W});
    ob_output(m, "y", 2, (int64_t[]){1, K});
    ob_init_f(m, "W", 4, (int64_t[]){C, 1, 3, 3}, &Wc[0][0]);
    ob_init_f(m, "B", 1, (int64_t[]){C}, Bc);
    ob_init_f(m, "V", 2, (int64_t[]){K, C}, &V[0][0]);
    ob_init_f(m, "c", 1, (int64_t[]){K}, Cg);
    ob_node *cv = ob_add(m, "Conv", "conv", "x,W,B", "a");
    ob_attr_ints(cv, "kernel_shape", 2, (int64_t[]){3, 3});
    ob_attr_ints(cv, "pads", 4, (int64_t[]){1, 1, 1, 1});
    ob_add(m, "Relu", "relu", "a", "r");
    ob_add(m, "GlobalAveragePool", "gap", "r", "p");
    ob_add(m, "Flatten", "flat", "p", "f");
    ob_node *g = ob_add(m, "Gemm", "gemm", "f,V,c", "y");
    ob_attr_i(g, "transB", 1);
    ob_write(m, path);
    ob_free(m);
}

/* The expected map of row x for target t (kind 0 Grad-CAM, 1 Grad-CAM++). */
static void reference(const float *x, int t, int kind, double *map)
{
    double A[C][HW], G[C][HW];
    for (int c = 0; c < C; c++)
        for (int i = 0; i < H; i++)
            for (int j = 0; j < W; j++) {
                double s = Bc[c];
                for (int di = -1; di <= 1; di++)
                    for (int dj = -1; dj <= 1; dj++) {
                        int y = i + di, z = j + dj;
                        if (y >= 0 && y < H && z >= 0 && z < W)
                            s += Wc[c][(di + 1) * 3 + dj + 1] * x[y * W + z];
                    }
                A[c][i * W + j] = s;
                G[c][i * W + j] = s > 0 ? V[t][c] / HW : 0;
            }
    for (int p = 0; p < HW; p++)
        map[p] = 0;
    for (int c = 0; c < C; c++) {
        double w = 0, S = 0;
        for (int p = 0; p < HW; p++)
            S += A[c][p];
        for (int p = 0; p < HW; p++) {
            double g = G[c][p];
            if (kind == 0) {
                w += g / HW;
            } else {
                double den = 2 * g * g + S * g * g * g;
                w += (den != 0 ? g * g / den : 0) * (g > 0 ? g : 0);
            }
        }
        for (int p = 0; p < HW; p++)
            map[p] += w * A[c][p];
    }
    for (int p = 0; p < HW; p++)
        map[p] = map[p] > 0 ? map[p] : 0;
}

static void cam_methods_match_reference(void **state)
{
    (void)state;
    xai_model *m;
    assert_int_equal(xai_model_load(path, &m), XAI_OK);
    float x[3 * HW];
    for (int i = 0; i < 3 * HW; i++)
        x[i] = (float)sin(0.7 * i + 0.3);
    xai_explain_context c = {.n_features = HW, .image_c = 1, .image_h = H, .image_w = W};
    const char *names[] = {"grad-cam", "grad-cam++", "gradcam", "gradcam++"};
    const int kinds[] = {0, 1, 0, 1};
    int differ = 0;
    for (int k = 0; k < 4; k++)
        for (int t = 0; t < K; t++) {
            xai_explain_options o = xai_explain_options_default();
            assert_int_equal(xai_method_lookup(names[k], &o.method), XAI_OK);
            assert_string_equal(xai_method_name(o.method), names[k & 1]);
            o.output = XAI_OUTPUT_SCORE;
            o.target = t;
            float phi[3 * HW];
            xai_explain_diag dg[3];
            if (xai_explain_rows(m, &o, &c, x, 3, 0, phi, dg, 1) != XAI_OK)
                fail_msg("%s: %s", names[k], xai_last_error());
            for (int i = 0; i < 3; i++) {
                double ref[HW], other[HW];
                reference(x + i * HW, t, kinds[k], ref);
                reference(x + i * HW, t, 1 - kinds[k], other);
                assert_int_equal(dg[i].samples, 1);
                for (int p = 0; p < HW; p++) {
                    if (fabs(phi[i * HW + p] - ref[p]) > 1e-5 * (1 + fabs(ref[p])))
                        fail_msg("%s row %d target %d pixel %d: %g, want %g", names[k], i,
                                 t, p, phi[i * HW + p], ref[p]);
                    differ |= fabs(ref[p] - other[p]) > 1e-3;
                }
            }
        }
    assert_true(differ); /* the two weightings are told apart by this model */
    xai_model_free(m);
}

/* Without a convolutional layer the CAM methods fail, naming themselves. */
static void cam_needs_conv_layer(void **state)
{
    (void)state;
    xai_model *m;
    assert_int_equal(xai_model_load("tests/fixtures/models/linear.onnx", &m), XAI_OK);
    size_t D = xai_model_input_size(m);
    xai_explain_context c = {.n_features = D, .image_c = 1, .image_h = 1,
                             .image_w = (uint32_t)D};
    xai_explain_options o = xai_explain_options_default(), r;
    assert_int_equal(xai_method_lookup("grad-cam", &o.method), XAI_OK);
    assert_int_not_equal(xai_explain_options_resolve(m, &o, &c, &r), XAI_OK);
    assert_non_null(strstr(xai_last_error(), "grad-cam needs a convolutional layer"));
    xai_model_free(m);
}

static int setup(void **state)
{
    (void)state;
    char dir[64];
    tmp_dir(dir, sizeof dir, "xai_cam");
    snprintf(path, sizeof path, "%s/cam.onnx", dir);
    make_model();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(path);
    *strrchr(path, '/') = '\0';
    rm_tree(path);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cam_methods_match_reference),
        cmocka_unit_test(cam_needs_conv_layer),
    };
    return cmocka_run_group_tests_name("grad-cam methods", tests, setup, teardown);
}
