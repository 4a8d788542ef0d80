/* cli/cmd_predict.c: `xai predict`: model outputs for every row of a data set,
 * written as CSV (temporary file renamed into place: no partial output). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "data_args.h"
#include "outputs.h"

/* pred: argmax; one output: 1 if p >= 0.5 (a score: if >= 0, i.e. p >= 0.5
 * after a final sigmoid). */
static int predicted(const float *y, size_t k, int score_of_probs)
{
    if (k == 1)
        return y[0] >= (score_of_probs ? 0.0f : 0.5f);
    size_t best = 0;
    for (size_t j = 1; j < k; j++)
        if (y[j] > y[best])
            best = j;
    return (int)best;
}

static int write_csv(const char *out, const float *y, size_t n, size_t k,
                     int score_of_probs)
{
    xai_outfile *o;
    xai_status s;
    if (cli_output_open("predict", out, &o) != CLI_OK)
        return CLI_RUNTIME_ERROR;
    FILE *f = xai_outfile_stream(o);
    for (size_t j = 0; j < k; j++)
        fprintf(f, "out%zu,", j);
    fprintf(f, "pred\n");
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < k; j++)
            fprintf(f, "%.9g,", y[i * k + j]);
        fprintf(f, "%d\n", predicted(y + i * k, k, score_of_probs));
    }
    if ((s = xai_outfile_commit(o)) != XAI_OK)
        return cli_runtime_error("predict", s);
    return CLI_OK;
}

static int run(int argc, char **argv)
{
    enum { OPT_MODEL = 1, OPT_OUTPUT, OPT_OUT, OPT_FORCE, OPT_ROWS };
    static const struct option opts[] = {
        {"model", required_argument, NULL, OPT_MODEL},
        {"output", required_argument, NULL, OPT_OUTPUT},
        {"out", required_argument, NULL, OPT_OUT},
        {"force", no_argument, NULL, OPT_FORCE},
        {"rows", required_argument, NULL, OPT_ROWS},
        {"help", no_argument, NULL, 'h'},
        DATA_ARGS_LONG_OPTIONS,
        {0}};
    const char *model = NULL, *out = NULL, *rows = NULL;
    xai_output_kind kind = XAI_OUTPUT_PROB;
    data_args da = {0};
    int c, force = 0;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        int r = data_args_parse(&da, "predict", c, optarg);
        if (r < 0)
            return CLI_USAGE_ERROR;
        if (r > 0)
            continue;
        switch (c) {
        case OPT_MODEL:
            model = optarg;
            break;
        case OPT_OUT:
            out = optarg;
            break;
        case OPT_FORCE:
            force = 1;
            break;
        case OPT_ROWS:
            rows = optarg;
            break;
        case OPT_OUTPUT:
            if (strcmp(optarg, "prob") == 0)
                kind = XAI_OUTPUT_PROB;
            else if (strcmp(optarg, "score") == 0)
                kind = XAI_OUTPUT_SCORE;
            else
                return cli_usage_error("predict", "--output wants prob or score, got '%s'",
                                       optarg);
            break;
        case 'h':
            fputs(cli_cmd_predict.help, stdout);
            return CLI_OK;
        default:
            return cli_usage_error("predict", "unknown or incomplete option '%s'",
                                   argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage_error("predict", "unexpected argument '%s'", argv[optind]);
    if (!model)
        return cli_usage_error("predict", "--model is required");
    if (!out)
        return cli_usage_error("predict", "--out is required");
    if (!da.path)
        return cli_usage_error("predict", "--data is required");
    const char *ins[] = {model, da.path, data_args_groups_file(&da)};
    const cli_output outs[] = {{"--out", out, "csv", 1}};
    int rc0 = CLI_CHECK_OUTPUTS("predict", force, ins, outs);
    if (rc0 != CLI_OK)
        return rc0;

    xai_model *m = NULL;
    xai_dataset *d = NULL;
    float *y = NULL;
    int rc = CLI_OK;
    if (data_args_load_model(&da, "predict", model, &m) != CLI_OK)
        return CLI_RUNTIME_ERROR;
    da.allow_missing = xai_model_accepts_missing(m);
    rc = data_args_load(&da, "predict", &d);
    if (rc != CLI_OK)
        goto done;
    size_t k = xai_model_output_size(m), r0, r1;
    if ((rc = data_args_check_model(&da, "predict", d, model, m)) != CLI_OK ||
        (rc = data_args_rows("predict", rows, xai_dataset_rows(d), SIZE_MAX, &r0, &r1)) !=
            CLI_OK)
        goto done;
    size_t n = r1 - r0;
    if (!(y = malloc((n * k > 0 ? n * k : 1) * sizeof *y))) {
        fprintf(stderr, "xai predict: error: out of memory for %zu x %zu outputs\n", n, k);
        rc = CLI_RUNTIME_ERROR;
        goto done;
    }
    /* a non-finite output is an error naming the row, as in explain, audit */
    if ((rc = data_args_check_finite(&da, "predict", m, kind, d, r0, r1, y)) != CLI_OK)
        goto done;
    rc = write_csv(out, y, n, k,
                   kind == XAI_OUTPUT_SCORE && xai_model_outputs_probabilities(m));
done:
    free(y);
    xai_dataset_free(d);
    xai_model_free(m);
    return rc;
}

const cli_command cli_cmd_predict = {
    "predict", "write the model's outputs for every row of a data set",
    "usage: xai predict --model MODEL --data DATA [--label NAME] [--output prob|score]\n"
    "                   [--rows A:B] [--force] --out PRED.csv\n\n"
    "Runs MODEL on every row of DATA (in order) and writes PRED.csv with the\n"
    "header out0,...,outK-1,pred: the K outputs (%.9g) and the predicted class\n"
    "(argmax; for one output, 1 if it is >= 0.5, or >= 0 for --output score of a\n"
    "sigmoid model).  --output score gives the input of a final Softmax/Sigmoid.\n"
    "The file is written to a temporary name and renamed: no partial output.\n"
    "A non-finite model output is an error naming the row.\n\n"
    "  --model MODEL        an .onnx file or plugin:PATH.so\n"
    "  --output prob|score  model outputs (default) or pre-activation scores\n"
    "  --rows A:B           rows A..B-1 (0-based; A: or :B allowed); default all\n"
    "  --out FILE           the CSV to write ('-': standard output)\n"
    "  --force              write --out even if its extension names another\n"
    "                       format\n" DATA_ARGS_HELP,
    run};
