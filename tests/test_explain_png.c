/* tests/test_explain_png.c: heatmap overlays (reports/overlay.h) and
 * `xai explain --png` on the digits example.
 *
 * The expected pixels are computed here from the documented formula (input
 * greyed to 0.15 + 0.7 * luma, the map colour blended with alpha 0.75 *
 * strength) and the published anchor colours of ColorBrewer RdBu and
 * matplotlib viridis, not through the renderer.  Images written by the CLI
 * are read back with xai_dataset_load_png and compared with the original
 * digit PNGs and the attributions of the CSV written by the same run. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <xai/xai.h>

#include "reports/overlay.h"
#include "support/run_cmd.h"
#include "support/shell.h"

#define DIGITS "--model examples/digits/model.onnx --data examples/digits/png"
#define SIDE 128 /* 8 x 8 digits upscaled 16 times */

/* Published end colours: RdBu (reversed) blue and red ends, viridis yellow;
 * RdBu classes 3 and 4 (0-based) for t = 0.25. */
static const double rdbu_blue[3] = {5, 48, 97}, rdbu_red[3] = {103, 0, 31};
static const double viridis_top[3] = {253, 231, 37};
static const double rdbu_c2[3] = {67, 147, 195}, rdbu_c3[3] = {146, 197, 222};

static char dir[64];

static double grey_of(double v) { return 0.15 + 0.7 * v; } /* v in [0, 1] */

/* Expected byte of colour c (0..255) at opacity a over grey g (0..1). */
static double blend(double g, double a, double c) { return 255 * (1 - a) * g + a * c; }

static void assert_near(double got, double want, double tol, const char *what, size_t p)
{
    if (fabs(got - want) > tol)
        fail_msg("%s at pixel %zu: got %g, want %g (+-%g)", what, p, got, want, tol);
}

/* ---- the renderer ---- */

static void scale_factor(void **state)
{
    (void)state;
    assert_int_equal(xai_overlay_scale(8, 8), 16);
    assert_int_equal(xai_overlay_scale(28, 28), 5);    /* 140 >= 128 > 112 */
    assert_int_equal(xai_overlay_scale(300, 200), 1);
    assert_int_equal(xai_overlay_scale(64, 2000), 2);  /* 4000 <= 4096 */
    assert_int_equal(xai_overlay_scale(1, 10000), 1);  /* capped, never 0 */
    assert_int_equal(xai_overlay_scale(3, 100), 40);   /* 120 < 128, 4000 */
}

static void render_grey_and_blocks(void **state)
{
    (void)state;
    enum { C = 3, H = 3, W = 5, S = 3 };
    float px[C * H * W], zero[C * H * W] = {0};
    for (int i = 0; i < C * H * W; i++)
        px[i] = (float)((i * 37) % 101) / 100.0f;
    uint8_t out[H * S * W * S * 3];
    xai_overlay_image im = {C, H, W, px};
    /* no attributions: the image itself, every pixel an S x S block */
    assert_int_equal(xai_overlay_render(&im, NULL, XAI_CMAP_AUTO, S, out), XAI_OK);
    for (int y = 0; y < H * S; y++)
        for (int x = 0; x < W * S; x++)
            for (int c = 0; c < 3; c++)
                assert_int_equal(out[(y * W * S + x) * 3 + c],
                                 lrint(255.0 * px[(c * H + y / S) * W + x / S]));
    /* zero attributions: the greyed image, for either map */
    for (int k = 0; k < 2; k++) {
        xai_cmap cm = k ? XAI_CMAP_SEQUENTIAL : XAI_CMAP_DIVERGING;
        assert_int_equal(xai_overlay_render(&im, zero, cm, S, out), XAI_OK);
        for (int y = 0; y < H * S; y++)
            for (int x = 0; x < W * S; x++) {
                int p = (y / S) * W + x / S;
                double luma = 0.299 * px[p] + 0.587 * px[H * W + p] + 0.114 * px[2 * H * W + p];
                for (int c = 0; c < 3; c++)
                    assert_near(out[(y * W * S + x) * 3 + c], 255 * grey_of(luma), 0.51,
                                "greyed", (size_t)p);
            }
    }
}

