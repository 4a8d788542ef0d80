/* cli/cmd_audit.c: `xai audit`: which explanation method to trust for this
 * model and these data.  Parses arguments, loads model and data, runs
 * xai_audit_run, prints a summary, writes the JSON and the PDF report. */
#include <getopt.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <xai/audit.h>

#include "cli.h"
#include "audit_recourse.h"
#include "row_driver.h"
#include "shard.h"
#include "core/json_out.h"
#include "data_args.h"
#include "group_by.h"
#include "outputs.h"
#include "reports/audit_report.h"
#include "reports/backdoor_report.h"

#define CMD "audit"

static const char help[] =
    "usage: xai audit --model M --data D [--label NAME] [--rows A:B]\n"
    "                 [--methods m1,m2,...] [--neighbourhood SPEC] [--seed S]\n"
    "                 [--threads T] [--json FILE] [--out report.pdf]\n"
    "                 [--instances N] [--date SECONDS] [--cost-matrix FP,FN]\n"
    "                 [--metric-noise std:S|abs:S|range:S] [--pgi-k K|A..K|FRACTION]\n"
    "                 [--pgi-summary mean|auc] [--pgi-samples N] [--compat openxai]\n"
    "                 [--stab-points N] [--rrs-layer NAME] [--agree-k K]\n"
    "                 [--ground-truth FILE] [--group-by COLUMN[:EDGES]]\n"
    "                 [--no-timing] [--force] [--target K] [--backdoor]\n"
    "                 [--counterfactuals \"OPTIONS\"]\n\n"
    "Explains the rows with every method, measures how faithfully each one\n"
    "approximates the model on several neighbourhoods (LFA loss: the methods x\n"
    "neighbourhoods table), computes PGI/PGU, infidelity, max-sensitivity\n"
    "(and deletion/insertion areas for images), ranks the methods with paired\n"
    "95% confidence intervals (ties within noise are reported as ties) and\n"
    "recommends one.  See README, section \"Audit metrics\".\n\n"
    "  --model M            ONNX model (or plugin:PATH.so)\n"
    DATA_ARGS_HELP
    "  --rows A:B           rows A..B-1 (0-based; A: or :B allowed; default 0:50)\n"
    "  --methods LIST       comma-separated methods (default: every available\n"
    "                       method for the data kind and model; a tree model\n"
    "                       adds treeshap and skips the gradient methods, the\n"
    "                       report says why)\n"
    "  --neighbourhood SPEC the neighbourhood you care about: gaussian:SIGMA\n"
    "                       (SIGMA in column stds), mask:P (each feature or\n"
    "                       group off with probability P), path, point or\n"
    "                       shapley (KernelSHAP's objective); the\n"
    "                       recommendation is for it.  Default: the standard\n"
    "                       set gaussian:0.1, gaussian:0.5, mask:0.5, path,\n"
    "                       point (tree models: gaussian:0.1, gaussian:0.5,\n"
    "                       mask:0.5, shapley), recommending for gaussian:0.1\n"
    "  --output prob|score  explain probabilities (default) or logits (tree\n"
    "                       models: the margin, by default)\n"
    "  --target K|pred      the output explained and measured (default pred:\n"
    "                       each row's arg-max)\n"
    "  --baseline zero|mean baseline of mask and path methods (default mean)\n"
    "  --samples N          samples per neighbourhood for the loss (default\n"
    "                       1000 gaussian/mask, 50 path)\n"
    "  --randomized-model M a copy of the model with its last layer re-drawn,\n"
    "                       for the model-randomisation sanity check (default:\n"
    "                       ONNX models are copied with their last Gemm, MatMul\n"
    "                       or Conv re-drawn from the seed; other models skip it)\n"
    "  --sens-points N      points for max-sensitivity (default 5; 0 skips)\n"
    "  --metric-noise SPEC  noise of PGI/PGU and infidelity: std:S (S column\n"
    "                       stds; default std:0.1), abs:S (absolute) or range:S\n"
    "                       (S x the column's max - min)\n"
    "  --pgi-k K|A..K|F     PGI/PGU at k = K only, summarised over k = A..K, or\n"
    "                       over k = 1..ceil(F x features) for 0 < F < 1\n"
    "                       (default 1..min(8, features))\n"
    "  --pgi-summary mean|auc  summary over k: the mean (default) or the\n"
    "                       trapezoid area divided by the span of k\n"
    "  --pgi-samples N      noise draws per row for PGI/PGU (default 50)\n"
    "  --compat openxai     OpenXAI's settings: abs:0.1 noise (range:0.1 when a\n"
    "                       column is outside [0, 1]), k = 1..ceil(25%), auc,\n"
    "                       100 draws; explicit options above override it\n"
    "  --stab-points N      neighbours for the relative stability metrics RIS,\n"
    "                       ROS, RRS (Agarwal et al. 2022; default 5; 0 skips)\n"
    "  --rrs-layer NAME     the ONNX tensor whose activation RRS compares\n"
    "                       (default: the last hidden layer)\n"
    "  --agree-k K          top-k of the agreement measures between methods\n"
    "                       (Krishna et al. 2022; default min(5, features))\n"
    "  --ground-truth FILE  the true attribution of a linear or logistic model:\n"
    "                       its weights, one number per model input (comma or\n"
    "                       white-space separated); methods are compared with it\n"
    "  --group-by SPEC      model quality and every metric per group of rows, the\n"
    "                       largest gap with a bootstrap 95% interval: a column\n"
    "                       (one group per value), COLUMN:25,40,60 (bands), a\n"
    "                       one-hot group (--groups auto) or the label; groups\n"
    "                       under 10 rows are reported, not compared\n"
    "  --cost-matrix FP,FN  binary classifiers with --label: the cost of\n"
    "                       predicting class 1 for a class-0 row and of\n"
    "                       predicting 0 for a class-1 row (German credit: 5,1,\n"
    "                       a bad applicant accepted costs 5); the report gives\n"
    "                       the expected cost per row\n"
    "  --seed S             random seed (default 0)\n"
    "  --threads T          threads (default: all; per rank under mpirun, which\n"
    "                       splits the rows over the ranks: README, Running on\n"
    "                       a cluster); results do not depend on either\n"
    "  --json FILE          write everything as JSON\n"
    "  --out FILE.pdf       write the PDF audit report.  At least one of --json\n"
    "                       and --out is required; both are checked before the\n"
    "                       work starts, written to temporary files and renamed\n"
    "                       together at the end: a failure or an interrupt\n"
    "                       leaves neither\n"
    "  --force              write --out/--json even if the extension names\n"
    "                       another format\n"
    "  --instances N        rows shown one by one in the report (default 5)\n"
    "  --counterfactuals \"OPTIONS\"  add the Recourse robustness section:\n"
    "                       counterfactuals of the rejected audited rows with the\n"
    "                       options of xai counterfactual (--train required)\n"
    "  --date SECONDS       the report's date (seconds since 1970 UTC), for\n"
    "                       byte-stable reports (default: now, or\n"
    "                       $SOURCE_DATE_EPOCH when set)\n"
    "  --backdoor           image models: add the SmoothInv backdoor scan (the\n"
    "                       defaults of `xai backdoor`, this --seed) to the report\n"
    "  --no-timing          leave the run time out of the report (with --date:\n"
    "                       byte-identical reports)\n";

