/* cli/cmd_explain.c: `xai explain`: attributions of chosen rows by one or more
 * methods, written as CSV or JSON (with diagnostics and the settings used).
 * The file is written to a temporary name in the same directory and renamed
 * at the end.  --png DIR adds heatmap overlays of image rows
 * (reports/overlay.h). */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "core/json_out.h"
#include "data_args.h"
#include "outputs.h"
#include "row_driver.h"
#include "shard.h"
#include "stats_file.h"
#include "reports/overlay.h"

#define CMD "explain"
#define MAX_METHODS 16

static const char help_text[] =
    "usage: xai explain --model M --data D --method m1,m2,... --out FILE [options]\n"
    "\n"
    "Explains rows of D with each method and writes FILE: .csv has the header\n"
    "row,method,target,<feature names> and one line per (row, method); .json\n"
    "adds the settings used and per-explanation diagnostics (surrogate R^2,\n"
    "completeness gap |sum(phi) - (f(x) - f(baseline))|, model evaluations,\n"
    "seconds).  Images have one column per pixel c_y_x.\n"
    "\n"
    "Every method is a local function approximation: a linear g fitted to the\n"
    "model f around x over a neighbourhood Z under a loss:\n"
    "  lime                 binary masks (units off -> baseline), kernel\n"
    "                       exp(-d^2/(2 w^2)), d^2 = units off, w = 0.75 sqrt(M);\n"
    "                       weighted least squares with intercept; 1000 samples\n"
    "  c-lime               x + N(0, sigma^2) (sigma 0.1 of each column's std),\n"
    "                       least squares on z - x; 1000 samples\n"
    "  kernelshap           Shapley-kernel coalitions, least squares with\n"
    "                       sum(phi) = f(x) - f(baseline); 2M + 2048 coalitions;\n"
    "                       exact (all 2^M - 2 coalitions) when they fit,\n"
    "                       otherwise complete small sizes + paired samples\n"
    "  occlusion            phi_u = f(x) - f(x with unit u at the baseline);\n"
    "                       images: sliding windows (--window, --stride)\n"
    "  gradient             d f_target / dx at x\n"
    "  gradient-x-input     x * gradient\n"
    "  smoothgrad           mean gradient over 50 copies x + N(0, sigma^2),\n"
    "                       sigma 0.15 of each column's std (images: of the\n"
    "                       value range)\n"
    "  integrated-gradients (x - b) * integral of the gradient on the path from\n"
    "                       b to x; 50 Gauss-Legendre points (or --ig-rule\n"
    "                       trapezoid)\n"
    "  custom               --neighbourhood masks|onehot|gaussian[:SIGMA]|point|\n"
    "                       path  --loss function|gradient  --kernel uniform|\n"
    "                       exp[:WIDTH]|shapley  --grad-scale none|input|delta\n"
    "  grad-cam             convolutional image models: Grad-CAM at --layer\n"
    "                       (default: the last conv layer with spatial size\n"
    "                       above 1x1): channel weights = spatial mean of the\n"
    "                       gradients at x, map = ReLU(sum_c w_c A_c), bilinear\n"
    "                       upsampling to the image (alias gradcam)\n"
    "  grad-cam++           Grad-CAM++ at x (alias gradcam++)\n"
    "  smooth-gradcam++     convolutional image models: Grad-CAM++ at --layer\n"
    "                       (default: the last conv layer with spatial size\n"
    "                       above 1x1); activations A and gradients G averaged\n"
    "                       over 25 copies x + N(0, sigma^2), sigma 0.15 of the\n"
    "                       value range; weights from mean G, G^2, G^3; ReLU;\n"
    "                       bilinear upsampling to the image.  --sigma 0 is one\n"
    "                       copy: Grad-CAM++.  Explains the --output kind; use\n"
    "                       --output score (Grad-CAM++ assumes the pre-softmax\n"
    "                       score)\n"
    "  treeshap             tree models: exact Shapley values of the margin\n"
    "                       (log-odds) in polynomial time; path-dependent\n"
    "                       (cover-weighted, baseline tree-path, its default)\n"
    "                       or interventional with --baseline/--background (the\n"
    "                       game kernelshap samples with that baseline)\n"
    "Units: one-hot groups (--groups) are single units for the mask methods;\n"
    "images use square patches (--patch, default about 8 x 8 patches).  A\n"
    "unit's attribution is spread equally over its features.  Models without\n"
    "exact gradients use central finite differences (reported).\n"
    "\n"
    "options:\n"
    "  --model M            ONNX model (or plugin:LIB.so)\n"
    DATA_ARGS_HELP
    "  --rows A:B           rows A..B-1 (0-based; A: or :B allowed); default all\n"
    "  --method LIST        comma-separated methods (required)\n"
    "  --target K|pred|all  output explained (default pred: the arg-max); all:\n"
    "                       every output in turn, one line per (row, method,\n"
    "                       target), --png files row<R>_<method>_t<K>.png\n"
    "  --output prob|score  explain probabilities (default) or pre-activation;\n"
    "                       tree models: score (the margin) by default\n"
    "  --samples N          samples / coalitions / path points (default per method)\n"
    "  --baseline B         zero | mean (default) | row:I | background:K (K rows\n"
    "                       drawn with the seed; masked and path inputs are\n"
    "                       averaged over them) | tree-path (treeshap only, its\n"
    "                       default: path-dependent TreeSHAP)\n"
    "  --background FILE    every row of FILE (a CSV with the data's columns,\n"
    "                       read with the same --label/--groups/--scale) is a\n"
    "                       background row, as background:K\n"
    "  --sigma S            noise as a fraction of std (images: value range)\n"
    "  --ig-rule gl|trapezoid\n"
    "  --kernel-width W     LIME kernel width (default 0.75 sqrt(M))\n"
    "  --ridge R            ridge added to the least squares (default 0)\n"
    "  --patch P, --window W, --stride S   image units and occlusion windows\n"
    "  --layer NAME         smooth-gradcam++: the C x H x W tensor explained\n"
    "  --seed S             random seed (default 0); row i uses stream (S, i),\n"
    "                       so output is identical for any --threads\n"
    "  --threads T          worker threads (default: all cores; per rank under\n"
    "                       mpirun)\n"
    "  --chunk-rows N       rows read and explained at a time (default 1024): a\n"
    "                       CSV file is streamed, memory does not grow with its\n"
    "                       rows; 0 reads the data whole first (as do PNG data,\n"
    "                       standard input, --png, row:I and background:K)\n"
    "  --stats FILE         the column means and stds (baseline mean, noise\n"
    "                       scales) from FILE, written by `xai stats`, instead of\n"
    "                       a first pass over the data\n"
    "Under mpirun (README: Running on a cluster) every chunk's rows are split\n"
    "over the ranks and rank 0 writes FILE: the same bytes as one process.\n"
    "  --no-timing          write null for seconds (byte-identical JSON)\n"
    "  --out FILE           .csv or .json (required); '-': standard output\n"
    "  --format csv|json    the format of --out (default: from its extension)\n"
    "  --force              write --out even if its extension names another\n"
    "                       format\n"
    "  --png DIR            images: also write DIR/row<R>_input.png and, per\n"
    "                       method, DIR/row<R>_<method>.png: the input upscaled\n"
    "                       (nearest neighbour, short side >= 128 px), greyed,\n"
    "                       with the attributions blended over it: viridis from\n"
    "                       0 to the maximum for smooth-gradcam++, blue-white-red\n"
    "                       symmetric around 0 for the signed methods (DIR is\n"
    "                       created if missing)\n";