static void render_colours(void **state)
{
    (void)state;
    enum { H = 2, W = 3 };
    /* grey input; attributions summed over the 2 channels per pixel */
    float px[2 * H * W], attr[2 * H * W] = {0};
    for (int i = 0; i < 2 * H * W; i++)
        px[i] = (float)(i % (H * W)) / 8.0f;
    attr[1] = 3, attr[H * W + 1] = 1;   /* pixel 1: +4, the maximum */
    attr[4] = -1, attr[H * W + 4] = -1; /* pixel 4: -2, t = 0.25 */
    attr[5] = 1, attr[H * W + 5] = -1;  /* pixel 5: sums to 0 */
    uint8_t out[H * W * 3];
    xai_overlay_image im = {2, H, W, px};
    assert_int_equal(xai_overlay_render(&im, attr, XAI_CMAP_AUTO, 1, out), XAI_OK);
    /* AUTO with a negative value: diverging over [-4, 4] */
    double mid[3];
    for (int c = 0; c < 3; c++)
        mid[c] = 0.5 * (rdbu_c2[c] + rdbu_c3[c]); /* t = 0.25: halfway 2..3 of 0..10 */
    for (int c = 0; c < 3; c++) {
        assert_near(out[3 * 1 + c], blend(grey_of(px[1]), 0.75, rdbu_red[c]), 0.51, "max", 1);
        assert_near(out[3 * 4 + c], blend(grey_of(px[4]), 0.375, mid[c]), 0.51, "-half", 4);
        assert_near(out[3 * 5 + c], 255 * grey_of(px[5]), 0.51, "zero sum", 5);
        assert_near(out[3 * 0 + c], 255 * grey_of(px[0]), 0.51, "zero", 0);
    }
    /* sequential over [0, 4]: negatives count as 0, the maximum is yellow */
    assert_int_equal(xai_overlay_render(&im, attr, XAI_CMAP_SEQUENTIAL, 1, out), XAI_OK);
    for (int c = 0; c < 3; c++) {
        assert_near(out[3 * 1 + c], blend(grey_of(px[1]), 0.75, viridis_top[c]), 0.51, "max",
                    1);
        assert_near(out[3 * 4 + c], 255 * grey_of(px[4]), 0.51, "negative", 4);
    }
    /* a negative maximum in magnitude is the blue end */
    attr[4] = -9;
    assert_int_equal(xai_overlay_render(&im, attr, XAI_CMAP_DIVERGING, 1, out), XAI_OK);
    for (int c = 0; c < 3; c++)
        assert_near(out[3 * 4 + c], blend(grey_of(px[4]), 0.75, rdbu_blue[c]), 0.51, "min", 4);
    /* bad input is an error, not a crash */
    attr[2] = NAN;
    assert_int_equal(xai_overlay_render(&im, attr, XAI_CMAP_DIVERGING, 1, out), XAI_ERR_NUMERIC);
    assert_non_null(strstr(xai_last_error(), "pixel (0, 2)"));
    assert_int_equal(xai_overlay_render(&im, NULL, XAI_CMAP_AUTO, 0, out), XAI_ERR_INVALID);
    assert_int_equal(xai_overlay_write_png("/proc/xai-no/x.png", &im, NULL, XAI_CMAP_AUTO),
                     XAI_ERR_IO);
    assert_non_null(strstr(xai_last_error(), "/proc/xai-no/x.png"));
}

/* ---- xai explain --png ---- */

/* RGB bytes of a written PNG (must be SIDE x SIDE x 3), into out. */
static void load_rgb(const char *path, uint8_t *out)
{
    xai_dataset *ds = NULL;
    if (xai_dataset_load_png(path, &ds) != XAI_OK)
        fail_msg("%s", xai_last_error());
    uint32_t c, h, w;
    assert_true(xai_dataset_image_shape(ds, &c, &h, &w));
    assert_int_equal(c, 3);
    assert_int_equal(h, SIDE);
    assert_int_equal(w, SIDE);
    const float *v = xai_dataset_row(ds, 0);
    for (size_t p = 0; p < (size_t)SIDE * SIDE; p++)
        for (size_t k = 0; k < 3; k++)
            out[3 * p + k] = (uint8_t)lrint(v[k * SIDE * SIDE + p] * 255);
    xai_dataset_free(ds);
}