enum {
    OPT_MODEL = 1, OPT_ROWS, OPT_METHODS, OPT_NBHD, OPT_OUTPUT, OPT_BASELINE,
    OPT_SAMPLES, OPT_RANDOM, OPT_SENS, OPT_SEED, OPT_THREADS, OPT_JSON, OPT_OUT,
    OPT_INSTANCES, OPT_DATE, OPT_COST, OPT_HELP, OPT_NOISE, OPT_PGI_K, OPT_PGI_SUMMARY,
    OPT_PGI_SAMPLES, OPT_COMPAT, OPT_STAB_POINTS, OPT_RRS_LAYER, OPT_AGREE_K,
    OPT_GROUND_TRUTH, OPT_GROUP_BY, OPT_BACKDOOR, OPT_CF, OPT_FORCE, OPT_NO_TIMING, OPT_TARGET
};

/* PGI / PGU and infidelity settings (0 / -1: not given on the command line). */
typedef struct metric_args {
    int noise_set, summary; /* summary: -1 unset, else xai_audit_pgi_summary */
    xai_audit_noise noise;
    double sigma, k_fraction;
    size_t k_first, k, samples, stab_points, agree_k;
    const char *compat, *rrs_layer, *ground_truth, *group_by;
} metric_args;

typedef struct audit_args {
    const char *model, *rows, *methods, *nbhd, *json, *out, *randomized;
    const char *counterfactuals; /* --counterfactuals "OPTIONS" (audit_recourse.h) */
    xai_output_kind output;
    xai_baseline_kind baseline;
    int64_t samples;
    size_t sens_points, instances;
    uint64_t seed;
    int64_t date;
    int threads, force, no_timing, output_given;
    int32_t target;
    metric_args met;
    double cost_fp, cost_fn; /* --cost-matrix; 0, 0: none */
    int backdoor;
} audit_args;

/* "K" (k = K only), "A..K" or a fraction F in (0, 1) (k = 1..ceil(F D)). */
static int parse_pgi_k(const char *arg, metric_args *m)
{
    const char *dots = strstr(arg, "..");
    long long lo, hi;
    if (dots) {
        char first[32];
        size_t n = (size_t)(dots - arg);
        if (n >= sizeof first)
            return cli_usage_error(CMD, "--pgi-k: bad range '%s'", arg);
        memcpy(first, arg, n);
        first[n] = 0;
        if (!cli_int_in(first, 1, 1 << 20, &lo) || !cli_int_in(dots + 2, 1, 1 << 20, &hi) ||
            lo > hi)
            return cli_usage_error(CMD, "--pgi-k wants K, A..K (1 <= A <= K) or a "
                                   "fraction in (0, 1), got '%s'", arg);
        m->k_first = (size_t)lo, m->k = (size_t)hi, m->k_fraction = 0;
        return CLI_OK;
    }
    if (cli_int_in(arg, 1, 1 << 20, &hi)) {
        m->k_first = m->k = (size_t)hi, m->k_fraction = 0;
        return CLI_OK;
    }
    char *end;
    double f = strtod(arg, &end);
    if (!*arg || *end || !(f > 0 && f < 1))
        return cli_usage_error(CMD, "--pgi-k wants K, A..K (1 <= A <= K) or a fraction "
                               "in (0, 1), got '%s'", arg);
    m->k_first = 1, m->k = 0, m->k_fraction = f;
    return CLI_OK;
}

