/* bench/bench_vs_torch.c: seconds per explanation for the methods of issue
 * 15 on a 23-input, 8-layer, width-8 MLP (bench/fixtures/mlp23.onnx, made by
 * bench/make_mlp23.py) and on the digits CNN, next to a PyTorch
 * implementation of the same algorithm (bench/torch_ref.py: batched forward
 * over all perturbations, batched backward), run in the same invocation.
 * One thread on both sides; each figure is the best of 3 passes.  Prints
 * figures, never fails on time.  Run from the repository root: make bench. */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xai/xai.h>

#include "one_blas_thread.h"

#define MAX_CASES 16
#define TORCH_CMD "/usr/bin/python3 bench/torch_ref.py 2>&1"

typedef struct result {
    char name[64];
    double xai, ref; /* seconds per explanation; ref 0 when not measured */
} result;

static result res[MAX_CASES];
static int n_res;
static const char *only; /* argv[1]: run only cases whose name contains it */

static int wanted(const char *name)
{
    return !only || strstr(name, only);
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void record(const char *name, double sec)
{
    snprintf(res[n_res].name, sizeof res[n_res].name, "%s", name);
    res[n_res++].xai = sec;
}

/* Seconds per row of explaining n rows with method `m` and `samples`. */
static void explain_case(const char *name, const xai_model *model, xai_method m,
                         int64_t samples, const xai_explain_context *c, const float *x,
                         size_t n)
{
    if (!wanted(name))
        return;
    xai_explain_options o = xai_explain_options_default();
    o.method = m;
    o.samples = samples;
    size_t D = c->n_features;
    float *phi = malloc(n * D * sizeof *phi);
    xai_explain_diag *dg = malloc(n * sizeof *dg);
    double best = INFINITY;
    for (int rep = 0; rep < 3; rep++) {
        double t0 = now();
        if (xai_explain_rows(model, &o, c, x, n, 0, phi, dg, 1) != XAI_OK) {
            printf("%s: %s\n", name, xai_last_error());
            best = NAN;
            break;
        }
        double t = (now() - t0) / (double)n;
        best = t < best ? t : best;
    }
    record(name, best);
    free(phi);
    free(dg);
}

static xai_model *load(const char *path)
{
    xai_model *m = NULL;
    if (xai_model_load(path, &m) != XAI_OK)
        printf("%s: %s\n", path, xai_last_error());
    return m;
}

static void tabular(void)
{
    enum { N = 40, D = 23 };
    xai_model *m = load("bench/fixtures/mlp23.onnx");
    if (!m)
        return;
    static float x[N * D];
    xai_column_stats st[D];
    xai_rng rng;
    xai_rng_init(&rng, 1, 0);
    for (size_t i = 0; i < N * D; i++)
        x[i] = (float)xai_rng_normal(&rng);
    for (int j = 0; j < D; j++)
        st[j] = (xai_column_stats){.mean = 0, .std = 1, .min = -3, .max = 3};
    xai_explain_context c = {.n_features = D, .stats = st};
    explain_case("mlp23/lime", m, XAI_METHOD_LIME, 1000, &c, x, N);
    explain_case("mlp23/kernelshap", m, XAI_METHOD_KERNELSHAP, 1000, &c, x, N);
    /* above 1024 coalitions xai fits the paired game linearly, the estimator
     * the reference runs at every budget: the same algorithm on both sides */
    explain_case("mlp23/kernelshap-2048", m, XAI_METHOD_KERNELSHAP, 2048, &c, x, N);
    explain_case("mlp23/smoothgrad", m, XAI_METHOD_SMOOTHGRAD, 1000, &c, x, N);
    explain_case("mlp23/integrated-gradients", m, XAI_METHOD_INTEGRATED_GRADIENTS, 50, &c,
                 x, N);
    xai_model_free(m);
}

static void digits(void)
{
    xai_model *m = load("examples/digits/model.onnx");
    if (!m)
        return;
    enum { N = 10, D = 64, COPIES = 40 };
    xai_csv_options co = xai_csv_options_default();
    co.label = "digit";
    co.image_c = 1;
    co.image_h = co.image_w = 8;
    co.scale = 16;
    xai_dataset *ds = NULL;
    if (xai_dataset_load_csv("examples/digits/data/data.csv", &co, &ds) != XAI_OK) {
        printf("digits data: %s\n", xai_last_error());
        xai_model_free(m);
        return;
    }
    xai_column_stats st[D];
    for (size_t j = 0; j < D; j++)
        st[j] = *xai_dataset_stats(ds, j);
    xai_explain_context c = {.n_features = D, .stats = st};
    xai_dataset_image_shape(ds, &c.image_c, &c.image_h, &c.image_w);
    const float *x = xai_dataset_values(ds);
    explain_case("digits/smoothgrad", m, XAI_METHOD_SMOOTHGRAD, 200, &c, x, N);
    explain_case("digits/integrated-gradients", m, XAI_METHOD_INTEGRATED_GRADIENTS, 200,
                 &c, x, N);
    /* SmoothInv-shaped step: 40 noisy copies of one image, forward + VJP */
    static float xs[COPIES * D], dy[COPIES * 10], dx[COPIES * D], y[COPIES * 10];
    xai_rng rng;
    xai_rng_init(&rng, 2, 0);
    for (size_t i = 0; i < COPIES * D; i++)
        xs[i] = x[i % D] + 0.15f * (float)xai_rng_normal(&rng);
    for (size_t i = 0; i < COPIES * 10; i++)
        dy[i] = (float)xai_rng_normal(&rng);
    xai_runner *r;
    xai_runner_new(m, &r);
    double best = INFINITY;
    for (int rep = 0; rep < 3 && wanted("digits/smoothinv-step"); rep++) {
        double t0 = now();
        for (int k = 0; k < N; k++)
            xai_runner_vjp(r, XAI_OUTPUT_PROB, xs, COPIES, dy, dx, y);
        double t = (now() - t0) / N;
        best = t < best ? t : best;
    }
    if (wanted("digits/smoothinv-step"))
        record("digits/smoothinv-step", best);
    xai_runner_free(r);
    xai_dataset_free(ds);
    xai_model_free(m);
}

/* Runs the PyTorch reference and fills res[].ref; returns 0 if skipped. */
static int torch_reference(char *why, size_t len)
{
    FILE *f = popen(TORCH_CMD, "r");
    if (!f) {
        snprintf(why, len, "cannot run %s", TORCH_CMD);
        return 0;
    }
    char line[512];
    int got = 0;
    snprintf(why, len, "no output from %s", TORCH_CMD);
    while (fgets(line, sizeof line, f)) {
        char name[64];
        double sec;
        if (sscanf(line, "ref %63s %lf", name, &sec) == 2) {
            for (int i = 0; i < n_res; i++)
                if (strcmp(res[i].name, name) == 0)
                    res[i].ref = sec;
            got++;
        } else if (!got) {
            line[strcspn(line, "\n")] = 0;
            snprintf(why, len, "%s", line);
        }
    }
    int rc = pclose(f);
    return got > 0 && rc == 0;
}

int main(int argc, char **argv)
{
    one_blas_thread(argv);
    /* `bench_vs_torch CASE` (for profiling) times only the cases whose name
     * contains CASE, and skips the PyTorch reference */
    only = argc > 1 ? argv[1] : NULL;
    openblas_set_num_threads(1);
    tabular();
    digits();
    char why[512] = "a case was chosen on the command line";
    int have_ref = only ? 0 : torch_reference(why, sizeof why);
    printf("seconds per explanation, 1 thread (best of 3); reference: %s\n",
           have_ref ? "bench/torch_ref.py (PyTorch, 1 thread)" : "skipped");
    if (!have_ref)
        printf("PyTorch reference skipped: %s\n", why);
    printf("%-30s %12s %12s %9s\n", "case", "xai", "pytorch", "speed-up");
    for (int i = 0; i < n_res; i++) {
        if (res[i].ref > 0)
            printf("%-30s %12.3g %12.3g %8.1fx\n", res[i].name, res[i].xai, res[i].ref,
                   res[i].ref / res[i].xai);
        else
            printf("%-30s %12.3g %12s %9s\n", res[i].name, res[i].xai, "-", "-");
    }
    return 0;
}
