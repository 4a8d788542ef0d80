/* bench/bench_tree_predict.c: tree-model inference (rows/s) on an XGBoost
 * model of 500 trees of depth 6 over 50 features (made by
 * bench/tree_predict_ref.py, which also times xgboost's own predict on the
 * same rows and threads: the same-run reference), 1 and 2 threads, plus the
 * largest difference from xgboost's probabilities.  Wall time, best of 3.
 * Prints figures, never fails on time.  Run from the repository root:
 * make bench. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xai/xai.h>

#include "core/parallel.h"

#define DIR "build/bench/trees"
#define N 20000
#define D 50
#define CHUNK 256

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct job {
    const float *x;
    float *y;
} job;

static xai_status chunk(void *ctx, xai_runner *r, size_t i)
{
    job *j = ctx;
    size_t n = N - i * CHUNK < CHUNK ? N - i * CHUNK : CHUNK;
    return xai_runner_forward(r, XAI_OUTPUT_PROB, j->x + i * CHUNK * D, n,
                              j->y + i * CHUNK * 2);
}

static float *read_bin(const char *path, size_t n)
{
    float *v = malloc(n * sizeof *v);
    FILE *f = fopen(path, "rb");
    if (!v || !f || fread(v, sizeof *v, n, f) != n) {
        if (f)
            fclose(f);
        free(v);
        return NULL;
    }
    fclose(f);
    return v;
}

int main(void)
{
    double ref[3] = {0, 0, 0};
    FILE *p = popen("/usr/bin/python3 bench/tree_predict_ref.py " DIR " 2>&1", "r");
    char line[256];
    while (p && fgets(line, sizeof line, p)) {
        int t;
        double v;
        if (sscanf(line, "ref predict %d %lf", &t, &v) == 2 && t >= 1 && t <= 2)
            ref[t] = v;
        else
            fputs(line, stdout);
    }
    if (p)
        pclose(p);
    xai_model *m;
    if (xai_model_load(DIR "/trees_big.json", &m) != XAI_OK) {
        printf("skipped: %s\n", xai_last_error());
        return 0;
    }
    float *x = read_bin(DIR "/trees_big_x.bin", (size_t)N * D),
          *want = read_bin(DIR "/trees_big_p.bin", N), *y = malloc(2 * N * sizeof *y);
    if (!x || !want || !y) {
        printf("skipped: cannot read the rows made by bench/tree_predict_ref.py\n");
        return 0;
    }
    const xai_tree_ensemble *t = xai_model_trees(m);
    printf("tree inference: %zu trees, depth %d, %zu features, %d rows\n", t->n_trees,
           t->max_depth, t->n_features, N);
    printf("%-8s %14s %14s %8s\n", "threads", "xai rows/s", "xgboost rows/s", "ratio");
    for (int threads = 1; threads <= 2; threads++) {
        double best = INFINITY;
        for (int rep = 0; rep < 3; rep++) {
            job j = {x, y};
            double t0 = now();
            if (xai_parallel_tasks(m, (N + CHUNK - 1) / CHUNK, threads, chunk, &j) != XAI_OK) {
                printf("error: %s\n", xai_last_error());
                return 1;
            }
            double el = now() - t0;
            best = el < best ? el : best;
        }
        double rate = N / best;
        printf("%-8d %14.0f %14.0f %8.2f\n", threads, rate, ref[threads],
               ref[threads] > 0 ? rate / ref[threads] : 0.0);
    }
    double worst = 0;
    for (size_t i = 0; i < N; i++)
        worst = fmax(worst, fabs((double)y[2 * i + 1] - want[i]));
    printf("max |P(class 1) - xgboost| = %.3g\n", worst);
    free(x);
    free(want);
    free(y);
    xai_model_free(m);
    return 0;
}
