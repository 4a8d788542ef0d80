/* cli/recourse_args.h: the options and outputs shared by `xai counterfactual`
 * and `xai stability`: model, training data, constraints, alternative
 * models, scoring and the CSV / JSON writers. */
#ifndef XAI_CLI_RECOURSE_ARGS_H
#define XAI_CLI_RECOURSE_ARGS_H

#include <getopt.h>
#include <stdio.h>

#include <xai/xai.h>

#include "data_args.h"

typedef struct rc_args {
    const char *cmd;
    const char *model, *train, *rows, *methods, *original;
    const char *immutable, *increasing, *integer, *alt;
    const char *out, *json;
    data_args da;
    int data_unlabelled; /* --label names a column of TRAIN (and --original) only */
    double radius;       /* --radius: exact Stability over this ball (0: off) */
    int force;           /* --force (commands that list it) */
    xai_recourse_options o;
} rc_args;

enum {
    RC_OPT_BASE = 0x2000,
    RC_OPT_MODEL = RC_OPT_BASE, RC_OPT_TRAIN, RC_OPT_ROWS, RC_OPT_METHOD,
    RC_OPT_DESIRED, RC_OPT_TAU, RC_OPT_SIGMA, RC_OPT_K, RC_OPT_IMMUTABLE,
    RC_OPT_INCREASING, RC_OPT_INTEGER, RC_OPT_ALT, RC_OPT_SEED, RC_OPT_THREADS,
    RC_OPT_OUT, RC_OPT_JSON, RC_OPT_ORIGINAL, RC_OPT_RADIUS, RC_OPT_TREX_RADIUS, RC_OPT_TREX_STEPS,
    RC_OPT_FORCE
};
#define RC_ARGS_LONG_OPTIONS                                                   \
    {"model", required_argument, NULL, RC_OPT_MODEL},                          \
    {"train", required_argument, NULL, RC_OPT_TRAIN},                          \
    {"rows", required_argument, NULL, RC_OPT_ROWS},                            \
    {"desired", required_argument, NULL, RC_OPT_DESIRED},                      \
    {"tau", required_argument, NULL, RC_OPT_TAU},                              \
    {"sigma", required_argument, NULL, RC_OPT_SIGMA},                          \
    {"k", required_argument, NULL, RC_OPT_K},                                  \
    {"immutable", required_argument, NULL, RC_OPT_IMMUTABLE},                  \
    {"increasing", required_argument, NULL, RC_OPT_INCREASING},                \
    {"integer", required_argument, NULL, RC_OPT_INTEGER},                      \
    {"alt-models", required_argument, NULL, RC_OPT_ALT},                       \
    {"seed", required_argument, NULL, RC_OPT_SEED},                            \
    {"threads", required_argument, NULL, RC_OPT_THREADS},                      \
    {"out", required_argument, NULL, RC_OPT_OUT},                              \
    {"json", required_argument, NULL, RC_OPT_JSON},                            \
    {"radius", required_argument, NULL, RC_OPT_RADIUS},                        \
    {"trex-radius", required_argument, NULL, RC_OPT_TREX_RADIUS},              \
    {"trex-steps", required_argument, NULL, RC_OPT_TREX_STEPS}

#define RC_ARGS_HELP                                                           \
    "  --model MODEL        an .onnx file (or plugin:PATH.so) with a final\n"  \
    "                       Sigmoid or Softmax\n"                              \
    "  --train TRAIN        training data (same columns): feature bounds and\n" \
    "                       ranges, accepted rows for nn and plausibility\n"   \
    "  --desired K          the class wanted (default 1; one sigmoid output:\n" \
    "                       0 or 1)\n"                                         \
    "  --sigma S            noise sd of R^ as a fraction of each feature's\n"  \
    "                       training range (default 0.05)\n"                   \
    "  --k N                Monte-Carlo samples of R^ (default 1000)\n"        \
    "  --tau T              the stability T-Rex aims at, in (0, 1) (0.75)\n"    \
    "  --trex-radius R      T-Rex moves at most R (L2, range units) from the\n" \
    "                       closest counterfactual (default 1)\n"           \
    "  --trex-steps N       most T-Rex steps of 0.01 (default 400)\n"         \
    "  --immutable COLS     columns or groups that never change (comma list)\n" \
    "  --increasing COLS    columns that may only grow\n"                      \
    "  --integer COLS       integer columns (rounded, then re-checked)\n"      \
    "  --alt-models DIR|A.onnx,B.onnx  validity on alternative models\n"       \
    "  --seed S             random seed (default 0)\n"                         \
    "  --threads T          threads (default: all); output does not depend on it\n" \
    "  --json FILE          every score and per-method aggregates as JSON\n"   \
    "  --radius R           also the exact Stability R with the certified\n"  \
    "                       Lipschitz bound over the ball of radius R (range\n" \
    "                       units) and its guarantee (MLPs only; README)\n"