/* The 64 attributions of (row, method) in the CSV text. */
static void csv_phi(const char *csv, int row, const char *method, double *phi)
{
    char key[64];
    snprintf(key, sizeof key, "\n%d,%s,", row, method);
    const char *p = strstr(csv, key);
    if (!p)
        fail_msg("no line for row %d, %s", row, method);
    p = strchr(p + strlen(key), ','); /* skip the target */
    for (int j = 0; j < 64; j++) {
        char *end;
        phi[j] = strtod(p + 1, &end);
        assert_true(end > p + 1);
        p = end;
    }
}

/* Checks one overlay against the digit's input pixels v (64, in [0, 1]) and
 * the attributions: every pixel moves away from its greyed input by at
 * most 0.75 * strength (of 255), the strongest pixel is the map's end colour
 * at 75 %, and for the signed map clearly positive pixels are red-leaning,
 * clearly negative ones blue-leaning. */
static void check_overlay(const uint8_t *rgb, const double *v, const double *phi, int signed_map)
{
    double m = 0;
    size_t arg = 0;
    for (size_t j = 0; j < 64; j++) {
        double s = signed_map ? fabs(phi[j]) : fmax(phi[j], 0);
        if (s > m)
            m = s, arg = j;
    }
    assert_true(m > 0);
    for (size_t j = 0; j < 64; j++) {
        double strength = (signed_map ? fabs(phi[j]) : fmax(phi[j], 0)) / m;
        for (size_t y = 0; y < 16; y++)
            for (size_t x = 0; x < 16; x++) {
                size_t q = ((j / 8) * 16 + y) * SIDE + (j % 8) * 16 + x;
                const uint8_t *px = rgb + 3 * q;
                for (int c = 0; c < 3; c++)
                    assert_near(px[c], 255 * grey_of(v[j]), 0.75 * 255 * strength + 1,
                                "deviation", j);
                if (j == arg) {
                    const double *end = !signed_map ? viridis_top
                                        : phi[j] > 0 ? rdbu_red : rdbu_blue;
                    for (int c = 0; c < 3; c++)
                        assert_near(px[c], blend(grey_of(v[j]), 0.75, end[c]), 1, "end", j);
                }
                if (signed_map && strength > 0.2)
                    assert_true(phi[j] > 0 ? px[0] > px[2] : px[2] > px[0]);
            }
    }
}

static void cli_png_digits(void **state)
{
    (void)state;
    cmd_result r;
    char out[128], png[128], path[256];
    snprintf(out, sizeof out, "%s/d.csv", dir);
    snprintf(png, sizeof png, "%s/new/png", dir); /* parents created too */
    if (cmd_run(&r, "explain " DIGITS " --rows 0:3 --method gradient,smooth-gradcam++ "
                    "--output score --out %s --png %s", out, png) != 0)
        fail_msg("exit %d: %s", r.exit_code, r.err);
    assert_int_equal(dir_entries(png), 3 * 3); /* no temporary files left */
    char *csv = file_read(out, NULL);
    assert_non_null(csv);
    uint8_t *rgb = malloc((size_t)SIDE * SIDE * 3);
    for (int row = 0; row < 3; row++) {
        /* rows are the directory's files by name: digit_<row>.png */
        snprintf(path, sizeof path, "examples/digits/png/digit_%d.png", row);
        xai_dataset *ds = NULL;
        assert_int_equal(xai_dataset_load_png(path, &ds), XAI_OK);
        double v[64];
        for (int j = 0; j < 64; j++)
            v[j] = xai_dataset_row(ds, 0)[j];
        xai_dataset_free(ds);
        /* the input, upscaled 16 x by nearest neighbour, as grey RGB */
        snprintf(path, sizeof path, "%s/row%d_input.png", png, row);
        load_rgb(path, rgb);
        for (size_t q = 0; q < (size_t)SIDE * SIDE; q++)
            for (int c = 0; c < 3; c++)
                assert_int_equal(rgb[3 * q + c],
                                 lrint(255 * v[(q / SIDE / 16) * 8 + (q % SIDE) / 16]));
        double phi[64];
        csv_phi(csv, row, "gradient", phi);
        snprintf(path, sizeof path, "%s/row%d_gradient.png", png, row);
        load_rgb(path, rgb);
        check_overlay(rgb, v, phi, 1);
        csv_phi(csv, row, "smooth-gradcam++", phi);
        snprintf(path, sizeof path, "%s/row%d_smooth-gradcam++.png", png, row);
        load_rgb(path, rgb);
        check_overlay(rgb, v, phi, 0);
    }
    free(rgb);
    free(csv);
}