static int parse_args(int argc, char **argv, audit_args *a, data_args *d)
{
    static const struct option opts[] = {
        {"model", required_argument, NULL, OPT_MODEL},
        {"rows", required_argument, NULL, OPT_ROWS},
        {"methods", required_argument, NULL, OPT_METHODS},
        {"neighbourhood", required_argument, NULL, OPT_NBHD},
        {"neighborhood", required_argument, NULL, OPT_NBHD},
        {"output", required_argument, NULL, OPT_OUTPUT},
        {"baseline", required_argument, NULL, OPT_BASELINE},
        {"samples", required_argument, NULL, OPT_SAMPLES},
        {"randomized-model", required_argument, NULL, OPT_RANDOM},
        {"sens-points", required_argument, NULL, OPT_SENS},
        {"seed", required_argument, NULL, OPT_SEED},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"json", required_argument, NULL, OPT_JSON},
        {"out", required_argument, NULL, OPT_OUT},
        {"instances", required_argument, NULL, OPT_INSTANCES},
        {"date", required_argument, NULL, OPT_DATE},
        {"cost-matrix", required_argument, NULL, OPT_COST},
        {"backdoor", no_argument, NULL, OPT_BACKDOOR},
        {"counterfactuals", required_argument, NULL, OPT_CF},
        {"help", no_argument, NULL, OPT_HELP},
        {"metric-noise", required_argument, NULL, OPT_NOISE},
        {"pgi-k", required_argument, NULL, OPT_PGI_K},
        {"pgi-summary", required_argument, NULL, OPT_PGI_SUMMARY},
        {"pgi-samples", required_argument, NULL, OPT_PGI_SAMPLES},
        {"compat", required_argument, NULL, OPT_COMPAT},
        {"stab-points", required_argument, NULL, OPT_STAB_POINTS},
        {"rrs-layer", required_argument, NULL, OPT_RRS_LAYER},
        {"agree-k", required_argument, NULL, OPT_AGREE_K},
        {"ground-truth", required_argument, NULL, OPT_GROUND_TRUTH},
        {"group-by", required_argument, NULL, OPT_GROUP_BY},
        {"force", no_argument, NULL, OPT_FORCE},
        {"no-timing", no_argument, NULL, OPT_NO_TIMING},
        {"target", required_argument, NULL, OPT_TARGET},
        DATA_ARGS_LONG_OPTIONS,
        {NULL, 0, NULL, 0}};
    long long u;
    int c, rc;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        int r = data_args_parse(d, CMD, c, optarg);
        if (r < 0)
            return CLI_USAGE_ERROR;
        if (r > 0)
            continue;
        switch (c) {
        case OPT_MODEL: a->model = optarg; break;
        case OPT_ROWS: a->rows = optarg; break;
        case OPT_METHODS: a->methods = optarg; break;
        case OPT_NBHD: a->nbhd = optarg; break;
        case OPT_RANDOM: a->randomized = optarg; break;
        case OPT_JSON: a->json = optarg; break;
        case OPT_OUT: a->out = optarg; break;
        case OPT_BACKDOOR: a->backdoor = 1; break;
        case OPT_CF: a->counterfactuals = optarg; break;
        case OPT_HELP:
        case 'h': fputs(help, stdout); return -1;
        case OPT_FORCE: a->force = 1; break;
        case OPT_NO_TIMING: a->no_timing = 1; break;
        case OPT_TARGET:
            if (strcmp(optarg, "pred") == 0)
                a->target = XAI_TARGET_PRED;
            else if ((rc = cli_parse_int(CMD, optarg, "--target", 0, INT32_MAX, &u)) != CLI_OK)
                return rc;
            else
                a->target = (int32_t)u;
            break;
        case OPT_OUTPUT:
            a->output_given = 1;
            if (strcasecmp(optarg, "prob") == 0)
                a->output = XAI_OUTPUT_PROB;
            else if (strcasecmp(optarg, "score") == 0)
                a->output = XAI_OUTPUT_SCORE;
            else
                return cli_usage_error(CMD, "--output wants prob or score, got '%s'", optarg);
            break;
        case OPT_BASELINE:
            if (strcasecmp(optarg, "mean") == 0)
                a->baseline = XAI_BASELINE_MEAN;
            else if (strcasecmp(optarg, "zero") == 0)
                a->baseline = XAI_BASELINE_ZERO;
            else
                return cli_usage_error(CMD, "--baseline wants zero or mean, got '%s'", optarg);
            break;
        case OPT_SAMPLES:
            /* one sample: the fitted intercept absorbs it, every loss is 0 */
            if ((rc = cli_parse_int(CMD, optarg, "--samples", 2, 1 << 24, &u)) != CLI_OK)
                return rc;
            a->samples = u;
            break;
        case OPT_SENS:
            if ((rc = cli_parse_int(CMD, optarg, "--sens-points", 0, 1000, &u)) != CLI_OK)
                return rc;
            a->sens_points = (size_t)u;
            break;
        case OPT_SEED:
            if ((rc = cli_parse_int(CMD, optarg, "--seed", 0, INT64_MAX, &u)) != CLI_OK)
                return rc;
            a->seed = (uint64_t)u;
            break;
        case OPT_INSTANCES:
            if ((rc = cli_parse_int(CMD, optarg, "--instances", 1, 10000, &u)) != CLI_OK)
                return rc;
            a->instances = (size_t)u;
            break;
        case OPT_DATE:
            if (!cli_int_in(optarg, 0, 1ll << 40, &u))
                return cli_usage_error(CMD, "--date wants seconds since 1970, got '%s'", optarg);
            a->date = u;
            break;
        case OPT_THREADS:
            if ((rc = cli_parse_int(CMD, optarg, "--threads", 1, 1024, &u)) != CLI_OK)
                return rc;
            a->threads = (int)u;
            break;
        case OPT_NOISE:
            if (xai_audit_noise_parse(optarg, &a->met.noise, &a->met.sigma) != XAI_OK)
                return cli_usage_error(CMD, "--metric-noise: %s", xai_last_error());
            a->met.noise_set = 1;
            break;
        case OPT_PGI_K:
            if ((rc = parse_pgi_k(optarg, &a->met)) != CLI_OK)
                return rc;
            break;
        case OPT_PGI_SUMMARY:
            if (strcasecmp(optarg, "mean") == 0)
                a->met.summary = XAI_AUDIT_PGI_MEAN;
            else if (strcasecmp(optarg, "auc") == 0)
                a->met.summary = XAI_AUDIT_PGI_AUC;
            else
                return cli_usage_error(CMD, "--pgi-summary wants mean or auc, got '%s'",
                                       optarg);
            break;
        case OPT_PGI_SAMPLES:
            if ((rc = cli_parse_int(CMD, optarg, "--pgi-samples", 1, 1 << 20, &u)) != CLI_OK)
                return rc;
            a->met.samples = (size_t)u;
            break;
        case OPT_STAB_POINTS:
            if ((rc = cli_parse_int(CMD, optarg, "--stab-points", 0, 10000, &u)) != CLI_OK)
                return rc;
            a->met.stab_points = (size_t)u;
            break;
        case OPT_RRS_LAYER: a->met.rrs_layer = optarg; break;
        case OPT_GROUND_TRUTH: a->met.ground_truth = optarg; break;
        case OPT_GROUP_BY: a->met.group_by = optarg; break;
        case OPT_AGREE_K:
            if ((rc = cli_parse_int(CMD, optarg, "--agree-k", 1, 1 << 20, &u)) != CLI_OK)
                return rc;
            a->met.agree_k = (size_t)u;
            break;
        case OPT_COMPAT:
            if (strcasecmp(optarg, "openxai") != 0)
                return cli_usage_error(CMD, "--compat wants openxai, got '%s'", optarg);
            a->met.compat = "openxai";
            break;
        case OPT_COST: {
            char *end;
            a->cost_fp = strtod(optarg, &end);
            if (*end == ',')
                a->cost_fn = strtod(end + 1, &end);
            if (*end || end == optarg || !strchr(optarg, ',') || !isfinite(a->cost_fp) ||
                !isfinite(a->cost_fn) || !(a->cost_fp > 0) || !(a->cost_fn > 0))
                return cli_usage_error(CMD, "--cost-matrix wants two positive finite "
                                       "costs FP,FN (e.g. 5,1), got '%s'", optarg);
            break;
        }
        case ':':
            return cli_usage_error(CMD, "option '%s' needs a value", argv[optind - 1]);
        default:
            return cli_usage_error(CMD, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
    if (!a->model)
        return cli_usage_error(CMD, "--model is required");
    if (!d->path)
        return cli_usage_error(CMD, "--data is required");
    if (strcmp(d->path, "-") == 0)
        return cli_usage_error(CMD, "--data - is not supported: the audit records the "
                               "data file's SHA-256; give a path");
    if (!a->json && !a->out)
        return cli_usage_error(CMD, "--json FILE or --out FILE.pdf is required");
    if (a->cost_fp > 0 && !d->label)
        return cli_usage_error(CMD, "--cost-matrix needs labels (--label NAME)");
    return 0;
}

/* Comma-separated method names into ms (caller frees). */
static int parse_methods(const char *list, const xai_explain_options *base,
                         xai_audit_method **ms, size_t *n)
{
    *ms = NULL;
    *n = 0;
    if (!list)
        return 0;
    size_t cap = 1;
    for (const char *p = list; *p; p++)
        cap += *p == ',';
    xai_audit_method *m = calloc(cap, sizeof *m);
    char *copy = strdup(list);
    if (!m || !copy) {
        free(m), free(copy);
        fprintf(stderr, "xai audit: out of memory\n");
        return CLI_RUNTIME_ERROR;
    }
    char *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        xai_method me;
        if (xai_method_lookup(t, &me) != XAI_OK || me == XAI_METHOD_CUSTOM) {
            int rc = cli_usage_error(CMD, "--methods: %s",
                                     me == XAI_METHOD_CUSTOM ? "custom methods need the C API"
                                                             : xai_last_error());
            free(m), free(copy);
            return rc;
        }
        m[*n].options = *base;
        m[*n].options.method = me;
        snprintf(m[*n].name, sizeof m[*n].name, "%s", xai_method_name(me));
        ++*n;
    }
    free(copy);
    if (!*n) {
        free(m);
        return cli_usage_error(CMD, "--methods: no method named");
    }
    *ms = m;
    return 0;
}

