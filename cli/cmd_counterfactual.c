/* cli/cmd_counterfactual.c: `xai counterfactual`: counterfactuals of the
 * rejected rows by each method, scored (R^, costs, plausibility, validity on
 * alternative models), as CSV and JSON written whole or not at all. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "outputs.h"
#include "recourse_args.h"

#define CMD "counterfactual"

/* Parses "closest,nn,..." into methods; returns the count or -1. */
static int parse_methods(const char *spec, int *methods)
{
    int n = 0;
    const char *p = spec;
    while (*p) {
        size_t l = strcspn(p, ",");
        char name[32];
        if (l == 0 || l >= sizeof name || n == XAI_CF_METHOD_COUNT)
            return -1;
        memcpy(name, p, l);
        name[l] = 0;
        int m = xai_cf_method_find(name);
        if (m < 0)
            return -1;
        for (int i = 0; i < n; i++)
            if (methods[i] == m)
                return -1;
        methods[n++] = m;
        p += l + (p[l] == ',');
    }
    return n;
}

static int run(int argc, char **argv)
{
    static const struct option opts[] = {
        RC_ARGS_LONG_OPTIONS,
        {"method", required_argument, NULL, RC_OPT_METHOD},
        {"force", no_argument, NULL, RC_OPT_FORCE},
        {"help", no_argument, NULL, 'h'},
        DATA_ARGS_LONG_OPTIONS,
        {0}};
    rc_args a = {.cmd = CMD, .o = xai_recourse_options_default()};
    int prc = rc_args_parse_argv(&a, argc, argv, opts, cli_cmd_counterfactual.help);
    if (prc != CLI_OK)
        return prc < 0 ? CLI_OK : prc;
    int methods[XAI_CF_METHOD_COUNT], n_methods = XAI_CF_METHOD_COUNT;
    for (int i = 0; i < XAI_CF_METHOD_COUNT; i++)
        methods[i] = i;
    if (a.methods && (n_methods = parse_methods(a.methods, methods)) <= 0)
        return cli_usage_error(CMD, "--method wants a comma list of distinct methods "
                               "closest,nn,trex,trex-nn, got '%s'", a.methods);
    /* every output checked before anything is loaded; the summary goes to
     * standard output, so the files cannot */
    int rc = rc_args_check_outputs(&a, a.force, 0);
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
    rc_record *rec = NULL;
    float *cf = NULL;
    uint8_t *valid = NULL;
    size_t nrec = 0, already = 0;
    rc = rc_problem_load(&a, &p);
    if (rc == CLI_OK)
        rc = rc_run_methods(CMD, &p, methods, n_methods, &rec, &nrec, &already, &cf, &valid);
    if (rc == CLI_OK)
        rc = rc_add_exact(&a, &p, rec, nrec);
    if (rc == CLI_OK) {
        rc_write_csv(xai_outfile_stream(files[0]), &p, rec, nrec);
        if (files[1])
            rc_write_json(xai_outfile_stream(files[1]), &a, &p, rec, nrec, already);
        if ((s = xai_outfile_commit_all(files, 2)) != XAI_OK)
            rc = cli_runtime_error(CMD, s);
        files[0] = files[1] = NULL;
    }
    if (rc == CLI_OK) {
        size_t n = p.row_b - p.row_a;
        printf("%zu rows, %zu already accepted (skipped), %zu searched\n", n, already,
               n - already);
        for (int mi = 0; mi < n_methods; mi++) {
            size_t f = 0, t = 0;
            for (size_t i = 0; i < nrec; i++)
                if (rec[i].method == methods[mi]) {
                    t++;
                    f += rec[i].res.found;
                }
            printf("  %-8s found %zu of %zu\n", xai_cf_method_name(methods[mi]), f, t);
        }
        /* the first few recourses of the last method, in plain words */
        int shown = 0;
        for (size_t i = 0; i < nrec && shown < 3; i++)
            if (rec[i].method == methods[n_methods - 1] && rec[i].res.found) {
                char words[1024];
                rc_plain_words(&p, rec[i].x, rec[i].cf, words, sizeof words);
                printf("row %zu (%s): %s\n", rec[i].row, xai_cf_method_name(rec[i].method),
                       words);
                shown++;
            }
    }
    xai_outfile_abort(files[0]);
    xai_outfile_abort(files[1]);
    free(rec);
    free(cf);
    free(valid);
    rc_problem_free(&p);
    return rc;
}

const cli_command cli_cmd_counterfactual = {
    CMD, "counterfactuals of rejected rows, scored for robustness",
    "usage: xai counterfactual --model M --data ROWS --train TRAIN [--label NAME]\n"
    "         [--rows A:B] [--method closest,nn,trex,trex-nn] [--desired K] [--tau T]\n"
    "         [--sigma S] [--k N] [--immutable COLS] [--increasing COLS]\n"
    "         [--integer COLS] [--groups auto|FILE] [--alt-models DIR|A,B,...]\n"
    "         [--seed S] [--threads T] --out CF.csv [--json CF.json] [--force]\n\n"
    "For every row of ROWS that the model rejects (m(x) < 0.5 for the desired\n"
    "class), finds a counterfactual x' the model accepts, by each method:\n"
    "  closest   sparse closest point: elastic-net ISTA on\n"
    "            c*max(0, kappa - logit) + 0.1*|d|_1 + |d|_2^2, d = (x' - x)/range,\n"
    "            binary search on c\n"
    "  nn        the nearest accepted training row (scaled L2)\n"
    "  trex      T-Rex: from closest, gradient ascent on R^ until R^ >= tau\n"
    "  trex-nn   the nearest accepted training row with R^ >= tau\n"
    "All respect the constraints: immutable and increasing columns, integers,\n"
    "one-hot groups (--groups) stay one category, values within the training\n"
    "range.  Scores: R^(x') = mean_i [m(x_i) - |m(x') - m(x_i)|], x_i ~\n"
    "N(x', (sigma * range)^2); L1 / L2 cost in units of each feature's range;\n"
    "features changed; LOF (k = 10) among accepted training rows; validity on\n"
    "each alternative model.  Rows already accepted are skipped and counted.\n"
    "CSV: row,method,found,output,stability,cost_l1,cost_l2,changed,<features>\n"
    "(%.9g; found=0 rows repeat x); JSON schema xai-counterfactual/1.\n\n"
    "  --data ROWS          the rows to explain (CSV)\n"
    "  --rows A:B           rows A..B-1 of ROWS (default: all)\n"
    "  --method LIST        methods (default: all four)\n"
    "  --out FILE           the CSV to write\n" RC_ARGS_HELP
    "  --label NAME         the label column of ROWS and TRAIN (not a feature)\n"
    "  --groups auto|FILE   one-hot groups (columns PREFIX_K form PREFIX)\n"
    "  --force              write --out/--json even if the extension names\n"
    "                       another format\n"
    "  -h, --help           this help\n"
    "Outputs are checked before anything is loaded (never an input, a FIFO,\n"
    "a device or a symbolic link) and written whole, both or neither.\n",
    run};
