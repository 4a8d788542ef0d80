/* cli/data_args.c: see data_args.h. */
#include "data_args.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cli.h"
#include "shard.h"

int data_args_parse(data_args *a, const char *cmd, int opt, const char *arg)
{
    char *end;
    switch (opt) {
    case DATA_OPT_DATA:
        a->path = arg;
        return 1;
    case DATA_OPT_LABEL:
        a->label = arg;
        return 1;
    case DATA_OPT_GROUPS:
        a->groups = arg;
        return 1;
    case DATA_OPT_FEATURE_LABELS:
        a->feature_labels = arg;
        return 1;
    case DATA_OPT_IMAGE_SHAPE: {
        /* three whole numbers in 1..65536: no sign, no overflow, no extra */
        long long v[3];
        char part[3][24];
        const char *p = arg;
        int ok = 1;
        for (int k = 0; k < 3 && ok; k++) {
            size_t n = strcspn(p, ",");
            ok = n < sizeof part[k] && (k == 2 ? p[n] == '\0' : p[n] == ',');
            if (ok) {
                memcpy(part[k], p, n);
                part[k][n] = '\0';
                ok = isdigit((unsigned char)part[k][0]) && cli_int_in(part[k], 1, 65536, &v[k]);
                p += n + 1;
            }
        }
        if (!ok) {
            cli_usage_error(cmd, "--image-shape wants C,H,W, three whole numbers in "
                            "1..65536 (e.g. 1,8,8), got '%s'", arg);
            return -1;
        }
        a->c = (uint32_t)v[0];
        a->h = (uint32_t)v[1];
        a->w = (uint32_t)v[2];
        return 1;
    }
    case DATA_OPT_SCALE: {
        errno = 0;
        double v = strtod(arg, &end);
        /* finite, positive, and representable as a float divisor */
        if (end == arg || *end || errno || !isfinite(v) || !(v > 0) || v > 3.4e38 ||
            v < 1e-30) {
            cli_usage_error(cmd, "--scale wants a positive finite number (1e-30..3.4e38), "
                            "got '%s'", arg);
            return -1;
        }
        a->scale = (float)v;
        return 1;
    }
    case DATA_OPT_MAX_MEMORY: {
        /* whole number with an optional K, M or G (powers of 1024) */
        size_t n = strlen(arg);
        char num[32];
        uint64_t unit = 1;
        if (n && strchr("KkMmGg", arg[n - 1])) {
            char u = (char)(arg[n - 1] | 0x20);
            unit = u == 'k' ? 1024 : u == 'm' ? 1024 * 1024 : (uint64_t)1 << 30;
            n--;
        }
        long long v;
        if (n == 0 || n >= sizeof num || !isdigit((unsigned char)arg[0]) ||
            (memcpy(num, arg, n), num[n] = '\0', !cli_int_in(num, 1, 1ll << 50, &v)) ||
            (uint64_t)v * unit < ((uint64_t)1 << 20) || (uint64_t)v * unit > ((uint64_t)1 << 50)) {
            cli_usage_error(cmd, "--max-memory wants a size from 1M to 1048576G (e.g. 512M, "
                            "8G), got '%s'", arg);
            return -1;
        }
        a->max_memory = (uint64_t)v * unit;
        return 1;
    }
    default:
        return 0;
    }
}

int data_args_load_model(const data_args *a, const char *cmd, const char *path,
                         xai_model **out)
{
    xai_status s = xai_model_load_limited(path, a->max_memory, out);
    return s == XAI_OK ? CLI_OK : cli_runtime_error(cmd, s);
}

const char *data_args_groups_file(const data_args *a)
{
    return a->groups && strcmp(a->groups, "auto") != 0 ? a->groups : NULL;
}

static int is_png_input(const char *path)
{
    struct stat st;
    size_t n = strlen(path);
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return 1;
    return n > 4 && strcasecmp(path + n - 4, ".png") == 0;
}

xai_csv_options data_args_csv_options(const data_args *a)
{
    xai_csv_options o = xai_csv_options_default();
    o.label = a->label;
    if (a->groups && strcmp(a->groups, "auto") == 0)
        o.groups_auto = 1;
    else
        o.schema_path = a->groups;
    o.image_c = a->c;
    o.image_h = a->h;
    o.image_w = a->w;
    o.scale = a->scale;
    o.feature_labels_path = a->feature_labels;
    o.allow_missing = a->allow_missing;
    return o;
}

int data_args_load(const data_args *a, const char *cmd, xai_dataset **out)
{
    xai_dataset *d = NULL;
    xai_status s;
    *out = NULL;
    if (!a->path)
        return cli_usage_error(cmd, "--data is required");
    int stdio = strcmp(a->path, "-") == 0;
    if (stdio && shard_size() > 1) /* mpirun forwards stdin to rank 0 only */
        return cli_usage_error(cmd, "--data - (standard input) reaches rank 0 only; "
                               "under mpirun give a file");
    if (!stdio && is_png_input(a->path)) {
        /* these describe CSV columns: never ignore them without a word */
        const char *csv_only = a->label ? "--label" : a->groups ? "--groups"
                             : a->c ? "--image-shape" : a->scale != 0 ? "--scale" : NULL;
        if (csv_only)
            return cli_usage_error(cmd, "%s applies to CSV data; '%s' is PNG (pixels in "
                                   "[0, 1], CHW, no label column)", csv_only, a->path);
        s = xai_dataset_load_png(a->path, &d);
    } else {
        xai_csv_options o = data_args_csv_options(a);
        o.feature_labels_path = NULL; /* loaded below, for PNG data too */
        s = stdio ? xai_dataset_load_csv_stream(stdin, "standard input", &o, &d)
                  : xai_dataset_load_csv(a->path, &o, &d);
    }
    if (s == XAI_OK && a->feature_labels)
        s = xai_dataset_load_feature_labels(d, a->feature_labels);
    if (s != XAI_OK) {
        xai_dataset_free(d);
        return cli_runtime_error(cmd, s);
    }
    *out = d;
    return CLI_OK;
}