/* Handles a recourse option: 1 consumed, 0 not ours, -1 usage error printed. */
int rc_args_parse(rc_args *a, int opt, const char *arg);

/* Parses a recourse command's whole argv with its option table (recourse and
 * data options, `--force` as RC_OPT_FORCE, `-h`/`--help` as 'h') and checks
 * that --model, --data, --train and --out are given.  Returns CLI_OK, -1
 * after printing help, or CLI_USAGE_ERROR with the hint printed. */
int rc_args_parse_argv(rc_args *a, int argc, char **argv, const struct option *opts,
                       const char *help);

/* A loaded problem: model, data, training data, context, alternative models. */
typedef struct rc_problem {
    xai_model *model;
    xai_dataset *data, *train;
    xai_recourse *rc;
    xai_model **alts;
    char **alt_paths;
    size_t n_alts;
    size_t row_a, row_b;
    xai_mlp *mlp; /* with --radius */
} rc_problem;

/* Loads everything and checks it (columns of the data and the training data
 * agree, constraint names exist, alternative models fit); returns a CLI code. */
int rc_problem_load(const rc_args *a, rc_problem *p);
void rc_problem_free(rc_problem *p);

/* Checks --out (CSV) and --json before anything is loaded (cli/outputs.h):
 * neither may be an input (model, data, training data, --original, groups
 * and feature-label files, alternative models) or the other output; an
 * extension naming another format is refused unless force. */
int rc_args_check_outputs(const rc_args *a, int force, int stdout_ok);

/* One scored counterfactual for the outputs. */
typedef struct rc_record {
    size_t row;
    int method; /* xai_cf_method, or -1 for a scored file */
    xai_cf_result res;
    xai_cf_score sc;
    const float *x, *cf; /* original (may be NULL), counterfactual */
    uint8_t *valid;      /* n_alts entries, or NULL */
    xai_stability_exact ex; /* with --radius */
} rc_record;

/* Runs the methods on rows row_a..row_b of the data: generation, scores,
 * validity on the alternative models.  *out_r gets the records of the rows
 * the model rejects (caller frees it, *keep and *keep_valid), *already the
 * count of the others.  Returns a CLI code (errors printed as `cmd`). */
int rc_run_methods(const char *cmd, rc_problem *p, const int *methods, int n_methods,
                   rc_record **out_r, size_t *out_n, size_t *already, float **keep,
                   uint8_t **keep_valid);

/* Aggregates of one method over the found records. */
typedef struct rc_summary {
    size_t searched, found;
    double found_rate, validity_mean, validity_min, cost_l1, cost_l2, changed, stability,
        lof;
} rc_summary;
void rc_method_summary(const rc_problem *p, const rc_record *r, size_t n, int method,
                       rc_summary *out);

/* The change from x to cf in plain words, one clause per changed feature:
 * "checking-account: < 0 DM -> no account; duration-months 48 -> 36" (one-hot
 * groups by their categories' meanings from --feature-labels, else column
 * names).  Writes at most n bytes into buf. */
void rc_plain_words(const rc_problem *p, const float *x, const float *cf, char *buf,
                    size_t n);

/* With --radius: the exact Stability and guarantee of every record. */
int rc_add_exact(const rc_args *a, rc_problem *p, rc_record *r, size_t n);

/* Writes the CSV (header row,method,found,output,stability,cost_l1,cost_l2,
 * changed,<features>) into f. */
void rc_write_csv(FILE *f, const rc_problem *p, const rc_record *r, size_t n);
/* Writes the JSON document (schema xai-counterfactual/1) into f. */
void rc_write_json(FILE *f, const rc_args *a, const rc_problem *p, const rc_record *r,
                   size_t n, size_t already_accepted);

#endif
