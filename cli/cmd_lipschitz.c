/* cli/cmd_lipschitz.c: `xai lipschitz`: per row, a certified upper bound and a
 * sampled lower bound of the model's local Lipschitz constant over a ball. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "data_args.h"
#include "outputs.h"

#define CMD "lipschitz"

static int run(int argc, char **argv)
{
    enum { OPT_MODEL = 1, OPT_RADIUS, OPT_TRAIN, OPT_ROWS, OPT_SAMPLES, OPT_SEED,
           OPT_DESIRED, OPT_OUT, OPT_FORCE };
    static const struct option opts[] = {
        {"model", required_argument, NULL, OPT_MODEL},
        {"radius", required_argument, NULL, OPT_RADIUS},
        {"train", required_argument, NULL, OPT_TRAIN},
        {"rows", required_argument, NULL, OPT_ROWS},
        {"samples", required_argument, NULL, OPT_SAMPLES},
        {"seed", required_argument, NULL, OPT_SEED},
        {"desired", required_argument, NULL, OPT_DESIRED},
        {"out", required_argument, NULL, OPT_OUT},
        {"force", no_argument, NULL, OPT_FORCE},
        {"help", no_argument, NULL, 'h'},
        DATA_ARGS_LONG_OPTIONS,
        {0}};
    const char *model = NULL, *train = NULL, *rows = NULL, *out = NULL;
    double radius = -1;
    long long samples = 1000, seed = 0, desired = 1;
    data_args da = {0};
    int c, force = 0;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        int r = data_args_parse(&da, CMD, c, optarg);
        if (r < 0)
            return CLI_USAGE_ERROR;
        if (r > 0)
            continue;
        char *end;
        switch (c) {
        case OPT_MODEL: model = optarg; break;
        case OPT_TRAIN: train = optarg; break;
        case OPT_ROWS: rows = optarg; break;
        case OPT_OUT: out = optarg; break;
        case OPT_FORCE: force = 1; break;
        case OPT_RADIUS:
            errno = 0;
            radius = strtod(optarg, &end);
            if (end == optarg || *end || errno || !isfinite(radius) || radius < 0)
                return cli_usage_error(CMD, "--radius wants a number >= 0, got '%s'", optarg);
            break;
        case OPT_SAMPLES:
            if (cli_parse_int(CMD, optarg, "--samples", 0, 10000000, &samples) != CLI_OK)
                return CLI_USAGE_ERROR;
            break;
        case OPT_SEED:
            if (cli_parse_int(CMD, optarg, "--seed", 0, INT64_MAX, &seed) != CLI_OK)
                return CLI_USAGE_ERROR;
            break;
        case OPT_DESIRED:
            if (cli_parse_int(CMD, optarg, "--desired", 0, 1, &desired) != CLI_OK)
                return CLI_USAGE_ERROR;
            break;
        case 'h':
            fputs(cli_cmd_lipschitz.help, stdout);
            return CLI_OK;
        default:
            return cli_usage_error(CMD, "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
    if (!model || !da.path || radius < 0)
        return cli_usage_error(CMD, "--model, --data and --radius are required");
    /* the output checked before anything is loaded, its temporary made now */
    const char *ins[] = {model, da.path, train, data_args_groups_file(&da),
                         da.feature_labels};
    const cli_output outs[] = {{"--out", out, "csv", 1}};
    int rc = CLI_CHECK_OUTPUTS(CMD, force, ins, outs);
    if (rc != CLI_OK)
        return rc;
    xai_outfile *fo = NULL;
    if (out && (rc = cli_output_open(CMD, out, &fo)) != CLI_OK)
        return rc;
    xai_status s;
    xai_model *m = NULL;
    xai_dataset *d = NULL, *t = NULL;
    xai_mlp *mlp = NULL;
    xai_lipschitz *lb = NULL;
    float *scale = NULL;
    size_t a = 0, b = 0;
    if ((s = xai_model_load(model, &m)) != XAI_OK || (s = xai_model_mlp(m, &mlp)) != XAI_OK)
        rc = cli_runtime_error(CMD, s);
    if (rc == CLI_OK && (rc = data_args_load(&da, CMD, &d)) == CLI_OK &&
        (rc = data_args_check_model(&da, CMD, d, model, m)) == CLI_OK)
        rc = data_args_rows(CMD, rows, xai_dataset_rows(d), xai_dataset_rows(d), &a, &b);
    size_t D = d ? xai_dataset_features(d) : 0;
    if (rc == CLI_OK && train) {
        data_args ta = da;
        ta.path = train;
        if ((rc = data_args_load(&ta, CMD, &t)) == CLI_OK && xai_dataset_features(t) != D) {
            fprintf(stderr, "xai " CMD ": error: %s has %zu features, %s has %zu\n", train,
                    xai_dataset_features(t), da.path, D);
            rc = CLI_RUNTIME_ERROR;
        }
        if (rc == CLI_OK && !(scale = malloc(D * sizeof *scale)))
            rc = CLI_RUNTIME_ERROR;
        for (size_t j = 0; rc == CLI_OK && j < D; j++) {
            const xai_column_stats *st = xai_dataset_stats(t, j);
            scale[j] = st->max > st->min ? (float)(st->max - st->min) : 1.0f;
        }
    }
    if (rc == CLI_OK && !(lb = malloc((b - a) * sizeof *lb))) {
        fprintf(stderr, "xai " CMD ": error: out of memory\n");
        rc = CLI_RUNTIME_ERROR;
    }
    if (rc == CLI_OK &&
        (s = xai_lipschitz_bounds(m, mlp, (int32_t)desired, scale, xai_dataset_row(d, a),
                                  b - a, radius, (uint32_t)samples, (uint64_t)seed, lb)) !=
            XAI_OK)
        rc = cli_runtime_error(CMD, s);
    if (rc == CLI_OK) {
        FILE *f = fo ? xai_outfile_stream(fo) : stdout;
        fprintf(f, "row,lower,upper,upper_norms,upper_interval,unstable\n");
        for (size_t i = 0; i < b - a; i++)
            fprintf(f, "%zu,%.9g,%.9g,%.9g,%.9g,%u\n", a + i, lb[i].lower, lb[i].upper,
                    lb[i].upper_norms, lb[i].upper_interval, lb[i].unstable);
        if (fo) {
            s = xai_outfile_commit(fo);
            fo = NULL;
            if (s != XAI_OK)
                rc = cli_runtime_error(CMD, s);
        }
    }
    xai_outfile_abort(fo);
    free(lb);
    free(scale);
    xai_mlp_free(mlp);
    xai_dataset_free(t);
    xai_dataset_free(d);
    xai_model_free(m);
    return rc;
}

