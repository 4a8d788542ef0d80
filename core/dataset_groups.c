/* core/dataset_groups.c: feature groups from column names or a schema file. */
#include "dataset_groups.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

#define NO_GROUP UINT32_MAX

/* Length of PREFIX in "PREFIX_K" with K all digits, or 0. */
static size_t onehot_prefix_len(const char *name)
{
    const char *us = strrchr(name, '_');
    if (!us || us == name || us[1] == '\0')
        return 0;
    for (const char *p = us + 1; *p; p++)
        if (!isdigit((unsigned char)*p))
            return 0;
    return (size_t)(us - name);
}

/* Assigns group numbers in order of first feature, given a per-feature key
 * (group name or NULL for "stands alone"). */
static xai_status assign_groups(xai_dataset *ds, char **key)
{
    ds->group_of = malloc(ds->features * sizeof *ds->group_of);
    ds->group_names = calloc(ds->features, sizeof *ds->group_names);
    if (!ds->group_of || !ds->group_names)
        return xai_fail(XAI_ERR_NOMEM, "out of memory for feature groups");
    ds->groups = 0;
    for (size_t j = 0; j < ds->features; j++) {
        ds->group_of[j] = NO_GROUP;
        if (key[j])
            for (size_t g = 0; g < ds->groups; g++)
                if (strcmp(ds->group_names[g], key[j]) == 0) {
                    ds->group_of[j] = (uint32_t)g;
                    break;
                }
        if (ds->group_of[j] != NO_GROUP)
            continue;
        const char *name = key[j] ? key[j] : ds->names[j];
        if (!(ds->group_names[ds->groups] = strdup(name)))
            return xai_fail(XAI_ERR_NOMEM, "out of memory for feature groups");
        ds->group_of[j] = (uint32_t)ds->groups++;
    }
    return XAI_OK;
}

static void free_keys(char **key, size_t n)
{
    for (size_t j = 0; key && j < n; j++)
        free(key[j]);
    free(key);
}

xai_status xai_dataset_groups_auto(xai_dataset *ds)
{
    char **key = calloc(ds->features ? ds->features : 1, sizeof *key);
    if (!key)
        return xai_fail(XAI_ERR_NOMEM, "out of memory for feature groups");
    xai_status s = XAI_OK;
    for (size_t j = 0; j < ds->features && s == XAI_OK; j++) {
        size_t len = onehot_prefix_len(ds->names[j]);
        if (!len)
            continue;
        /* a group needs at least two members sharing the prefix */
        size_t members = 0;
        for (size_t k = 0; k < ds->features; k++)
            members += onehot_prefix_len(ds->names[k]) == len &&
                       strncmp(ds->names[k], ds->names[j], len) == 0;
        if (members >= 2 && !(key[j] = strndup(ds->names[j], len)))
            s = xai_fail(XAI_ERR_NOMEM, "out of memory for feature groups");
    }
    if (s == XAI_OK)
        s = assign_groups(ds, key);
    free_keys(key, ds->features);
    return s;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

xai_status xai_dataset_groups_from_schema(xai_dataset *ds, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return xai_fail(XAI_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    char **key = calloc(ds->features ? ds->features : 1, sizeof *key);
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    xai_status s = key ? XAI_OK : xai_fail(XAI_ERR_NOMEM, "out of memory");
    while (s == XAI_OK && getline(&line, &cap, f) > 0) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *body = trim(line);
        if (!*body)
            continue;
        char *colon = strchr(body, ':');
        if (!colon) {
            s = xai_fail(XAI_ERR_PARSE, "%s:%zu: expected 'GROUP: col1, col2, ...'",
                         path, lineno);
            break;
        }
        *colon = '\0';
        char *group = trim(body);
        if (!*group) {
            s = xai_fail(XAI_ERR_PARSE, "%s:%zu: empty group name", path, lineno);
            break;
        }
        char *save = NULL;
        for (char *tok = strtok_r(colon + 1, ",", &save); tok && s == XAI_OK;
             tok = strtok_r(NULL, ",", &save)) {
            char *col = trim(tok);
            int64_t j = xai_dataset_feature_index(ds, col);
            if (j < 0)
                s = xai_fail(XAI_ERR_PARSE, "%s:%zu: no feature column named '%s'",
                             path, lineno, col);
            else if (key[j])
                s = xai_fail(XAI_ERR_PARSE, "%s:%zu: column '%s' is already in group '%s'",
                             path, lineno, col, key[j]);
            else if (!(key[j] = strdup(group)))
                s = xai_fail(XAI_ERR_NOMEM, "out of memory");
        }
    }
    free(line);
    fclose(f);
    if (s == XAI_OK)
        s = assign_groups(ds, key);
    free_keys(key, ds->features);
    return s;
}