static void cli_png_errors(void **state)
{
    (void)state;
    cmd_result r;
    char p[256];
    /* tabular data: usage error, nothing written */
    assert_int_equal(cmd_run(&r, "explain --model examples/credit/model.onnx --data "
                                 "tests/fixtures/data/german_head.csv --label credit-risk "
                                 "--method gradient --out %s/t.csv --png %s/tab", dir, dir), 2);
    assert_non_null(strstr(r.err, "--png needs image data"));
    snprintf(p, sizeof p, "%s/tab", dir);
    assert_int_equal(access(p, F_OK), -1);
    snprintf(p, sizeof p, "%s/t.csv", dir);
    assert_int_equal(access(p, F_OK), -1);
    /* a directory under a regular file: runtime error naming it, nothing written */
    snprintf(p, sizeof p, "%s/plain", dir);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(cmd_run(&r, "explain " DIGITS " --method gradient --out %s/u.csv "
                                 "--png %s/plain/sub", dir, dir), 1);
    snprintf(p, sizeof p, "%s/plain/sub", dir);
    assert_non_null(strstr(r.err, p));
    snprintf(p, sizeof p, "%s/u.csv", dir);
    assert_int_equal(access(p, F_OK), -1);
}

/* --layer: naming the default layer changes nothing; a wrong name fails
 * with the list of layers; --layer without smooth-gradcam++ is misuse. */
static void cli_layer(void **state)
{
    (void)state;
    xai_model *m = NULL;
    assert_int_equal(xai_model_load("examples/digits/model.onnx", &m), XAI_OK);
    const char *layer = NULL;
    for (size_t i = xai_model_conv_layer_count(m); i-- > 0 && !layer;) {
        int64_t d[4];
        const char *n = xai_model_conv_layer_name(m, i);
        if (xai_model_tensor_shape(m, n, d) == 3 && d[1] * d[2] > 1)
            layer = n;
    }
    assert_non_null(layer);
    cmd_result r;
    const char *args = "explain " DIGITS " --rows 0:2 --method smooth-gradcam++ --output score";
    assert_int_equal(cmd_run(&r, "%s --out %s/l0.csv", args, dir), 0);
    assert_int_equal(cmd_run(&r, "%s --layer '%s' --out %s/l1.csv", args, layer, dir), 0);
    char p[128];
    snprintf(p, sizeof p, "%s/l0.csv", dir);
    char *a = file_read(p, NULL);
    snprintf(p, sizeof p, "%s/l1.csv", dir);
    char *b = file_read(p, NULL);
    assert_non_null(a);
    assert_non_null(b);
    assert_string_equal(a, b);
    free(a), free(b);
    assert_int_equal(cmd_run(&r, "%s --layer nosuch --out %s/l2.csv", args, dir), 1);
    assert_non_null(strstr(r.err, "no tensor named 'nosuch'"));
    assert_non_null(strstr(r.err, layer));
    assert_int_equal(cmd_run(&r, "explain " DIGITS " --method gradient --layer '%s' "
                                 "--out %s/l3.csv", layer, dir), 2);
    assert_int_equal(cmd_run(&r, "help explain"), 0);
    assert_non_null(strstr(r.out, "--layer NAME"));
    assert_non_null(strstr(r.out, "--png DIR"));
    xai_model_free(m);
}

int main(int argc, char **argv)
{
    (void)argc;
    cmd_init(argv[0]);
    tmp_dir(dir, sizeof dir, "xai_explain_png");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(scale_factor),
        cmocka_unit_test(render_grey_and_blocks),
        cmocka_unit_test(render_colours),
        cmocka_unit_test(cli_png_digits),
        cmocka_unit_test(cli_png_errors),
        cmocka_unit_test(cli_layer),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    rm_tree(dir);
    return rc;
}
