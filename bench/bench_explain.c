/* bench/bench_explain.c: explanations per second and model evaluations per
 * explanation for every method at its defaults, on the credit MLP (German
 * credit, 60 features in 20 groups) and the digits CNN (1 x 8 x 8), where
 * smooth-gradcam++ also runs on the score and with sigma 0 (Grad-CAM++,
 * one copy).  Prints
 * figures; never fails on time.  Run from the repository root:
 *     make bench   (or build/bench/bench_explain [threads]) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xai/xai.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* One table line: method options o on the first n_rows rows. */
static void run_one(const xai_model *m, const xai_explain_options *o,
                    const xai_explain_context *c, const xai_dataset *ds, size_t n_rows,
                    int threads, const char *label, float *phi, xai_explain_diag *dg)
{
    double t0 = now();
    xai_status s = xai_explain_rows(m, o, c, xai_dataset_values(ds), n_rows, 0, phi, dg,
                                    threads);
    double dt = now() - t0;
    if (s != XAI_OK) {
        printf("%-26s %s\n", label, xai_last_error());
        return;
    }
    double ev = 0;
    for (size_t i = 0; i < n_rows; i++)
        ev += (double)dg[i].evaluations;
    printf("%-26s %12.1f %14.0f %10llu\n", label, (double)n_rows / dt, ev / (double)n_rows,
           (unsigned long long)dg[0].samples);
}

static int bench(const char *title, const char *model, const char *data,
                 const xai_csv_options *co, size_t n_rows, int threads)
{
    xai_model *m = NULL;
    xai_dataset *ds = NULL;
    if (xai_model_load(model, &m) != XAI_OK ||
        xai_dataset_load_csv(data, co, &ds) != XAI_OK) {
        fprintf(stderr, "bench_explain: %s\n", xai_last_error());
        xai_model_free(m);
        return 1;
    }
    size_t D = xai_dataset_features(ds), R = xai_dataset_rows(ds);
    if (n_rows > R)
        n_rows = R;
    xai_column_stats *st = malloc(D * sizeof *st);
    float *phi = malloc(n_rows * D * sizeof *phi);
    xai_explain_diag *dg = malloc(n_rows * sizeof *dg);
    for (size_t j = 0; j < D; j++)
        st[j] = *xai_dataset_stats(ds, j);
    xai_explain_context c = {.n_features = D, .stats = st};
    if (xai_dataset_group_count(ds) < D) {
        c.groups = xai_dataset_feature_groups(ds);
        c.n_groups = xai_dataset_group_count(ds);
    }
    xai_dataset_image_shape(ds, &c.image_c, &c.image_h, &c.image_w);
    printf("\n%s: %zu rows x %zu features, %d thread(s)\n", title, n_rows, D, threads);
    printf("%-26s %12s %14s %10s\n", "method", "expl/s", "evals/expl", "samples");
    for (int k = 0; k < (int)xai_method_count(); k++) {
        if (!xai_method_available((xai_method)k) || k == XAI_METHOD_CUSTOM)
            continue;
        xai_explain_options o = xai_explain_options_default();
        o.method = (xai_method)k;
        if ((k == XAI_METHOD_SMOOTH_GRADCAM_PP || k == XAI_METHOD_GRADCAM ||
             k == XAI_METHOD_GRADCAM_PP) && !c.image_c) {
            printf("%-26s n/a (image models only)\n", xai_method_name(o.method));
            continue;
        }
        run_one(m, &o, &c, ds, n_rows, threads, xai_method_name(o.method), phi, dg);
        if (k == XAI_METHOD_SMOOTH_GRADCAM_PP) { /* as recommended, and sigma 0 */
            o.output = XAI_OUTPUT_SCORE;
            run_one(m, &o, &c, ds, n_rows, threads, "smooth-gradcam++ (score)", phi, dg);
            o.sigma = 0;
            run_one(m, &o, &c, ds, n_rows, threads, "grad-cam++ (score, sigma 0)", phi, dg);
        }
    }
    free(st), free(phi), free(dg);
    xai_dataset_free(ds);
    xai_model_free(m);
    return 0;
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 1;
    xai_csv_options credit = xai_csv_options_default();
    credit.label = "credit-risk";
    credit.groups_auto = 1;
    xai_csv_options digits = xai_csv_options_default();
    digits.label = "digit";
    digits.image_c = 1;
    digits.image_h = digits.image_w = 8;
    digits.scale = 16;
    int rc = bench("credit MLP (examples/credit)", "examples/credit/model.onnx",
                   "examples/credit/data/test.csv", &credit, 200, threads);
    rc |= bench("digits CNN (examples/digits)", "examples/digits/model.onnx",
                "examples/digits/data/data.csv", &digits, 40, threads);
    return rc;
}