typedef struct args {
    const char *model, *out, *rows, *methods, *target, *baseline, *png_dir, *format;
    const char *background; /* --background FILE */
    const char *stats;      /* --stats FILE */
    long long chunk_rows;   /* --chunk-rows; 0: read the data whole */
    data_args data;
    xai_explain_options o;
    int threads, no_timing, custom_given, force, png_dir_made;
    /* given on the command line (an option no chosen method uses is an error) */
    int output_given, sigma_given, kwidth_given, igrule_given, unit_given, target_all;
    /* --neighbourhood gaussian:S and --kernel exp:W: custom only (they used
     * to leak into lime's width and c-lime's sigma) */
    int custom_sigma_given, custom_width_given;
    double custom_sigma, custom_width;
} args;

enum {
    OPT_MODEL = 1, OPT_ROWS, OPT_METHOD, OPT_TARGET, OPT_OUTPUT, OPT_SAMPLES,
    OPT_BASELINE, OPT_SIGMA, OPT_IG_RULE, OPT_KWIDTH, OPT_RIDGE, OPT_PATCH,
    OPT_WINDOW, OPT_STRIDE, OPT_SEED, OPT_THREADS, OPT_NO_TIMING, OPT_OUT,
    OPT_NBHD, OPT_LOSS, OPT_KERNEL, OPT_GSCALE, OPT_LAYER, OPT_PNG, OPT_HELP,
    OPT_FORCE, OPT_FORMAT, OPT_BACKGROUND, OPT_STATS, OPT_CHUNK
};

static int parse_double(const char *arg, const char *name, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(arg, &end);
    /* strict: no leading blanks, hexadecimal, overflow or trailing bytes */
    if (end == arg || *end || errno || !isfinite(v) || isspace((unsigned char)arg[0]) ||
        strpbrk(arg, "xX"))
        return cli_usage_error(CMD, "%s wants a number, got '%s'", name, arg);
    *out = v;
    return CLI_OK;
}

static int parse_custom(args *a, int opt, const char *arg)
{
    xai_explain_options *o = &a->o;
    a->custom_given = 1;
    if (opt == OPT_NBHD) {
        const char *colon = strchr(arg, ':');
        size_t n = colon ? (size_t)(colon - arg) : strlen(arg);
        static const char *const names[] = {"masks", "onehot", "gaussian", "point",
                                            "path"};
        for (int k = 0; k < 5; k++)
            if (strlen(names[k]) == n && strncmp(arg, names[k], n) == 0) {
                o->custom.neighbourhood = (xai_neighbourhood)k;
                if (colon && k != XAI_NBHD_GAUSSIAN)
                    break;
                if (!colon)
                    return CLI_OK;
                if (parse_double(colon + 1, "--neighbourhood gaussian:", &a->custom_sigma) !=
                    CLI_OK)
                    return CLI_USAGE_ERROR;
                a->custom_sigma_given = 1;
                if (a->custom_sigma < 0) /* as --sigma */
                    return cli_usage_error(CMD, "--neighbourhood gaussian:SIGMA must "
                                           "be >= 0, got '%s'", colon + 1);
                return CLI_OK;
            }
        return cli_usage_error(CMD, "--neighbourhood wants masks, onehot, "
                               "gaussian[:SIGMA], point or path, got '%s'", arg);
    }
    if (opt == OPT_LOSS) {
        if (strcmp(arg, "function") == 0)
            o->custom.loss = XAI_LOSS_FUNCTION;
        else if (strcmp(arg, "gradient") == 0)
            o->custom.loss = XAI_LOSS_GRADIENT;
        else
            return cli_usage_error(CMD, "--loss wants function or gradient, got '%s'", arg);
        return CLI_OK;
    }
    if (opt == OPT_KERNEL) {
        if (strcmp(arg, "uniform") == 0)
            o->custom.kernel = XAI_KERNEL_UNIFORM;
        else if (strcmp(arg, "shapley") == 0)
            o->custom.kernel = XAI_KERNEL_SHAPLEY;
        else if (strncmp(arg, "exp", 3) == 0 && (arg[3] == 0 || arg[3] == ':')) {
            o->custom.kernel = XAI_KERNEL_EXPONENTIAL;
            if (arg[3] == ':') {
                if (parse_double(arg + 4, "--kernel exp:", &a->custom_width) != CLI_OK)
                    return CLI_USAGE_ERROR;
                a->custom_width_given = 1;
                if (!(a->custom_width > 0)) /* as --kernel-width */
                    return cli_usage_error(CMD, "--kernel exp:WIDTH must be positive, "
                                           "got '%s'", arg + 4);
            }
        } else
            return cli_usage_error(CMD, "--kernel wants uniform, exp[:WIDTH] or "
                                   "shapley, got '%s'", arg);
        return CLI_OK;
    }
    if (strcmp(arg, "none") == 0)
        o->custom.scale = XAI_SCALE_NONE;
    else if (strcmp(arg, "input") == 0)
        o->custom.scale = XAI_SCALE_INPUT;
    else if (strcmp(arg, "delta") == 0)
        o->custom.scale = XAI_SCALE_DELTA;
    else
        return cli_usage_error(CMD, "--grad-scale wants none, input or delta, got '%s'", arg);
    return CLI_OK;
}