static void print_summary(const xai_audit_result *r)
{
    size_t M = r->n_methods, Z = r->n_nbhds, MK = XAI_AUDIT_METRIC_COUNT;
    printf("LFA loss (mean over %zu rows, +-95%% CI; rank in brackets, equal "
           "ranks are ties; * best):\n%-22s", r->n_rows, "method");
    for (size_t z = 0; z < Z; z++)
        printf(" %24s", r->nbhd_names[z]);
    printf("\n");
    for (size_t m = 0; m < M; m++) {
        printf("%-22s", r->methods[m].name);
        for (size_t z = 0; z < Z; z++) {
            const xai_audit_cell *c = &r->table[m * Z + z];
            char buf[64];
            snprintf(buf, sizeof buf, "%.3g+-%.2g [%d]%s", c->mean, c->ci95, c->rank,
                     r->best[z] == m ? "*" : "");
            printf(" %24s", buf);
        }
        printf("\n");
    }
    printf("\nmetrics (mean over rows; rank in brackets):\n%-22s", "method");
    for (size_t k = 0; k < MK; k++)
        if (r->metrics[k].count)
            printf(" %18s", xai_audit_metric_name((xai_audit_metric)k));
    printf("\n");
    for (size_t m = 0; m < M; m++) {
        printf("%-22s", r->methods[m].name);
        for (size_t k = 0; k < MK; k++) {
            if (!r->metrics[k].count)
                continue;
            const xai_audit_cell *c = &r->metrics[m * MK + k];
            char buf[48];
            if (k == XAI_AUDIT_SANITY)
                snprintf(buf, sizeof buf, "%.3g %s", c->mean,
                         r->sanity_flag[m] == 1 ? "FLAGGED" : "pass");
            else
                snprintf(buf, sizeof buf, "%.3g [%d]", c->mean, c->rank);
            printf(" %18s", buf);
        }
        printf("\n");
    }
    printf("\n(PGI: higher is better; PGU, infidelity, max_sensitivity: lower is better)\n");
    if (r->n_labelled)
        printf("model accuracy on the %zu labelled rows: %.3f (majority-class rate "
               "%.3f)%s\n", r->n_labelled, r->accuracy, r->majority_rate,
               r->accuracy <= r->majority_rate + 1e-12
                   ? ": no better than always predicting the majority class" : "");
    const xai_model_quality *q = &r->quality;
    if (q->n)
        printf("ROC AUC %.3f (95%% interval %.3f to %.3f), Brier score %.3f\n", q->auc,
               q->auc_lo, q->auc_hi, q->brier);
    if (q->has_cost)
        printf("expected cost per row %.3f at threshold %.2f, %.3f at %.3f (costs %g, %g)\n",
               q->expected_cost, q->threshold, q->expected_cost_bayes, q->bayes_threshold,
               q->cost_fp, q->cost_fn);
    size_t z0 = r->rec_nbhd, m0 = r->rec_method;
    printf("\nrecommendation: %s for the %s neighbourhood%s", r->methods[m0].name,
           r->nbhd_names[z0], r->declared ? " you declared" :
           " (the default; declare yours with --neighbourhood)");
    int tie = 0;
    for (size_t m = 0; m < M; m++)
        if (m != m0 && r->table[m * Z + z0].rank == 1) {
            printf("%s%s", tie ? ", " : "; tied within noise with ", r->methods[m].name);
            tie = 1;
        }
    printf("\nbest per neighbourhood:");
    for (size_t z = 0; z < Z; z++)
        printf(" %s -> %s%s", r->nbhd_names[z], r->methods[r->best[z]].name,
               z + 1 < Z ? ";" : "\n");
}

