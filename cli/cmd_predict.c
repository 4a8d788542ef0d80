/* cli/cmd_predict.c: `xai predict`: model outputs for every row of a data set,
 * written as CSV (temporary file renamed into place: no partial output). */
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "data_args.h"
#include "outputs.h"
#include "row_driver.h"
#include "shard.h"

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

typedef struct predict_job {
    const char *path; /* --data, for messages */
    const data_args *da;
    const char *model_path;
    const xai_model *m;
    int checked;      /* the data's width was checked against the model */
    xai_runner *r;
    xai_output_kind kind;
    size_t K;
    int score_of_probs;
    float *y; /* chunk_rows x K */
} predict_job;

/* Rows off..off+n-1 of ds (file rows row..): the K outputs and the class. */
static int predict_rows(void *user, const xai_dataset *ds, size_t off, size_t n, size_t row,
                        FILE *out, char *err, size_t cap)
{
    predict_job *p = user;
    size_t K = p->K;
    /* standard input is streamed without a first look: checked here */
    if (!p->checked && data_args_model_mismatch(p->da, ds, p->model_path, p->m, err, cap))
        return 1;
    p->checked = 1;
    if (xai_runner_forward(p->r, p->kind, xai_dataset_row(ds, off), n, p->y) != XAI_OK) {
        snprintf(err, cap, "%s", xai_last_error());
        return 1;
    }
    /* a non-finite output is an error naming the row, as in explain, audit */
    for (size_t q = 0; q < n * K; q++)
        if (!isfinite(p->y[q])) {
            snprintf(err, cap, "the model returned a non-finite output (%g, output %zu) "
                     "for row %zu of %s", p->y[q], q % K, row + q / K, p->path);
            return 1;
        }
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < K; j++)
            fprintf(out, "%.9g,", p->y[i * K + j]);
        fprintf(out, "%d\n", predicted(p->y + i * K, K, p->score_of_probs));
    }
    return 0;
}

static int run(int argc, char **argv)
{
    enum { OPT_MODEL = 1, OPT_OUTPUT, OPT_OUT, OPT_FORCE, OPT_ROWS, OPT_CHUNK };
    static const struct option opts[] = {
        {"model", required_argument, NULL, OPT_MODEL},
        {"output", required_argument, NULL, OPT_OUTPUT},
        {"out", required_argument, NULL, OPT_OUT},
        {"force", no_argument, NULL, OPT_FORCE},
        {"rows", required_argument, NULL, OPT_ROWS},
        {"chunk-rows", required_argument, NULL, OPT_CHUNK},
        {"help", no_argument, NULL, 'h'},
        DATA_ARGS_LONG_OPTIONS,
        {0}};
    const char *model = NULL, *out = NULL, *rows = NULL;
    xai_output_kind kind = XAI_OUTPUT_PROB;
    data_args da = {0};
    int c, force = 0;
    long long chunk = ROW_DRIVER_CHUNK;
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
        case OPT_CHUNK:
            if (cli_parse_int("predict", optarg, "--chunk-rows", 0, 1 << 24, &chunk) != CLI_OK)
                return CLI_USAGE_ERROR;
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
    int rc = CLI_CHECK_OUTPUTS("predict", force, ins, outs);
    if (rc != CLI_OK)
        return rc;

    /* CSV files and standard input are streamed (chunks of --chunk-rows);
     * PNG data and --chunk-rows 0 are read whole first (as is standard input
     * under mpirun, which refuses it) */
    int from_stdin = strcmp(da.path, "-") == 0;
    int stream = chunk > 0 && (data_args_streamable(&da) || (from_stdin && shard_size() == 1));
    xai_model *m = NULL;
    xai_dataset *d = NULL; /* the whole data, or the first row when streaming */
    xai_outfile *o = NULL;
    predict_job p = {.path = da.path, .kind = kind, .da = &da, .model_path = model};
    row_job j = {.cmd = "predict", .chunk_rows = chunk ? (size_t)chunk : ROW_DRIVER_CHUNK,
                 .rows = predict_rows, .user = &p};
    if ((rc = data_args_load_model(&da, "predict", model, &m)) == CLI_OK) {
        /* missing cells are read as NaN only for a model that defines them */
        da.allow_missing = xai_model_accepts_missing(m);
        if (!(stream && from_stdin))
            rc = stream ? data_args_load_head(&da, "predict", &d)
                        : data_args_load(&da, "predict", &d);
    }
    p.m = m;
    p.checked = d != NULL; /* the first row, or the whole data, was loaded */
    if (rc == CLI_OK && d)
        rc = data_args_check_model(&da, "predict", d, model, m);
    if (rc == CLI_OK)
        rc = data_args_rows("predict", rows, stream ? SIZE_MAX : xai_dataset_rows(d),
                            SIZE_MAX, &j.r0, &j.r1);
    if (rc == CLI_OK) {
        p.K = xai_model_output_size(m);
        p.score_of_probs = kind == XAI_OUTPUT_SCORE && xai_model_outputs_probabilities(m);
        if (!(p.y = malloc(j.chunk_rows * p.K * sizeof *p.y)) ||
            xai_runner_new(m, &p.r) != XAI_OK) {
            fprintf(stderr, "xai predict: error: out of memory\n");
            rc = CLI_RUNTIME_ERROR;
        }
    }
    if (rc == CLI_OK && shard_rank() == 0)
        rc = cli_output_open("predict", out, &o);
    if ((rc = row_driver_agree("predict", rc)) != CLI_OK)
        goto done;
    if (o) {
        j.dest = xai_outfile_stream(o);
        for (size_t q = 0; q < p.K; q++)
            fprintf(j.dest, "out%zu,", q);
        fprintf(j.dest, "pred\n");
    }
    size_t n_read;
    rc = stream ? row_driver_stream(&j, &da, &n_read) : row_driver_memory(&j, d);
    if (rc == CLI_OK && o) {
        xai_status s = xai_outfile_commit(o);
        o = NULL;
        if (s != XAI_OK)
            rc = cli_runtime_error("predict", s);
    }
done:
    xai_outfile_abort(o);
    xai_runner_free(p.r);
    free(p.y);
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
    "A CSV file (or standard input) is read in chunks, so memory does not\n"
    "grow with its rows; under mpirun each chunk's rows are split over the\n"
    "ranks (README: Running on a cluster).\n"
    "A non-finite model output is an error naming the row.\n\n"
    "  --model MODEL        an .onnx file or plugin:PATH.so\n"
    "  --output prob|score  model outputs (default) or pre-activation scores\n"
    "  --rows A:B           rows A..B-1 (0-based; A: or :B allowed); default all\n"
    "  --out FILE           the CSV to write ('-': standard output)\n"
    "  --force              write --out even if its extension names another\n"
    "                       format\n"
    "  --chunk-rows N       rows read and computed at a time (default 1024; 0:\n"
    "                       read the whole data first)\n" DATA_ARGS_HELP,
    run};