static int parse_args(int argc, char **argv, args *a)
{
    static const struct option longopts[] = {
        {"model", required_argument, NULL, OPT_MODEL},
        {"rows", required_argument, NULL, OPT_ROWS},
        {"method", required_argument, NULL, OPT_METHOD},
        {"target", required_argument, NULL, OPT_TARGET},
        {"output", required_argument, NULL, OPT_OUTPUT},
        {"samples", required_argument, NULL, OPT_SAMPLES},
        {"baseline", required_argument, NULL, OPT_BASELINE},
        {"sigma", required_argument, NULL, OPT_SIGMA},
        {"ig-rule", required_argument, NULL, OPT_IG_RULE},
        {"kernel-width", required_argument, NULL, OPT_KWIDTH},
        {"ridge", required_argument, NULL, OPT_RIDGE},
        {"patch", required_argument, NULL, OPT_PATCH},
        {"window", required_argument, NULL, OPT_WINDOW},
        {"stride", required_argument, NULL, OPT_STRIDE},
        {"seed", required_argument, NULL, OPT_SEED},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"no-timing", no_argument, NULL, OPT_NO_TIMING},
        {"out", required_argument, NULL, OPT_OUT},
        {"neighbourhood", required_argument, NULL, OPT_NBHD},
        {"neighborhood", required_argument, NULL, OPT_NBHD},
        {"loss", required_argument, NULL, OPT_LOSS},
        {"kernel", required_argument, NULL, OPT_KERNEL},
        {"grad-scale", required_argument, NULL, OPT_GSCALE},
        {"layer", required_argument, NULL, OPT_LAYER},
        {"png", required_argument, NULL, OPT_PNG},
        {"help", no_argument, NULL, OPT_HELP},
        {"force", no_argument, NULL, OPT_FORCE},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"background", required_argument, NULL, OPT_BACKGROUND},
        {"stats", required_argument, NULL, OPT_STATS},
        {"chunk-rows", required_argument, NULL, OPT_CHUNK},
        DATA_ARGS_LONG_OPTIONS,
        {NULL, 0, NULL, 0}};
    a->o = xai_explain_options_default();
    a->chunk_rows = ROW_DRIVER_CHUNK;
    optind = 1;
    opterr = 0;
    int c, rc;
    long long v;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        int d = data_args_parse(&a->data, CMD, c, optarg);
        if (d < 0)
            return CLI_USAGE_ERROR;
        if (d > 0)
            continue;
        rc = CLI_OK;
        switch (c) {
        case OPT_MODEL: a->model = optarg; break;
        case OPT_ROWS: a->rows = optarg; break;
        case OPT_METHOD: a->methods = optarg; break;
        case OPT_TARGET: a->target = optarg; break;
        case OPT_BASELINE: a->baseline = optarg; break;
        case OPT_OUT: a->out = optarg; break;
        case OPT_LAYER: a->o.layer = optarg; break;
        case OPT_PNG: a->png_dir = optarg; break;
        case OPT_NO_TIMING: a->no_timing = 1; break;
        case OPT_FORCE: a->force = 1; break;
        case OPT_BACKGROUND: a->background = optarg; break;
        case OPT_STATS: a->stats = optarg; break;
        case OPT_CHUNK:
            rc = cli_parse_int(CMD, optarg, "--chunk-rows", 0, 1 << 24, &a->chunk_rows);
            break;
        case OPT_FORMAT:
            if (strcmp(optarg, "csv") != 0 && strcmp(optarg, "json") != 0)
                rc = cli_usage_error(CMD, "--format wants csv or json, got '%s'", optarg);
            a->format = optarg;
            break;
        case OPT_OUTPUT:
            a->output_given = 1;
            if (strcmp(optarg, "prob") == 0)
                a->o.output = XAI_OUTPUT_PROB;
            else if (strcmp(optarg, "score") == 0)
                a->o.output = XAI_OUTPUT_SCORE;
            else
                rc = cli_usage_error(CMD, "--output wants prob or score, got '%s'", optarg);
            break;
        case OPT_SAMPLES:
            if ((rc = cli_parse_int(CMD, optarg, "--samples", 1, 1 << 30, &v)) == CLI_OK)
                a->o.samples = v;
            break;
        case OPT_SIGMA:
            a->sigma_given = 1;
            if ((rc = parse_double(optarg, "--sigma", &a->o.sigma)) == CLI_OK &&
                a->o.sigma < 0)
                rc = cli_usage_error(CMD, "--sigma must be >= 0, got '%s'", optarg);
            break;
        case OPT_IG_RULE:
            a->igrule_given = 1;
            if (strcmp(optarg, "gl") == 0 || strcmp(optarg, "gauss-legendre") == 0)
                a->o.ig_rule = XAI_IG_GAUSS_LEGENDRE;
            else if (strcmp(optarg, "trapezoid") == 0)
                a->o.ig_rule = XAI_IG_TRAPEZOID;
            else
                rc = cli_usage_error(CMD, "--ig-rule wants gl or trapezoid, got '%s'", optarg);
            break;
        case OPT_KWIDTH:
            a->kwidth_given = 1;
            if ((rc = parse_double(optarg, "--kernel-width", &a->o.kernel_width)) == CLI_OK &&
                !(a->o.kernel_width > 0))
                rc = cli_usage_error(CMD, "--kernel-width must be positive");
            break;
        case OPT_RIDGE:
            if ((rc = parse_double(optarg, "--ridge", &a->o.ridge)) == CLI_OK && a->o.ridge < 0)
                rc = cli_usage_error(CMD, "--ridge must be >= 0");
            break;
        case OPT_PATCH:
        case OPT_WINDOW:
        case OPT_STRIDE:
            a->unit_given = 1;
            if ((rc = cli_parse_int(CMD, optarg, c == OPT_PATCH ? "--patch" : c == OPT_WINDOW
                                ? "--window" : "--stride", 1, 1 << 20, &v)) == CLI_OK)
                *(c == OPT_PATCH ? &a->o.patch : c == OPT_WINDOW ? &a->o.window
                                                                  : &a->o.stride) = (int32_t)v;
            break;
        case OPT_SEED:
            if ((rc = cli_parse_int(CMD, optarg, "--seed", 0, INT64_MAX, &v)) == CLI_OK)
                a->o.seed = (uint64_t)v;
            break;
        case OPT_THREADS:
            if ((rc = cli_parse_int(CMD, optarg, "--threads", 1, 1024, &v)) == CLI_OK)
                a->threads = (int)v;
            break;
        case OPT_NBHD:
        case OPT_LOSS:
        case OPT_KERNEL:
        case OPT_GSCALE:
            rc = parse_custom(a, c, optarg);
            break;
        case OPT_HELP:
        case 'h':
            fputs(help_text, stdout);
            exit(CLI_OK);
        default:
            rc = cli_usage_error(CMD, "unknown or incomplete option '%s'", argv[optind - 1]);
        }
        if (rc != CLI_OK)
            return rc;
    }
    if (optind < argc)
        return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
    if (!a->model)
        return cli_usage_error(CMD, "--model is required");
    if (!a->methods)
        return cli_usage_error(CMD, "--method is required (e.g. kernelshap,gradient)");
    if (!a->out)
        return cli_usage_error(CMD, "--out is required (FILE.csv or FILE.json)");
    return CLI_OK;
}

