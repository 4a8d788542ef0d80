/* tests/test_explain_image_options.c: `xai explain --patch`, `--window` and
 * `--stride` on the 8 x 8 digits (examples/digits).
 *
 * --patch P: LIME's attributions are constant on P x P blocks (a unit's value
 * is spread equally over its pixels) and equal the library called with the
 * same option.  --window W --stride S: occlusion equals a recomputation here
 * with the model's forward pass: windows at 0, S, 2S, ... plus one flush with
 * the end, phi_w = f(x) - f(x with window w zeroed), spread over its W * W
 * pixels, a pixel in several windows getting their average (README
 * "Explanations"). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <xai/xai.h>

#include "support/run_cmd.h"
#include "support/shell.h"

#define MODEL "examples/digits/model.onnx"
#define PNGS "examples/digits/png"
#define N 64 /* 8 x 8 pixels, one channel */

static char dir[64];

/* The 64 attributions and the target of (row, method) in the CSV text. */
static int csv_phi(const char *csv, int row, const char *method, double *phi)
{
    char key[64];
    snprintf(key, sizeof key, "\n%d,%s,", row, method);
    const char *p = strstr(csv, key);
    if (!p)
        fail_msg("no line for row %d, %s", row, method);
    char *end;
    int target = (int)strtol(p + strlen(key), &end, 10);
    p = end;
    for (int j = 0; j < N; j++) {
        assert_true(*p == ',');
        phi[j] = strtod(p + 1, &end);
        assert_true(end > p + 1);
        p = end;
    }
    return target;
}

static char *run_csv(const char *args)
{
    cmd_result r;
    if (cmd_run(&r, "explain --model " MODEL " --data " PNGS " --rows 0:2 --seed 4 "
                    "--baseline zero %s --out %s/o.csv", args, dir) != 0)
        fail_msg("%s: exit %d: %s", args, r.exit_code, r.err);
    char path[128];
    snprintf(path, sizeof path, "%s/o.csv", dir);
    char *csv = file_read(path, NULL);
    assert_non_null(csv);
    return csv;
}

static void patch_blocks(void **state)
{
    (void)state;
    xai_model *m;
    xai_dataset *d;
    assert_int_equal(xai_model_load(MODEL, &m), XAI_OK);
    assert_int_equal(xai_dataset_load_png(PNGS, &d), XAI_OK);
    xai_column_stats st[N];
    for (size_t j = 0; j < N; j++)
        st[j] = *xai_dataset_stats(d, j);
    xai_explain_context c = {.n_features = N, .stats = st};
    assert_true(xai_dataset_image_shape(d, &c.image_c, &c.image_h, &c.image_w));
    assert_int_equal(c.image_c * c.image_h * c.image_w, N);

    char *csv = run_csv("--method lime --samples 300 --patch 2");
    double phi[N];
    float lib[2 * N];
    xai_explain_options o = xai_explain_options_default();
    o.method = XAI_METHOD_LIME;
    o.samples = 300;
    o.seed = 4;
    o.baseline = XAI_BASELINE_ZERO;
    o.patch = 2;
    assert_int_equal(xai_explain_rows(m, &o, &c, xai_dataset_row(d, 0), 2, 0, lib, NULL, 1),
                     XAI_OK);
    for (int row = 0; row < 2; row++) {
        csv_phi(csv, row, "lime", phi);
        double spread = 0;
        for (int j = 0; j < N; j++) {
            int y = j / 8, x = j % 8;
            double corner = phi[(y & ~1) * 8 + (x & ~1)];
            if (fabs(phi[j] - corner) > 1e-6 * (1 + fabs(corner)))
                fail_msg("row %d pixel (%d, %d): %.9g, its 2x2 block starts with %.9g",
                         row, y, x, phi[j], corner);
            double want = lib[row * N + j];
            if (fabs(phi[j] - want) > 1e-6 * (1 + fabs(want)))
                fail_msg("row %d pixel %d: CLI %.9g, library %.9g", row, j, phi[j], want);
            spread = fmax(spread, fabs(phi[j] - phi[0]));
        }
        assert_true(spread > 1e-4); /* not trivially constant everywhere */
    }
    free(csv);
    xai_dataset_free(d);
    xai_model_free(m);
}

/* Window origins along a side of 8: 0, s, 2s, ... and one flush with the end. */
static int origins(int wnd, int stride, int *out)
{
    int n = 0, o = 0;
    for (; o + wnd <= 8; o += stride)
        out[n++] = o;
    if (out[n - 1] + wnd < 8)
        out[n++] = 8 - wnd;
    return n;
}

