/* bench/bench_recourse.c: seconds per counterfactual of each method for the
 * first N (default 100) rows the credit model rejects, on 1 and 2 threads,
 * and the model evaluations per second the methods achieve next to the
 * runtime's own forward and VJP throughput (batch 1024) in the same run.
 * Evaluations are counted by wrapping the ONNX model in a callback model
 * (one runner per thread).  Prints figures, never fails on time.
 *
 *   build/bench/bench_recourse [MODEL TRAIN DATA LABEL [N]]
 * (defaults: the credit example, label credit-risk, N = 100). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xai/xai.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The counting wrapper: rows through forward and VJP. */
static const xai_model *inner;
static _Thread_local xai_runner *tl_runner;
static unsigned long long n_fwd, n_vjp;

static xai_runner *runner(void)
{
    if (!tl_runner && xai_runner_new(inner, &tl_runner) != XAI_OK)
        return NULL;
    return tl_runner;
}

static int count_predict(void *u, const float *x, size_t n, float *y)
{
    (void)u;
    xai_runner *r = runner();
#pragma omp atomic
    n_fwd += n;
    return !r || xai_runner_forward(r, XAI_OUTPUT_PROB, x, n, y) != XAI_OK;
}

static int count_vjp(void *u, const float *x, size_t n, const float *dy, float *dx)
{
    (void)u;
    xai_runner *r = runner();
#pragma omp atomic
    n_vjp += n;
    return !r || xai_runner_vjp(r, XAI_OUTPUT_PROB, x, n, dy, dx, NULL) != XAI_OK;
}

static double throughput(const xai_model *m, int vjp)
{
    enum { B = 1024 };
    size_t D = xai_model_input_size(m);
    float *x = calloc(B * D, sizeof *x), *y = malloc(B * sizeof *y),
          *dx = malloc(B * D * sizeof *dx), *dy = malloc(B * sizeof *dy);
    for (size_t i = 0; i < B * D; i++)
        x[i] = (float)(i % 13) * 0.1f;
    for (size_t i = 0; i < B; i++)
        dy[i] = 1;
    xai_runner *r;
    xai_runner_new(m, &r);
    double t = now();
    int reps = 0;
    while (now() - t < 0.5 || reps < 3) {
        if (vjp)
            xai_runner_vjp(r, XAI_OUTPUT_PROB, x, B, dy, dx, y);
        else
            xai_runner_forward(r, XAI_OUTPUT_PROB, x, B, y);
        reps++;
    }
    t = now() - t;
    xai_runner_free(r);
    free(x);
    free(y);
    free(dx);
    free(dy);
    return reps * (double)B / t;
}

int main(int argc, char **argv)
{
    const char *mp = argc > 4 ? argv[1] : "examples/credit/model.onnx";
    const char *tp = argc > 4 ? argv[2] : "examples/credit/data/train.csv";
    const char *dp = argc > 4 ? argv[3] : "examples/credit/data/test.csv";
    const char *label = argc > 4 ? argv[4] : "credit-risk";
    size_t want = argc > 5 ? (size_t)atol(argv[5]) : 100;
    xai_model *m, *wrapped;
    xai_dataset *train, *data;
    xai_csv_options o = xai_csv_options_default();
    o.label = label;
    o.groups_auto = 1;
    if (xai_model_load(mp, &m) != XAI_OK || xai_dataset_load_csv(tp, &o, &train) != XAI_OK ||
        xai_dataset_load_csv(dp, &o, &data) != XAI_OK) {
        fprintf(stderr, "%s\n", xai_last_error());
        return 1;
    }
    inner = m;
    size_t D = xai_dataset_features(data);
    xai_model_from_callbacks(D, 1, 1, count_predict, count_vjp, NULL, &wrapped);
    /* the rejected rows (of data, then of train if needed) */
    float *x = malloc(want * D * sizeof *x), y;
    size_t n = 0;
    xai_runner *r;
    xai_runner_new(m, &r);
    for (int src = 0; src < 2 && n < want; src++) {
        const xai_dataset *d = src ? train : data;
        for (size_t i = 0; i < xai_dataset_rows(d) && n < want; i++) {
            xai_runner_forward(r, XAI_OUTPUT_PROB, xai_dataset_row(d, i), 1, &y);
            if (y < 0.5f)
                memcpy(x + D * n++, xai_dataset_row(d, i), D * sizeof *x);
        }
    }
    xai_runner_free(r);
    printf("model %s: %zu rejected rows (wanted %zu)\n", mp, n, want);
    double fwd = throughput(m, 0), vjp = throughput(m, 1);
    printf("runtime throughput, batch 1024: forward %.3g rows/s, vjp %.3g rows/s\n", fwd, vjp);
    fflush(stdout);
    if (!n) {
        printf("nothing to explain: the model rejects no row\n");
        return 0;
    }
    printf("%-8s %7s %12s %12s %14s %14s\n", "method", "threads", "s/cf", "found",
           "fwd rows/s", "vjp rows/s");
    float *cf = malloc(n * D * sizeof *cf);
    xai_cf_result *res = malloc(n * sizeof *res);
    for (int meth = 0; meth < XAI_CF_METHOD_COUNT; meth++)
        for (int th = 1; th <= 2; th++) {
            xai_recourse_options ro = xai_recourse_options_default();
            ro.n_threads = th;
            ro.seed = 1;
            xai_recourse *rc;
            if (xai_recourse_new(wrapped, xai_dataset_values(train), xai_dataset_rows(train),
                                 D, xai_dataset_feature_groups(train), NULL, &ro, &rc) !=
                XAI_OK) {
                fprintf(stderr, "%s\n", xai_last_error());
                return 1;
            }
            n_fwd = n_vjp = 0;
            double t = now();
            if (xai_recourse_generate(rc, meth, x, n, 0, cf, res) != XAI_OK) {
                fprintf(stderr, "%s\n", xai_last_error());
                return 1;
            }
            t = now() - t;
            size_t f = 0;
            for (size_t i = 0; i < n; i++)
                f += res[i].found;
            printf("%-8s %7d %12.4g %8zu/%-3zu %14.3g %14.3g\n", xai_cf_method_name(meth), th,
                   t / (double)n, f, n, (double)n_fwd / t, (double)n_vjp / t);
            xai_recourse_free(rc);
            fflush(stdout);
        }
    free(cf);
    free(res);
    free(x);
    xai_model_free(wrapped);
    xai_model_free(m);
    xai_dataset_free(train);
    xai_dataset_free(data);
    return 0;
}
