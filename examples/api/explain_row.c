/* examples/api/explain_row.c: the smallest complete use of the C API.
 * Explains one row of the German credit example with KernelSHAP and prints
 * the five largest attributions.
 *
 *   build/examples/explain_row examples/credit/model.onnx \
 *       examples/credit/data/test.csv credit-risk 0 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <xai/xai.h>

static int fail(const char *what)
{
    fprintf(stderr, "explain_row: %s: %s\n", what, xai_last_error());
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: explain_row MODEL.onnx DATA.csv LABEL ROW\n");
        return 2;
    }
    xai_model *m = NULL;
    xai_dataset *d = NULL;
    xai_csv_options o = xai_csv_options_default();
    o.label = argv[3];
    o.groups_auto = 1;
    if (xai_model_load(argv[1], &m) != XAI_OK)
        return fail("loading the model");
    if (xai_dataset_load_csv(argv[2], &o, &d) != XAI_OK) {
        xai_model_free(m);
        return fail("loading the data");
    }
    size_t row = (size_t)strtoul(argv[4], NULL, 10), D = xai_dataset_features(d);
    int rc = 0;
    float *phi = malloc(D * sizeof *phi);
    xai_column_stats *stats = malloc(D * sizeof *stats);
    if (!phi || !stats || row >= xai_dataset_rows(d)) {
        fprintf(stderr, "explain_row: row out of range or out of memory\n");
        rc = 1;
        goto done;
    }
    for (size_t j = 0; j < D; j++)
        stats[j] = *xai_dataset_stats(d, j);

    xai_explain_options eo = xai_explain_options_default(); /* KernelSHAP */
    eo.seed = 1;
    xai_explain_context ctx = {.n_features = D,
                               .stats = stats,
                               .groups = xai_dataset_feature_groups(d),
                               .n_groups = xai_dataset_group_count(d)};
    xai_explain_diag diag;
    if (xai_explain_rows(m, &eo, &ctx, xai_dataset_row(d, row), 1, row, phi, &diag, 1) != XAI_OK) {
        rc = fail("explaining");
        goto done;
    }
    printf("row %zu: f(x) = %.4f, f(baseline) = %.4f, %llu model evaluations\n", row,
           diag.fx, diag.fbaseline, (unsigned long long)diag.evaluations);
    for (int top = 0; top < 5; top++) { /* the five largest |phi|, in order */
        size_t best = 0;
        for (size_t j = 1; j < D; j++)
            if (fabsf(phi[j]) > fabsf(phi[best]))
                best = j;
        printf("  %-28s %+.4f\n", xai_dataset_feature_name(d, best), phi[best]);
        phi[best] = 0;
    }
done:
    free(phi);
    free(stats);
    xai_dataset_free(d);
    xai_model_free(m);
    return rc;
}