static void check_occlusion(xai_runner *run, const xai_dataset *d, const char *args, int wnd,
                            int stride)
{
    char *csv = run_csv(args);
    int oy[8], no = origins(wnd, stride, oy);
    size_t K = xai_model_output_size(xai_runner_model(run));
    float *z = malloc((size_t)(1 + no * no) * N * sizeof *z);
    float *y = malloc((size_t)(1 + no * no) * K * sizeof *y);
    assert_true(z && y);
    int overlapped = 0;
    for (int row = 0; row < 2; row++) {
        const float *x = xai_dataset_row(d, (size_t)row);
        memcpy(z, x, N * sizeof *z);
        for (int a = 0; a < no; a++)
            for (int b = 0; b < no; b++) {
                float *w = z + (size_t)(1 + a * no + b) * N;
                memcpy(w, x, N * sizeof *w);
                for (int yy = oy[a]; yy < oy[a] + wnd; yy++)
                    for (int xx = oy[b]; xx < oy[b] + wnd; xx++)
                        w[yy * 8 + xx] = 0; /* --baseline zero */
            }
        assert_int_equal(xai_runner_forward(run, XAI_OUTPUT_PROB, z, (size_t)(1 + no * no), y),
                         XAI_OK);
        size_t t = 0;
        for (size_t k = 1; k < K; k++)
            if (y[k] > y[t])
                t = k;
        double sum[N] = {0};
        int cnt[N] = {0};
        for (int a = 0; a < no; a++)
            for (int b = 0; b < no; b++) {
                double v = ((double)y[t] - y[(size_t)(1 + a * no + b) * K + t]) / (wnd * wnd);
                for (int yy = oy[a]; yy < oy[a] + wnd; yy++)
                    for (int xx = oy[b]; xx < oy[b] + wnd; xx++)
                        sum[yy * 8 + xx] += v, cnt[yy * 8 + xx]++;
            }
        double phi[N];
        assert_int_equal(csv_phi(csv, row, "occlusion", phi), (int)t);
        for (int j = 0; j < N; j++) {
            assert_true(cnt[j] > 0);
            overlapped |= cnt[j] > 1;
            double want = sum[j] / cnt[j];
            if (fabs(phi[j] - want) > 1e-5 * (1 + fabs(want)))
                fail_msg("%s: row %d pixel (%d, %d): CLI %.9g, recomputed %.9g (%d windows)",
                         args, row, j / 8, j % 8, phi[j], want, cnt[j]);
        }
    }
    if (stride < wnd)
        assert_true(overlapped);
    free(z), free(y), free(csv);
}

static void occlusion_windows(void **state)
{
    (void)state;
    xai_model *m;
    xai_dataset *d;
    xai_runner *run;
    assert_int_equal(xai_model_load(MODEL, &m), XAI_OK);
    assert_int_equal(xai_dataset_load_png(PNGS, &d), XAI_OK);
    assert_int_equal(xai_runner_new(m, &run), XAI_OK);
    /* overlapping windows, the last one flush with the edge (0, 2, 4, 5) */
    check_occlusion(run, d, "--method occlusion --window 3 --stride 2", 3, 2);
    /* the window alone: the stride defaults to it (0, 3, 5) */
    check_occlusion(run, d, "--method occlusion --window 3", 3, 3);
    /* the patch alone sets the occlusion window */
    check_occlusion(run, d, "--method occlusion --patch 4", 4, 4);
    /* a stride of 1: every position */
    check_occlusion(run, d, "--method occlusion --window 2 --stride 1", 2, 1);
    xai_runner_free(run);
    xai_dataset_free(d);
    xai_model_free(m);
}

static void errors(void **state)
{
    (void)state;
    cmd_result r;
    assert_int_equal(cmd_run(&r, "explain --model " MODEL " --data " PNGS " --method "
                                 "occlusion --window 0 --out %s/e.csv", dir), 2);
    assert_non_null(strstr(r.err, "--window"));
    assert_int_equal(cmd_run(&r, "explain --model " MODEL " --data " PNGS " --method "
                                 "occlusion --stride x --out %s/e.csv", dir), 2);
    assert_non_null(strstr(r.err, "--stride"));
    assert_int_equal(dir_entries(dir), 1); /* o.csv from the tests before */
}

int main(int argc, char **argv)
{
    (void)argc;
    cmd_init(argv[0]);
    tmp_dir(dir, sizeof dir, "xai_explain_image_options");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(patch_blocks),
        cmocka_unit_test(occlusion_windows),
        cmocka_unit_test(errors),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    rm_tree(dir);
    return rc;
}
