/* cli/cmd_stability.c: `xai stability`: scores counterfactuals made by any
 * tool (R^ with its standard error, costs against the original rows,
 * plausibility, validity on alternative models). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "outputs.h"
#include "recourse_args.h"

#define CMD "stability"

static int run(int argc, char **argv)
{
    static const struct option opts[] = {
        RC_ARGS_LONG_OPTIONS,
        {"original", required_argument, NULL, RC_OPT_ORIGINAL},
        {"force", no_argument, NULL, RC_OPT_FORCE},
        {"help", no_argument, NULL, 'h'},
        DATA_ARGS_LONG_OPTIONS,
        {0}};
    rc_args a = {.cmd = CMD, .data_unlabelled = 1, .o = xai_recourse_options_default()};
    int prc = rc_args_parse_argv(&a, argc, argv, opts, cli_cmd_stability.help);
    if (prc != CLI_OK)
        return prc < 0 ? CLI_OK : prc;
    /* every output checked before anything is loaded */
    int rc = rc_args_check_outputs(&a, a.force, 1);
    if (rc != CLI_OK)
        return rc;
    /* --out and --json: both or neither */
    xai_outfile *files[2] = {NULL, NULL};
    if ((rc = cli_output_open(CMD, a.out, &files[0])) != CLI_OK ||
        (a.json && (rc = cli_output_open(CMD, a.json, &files[1])) != CLI_OK)) {
        xai_outfile_abort(files[0]);
        return rc;
    }
    xai_status s;
    rc_problem p;
    xai_dataset *orig = NULL;
    rc_record *rec = NULL;
    xai_cf_score *sc = NULL;
    uint8_t *valid = NULL, *v1 = NULL;
    rc = rc_problem_load(&a, &p);
    size_t D = 0, n = 0;
    if (rc == CLI_OK) {
        D = xai_dataset_features(p.data);
        n = p.row_b - p.row_a;
    }
    if (rc == CLI_OK && a.original) {
        data_args oa = a.da;
        oa.path = a.original;
        if ((rc = data_args_load(&oa, CMD, &orig)) == CLI_OK &&
            (xai_dataset_features(orig) != D ||
             xai_dataset_rows(orig) != xai_dataset_rows(p.data))) {
            fprintf(stderr, "xai " CMD ": error: %s has %zu rows of %zu features but the "
                    "counterfactuals %s have %zu rows of %zu: --original must pair row by "
                    "row\n", a.original, xai_dataset_rows(orig), xai_dataset_features(orig),
                    a.da.path, xai_dataset_rows(p.data), D);
            rc = CLI_RUNTIME_ERROR;
        }
        for (size_t j = 0; rc == CLI_OK && j < D; j++)
            if (strcmp(xai_dataset_feature_name(orig, j),
                       xai_dataset_feature_name(p.data, j)) != 0) {
                fprintf(stderr, "xai " CMD ": error: column %zu of %s is '%s' but '%s' in "
                        "%s\n", j + 1, a.original, xai_dataset_feature_name(orig, j),
                        xai_dataset_feature_name(p.data, j), a.da.path);
                rc = CLI_RUNTIME_ERROR;
            }
    }
    if (rc == CLI_OK) {
        sc = malloc((n ? n : 1) * sizeof *sc);
        rec = calloc(n ? n : 1, sizeof *rec);
        valid = calloc((p.n_alts ? p.n_alts : 1) * (n ? n : 1), 1);
        v1 = malloc(n ? n : 1);
        if (!sc || !rec || !valid || !v1) {
            fprintf(stderr, "xai " CMD ": error: out of memory\n");
            rc = CLI_RUNTIME_ERROR;
        }
    }
    if (rc == CLI_OK) {
        const float *cf = xai_dataset_row(p.data, p.row_a);
        const float *x = orig ? xai_dataset_row(orig, p.row_a) : NULL;
        s = xai_recourse_score(p.rc, cf, x, n, p.row_a, sc);
        for (size_t m = 0; m < p.n_alts && s == XAI_OK; m++) {
            s = xai_recourse_validity(p.rc, p.alts[m], cf, n, v1);
            for (size_t i = 0; i < n; i++)
                valid[i * p.n_alts + m] = v1[i];
        }
        if (s != XAI_OK)
            rc = cli_runtime_error(CMD, s);
        for (size_t i = 0; i < n && rc == CLI_OK; i++) {
            xai_cf_result res = {sc[i].accepted, 0, sc[i].accepted ? "" : "not accepted"};
            rec[i] = (rc_record){p.row_a + i, -1, res, sc[i], x ? x + i * D : NULL,
                                 cf + i * D, valid + i * (p.n_alts ? p.n_alts : 1), {.R = 0}};
        }
    }
    if (rc == CLI_OK)
        rc = rc_add_exact(&a, &p, rec, n);
    if (rc == CLI_OK) {
        rc_write_csv(xai_outfile_stream(files[0]), &p, rec, n);
        if (files[1])
            rc_write_json(xai_outfile_stream(files[1]), &a, &p, rec, n, 0);
        if ((s = xai_outfile_commit_all(files, 2)) != XAI_OK)
            rc = cli_runtime_error(CMD, s);
        files[0] = files[1] = NULL;
    }
    xai_outfile_abort(files[0]);
    xai_outfile_abort(files[1]);
    free(sc);
    free(rec);
    free(valid);
    free(v1);
    xai_dataset_free(orig);
    rc_problem_free(&p);
    return rc;
}

const cli_command cli_cmd_stability = {
    CMD, "score counterfactuals made by any tool (stability, cost, validity)",
    "usage: xai stability --model M --data CF.csv --train TRAIN [--original X.csv]\n"
    "         [--label NAME] [--rows A:B] [--groups auto|FILE] [--sigma S] [--k N]\n"
    "         [--desired K] [--alt-models DIR|A,B,...] [--seed S] [--threads T]\n"
    "         --out SCORES.csv [--json SCORES.json] [--force]\n\n"
    "Scores every row of CF.csv (counterfactuals from xai, DiCE, CARLA, alibi...;\n"
    "the same columns as TRAIN): m(x') for the desired class, the relaxed\n"
    "stability R^ (see xai help counterfactual) with its standard error, the\n"
    "L1 / L2 cost in units of each feature's training range and the features\n"
    "changed against the row of the same number in X.csv, LOF (k = 10) among\n"
    "the accepted training rows, and validity on each alternative model.\n"
    "Output as xai counterfactual, method 'given', found = the model accepts x'.\n\n"
    "  --data CF.csv        the counterfactuals\n"
    "  --original X.csv     the original rows, paired row by row (for costs)\n"
    "  --rows A:B           rows A..B-1 (default: all)\n"
    "  --out FILE           the CSV to write\n" RC_ARGS_HELP
    "  --label NAME         the label column of TRAIN and X.csv (CF.csv holds\n"
    "                       only the feature columns)\n"
    "  --groups auto|FILE   one-hot groups (columns PREFIX_K form PREFIX)\n"
    "  --force              write --out/--json even if the extension names\n"
    "                       another format\n"
    "  -h, --help           this help\n"
    "Outputs are checked before anything is loaded (never an input, a FIFO,\n"
    "a device or a symbolic link; '-' is standard output) and written whole,\n"
    "both or neither.\n",
    run};