/* The flagged group gaps, one line each. */
static void print_groups(const xai_audit_result *r)
{
    const xai_audit_groups *G = r->groups;
    size_t nf = 0;
    printf("\ngroups by %s:", G->column);
    for (size_t g = 0; g < G->n_groups; g++)
        printf(" %s (%zu rows%s)%s", G->group_names[g], G->rows[g],
               G->compared[g] ? "" : ", not compared", g + 1 < G->n_groups ? ";" : "\n");
    for (size_t q = 0; q < G->n_quantities; q++)
        if (G->flagged[q]) {
            if (!nf++)
                printf("gaps whose 95%% interval excludes 0:\n");
            printf("  %s: %.3g (%s %.3g vs %s %.3g; interval %.3g..%.3g)\n", G->quantity[q],
                   G->gap[q], G->group_names[G->hi[q]],
                   G->value[q * G->n_groups + G->hi[q]], G->group_names[G->lo[q]],
                   G->value[q * G->n_groups + G->lo[q]], G->ci_lo[q], G->ci_hi[q]);
        }
    if (!nf)
        printf("no gap between groups is distinguishable from noise at 95%%\n");
}

/* The JSON "input" object body: paths as JSON strings (escaped, valid UTF-8,
 * never truncated).  Returns a malloc'ed string, or NULL (out of memory). */