/* The class-activation-map methods (unsigned maps at a conv layer). */
static int is_cam(xai_method m)
{
    return m == XAI_METHOD_SMOOTH_GRADCAM_PP || m == XAI_METHOD_GRADCAM ||
           m == XAI_METHOD_GRADCAM_PP;
}

/* Every option given is used by some chosen method (none ignored silently). */
static int check_method_options(const args *a, const xai_method *ms, size_t nm)
{
    int custom = 0, noise = 0, width = 0, ig = 0, sampled = 0;
    for (size_t k = 0; k < nm; k++) {
        xai_method m = ms[k];
        sampled |= m != XAI_METHOD_TREESHAP;
        custom |= m == XAI_METHOD_CUSTOM;
        noise |= m == XAI_METHOD_CLIME || m == XAI_METHOD_SMOOTHGRAD ||
                 m == XAI_METHOD_SMOOTH_GRADCAM_PP || m == XAI_METHOD_CUSTOM;
        width |= m == XAI_METHOD_LIME || m == XAI_METHOD_CUSTOM;
        ig |= m == XAI_METHOD_INTEGRATED_GRADIENTS || m == XAI_METHOD_CUSTOM;
    }
    if (custom && !a->custom_given)
        return cli_usage_error(CMD, "--method custom needs at least one of "
                               "--neighbourhood, --loss, --kernel or --grad-scale (the "
                               "others default to gaussian, function, uniform, none)");
    if (!custom && a->custom_given)
        return cli_usage_error(CMD, "--neighbourhood, --loss, --kernel and --grad-scale "
                               "apply to --method custom only");
    if (a->o.samples != XAI_AUTO && !sampled)
        return cli_usage_error(CMD, "--samples: treeshap is exact and samples nothing");
    if (a->sigma_given && !noise)
        return cli_usage_error(CMD, "--sigma: none of the methods adds noise (c-lime, "
                               "smoothgrad, smooth-gradcam++ and custom do)");
    if (a->kwidth_given && !width)
        return cli_usage_error(CMD, "--kernel-width applies to lime (and custom "
                               "--kernel exp) only");
    if (a->igrule_given && !ig)
        return cli_usage_error(CMD, "--ig-rule applies to integrated-gradients (and "
                               "custom --neighbourhood path) only");
    return CLI_OK;
}

static int ends_with(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && strcasecmp(s + n - m, suf) == 0;
}

static int parse_methods(const char *list, xai_method *ms, size_t *n)
{
    char buf[512];
    if (strlen(list) >= sizeof buf)
        return cli_usage_error(CMD, "--method list too long");
    strcpy(buf, list);
    *n = 0;
    for (char *save, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (*n == MAX_METHODS)
            return cli_usage_error(CMD, "at most %d methods", MAX_METHODS);
        if (xai_method_lookup(tok, &ms[*n]) != XAI_OK)
            return cli_usage_error(CMD, "%s", xai_last_error());
        (*n)++;
    }
    if (*n == 0)
        return cli_usage_error(CMD, "--method names no method");
    return CLI_OK;
}

/* The explain context of a dataset; owns copies of stats and background. */
typedef struct ctx_store {
    xai_explain_context c;
    xai_column_stats *stats;
    float *background;
} ctx_store;

/* --background FILE: every row of FILE (read with the data's options, same
 * columns) is a background row, as shap's maskers take them. */
static int load_background(const args *a, const xai_dataset *ds, ctx_store *st)
{
    data_args da = a->data;
    da.path = a->background;
    xai_dataset *bg = NULL;
    int rc = data_args_load(&da, CMD, &bg);
    if (rc != CLI_OK)
        return rc;
    size_t D = xai_dataset_features(ds), n = xai_dataset_rows(bg);
    if (xai_dataset_features(bg) != D) {
        fprintf(stderr, "xai explain: error: --background %s has %zu features but the "
                "data %s has %zu\n", a->background, xai_dataset_features(bg),
                a->data.path, D);
        xai_dataset_free(bg);
        return CLI_RUNTIME_ERROR;
    }
    for (size_t j = 0; j < D; j++)
        if (strcmp(xai_dataset_feature_name(bg, j), xai_dataset_feature_name(ds, j)) != 0) {
            fprintf(stderr, "xai explain: error: --background %s: column %zu is '%s' but "
                    "the data's is '%s'\n", a->background, j + 1,
                    xai_dataset_feature_name(bg, j), xai_dataset_feature_name(ds, j));
            xai_dataset_free(bg);
            return CLI_RUNTIME_ERROR;
        }
    if (!(st->background = malloc(n * D * sizeof *st->background))) {
        xai_dataset_free(bg);
        fprintf(stderr, "xai explain: error: out of memory (background)\n");
        return CLI_RUNTIME_ERROR;
    }
    memcpy(st->background, xai_dataset_values(bg), n * D * sizeof *st->background);
    st->c.background = st->background;
    st->c.n_background = n;
    xai_dataset_free(bg);
    return CLI_OK;
}

