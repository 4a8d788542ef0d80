/* cli/data_args.c: see data_args.h. */
#include "data_args.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cli.h"

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
        unsigned c, h, w;
        char extra;
        if (sscanf(arg, "%u,%u,%u%c", &c, &h, &w, &extra) != 3 || !c || !h || !w) {
            cli_usage_error(cmd, "--image-shape wants C,H,W (e.g. 1,8,8), got '%s'", arg);
            return -1;
        }
        a->c = c;
        a->h = h;
        a->w = w;
        return 1;
    }
    case DATA_OPT_SCALE:
        a->scale = strtof(arg, &end);
        if (end == arg || *end || !(a->scale > 0)) {
            cli_usage_error(cmd, "--scale wants a positive number, got '%s'", arg);
            return -1;
        }
        return 1;
    default:
        return 0;
    }
}

static int is_png_input(const char *path)
{
    struct stat st;
    size_t n = strlen(path);
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return 1;
    return n > 4 && strcasecmp(path + n - 4, ".png") == 0;
}

int data_args_load(const data_args *a, const char *cmd, xai_dataset **out)
{
    xai_dataset *d = NULL;
    xai_status s;
    *out = NULL;
    if (!a->path)
        return cli_usage_error(cmd, "--data is required");
    if (is_png_input(a->path)) {
        s = xai_dataset_load_png(a->path, &d);
    } else {
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
        s = xai_dataset_load_csv(a->path, &o, &d);
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

int data_args_check_model(const data_args *a, const char *cmd, const xai_dataset *ds,
                          const char *model_path, const xai_model *m)
{
    size_t have = xai_dataset_features(ds), want = xai_model_input_size(m);
    uint32_t c, h, w;
    int64_t d[4];
    if (have == want && xai_dataset_image_shape(ds, &c, &h, &w) &&
        xai_model_input_shape(m, d) == 3 && (d[0] != c || d[1] != h || d[2] != w)) {
        fprintf(stderr, "xai %s: error: %s holds CHW images %ux%ux%u but the model %s "
                "takes %lldx%lldx%lld per sample (an NHWC model needs its data in its "
                "own layout, as CSV without --image-shape)\n", cmd, a->path, c, h, w,
                model_path, (long long)d[0], (long long)d[1], (long long)d[2]);
        return CLI_RUNTIME_ERROR;
    }
    if (have == want)
        return CLI_OK;
    fprintf(stderr, "xai %s: error: %s has %zu features but the model %s takes %zu inputs%s\n",
            cmd, a->path, have, model_path, want,
            !a->label && have == want + 1
                ? " (is one column the label? name it with --label NAME)"
                : "");
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