static char *provenance(const audit_args *a, const data_args *d, size_t r0, size_t r1,
                        const char *hm, const char *hd)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    fputs("\"model\": ", f);
    xai_json_string(f, a->model);
    fprintf(f, ", \"model_sha256\": \"%s\", \"data\": ", hm);
    xai_json_string(f, d->path);
    fprintf(f, ", \"data_sha256\": \"%s\", \"row_range\": [%zu, %zu]", hd, r0, r1);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int write_report(const audit_args *a, const data_args *d, int argc, char **argv,
                        const xai_audit_result *res, const xai_dataset *ds,
                        const xai_model *m, const char *hm, const char *hd, double t0,
                        const xai_backdoor_report_input *bd, xai_outfile *out)
{
    xai_report_input in = xai_report_input_default();
    in.audit = res;
    in.data = ds;
    in.model = m;
    in.model_path = a->model;
    in.data_path = d->path;
    in.model_sha256 = hm;
    in.data_sha256 = hd;
    char *cmd = cli_command_line(argc, argv);
    in.command_line = cmd;
    in.seed = a->seed;
    in.n_threads = a->threads > 0 ? a->threads : omp_get_max_threads();
    in.n_ranks = shard_size();
    in.max_instances = a->instances;
    in.backdoor = bd;
    in.date = a->date;
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    long long u;
    if (in.date < 0 && sde && cli_int_in(sde, 0, (1ll << 40) - 1, &u))
        in.date = u;
    xai_report_recourse *rr = NULL;
    int rrc = a->counterfactuals ? audit_recourse_build(a->counterfactuals, a->model, d, a->rows,
                                                        a->seed, a->threads, &rr)
                                 : CLI_OK;
    if (rrc != CLI_OK) {
        free(cmd);
        return rrc;
    }
    in.recourse = rr;
    in.run_seconds = a->no_timing ? -1 : now_seconds() - t0;
    xai_status s = cmd ? xai_report_write_audit_to(&in, out) : XAI_ERR_NOMEM;
    audit_recourse_free(rr);
    free(cmd);
    if (s != XAI_OK)
        return s == XAI_ERR_NOMEM && !cmd ? (fprintf(stderr, "xai audit: out of memory\n"),
                                             CLI_RUNTIME_ERROR)
                                          : cli_runtime_error(CMD, s);
    return CLI_OK;
}

/* Exactly D numbers from path (comma / white-space separated) into gt. */
static int read_ground_truth(const char *path, size_t D, float *gt)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return cli_usage_error(CMD, "--ground-truth: cannot read '%s'", path);
    size_t n = 0;
    char tok[128];
    int c, len = 0, rc = CLI_OK;
    do {
        c = fgetc(f);
        if (c != EOF && c != ',' && c != ' ' && c != '\t' && c != '\n' && c != '\r') {
            if (len + 1 < (int)sizeof tok)
                tok[len++] = (char)c;
            continue;
        }
        if (!len)
            continue;
        tok[len] = 0;
        len = 0;
        char *end;
        double v = strtod(tok, &end);
        if (*end || !isfinite(v)) {
            rc = cli_usage_error(CMD, "--ground-truth %s: value %zu ('%s') is not a "
                                 "finite number", path, n + 1, tok);
            break;
        }
        if (n < D)
            gt[n] = (float)v;
        n++;
    } while (c != EOF);
    fclose(f);
    if (rc == CLI_OK && n != D)
        rc = cli_usage_error(CMD, "--ground-truth %s: %zu values, but the model takes %zu "
                             "inputs", path, n, D);
    return rc;
}

/* --compat first, then the explicit options over it; k checked against D. */
static int apply_metric_args(const metric_args *m, const xai_column_stats *st, size_t D,
                             xai_audit_options *o)
{
    if (m->compat) {
        int unit = 1;
        for (size_t j = 0; j < D; j++)
            unit &= st[j].min >= 0 && st[j].max <= 1;
        o->metric_noise = unit ? XAI_AUDIT_NOISE_ABS : XAI_AUDIT_NOISE_RANGE;
        if (!unit)
            fprintf(stderr, "xai audit: note: --compat openxai: some columns are outside "
                    "[0, 1]; OpenXAI perturbs min-max-scaled features, so the noise is "
                    "0.1 x each column's range (range:0.1) instead of absolute 0.1\n");
        o->pgi_sigma = o->infid_sigma = 0.1;
        o->pgi_k_fraction = 0.25;
        o->pgi_k_first = 1;
        o->pgi_summary = XAI_AUDIT_PGI_AUC;
        o->pgi_samples = 100;
        o->compat = m->compat;
    }
    if (m->noise_set) {
        o->metric_noise = m->noise;
        o->pgi_sigma = o->infid_sigma = m->sigma;
    }
    if (m->k || m->k_fraction > 0) {
        o->pgi_k = m->k, o->pgi_k_first = m->k_first, o->pgi_k_fraction = m->k_fraction;
        if (m->k > D)
            return cli_usage_error(CMD, "--pgi-k: k = %zu exceeds the %zu features", m->k, D);
    }
    if (m->summary >= 0)
        o->pgi_summary = (xai_audit_pgi_summary)m->summary;
    if (m->samples)
        o->pgi_samples = m->samples;
    o->stab_points = m->stab_points;
    o->stab_layer = m->rrs_layer;
    o->agree_k = m->agree_k;
    return CLI_OK;
}