/* stats: the column statistics (taken over; NULL: ds's own). */
static int build_context(const args *a, const xai_dataset *ds, xai_column_stats *stats,
                         ctx_store *st)
{
    size_t D = xai_dataset_features(ds), R = xai_dataset_rows(ds);
    memset(st, 0, sizeof *st);
    st->c.n_features = D;
    st->stats = stats ? stats : malloc(D * sizeof *st->stats);
    if (!st->stats) {
        fprintf(stderr, "xai explain: out of memory\n");
        return CLI_RUNTIME_ERROR;
    }
    for (size_t j = 0; !stats && j < D; j++)
        st->stats[j] = *xai_dataset_stats(ds, j);
    st->c.stats = st->stats;
    if (xai_dataset_group_count(ds) < D) {
        st->c.groups = xai_dataset_feature_groups(ds);
        st->c.n_groups = xai_dataset_group_count(ds);
    }
    xai_dataset_image_shape(ds, &st->c.image_c, &st->c.image_h, &st->c.image_w);
    const char *b = a->baseline;
    long long v;
    if (a->background)
        return load_background(a, ds, st);
    if (!b || strcmp(b, "mean") == 0 || strcmp(b, "zero") == 0 ||
        strcmp(b, "tree-path") == 0) {
        return CLI_OK; /* baseline_kind() carries these */
    } else if (strncmp(b, "row:", 4) == 0) {
        if (cli_parse_int(CMD, b + 4, "--baseline row:", 0, (long long)R - 1, &v) != CLI_OK)
            return CLI_USAGE_ERROR;
        st->c.baseline_row = xai_dataset_row(ds, (size_t)v);
    } else if (strncmp(b, "background:", 11) == 0) {
        if (cli_parse_int(CMD, b + 11, "--baseline background:", 1,
                      (long long)(R < 100000 ? R : 100000), &v) != CLI_OK)
            return CLI_USAGE_ERROR;
        /* K distinct rows drawn from stream (seed, 2^63) */
        uint32_t *pick = malloc((size_t)v * sizeof *pick);
        st->background = malloc((size_t)v * D * sizeof *st->background);
        xai_rng rng;
        xai_rng_init(&rng, a->o.seed, (uint64_t)1 << 63);
        if (!pick || !st->background ||
            xai_rng_choose(&rng, (uint32_t)R, (uint32_t)v, pick) != XAI_OK) {
            free(pick);
            fprintf(stderr, "xai explain: out of memory (background)\n");
            return CLI_RUNTIME_ERROR;
        }
        for (long long k = 0; k < v; k++)
            memcpy(st->background + (size_t)k * D, xai_dataset_row(ds, pick[k]),
                   D * sizeof *st->background);
        free(pick);
        st->c.background = st->background;
        st->c.n_background = (size_t)v;
    } else {
        return cli_usage_error(CMD, "--baseline wants zero, mean, row:I, "
                               "background:K or tree-path, got '%s'", b);
    }
    return CLI_OK;
}

static xai_baseline_kind baseline_kind(const char *b)
{
    if (!b || strcmp(b, "mean") == 0)
        return XAI_BASELINE_MEAN;
    if (strcmp(b, "zero") == 0)
        return XAI_BASELINE_ZERO;
    if (strcmp(b, "tree-path") == 0)
        return XAI_BASELINE_TREE_PATH;
    if (strncmp(b, "row:", 4) == 0)
        return XAI_BASELINE_ROW;
    return XAI_BASELINE_BACKGROUND;
}

/* ---- writers ---- */

