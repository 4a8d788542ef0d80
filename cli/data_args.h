/* cli/data_args.h: the data options shared by every subcommand that reads
 * data: --data PATH, --label NAME, --groups auto|SCHEMA, --image-shape C,H,W,
 * --scale S.  PATH is a CSV file, a PNG file or a directory of PNGs. */
#ifndef XAI_CLI_DATA_ARGS_H
#define XAI_CLI_DATA_ARGS_H

#include <getopt.h>

#include <xai/xai.h>

typedef struct data_args {
    const char *path;
    const char *label;
    const char *groups; /* NULL, "auto" or a schema file */
    uint32_t c, h, w;
    float scale;
    const char *feature_labels; /* NULL or a "column,group,meaning" CSV */
    uint64_t max_memory; /* --max-memory; 0: XAI_DEFAULT_MAX_MEMORY */
    int allow_missing;   /* missing cells read as NaN: set from the model
                            (xai_model_accepts_missing) before data_args_load */
} data_args;

/* getopt_long entries for the options above (values >= DATA_OPT_BASE);
 * append DATA_ARGS_LONG_OPTIONS to a command's option table. */
enum {
    DATA_OPT_BASE = 0x1000,
    DATA_OPT_DATA = DATA_OPT_BASE,
    DATA_OPT_LABEL,
    DATA_OPT_GROUPS,
    DATA_OPT_IMAGE_SHAPE,
    DATA_OPT_SCALE,
    DATA_OPT_FEATURE_LABELS,
    DATA_OPT_MAX_MEMORY,
};
#define DATA_ARGS_LONG_OPTIONS                                                 \
    {"data", required_argument, NULL, DATA_OPT_DATA},                          \
    {"label", required_argument, NULL, DATA_OPT_LABEL},                        \
    {"groups", required_argument, NULL, DATA_OPT_GROUPS},                      \
    {"image-shape", required_argument, NULL, DATA_OPT_IMAGE_SHAPE},            \
    {"scale", required_argument, NULL, DATA_OPT_SCALE},                        \
    {"feature-labels", required_argument, NULL, DATA_OPT_FEATURE_LABELS},      \
    {"max-memory", required_argument, NULL, DATA_OPT_MAX_MEMORY}

/* The help lines for these options. */
#define DATA_ARGS_HELP                                                         \
    "  --data PATH          CSV file (header row), PNG file or directory of PNGs;\n" \
    "                       '-': CSV from standard input\n" \
    "  --label NAME         the label column (excluded from the features)\n"   \
    "  --groups auto|FILE   feature groups: one-hot columns PREFIX_K form group\n" \
    "                       PREFIX (auto), or a schema file 'GROUP: col, col'\n" \
    "  --image-shape C,H,W  CSV rows are CHW images of this shape\n"           \
    "  --scale S            divide every feature value by S (e.g. 16 for digits)\n" \
    "  --feature-labels FILE  CSV 'column,group,meaning': plain names of columns\n" \
    "                       and one-hot categories, used in reports\n"     \
    "  --max-memory SIZE    working memory the model may plan (per row, and per\n" \
    "                       batch: batches are split), e.g. 512M, 8G; default 2G\n"

/* Handles option `opt` with argument `arg` if it is a data option: returns 1
 * (consumed), 0 (not a data option) or -1 (usage error already printed). */
int data_args_parse(data_args *a, const char *cmd, int opt, const char *arg);

/* Loads the model with the --max-memory bound.  Prints the error and returns
 * CLI_RUNTIME_ERROR on failure. */
int data_args_load_model(const data_args *a, const char *cmd, const char *path,
                         xai_model **out);

/* The --groups schema file (an input), or NULL for none or "auto". */
const char *data_args_groups_file(const data_args *a);

/* Loads the dataset into *out.  Returns CLI_OK, or prints the error and
 * returns CLI_USAGE_ERROR (no --data) or CLI_RUNTIME_ERROR. */
int data_args_load(const data_args *a, const char *cmd, xai_dataset **out);

/* The CSV reading options of --label, --groups, --image-shape, --scale and
 * --feature-labels. */
xai_csv_options data_args_csv_options(const data_args *a);

/* 1 if --data is a CSV file that can be streamed (read twice, in chunks):
 * not a PNG file or directory, not standard input. */
int data_args_streamable(const data_args *a);

/* Loads the first row of the CSV --data (names, groups, shape), for a
 * command that then streams it.  As data_args_load otherwise. */
int data_args_load_head(const data_args *a, const char *cmd, xai_dataset **out);

/* Parses --rows "A:B" (0-based, B exclusive; A: and :B allowed) for data of
 * n rows; without a spec the rows are 0:min(n, default_count).  A range that
 * is empty or reaches beyond the data is a usage error (printed; returns
 * CLI_USAGE_ERROR), else CLI_OK. */
int data_args_rows(const char *cmd, const char *spec, size_t n, size_t default_count,
                   size_t *a, size_t *b);

/* Checks that the data's feature count is the model's input width; prints
 * an error naming both files (with a hint when an unnamed label column
 * would explain the difference) and returns CLI_RUNTIME_ERROR if not. */
int data_args_check_model(const data_args *a, const char *cmd, const xai_dataset *ds,
                          const char *model_path, const xai_model *m);

/* The same check with the reason in err (cap bytes) instead of printed:
 * returns 1 on a mismatch, else 0. */
int data_args_model_mismatch(const data_args *a, const xai_dataset *ds,
                             const char *model_path, const xai_model *m, char *err,
                             size_t cap);

/* Runs m on rows r0..r1-1 of ds (kind) and fails naming the first row
 * whose output is not a finite number: one policy for every command.  If
 * y is not NULL it receives the (r1 - r0) x K outputs.  Returns CLI_OK or
 * prints the error and returns CLI_RUNTIME_ERROR. */
int data_args_check_finite(const data_args *a, const char *cmd, const xai_model *m,
                           xai_output_kind kind, const xai_dataset *ds, size_t r0,
                           size_t r1, float *y);

#endif
