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
    if (s != XAI_OK)
        return cli_runtime_error(cmd, s);
    *out = d;
    return CLI_OK;
}

int data_args_check_model(const data_args *a, const char *cmd, const xai_dataset *ds,
                          const char *model_path, const xai_model *m)
{
    size_t have = xai_dataset_features(ds), want = xai_model_input_size(m);
    if (have == want)
        return CLI_OK;
    fprintf(stderr, "xai %s: error: %s has %zu features but the model %s takes %zu inputs%s\n",
            cmd, a->path, have, model_path, want,
            !a->label && have == want + 1
                ? " (is one column the label? name it with --label NAME)"
                : "");
    return CLI_RUNTIME_ERROR;
}