static void csv_field(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void json_string(FILE *f, const char *s) { xai_json_string(f, s); }
static void json_number(FILE *f, double v) { xai_json_number(f, v, 9); }

static const char *nbhd_names[] = {"masks", "onehot", "gaussian", "point", "path", "user"};
static const char *kernel_names[] = {"default", "uniform", "exponential", "shapley"};
static const char *scale_names[] = {"none", "input", "delta"};

static void json_settings(FILE *f, const xai_explain_options *r, const args *a)
{
    static const char *const base[] = {"mean", "zero", "row", "background",
                                       "tree-path"};
    fprintf(f, "{\"neighbourhood\": \"%s\", \"loss\": \"%s\", \"kernel\": \"%s\", "
               "\"grad_scale\": \"%s\", \"samples\": %lld, \"baseline\": ",
            nbhd_names[r->custom.neighbourhood],
            r->custom.loss == XAI_LOSS_GRADIENT ? "gradient" : "function",
            kernel_names[r->custom.kernel], scale_names[r->custom.scale],
            (long long)r->samples);
    json_string(f, a->baseline ? a->baseline : base[r->baseline]);
    fprintf(f, ", \"sigma\": ");
    json_number(f, r->sigma);
    fprintf(f, ", \"kernel_width\": ");
    json_number(f, r->kernel_width);
    fprintf(f, ", \"ridge\": ");
    json_number(f, r->ridge);
    if (r->target == XAI_TARGET_PRED)
        fprintf(f, ", \"target\": \"pred\"");
    else
        fprintf(f, ", \"target\": %d", (int)r->target);
    fprintf(f, ", \"ig_rule\": \"%s\", \"output\": \"%s\", \"seed\": %llu",
            r->ig_rule == XAI_IG_TRAPEZOID ? "trapezoid" : "gauss-legendre",
            r->output == XAI_OUTPUT_SCORE ? "score" : "prob",
            (unsigned long long)r->seed);
    if (r->patch)
        fprintf(f, ", \"patch\": %d, \"window\": %d, \"stride\": %d", (int)r->patch,
                (int)r->window, (int)r->stride);
    if (is_cam(r->method)) {
        fprintf(f, ", \"layer\": "); /* resolved: named even by default */
        json_string(f, r->layer);
    }
    fputc('}', f);
}

typedef struct writer {
    FILE *f;
    int json;
    size_t n_written;
    const xai_dataset *ds;
    int no_timing;
} writer;

static void write_header(writer *w, const args *a, const xai_method *ms,
                         const xai_explain_options *res, size_t nm, size_t r0,
                         size_t r1)
{
    size_t D = xai_dataset_features(w->ds);
    if (!w->json) {
        fputs("row,method,target", w->f);
        for (size_t j = 0; j < D; j++) {
            fputc(',', w->f);
            csv_field(w->f, xai_dataset_feature_name(w->ds, j));
        }
        fputc('\n', w->f);
        return;
    }
    fprintf(w->f, "{\n  \"xai_version\": \"%s\",\n  \"model\": ", xai_version());
    json_string(w->f, a->model);
    fprintf(w->f, ",\n  \"data\": ");
    json_string(w->f, xai_dataset_source(w->ds));
    fprintf(w->f, ",\n  \"rows\": [%zu, %zu],\n  \"features\": [", r0, r1);
    for (size_t j = 0; j < D; j++) {
        fputs(j ? ", " : "", w->f);
        json_string(w->f, xai_dataset_feature_name(w->ds, j));
    }
    fprintf(w->f, "],\n  \"methods\": [\n");
    for (size_t k = 0; k < nm; k++) {
        fprintf(w->f, "    {\"name\": \"%s\", \"settings\": ", xai_method_name(ms[k]));
        json_settings(w->f, &res[k], a);
        fprintf(w->f, "}%s\n", k + 1 < nm ? "," : "");
    }
    fprintf(w->f, "  ],\n  \"explanations\": [");
}

static void write_one(writer *w, size_t row, xai_method m, const float *phi,
                      const xai_explain_diag *d)
{
    size_t D = xai_dataset_features(w->ds);
    if (!w->json) {
        fprintf(w->f, "%zu,%s,%d", row, xai_method_name(m), (int)d->target);
        for (size_t j = 0; j < D; j++)
            fprintf(w->f, ",%.9g", phi[j]);
        fputc('\n', w->f);
        return;
    }
    fprintf(w->f, "%s\n    {\"row\": %zu, \"method\": \"%s\", \"target\": %d, \"phi\": [",
            w->n_written ? "," : "", row, xai_method_name(m), (int)d->target);
    for (size_t j = 0; j < D; j++)
        fprintf(w->f, j ? ", %.9g" : "%.9g", phi[j]);
    fprintf(w->f, "],\n     \"diagnostics\": {\"f_x\": ");
    json_number(w->f, d->fx);
    fprintf(w->f, ", \"f_baseline\": ");
    json_number(w->f, d->fbaseline);
    fprintf(w->f, ", \"intercept\": ");
    json_number(w->f, d->intercept);
    fprintf(w->f, ", \"r2\": ");
    json_number(w->f, d->r2);
    fprintf(w->f, ", \"completeness_gap\": ");
    json_number(w->f, d->completeness_gap);
    fprintf(w->f, ", \"evaluations\": %llu, \"samples\": %llu, \"seconds\": ",
            (unsigned long long)d->evaluations, (unsigned long long)d->samples);
    json_number(w->f, w->no_timing ? NAN : d->seconds);
    fprintf(w->f, ", \"finite_differences\": %s, \"exact\": %s}}",
            d->finite_differences ? "true" : "false", d->exact ? "true" : "false");
    w->n_written++;
}

/* --png: DIR/row<R>_input.png and DIR/row<R>_<method>.png for rows s..s+n-1
 * of the chunk (phi of method k, row i at (k * chunk + i) * D). */
static int write_pngs(args *a, const xai_dataset *ds, const xai_explain_context *c,
                      const xai_method *ms, const xai_explain_options *res, size_t nm, size_t s, size_t n, size_t chunk,
                      const float *phi)
{
    if (!a->png_dir_made) { /* created with the first file, not before the work */
        if (cli_output_mkdirs(CMD, "--png", a->png_dir) != CLI_OK)
            return CLI_RUNTIME_ERROR;
        a->png_dir_made = 1;
    }
    size_t D = c->n_features, len = strlen(a->png_dir) + 64;
    char *path = malloc(len);
    if (!path) {
        fprintf(stderr, "xai explain: out of memory\n");
        return CLI_RUNTIME_ERROR;
    }
    xai_overlay_image im = {c->image_c, c->image_h, c->image_w, NULL};
    xai_status st = XAI_OK;
    for (size_t i = 0; i < n && st == XAI_OK; i++) {
        im.pixels = xai_dataset_row(ds, s + i);
        snprintf(path, len, "%s/row%zu_input.png", a->png_dir, s + i);
        st = xai_overlay_write_png(path, &im, NULL, XAI_CMAP_AUTO);
        for (size_t k = 0; k < nm && st == XAI_OK; k++) {
            /* Grad-CAM maps are unsigned (ReLU); the others signed */
            xai_cmap cm = is_cam(ms[k]) ? XAI_CMAP_SEQUENTIAL
                                                               : XAI_CMAP_DIVERGING;
            if (a->target_all) /* one map per class */
                snprintf(path, len, "%s/row%zu_%s_t%d.png", a->png_dir, s + i,
                         xai_method_name(ms[k]), (int)res[k].target);
            else
                snprintf(path, len, "%s/row%zu_%s.png", a->png_dir, s + i,
                         xai_method_name(ms[k]));
            st = xai_overlay_write_png(path, &im, phi + (k * chunk + i) * D, cm);
        }
    }
    free(path);
    return st == XAI_OK ? CLI_OK : cli_runtime_error(CMD, st);
}

/* One rank's share of the rows, as row_driver.h asks. */
typedef struct explain_job {
    args *a;
    const xai_model *m;
    const xai_explain_context *c;
    const xai_method *ms;
    const xai_explain_options *res;
    size_t nm, chunk, r0;
    int check_finite; /* streamed rows: the output check of the whole-data path */
    xai_runner *runner;
    float *phi, *y;
    xai_explain_diag *dg;
    writer w;
} explain_job;

/* The model's output at rows x[0..n) is finite (the check the whole-data
 * path makes before it starts); else the reason in err. */
static int finite_rows(explain_job *j, const float *x, size_t n, size_t row, char *err,
                       size_t cap)
{
    size_t K = xai_model_output_size(j->m);
    if (xai_runner_forward(j->runner, j->res[0].output, x, n, j->y) != XAI_OK) {
        snprintf(err, cap, "%s", xai_last_error());
        return 1;
    }
    for (size_t q = 0; q < n * K; q++)
        if (!isfinite(j->y[q])) {
            snprintf(err, cap, "the model returned a non-finite output (%g, output %zu) "
                     "for row %zu of %s", j->y[q], q % K, row + q / K, j->a->data.path);
            return 1;
        }
    return 0;
}

static int explain_rows(void *user, const xai_dataset *ds, size_t off, size_t n, size_t row,
                        FILE *out, char *err, size_t cap)
{
    explain_job *j = user;
    size_t D = xai_dataset_features(ds), chunk = j->chunk;
    const float *x = xai_dataset_row(ds, off);
    if (j->check_finite && finite_rows(j, x, n, row, err, cap))
        return 1;
    for (size_t k = 0; k < j->nm; k++)
        if (xai_explain_rows(j->m, &j->res[k], j->c, x, n, row, j->phi + k * chunk * D,
                             j->dg + k * chunk, j->a->threads) != XAI_OK) {
            snprintf(err, cap, "%s", xai_last_error());
            return 1;
        }
    j->w.f = out;
    j->w.n_written = row > j->r0; /* the first explanation has no comma */
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < j->nm; k++)
            write_one(&j->w, row + i, j->ms[k], j->phi + (k * chunk + i) * D,
                      &j->dg[k * chunk + i]);
    if (j->a->png_dir && write_pngs(j->a, ds, j->c, j->ms, j->res, j->nm, row, n, chunk,
                                    j->phi) != CLI_OK) {
        snprintf(err, cap, "--png %s: see above", j->a->png_dir);
        return 1;
    }
    return 0;
}