static int run(int argc, char **argv)
{
    double t0 = now_seconds();
    audit_args a = {.output = XAI_OUTPUT_PROB, .baseline = XAI_BASELINE_MEAN,
                    .target = XAI_TARGET_PRED,
                    .samples = XAI_AUTO, .sens_points = 5, .date = -1,
                    .met = {.summary = -1, .stab_points = 5}};
    data_args d = {0};
    int rc = parse_args(argc, argv, &a, &d);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    if (a.counterfactuals && (rc = audit_recourse_check(a.counterfactuals)) != CLI_OK)
        return rc;
    const char *ins[] = {a.model, d.path, data_args_groups_file(&d), a.randomized};
    const cli_output outs[] = {{"--out", a.out, "pdf", 0}, {"--json", a.json, "json", 0}};
    if ((rc = CLI_CHECK_OUTPUTS(CMD, a.force, ins, outs)) != CLI_OK)
        return rc;
    xai_audit_nbhd nb[8];
    size_t nz = 0;
    if (a.nbhd) {
        if (xai_audit_nbhd_parse(a.nbhd, &nb[0]) != XAI_OK)
            return cli_usage_error(CMD, "--neighbourhood: %s", xai_last_error());
        nz = 1;
    }

    xai_model *m = NULL, *mr = NULL;
    xai_dataset *ds = NULL;
    xai_audit_method *ms = NULL;
    xai_audit_result *res = NULL;
    xai_backdoor_result *bd = NULL;
    xai_backdoor_options bo = xai_backdoor_options_default();
    const double bd_eps = bo.eps, bd_sigma = bo.sigma; /* in units of the value range */
    group_by gb = {0};
    xai_column_stats *st = NULL;
    float *gt = NULL;
    xai_outfile *files[2] = {NULL, NULL}; /* --out, --json: both or neither */
    xai_status s;
    /* the models first: they decide whether the data may hold missing values */
    if ((rc = data_args_load_model(&d, CMD, a.model, &m)) != CLI_OK ||
        (a.randomized && (rc = data_args_load_model(&d, CMD, a.randomized, &mr)) != CLI_OK))
        goto out;
    d.allow_missing = xai_model_accepts_missing(m) && (!mr || xai_model_accepts_missing(mr));
    if ((rc = data_args_load(&d, CMD, &ds)) != CLI_OK)
        goto out;
    if ((rc = data_args_check_model(&d, CMD, ds, a.model, m)) != CLI_OK)
        goto out;
    /* the declared neighbourhood first, then the model's standard set */
    xai_audit_nbhd std[8];
    size_t ns = xai_audit_default_nbhds_for(m, std, 8);
    for (size_t k = 0; k < ns; k++)
        if (!(nz && std[k].kind == nb[0].kind && std[k].param == nb[0].param))
            nb[nz++] = std[k];
    /* a tree ensemble is a sum over trees in its margin: audit that */
    if (xai_model_trees(m) && !a.output_given)
        a.output = XAI_OUTPUT_SCORE;
    if (mr && (xai_model_input_size(mr) != xai_model_input_size(m) ||
               xai_model_output_size(mr) != xai_model_output_size(m))) {
        fprintf(stderr, "xai audit: error: --randomized-model %s has %zu inputs and %zu "
                "outputs, the model %s %zu and %zu\n", a.randomized,
                xai_model_input_size(mr), xai_model_output_size(mr), a.model,
                xai_model_input_size(m), xai_model_output_size(m));
        rc = CLI_RUNTIME_ERROR;
        goto out;
    }
    int64_t ldims[4];
    if (a.met.rrs_layer && xai_model_tensor_shape(m, a.met.rrs_layer, ldims) < 0) {
        rc = cli_usage_error(CMD, "--rrs-layer: the model %s has no tensor named '%s'",
                             a.model, a.met.rrs_layer);
        goto out;
    }
    if (a.backdoor) { /* checked before the audit's work */
        uint32_t ic, ih, iw;
        if (!a.out) {
            rc = cli_usage_error(CMD, "--backdoor adds a report section: it needs --out");
            goto out;
        }
        if (!xai_dataset_image_shape(ds, &ic, &ih, &iw)) {
            rc = cli_usage_error(CMD, "--backdoor needs image data (PNG, or CSV with "
                                 "--image-shape)");
            goto out;
        }
        xai_backdoor_options_for_data(&bo, ds, bd_eps, bd_sigma);
        bo.seed = a.seed;
        bo.n_threads = a.threads;
        if ((s = xai_backdoor_check(m, &bo)) != XAI_OK) {
            rc = cli_runtime_error(CMD, s);
            goto out;
        }
    }
    if (!a.randomized && xai_model_randomize_last_layer(m, a.seed, &mr) != XAI_OK)
        fprintf(stderr, "xai audit: note: sanity check skipped: %s\n", xai_last_error());
    size_t n = xai_dataset_rows(ds), D = xai_dataset_features(ds), r0, r1;
    if ((rc = data_args_rows(CMD, a.rows, n, 50, &r0, &r1)) != 0)
        goto out;
    if (r1 - r0 < 2) { /* a standard error over one row is 0/0 */
        rc = cli_usage_error(CMD, "an audit needs at least 2 rows: its means and "
                             "confidence intervals are over rows (got %zu of %s)",
                             r1 - r0, d.path);
        goto out;
    }
    if ((rc = data_args_check_finite(&d, CMD, m, a.output, ds, r0, r1, NULL)) != CLI_OK)
        goto out;
    if (a.met.group_by &&
        (rc = group_by_rows(CMD, a.met.group_by, ds, r0, r1, &gb)) != CLI_OK)
        goto out;
    xai_audit_options o = xai_audit_options_default();
    o.base.output = a.output;
    o.base.baseline = a.baseline;
    o.base.seed = a.seed;
    o.base.target = a.target;
    if ((rc = parse_methods(a.methods, &o.base, &ms, &o.n_methods)) != 0)
        goto out;
    o.methods = ms;
    o.nbhds = nb;
    o.n_nbhds = nz;
    o.declared = a.nbhd != NULL;
    o.loss_samples = a.samples;
    o.sens_points = a.sens_points;
    o.randomized = mr;
    o.n_threads = a.threads;
    st = calloc(D, sizeof *st);
    if (!st) {
        rc = cli_runtime_error(CMD, XAI_ERR_NOMEM);
        goto out;
    }
    for (size_t j = 0; j < D; j++)
        st[j] = *xai_dataset_stats(ds, j);
    if ((rc = apply_metric_args(&a.met, st, D, &o)) != CLI_OK)
        goto out;
    if (a.met.ground_truth) {
        if (!(gt = calloc(D, sizeof *gt))) {
            rc = cli_runtime_error(CMD, XAI_ERR_NOMEM);
            goto out;
        }
        if ((rc = read_ground_truth(a.met.ground_truth, D, gt)) != CLI_OK)
            goto out;
        o.ground_truth = gt;
    }
    xai_explain_context c = {.n_features = D, .stats = st};
    if (!xai_dataset_image_shape(ds, &c.image_c, &c.image_h, &c.image_w) &&
        xai_dataset_group_count(ds) < D) {
        c.groups = xai_dataset_feature_groups(ds);
        c.n_groups = xai_dataset_group_count(ds);
    }
    /* the temporary files exist before the work: an unwritable directory
     * fails now, not after minutes */
    if (shard_rank() == 0 &&
        ((a.out && (rc = cli_output_open(CMD, a.out, &files[0])) != CLI_OK) ||
         (a.json && (rc = cli_output_open(CMD, a.json, &files[1])) != CLI_OK)))
        rc = CLI_RUNTIME_ERROR;
    /* under mpirun: the ranks share the rows of every per-row step (explain,
     * losses, metrics), rank 0 alone writes */
    xai_audit_shard shard = {shard_rank(), shard_size(), shard_exchange_rows, NULL};
    if (shard.size > 1)
        o.shard = &shard;
    if ((rc = row_driver_agree(CMD, rc)) != CLI_OK)
        goto out;
    const float *lab = xai_dataset_labels(ds);
    o.cost_fp = a.cost_fp;
    o.cost_fn = a.cost_fn;
    fprintf(stderr, "xai audit: %zu rows (%zu:%zu) of %s, %zu features, %zu "
            "neighbourhoods\n", r1 - r0, r0, r1, d.path, D, nz);
    s = xai_audit_run(m, &c, &o, xai_dataset_row(ds, r0), r1 - r0, r0,
                      lab ? lab + r0 : NULL, &res);
    if (s != XAI_OK) {
        rc = cli_runtime_error(CMD, s);
        goto out;
    }
    if (gb.group &&
        (s = xai_audit_subgroups(res, m, xai_dataset_row(ds, r0), lab ? lab + r0 : NULL,
                                 gb.group, gb.n_groups, gb.name_ptr, gb.column, 1000,
                                 a.seed, a.threads)) != XAI_OK) {
        rc = cli_runtime_error(CMD, s);
        goto out;
    }
    if (shard_rank() > 0)
        goto out;
    print_summary(res);
    if (res->groups)
        print_groups(res);
    char hm[65], hd[65];
    if ((s = xai_sha256_file(a.model, hm)) != XAI_OK ||
        (s = xai_sha256_file(d.path, hd)) != XAI_OK) {
        rc = cli_runtime_error(CMD, s);
        goto out;
    }
    if (a.json) {
        char *prov = provenance(&a, &d, r0, r1, hm, hd);
        if (!prov) {
            fprintf(stderr, "xai audit: error: out of memory\n");
            rc = CLI_RUNTIME_ERROR;
            goto out;
        }
        s = xai_audit_write_json_to(res, prov, files[1]);
        free(prov);
        if (s != XAI_OK) {
            rc = cli_runtime_error(CMD, s);
            goto out;
        }
    }
    xai_backdoor_report_input bdi = {.result = bd, .options = &bo, .data = ds,
                                     .model_path = a.model, .data_path = d.path,
                                     .model_sha256 = hm, .data_sha256 = hd,
                                     .eps_rel = bd_eps, .sigma_rel = bd_sigma};
    if (a.backdoor && a.out) {
        if ((s = xai_backdoor_scan(m, ds, &bo, &bd)) != XAI_OK) {
            rc = cli_runtime_error(CMD, s);
            goto out;
        }
        bdi.result = bd;
    }
    if (a.out && (rc = write_report(&a, &d, argc, argv, res, ds, m, hm, hd, t0,
                                    bd ? &bdi : NULL, files[0])) != CLI_OK)
        goto out;
    if ((s = xai_outfile_commit_all(files, 2)) != XAI_OK) {
        rc = cli_runtime_error(CMD, s);
        goto out;
    }
    if (a.json)
        printf("wrote %s\n", a.json);
    if (a.out)
        printf("wrote %s\n", a.out);
out:
    xai_outfile_abort(files[0]);
    xai_outfile_abort(files[1]);
    xai_audit_result_free(res);
    xai_backdoor_result_free(bd);
    free(ms), free(st), free(gt);
    group_by_free(&gb);
    xai_dataset_free(ds);
    xai_model_free(m);
    xai_model_free(mr);
    return rc;
}

const cli_command cli_cmd_audit = {
    .name = "audit",
    .summary = "rank explanation methods by faithfulness and recommend one",
    .help = help,
    .run = run,
};
