/* bench/bench_forward.c: throughput of the ONNX runtime (rows/s and
 * achieved GFLOP/s) for the MLP and CNN fixtures at batch 1, 64 and 1024,
 * forward and forward + VJP, as a fraction of raw cblas_sgemm GFLOP/s
 * measured in the same run, all on one thread.  A VJP (input gradient only,
 * no weight gradients) costs the forward's FLOPs again, so forward + VJP is
 * counted as 2 x the model's FLOPs per row.  Prints figures, never fails on
 * time.  Run from the repository root: make bench. */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <xai/xai.h>

#include "one_blas_thread.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* GFLOP/s of an n x n x n sgemm, best of a few runs. */
static double sgemm_gflops(int n)
{
    float *a = malloc((size_t)n * n * sizeof *a), *b = malloc((size_t)n * n * sizeof *b),
          *c = malloc((size_t)n * n * sizeof *c);
    for (size_t i = 0; i < (size_t)n * n; i++) {
        a[i] = (float)(i % 7) * 0.1f;
        b[i] = (float)(i % 5) * 0.2f;
    }
    double best = 0;
    for (int rep = 0; rep < 8; rep++) {
        double t = now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n,
                    0.0f, c, n);
        t = now() - t;
        double g = 2.0 * n * n * (double)n / t * 1e-9;
        best = g > best ? g : best;
    }
    free(a);
    free(b);
    free(c);
    return best;
}

static void run(xai_runner *r, int vjp, const float *x, size_t n, const float *dy,
                float *dx, float *y)
{
    if (vjp)
        xai_runner_vjp(r, XAI_OUTPUT_PROB, x, n, dy, dx, y);
    else
        xai_runner_forward(r, XAI_OUTPUT_PROB, x, n, y);
}

static void bench_model(const char *path, double ref_gflops)
{
    xai_model *m;
    if (xai_model_load(path, &m) != XAI_OK) {
        printf("%s: %s\n", path, xai_last_error());
        return;
    }
    xai_model_info info;
    xai_model_info_get(m, &info);
    size_t D = xai_model_input_size(m), K = xai_model_output_size(m);
    static const size_t batches[] = {1, 64, 1024};
    float *x = malloc(1024 * D * sizeof *x), *y = malloc(1024 * K * sizeof *y);
    float *dx = malloc(1024 * D * sizeof *dx), *dy = malloc(1024 * K * sizeof *dy);
    for (size_t i = 0; i < 1024 * K; i++)
        dy[i] = (float)((i * 40503u) % 997) / 997.0f - 0.5f;
    for (size_t i = 0; i < 1024 * D; i++)
        x[i] = (float)((i * 2654435761u) % 1000) / 1000.0f;
    xai_runner *r;
    xai_runner_new(m, &r);
    printf("%s: %.0f FLOPs/row\n", path, info.flops_per_sample);
    for (int vjp = 0; vjp < 2; vjp++)
        for (int b = 0; b < 3; b++) {
            size_t n = batches[b], rows = 0;
            double t0 = 0, t, best = 0;
            for (int rep = 0; rep < 3; rep++) { /* best of 3: the machine is shared */
                run(r, vjp, x, n, dy, dx, y); /* plan buffers */
                rows = 0;
                t0 = now();
                do {
                    run(r, vjp, x, n, dy, dx, y);
                    rows += n;
                } while ((t = now() - t0) < 0.1);
                best = (double)rows / t > best ? (double)rows / t : best;
            }
            double gf = best * info.flops_per_sample * (vjp ? 2 : 1) * 1e-9;
            printf("  %-11s batch %4zu: %10.0f rows/s %8.3f GFLOP/s  %5.1f%% of sgemm\n",
                   vjp ? "forward+VJP" : "forward", n, best, gf, 100 * gf / ref_gflops);
        }
    xai_runner_free(r);
    xai_model_free(m);
    free(x);
    free(y);
    free(dx);
    free(dy);
}

int main(int argc, char **argv)
{
    (void)argc;
    one_blas_thread(argv);
    openblas_set_num_threads(1);
    double ref = sgemm_gflops(1024);
    printf("raw cblas_sgemm 1024^3, 1 thread: %.1f GFLOP/s\n", ref);
    bench_model("examples/credit/model.onnx", ref);
    bench_model("bench/fixtures/mlp23.onnx", ref);
    bench_model("examples/digits/model.onnx", ref);
    bench_model("tests/fixtures/models/cnn_bn.onnx", ref);
    return 0;
}