int data_args_streamable(const data_args *a)
{
    return a->path && strcmp(a->path, "-") != 0 && !is_png_input(a->path);
}

int data_args_load_head(const data_args *a, const char *cmd, xai_dataset **out)
{
    xai_csv_options o = data_args_csv_options(a);
    xai_status s = xai_dataset_load_csv_head(a->path, &o, 1, out);
    return s == XAI_OK ? CLI_OK : cli_runtime_error(cmd, s);
}

int data_args_model_mismatch(const data_args *a, const xai_dataset *ds,
                             const char *model_path, const xai_model *m, char *err,
                             size_t cap)
{
    size_t have = xai_dataset_features(ds), want = xai_model_input_size(m);
    uint32_t c, h, w;
    const char *data = strcmp(a->path, "-") == 0 ? "standard input" : a->path;
    if (xai_check_output_rank(m) != XAI_OK) {
        snprintf(err, cap, "%s: %s", model_path, xai_last_error());
        return 1;
    }
    int64_t d[4];
    if (have == want && xai_dataset_image_shape(ds, &c, &h, &w) &&
        xai_model_input_shape(m, d) == 3 && (d[0] != c || d[1] != h || d[2] != w)) {
        snprintf(err, cap, "%s holds CHW images %ux%ux%u but the model %s "
                 "takes %lldx%lldx%lld per sample (an NHWC model needs its data in its "
                 "own layout, as CSV without --image-shape)", data, c, h, w,
                 model_path, (long long)d[0], (long long)d[1], (long long)d[2]);
        return 1;
    }
    if (have == want)
        return 0;
    snprintf(err, cap, "%s has %zu features but the model %s takes %zu inputs%s", data,
             have, model_path, want,
             !a->label && have == want + 1
                 ? " (is one column the label? name it with --label NAME)"
                 : "");
    return 1;
}

int data_args_check_model(const data_args *a, const char *cmd, const xai_dataset *ds,
                          const char *model_path, const xai_model *m)
{
    char err[1024];
    if (!data_args_model_mismatch(a, ds, model_path, m, err, sizeof err))
        return CLI_OK;
    fprintf(stderr, "xai %s: error: %s\n", cmd, err);
    return CLI_RUNTIME_ERROR;
}

/* A whole decimal number; 0 if text is empty or has anything else. */
static int parse_count(const char *text, size_t len, size_t *out)
{
    if (len == 0 || len > 18)
        return 0;
    size_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] < '0' || text[i] > '9')
            return 0;
        v = v * 10 + (size_t)(text[i] - '0');
    }
    *out = v;
    return 1;
}

int data_args_rows(const char *cmd, const char *spec, size_t n, size_t default_count,
                   size_t *a, size_t *b)
{
    *a = 0;
    *b = n < default_count ? n : default_count;
    if (!spec)
        return CLI_OK;
    const char *colon = strchr(spec, ':');
    if (!colon)
        return cli_usage_error(cmd, "--rows wants A:B, got '%s'", spec);
    size_t left = (size_t)(colon - spec), right = strlen(colon + 1);
    *b = n;
    if ((left && !parse_count(spec, left, a)) || (right && !parse_count(colon + 1, right, b)))
        return cli_usage_error(cmd, "--rows wants A:B with row numbers, got '%s'", spec);
    if (*a >= *b || *b > n)
        return cli_usage_error(cmd, "--rows %s is empty or beyond the %zu rows of the data",
                               spec, n);
    return CLI_OK;
}

int data_args_check_finite(const data_args *a, const char *cmd, const xai_model *m,
                           xai_output_kind kind, const xai_dataset *ds, size_t r0,
                           size_t r1, float *y)
{
    enum { CHUNK = 256 };
    size_t K = xai_model_output_size(m);
    xai_runner *r = NULL;
    float *buf = y ? NULL : malloc(CHUNK * K * sizeof *buf);
    xai_status s = (y || buf) ? xai_runner_new(m, &r) : XAI_ERR_NOMEM;
    int rc = CLI_OK;
    if (s != XAI_OK)
        rc = s == XAI_ERR_NOMEM && !r ? (fprintf(stderr, "xai %s: error: out of memory\n",
                                                 cmd), CLI_RUNTIME_ERROR)
                                      : cli_runtime_error(cmd, s);
    for (size_t i = r0; i < r1 && rc == CLI_OK; i += CHUNK) {
        size_t n = r1 - i < CHUNK ? r1 - i : CHUNK;
        float *out = y ? y + (i - r0) * K : buf;
        if ((s = xai_runner_forward(r, kind, xai_dataset_row(ds, i), n, out)) != XAI_OK) {
            rc = cli_runtime_error(cmd, s);
            break;
        }
        for (size_t q = 0; q < n * K; q++)
            if (!isfinite(out[q])) {
                fprintf(stderr, "xai %s: error: the model returned a non-finite output "
                        "(%g, output %zu) for row %zu of %s\n", cmd, out[q], q % K,
                        i + q / K, a->path);
                rc = CLI_RUNTIME_ERROR;
                break;
            }
    }
    xai_runner_free(r);
    free(buf);
    return rc;
}