static int run(int argc, char **argv)
{
    args a = {0};
    int rc = parse_args(argc, argv, &a);
    if (rc != CLI_OK)
        return rc;
    if (!a.format) /* standard output: CSV unless --format json */
        a.format = ends_with(a.out, ".json") ? "json"
                   : ends_with(a.out, ".csv") || strcmp(a.out, "-") == 0 ? "csv" : NULL;
    if (!a.format)
        return cli_usage_error(CMD, "--out must end in .csv or .json (or give --format), "
                               "got '%s'", a.out);
    int json = strcmp(a.format, "json") == 0;
    const char *ins[] = {a.model, a.data.path, data_args_groups_file(&a.data), a.background,
                         a.stats};
    const cli_output outs[] = {{"--out", a.out, a.format, 1}, {"--png", a.png_dir, "dir", 0}};
    if ((rc = CLI_CHECK_OUTPUTS(CMD, a.force, ins, outs)) != CLI_OK)
        return rc;
    xai_method ms[MAX_METHODS];
    size_t nm = 0;
    if ((rc = parse_methods(a.methods, ms, &nm)) != CLI_OK)
        return rc;
    if ((rc = check_method_options(&a, ms, nm)) != CLI_OK)
        return rc;
    int cam = 0;
    for (size_t k = 0; k < nm; k++)
        cam |= is_cam(ms[k]);
    if (a.o.layer && !cam)
        return cli_usage_error(CMD, "--layer applies to grad-cam, grad-cam++ and "
                               "smooth-gradcam++ only");
    a.o.baseline = baseline_kind(a.baseline);
    if (a.background && a.baseline)
        return cli_usage_error(CMD, "--background FILE and --baseline %s are two "
                               "baselines; give one", a.baseline);
    if (a.background)
        a.o.baseline = XAI_BASELINE_BACKGROUND;
    if (a.target && strcmp(a.target, "all") == 0) {
        a.target_all = 1;
    } else if (a.target && strcmp(a.target, "pred") != 0) {
        long long v;
        if ((rc = cli_parse_int(CMD, a.target, "--target", 0, INT32_MAX, &v)) != CLI_OK)
            return rc;
        a.o.target = (int32_t)v;
    }

    /* A CSV file is streamed in chunks (memory flat in its rows); what needs
     * rows at random (--png, row:I, background:K) or cannot be read twice
     * (standard input, PNG) reads the data whole. */
    int stream = a.chunk_rows > 0 && data_args_streamable(&a.data) && !a.png_dir &&
                 (!a.baseline || strcmp(a.baseline, "mean") == 0 ||
                  strcmp(a.baseline, "zero") == 0);
    if (a.png_dir && shard_size() > 1)
        return cli_usage_error(CMD, "--png writes files on every rank: run it as one "
                               "process (mpirun -n 1)");
    xai_dataset *ds = NULL; /* the whole data, or its first row when streaming */
    xai_model *m = NULL;
    ctx_store st = {0};
    xai_explain_options *res = NULL;
    xai_method *runs = NULL; /* one (method, target) per run */
    xai_outfile *outf = NULL;
    xai_column_stats *stats = NULL;
    explain_job job = {0};
    size_t n_rows = 0, r0 = 0, r1 = 0, nr = 0, D = 0;
    size_t chunk = (size_t)(a.chunk_rows ? a.chunk_rows : ROW_DRIVER_CHUNK);
    /* the model first: it decides whether the data may hold missing values,
     * and a mismatch is found before any pass over the data */
    if ((rc = data_args_load_model(&a.data, CMD, a.model, &m)) != CLI_OK)
        goto setup_done;
    a.data.allow_missing = xai_model_accepts_missing(m);
    /* a tree ensemble is a sum over trees in its margin: explain that */
    if (xai_model_trees(m) && !a.output_given)
        a.o.output = XAI_OUTPUT_SCORE;
    if ((rc = stream ? data_args_load_head(&a.data, CMD, &ds)
                     : data_args_load(&a.data, CMD, &ds)) != CLI_OK)
        goto setup_done;
    uint32_t ic, ih, iw;
    if (a.png_dir && !xai_dataset_image_shape(ds, &ic, &ih, &iw)) {
        rc = cli_usage_error(CMD, "--png needs image data (PNG files, or CSV "
                             "with --image-shape); '%s' is tabular", a.data.path);
        goto setup_done;
    }
    if (a.unit_given && !xai_dataset_image_shape(ds, &ic, &ih, &iw)) {
        rc = cli_usage_error(CMD, "--patch, --window and --stride apply to image data; "
                             "'%s' is tabular", a.data.path);
        goto setup_done;
    }
    xai_status s;
    if ((rc = data_args_check_model(&a.data, CMD, ds, a.model, m)) != CLI_OK)
        goto setup_done;
    /* the column statistics: --stats FILE, a first streaming pass, or the
     * loaded data's */
    n_rows = xai_dataset_rows(ds);
    if (a.stats) {
        size_t file_rows;
        if ((rc = stats_file_read(CMD, a.stats, ds, &stats, &file_rows)) != CLI_OK)
            goto setup_done;
        if (!stream && file_rows != n_rows) {
            fprintf(stderr, "xai explain: error: --stats %s describes %zu rows but %s "
                    "has %zu\n", a.stats, file_rows, a.data.path, n_rows);
            rc = CLI_RUNTIME_ERROR;
            goto setup_done;
        }
        n_rows = file_rows;
    } else if (stream) {
        xai_csv_options co = data_args_csv_options(&a.data);
        size_t n_features;
        xai_status s1 = xai_dataset_csv_stats(a.data.path, &co, (size_t)a.chunk_rows,
                                              &stats, &n_features, &n_rows);
        if (s1 != XAI_OK) {
            rc = cli_runtime_error(CMD, s1);
            goto setup_done;
        }
    }
    if ((rc = data_args_rows(CMD, a.rows, n_rows, SIZE_MAX, &r0, &r1)) != CLI_OK)
        goto setup_done;
    if (!stream &&
        (rc = data_args_check_finite(&a.data, CMD, m, a.o.output, ds, r0, r1, NULL)) != CLI_OK)
        goto setup_done;
    rc = build_context(&a, ds, stats, &st);
    stats = NULL; /* st owns it */
    if (rc != CLI_OK)
        goto setup_done;
    /* --target all: every method for each output in turn (one line per
     * class, as shap explains multiclass models) */
    size_t nt = a.target_all ? xai_model_output_size(m) : 1;
    nr = nm * nt;
    D = xai_dataset_features(ds);
    res = malloc(nr * sizeof *res);
    runs = malloc(nr * sizeof *runs);
    job.phi = malloc(nr * chunk * D * sizeof *job.phi);
    job.dg = malloc(nr * chunk * sizeof *job.dg);
    job.y = malloc(chunk * xai_model_output_size(m) * sizeof *job.y);
    if (!res || !runs || !job.phi || !job.dg || !job.y ||
        xai_runner_new(m, &job.runner) != XAI_OK) {
        fprintf(stderr, "xai explain: error: out of memory\n");
        rc = CLI_RUNTIME_ERROR;
        goto setup_done;
    }
    for (size_t k = 0; k < nr; k++) {
        xai_explain_options o = a.o;
        o.method = runs[k] = ms[k % nm];
        if (a.target_all)
            o.target = (int32_t)(k / nm);
        if (o.method == XAI_METHOD_TREESHAP && !a.baseline && !a.background)
            o.baseline = XAI_BASELINE_TREE_PATH; /* path-dependent by default */
        if (o.method == XAI_METHOD_CUSTOM && a.custom_sigma_given)
            o.sigma = a.custom_sigma;
        if (o.method == XAI_METHOD_CUSTOM && a.custom_width_given)
            o.kernel_width = a.custom_width;
        if ((s = xai_explain_options_resolve(m, &o, &st.c, &res[k])) != XAI_OK ||
            (s = xai_explain_fit_check(&res[k], &st.c)) != XAI_OK) {
            rc = cli_runtime_error(CMD, s);
            goto setup_done;
        }
    }
    /* rank 0 writes: a temporary file next to the output, renamed at the end */
    if (shard_rank() == 0)
        rc = cli_output_open(CMD, a.out, &outf);
setup_done:
    if ((rc = row_driver_agree(CMD, rc)) != CLI_OK)
        goto out;
    job = (explain_job){.a = &a, .m = m, .c = &st.c, .ms = runs, .res = res, .nm = nr,
                        .chunk = chunk, .r0 = r0, .check_finite = stream,
                        .runner = job.runner, .phi = job.phi, .y = job.y, .dg = job.dg,
                        .w = {.json = json, .ds = ds, .no_timing = a.no_timing}};
    row_job rj = {.cmd = CMD, .r0 = r0, .r1 = r1, .chunk_rows = chunk,
                  .rows = explain_rows, .user = &job, .progress = isatty(2)};
    if (outf) {
        rj.dest = xai_outfile_stream(outf);
        writer w = {.f = rj.dest, .json = json, .ds = ds, .no_timing = a.no_timing};
        write_header(&w, &a, runs, res, nr, r0, r1);
    }
    size_t n_read = 0;
    rc = stream ? row_driver_stream(&rj, &a.data, &n_read) : row_driver_memory(&rj, ds);
    if (rc == CLI_OK && stream && n_read != n_rows) {
        if (shard_rank() == 0)
            fprintf(stderr, "xai explain: error: %s%s describes %zu rows but %s has "
                    "%zu\n", a.stats ? "--stats " : "the first pass over ",
                    a.stats ? a.stats : a.data.path, n_rows, a.data.path, n_read);
        rc = CLI_RUNTIME_ERROR;
    }
    if (outf && rc == CLI_OK) {
        if (json)
            fputs("\n  ]\n}\n", rj.dest);
        s = xai_outfile_commit(outf);
        outf = NULL;
        if (s != XAI_OK)
            rc = cli_runtime_error(CMD, s);
    }
out:
    xai_outfile_abort(outf);
    xai_runner_free(job.runner);
    free(job.phi);
    free(job.dg);
    free(job.y);
    free(stats);
    free(res);
    free(runs);
    free(st.stats);
    free(st.background);
    xai_model_free(m);
    xai_dataset_free(ds);
    return rc;
}

const cli_command cli_cmd_explain = {
    "explain", "attributions of rows by LIME, KernelSHAP, IG, ... (CSV/JSON)",
    help_text, run};
