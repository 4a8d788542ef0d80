/* bench/bench_treeshap.c: path-dependent TreeSHAP explanations per second
 * on the credit example's XGBoost model (examples/credit/model_xgb.json,
 * its 200 test rows) and on a larger one (500 trees of depth 6, 50
 * features, 1000 rows; made by bench/treeshap_ref.py in build/bench), with
 * 1 and 2 threads, next to xgboost's own C++ TreeSHAP
 * (predict(pred_contribs=True)) on the same rows and threads, run in the
 * same invocation.  Process CPU time (robust on a loaded machine; with 2
 * threads it shows the cost, not the speed-up) and wall time, each the
 * best of 3 passes.  Prints figures, never fails on time.  Run from the
 * repository root: make bench. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xai/xai.h>
#include <xai/trees.h>

#define REF_CMD "/usr/bin/python3 bench/treeshap_ref.py build/bench 2>&1"

static double clock_of(clockid_t id)
{
    struct timespec t;
    clock_gettime(id, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

typedef struct bcase {
    const char *name, *model, *data, *label;
    double cpu[3], wall[3]; /* xgboost seconds per explanation, by threads */
} bcase;

static bcase cases[] = {
    {"credit", "examples/credit/model_xgb.json", "examples/credit/data/test.csv",
     "credit-risk", {0}, {0}},
    {"large", "build/bench/xgb_large.json", "build/bench/xgb_large_rows.csv", NULL, {0}, {0}},
};

/* Runs the xgboost side (which also makes the large model); 0 if skipped. */
static int reference(void)
{
    FILE *f = popen(REF_CMD, "r");
    if (!f)
        return 0;
    char line[512], name[64];
    int t, got = 0;
    double c, w;
    while (fgets(line, sizeof line, f)) {
        if (sscanf(line, "ref %63s %d %lf %lf", name, &t, &c, &w) == 4 && t >= 1 && t <= 2) {
            for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
                if (strcmp(cases[k].name, name) == 0)
                    cases[k].cpu[t] = c, cases[k].wall[t] = w, got = 1;
        } else {
            fputs(line, stdout);
        }
    }
    pclose(f);
    return got;
}

static int run_case(bcase *c)
{
    xai_model *m = NULL;
    xai_dataset *ds = NULL;
    xai_csv_options co = xai_csv_options_default();
    co.label = c->label;
    if (xai_model_load(c->model, &m) != XAI_OK ||
        xai_dataset_load_csv(c->data, &co, &ds) != XAI_OK) {
        printf("%s: %s\n", c->name, xai_last_error());
        xai_model_free(m);
        return 1;
    }
    const xai_tree_ensemble *t = xai_model_trees(m);
    size_t n = xai_dataset_rows(ds), D = xai_dataset_features(ds);
    float *x = malloc(n * D * sizeof *x), *phi = malloc(n * D * sizeof *phi);
    for (size_t i = 0; i < n; i++)
        memcpy(x + i * D, xai_dataset_row(ds, i), D * sizeof *x);
    xai_explain_options o = xai_explain_options_default();
    o.method = XAI_METHOD_TREESHAP;
    o.baseline = XAI_BASELINE_TREE_PATH;
    o.output = XAI_OUTPUT_SCORE;
    o.target = 0; /* binary:logistic: its one margin */
    xai_explain_context ctx = {.n_features = D};
    printf("%-7s %zu trees, max depth %d, %zu features, %zu rows\n", c->name,
           t->n_trees, t->max_depth, D, n);
    for (int th = 1; th <= 2; th++) {
        double cpu = 1e30, wall = 1e30;
        for (int pass = 0; pass < 3; pass++) {
            double w0 = clock_of(CLOCK_MONOTONIC), c0 = clock_of(CLOCK_PROCESS_CPUTIME_ID);
            if (xai_explain_rows(m, &o, &ctx, x, n, 0, phi, NULL, th) != XAI_OK) {
                printf("%s: %s\n", c->name, xai_last_error());
                break;
            }
            double dc = (clock_of(CLOCK_PROCESS_CPUTIME_ID) - c0) / (double)n;
            double dw = (clock_of(CLOCK_MONOTONIC) - w0) / (double)n;
            cpu = dc < cpu ? dc : cpu;
            wall = dw < wall ? dw : wall;
        }
        printf("  %d thread%s  per CPU-second: xai %7.0f", th, th > 1 ? "s" : " ", 1 / cpu);
        if (c->cpu[th] > 0)
            printf(", xgboost %7.0f, xai/xgboost %.2f", 1 / c->cpu[th], c->cpu[th] / cpu);
        printf("\n             per wall second: xai %7.0f", 1 / wall);
        if (c->wall[th] > 0)
            printf(", xgboost %7.0f, xai/xgboost %.2f", 1 / c->wall[th], c->wall[th] / wall);
        printf("\n");
    }
    free(x), free(phi);
    xai_dataset_free(ds);
    xai_model_free(m);
    return 0;
}

int main(void)
{
    int have_ref = reference();
    printf("path-dependent TreeSHAP of the margin, explanations per second, best of 3;\n"
           "reference: %s\n",
           have_ref ? "xgboost 1.7 predict(pred_contribs=True), same rows and threads"
                    : "skipped");
    int bad = 0;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
        bad |= run_case(&cases[k]);
    return bad;
}