const cli_command cli_cmd_lipschitz = {
    CMD, "certified local Lipschitz bounds of an MLP around each row",
    "usage: xai lipschitz --model M --data D --radius R [--train TRAIN]\n"
    "         [--label NAME] [--rows A:B] [--samples N] [--seed S] [--desired 0|1]\n"
    "         [--out L.csv] [--force]\n\n"
    "For each row x, bounds L = max ||grad m(z)||_2 over the ball |z - x| <= R,\n"
    "m the probability of the desired class of an MLP with one sigmoid output\n"
    "(dense layers with ReLU, LeakyReLU, Sigmoid, Tanh; input standardisation\n"
    "inside the graph is fine).  With --train, z and R are in units of each\n"
    "feature's training range; without, in the model's units.\n"
    "  upper  certified: interval bounds over the ball fix stable ReLUs and\n"
    "         slope ranges; min(product of slope-scaled weight norms, backward\n"
    "         interval Jacobian) x the final sigmoid's largest slope\n"
    "  lower  the largest gradient norm at the centre and N points drawn\n"
    "         uniformly in the ball (default 1000)\n"
    "Prints row,lower,upper,upper_norms,upper_interval,unstable (unstable:\n"
    "hidden units whose slope is not fixed on the ball), or writes --out\n"
    "(checked before anything is loaded: never an input, a FIFO, a device or a\n"
    "symbolic link; written whole or not at all).\n"
    "  --force              write --out even if its extension names another\n"
    "                       format\n"
    "  -h, --help           this help\n",
    run};
