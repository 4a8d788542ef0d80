/* bench/bench_backdoor.c: cost of the SmoothInv backdoor scan on the digits
 * example (examples/backdoor/model_backdoored.onnx, 239 clean images):
 * one inversion (400 steps x 40 copies) and the full default 10-class scan
 * (5 sources per class, with the sigma-0 ablation), on 1 and 2 threads, as
 * model evaluations per second next to the same model's batched forward and
 * VJP throughput measured in the same run (batch 40, one thread).  Prints
 * figures, never fails on time.  Run from the repository root:
 *     make build/bench/bench_backdoor && build/bench/bench_backdoor [quick] */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xai/xai.h>

#include "one_blas_thread.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

#define CHECK(expr)                                                            \
    do {                                                                       \
        if ((expr) != XAI_OK) {                                                \
            printf("%s: %s\n", #expr, xai_last_error());                       \
            exit(1);                                                           \
        }                                                                      \
    } while (0)

/* rows per second of forward (vjp 0) or VJP (vjp 1) at batch b, one thread */
static double throughput(const xai_model *m, const float *x, size_t b, int vjp)
{
    size_t d = xai_model_input_size(m), k = xai_model_output_size(m);
    float *xb = malloc(b * d * sizeof *xb), *y = malloc(b * k * sizeof *y);
    float *dy = calloc(b * k, sizeof *dy), *dx = malloc(b * d * sizeof *dx);
    for (size_t i = 0; i < b; i++) {
        memcpy(xb + i * d, x + (i % 200) * d, d * sizeof *xb);
        dy[i * k + 3] = 1;
    }
    xai_runner *r;
    CHECK(xai_runner_new(m, &r));
    size_t reps = 0;
    double t0 = now(), t;
    do {
        if (vjp)
            CHECK(xai_runner_vjp(r, XAI_OUTPUT_PROB, xb, b, dy, dx, y));
        else
            CHECK(xai_runner_forward(r, XAI_OUTPUT_PROB, xb, b, y));
        reps++;
    } while ((t = now() - t0) < 1.0);
    xai_runner_free(r);
    free(xb), free(y), free(dy), free(dx);
    return (double)(reps * b) / t;
}

int main(int argc, char **argv)
{
    one_blas_thread(argv);
    int quick = argc > 1 && strcmp(argv[1], "quick") == 0;
    const char *mpath = "examples/backdoor/model_backdoored.onnx";
    xai_model *m;
    xai_dataset *ds;
    CHECK(xai_model_load(mpath, &m));
    xai_csv_options co = xai_csv_options_default();
    co.label = "digit";
    co.image_c = 1, co.image_h = 8, co.image_w = 8;
    co.scale = 16;
    CHECK(xai_dataset_load_csv("examples/backdoor/data/clean.csv", &co, &ds));
    openblas_set_num_threads(1);
    const float *x = xai_dataset_values(ds);
    double fwd = throughput(m, x, 40, 0), vjp = throughput(m, x, 40, 1);
    printf("%s, %zu clean images\n", mpath, xai_dataset_rows(ds));
    printf("reference, same model, batch 40, 1 thread: forward %.0f rows/s, "
           "forward+VJP %.0f rows/s\n", fwd, vjp);

    xai_backdoor_options o = xai_backdoor_options_default();
    xai_smoother *s;
    CHECK(xai_smoother_new(m, NULL, o.noise_samples, &s));
    float *delta = malloc(xai_model_input_size(m) * sizeof *delta);
    double t0 = now();
    CHECK(xai_backdoor_invert(s, &o, o.sigma, x, 0, 3, delta));
    double t1 = now() - t0;
    double ev1 = (double)o.steps * o.noise_samples;
    printf("one inversion (%u steps x %u copies, 1 thread): %.2f s, %.0f model "
           "evaluations/s (%.0f%% of the forward+VJP rate)\n", o.steps, o.noise_samples, t1,
           ev1 / t1, 100 * ev1 / t1 / vjp);
    xai_smoother_free(s);
    free(delta);
    if (quick)
        o.steps = 100;
    for (int th = 1; th <= 2; th++) {
        o.n_threads = th;
        xai_backdoor_result *res;
        t0 = now();
        CHECK(xai_backdoor_scan(m, ds, &o, &res));
        double t = now() - t0;
        printf("full scan, %zu classes x %u sources, %u steps x %u copies + sigma-0 "
               "ablation, %d thread%s: %.1f s, %llu evaluations, %.0f evaluations/s; "
               "flagged:", res->n_classes, o.sources, o.steps, o.noise_samples, th,
               th > 1 ? "s" : "", t, (unsigned long long)res->model_evaluations,
               (double)res->model_evaluations / t);
        for (size_t i = 0; i < res->n_classes; i++)
            if (res->classes[i].flagged)
                printf(" %d", res->classes[i].cls);
        printf("\n");
        xai_backdoor_result_free(res);
    }
    xai_dataset_free(ds);
    xai_model_free(m);
    return 0;
}
