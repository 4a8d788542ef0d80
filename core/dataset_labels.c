/* core/dataset_labels.c: plain meanings of feature columns from a
 * feature-labels file (CSV "column,group,meaning"), and the category a row
 * has in a one-hot group. */
#include <stdlib.h>
#include <string.h>

#include "csv_reader.h"
#include "dataset_impl.h"
#include "error.h"

enum { F_COLUMN, F_GROUP, F_MEANING, F_COUNT };
static const char *const field_names[F_COUNT] = {"column", "group", "meaning"};

typedef struct labels_reader {
    xai_dataset *ds;
    const char *path;
    char **meanings;          /* features, the result */
    char *field[F_COUNT];     /* the record being read */
    size_t fields;
    int in_header;
} labels_reader;

static char *trimmed_copy(const char *text, size_t len)
{
    while (len && (*text == ' ' || *text == '\t')) {
        text++;
        len--;
    }
    while (len && (text[len - 1] == ' ' || text[len - 1] == '\t' ||
                   text[len - 1] == '\r'))
        len--;
    return strndup(text, len);
}

static xai_status on_field(void *user, size_t line, size_t col, const char *text,
                           size_t len)
{
    labels_reader *r = user;
    r->fields = col;
    if (col > F_COUNT)
        return XAI_OK; /* counted; reported at the end of the record */
    free(r->field[col - 1]);
    if (!(r->field[col - 1] = trimmed_copy(text, len)))
        return xai_fail(XAI_ERR_NOMEM, "%s:%zu: out of memory", r->path, line);
    return XAI_OK;
}

static xai_status check_record(labels_reader *r, size_t line)
{
    if (r->in_header) {
        r->in_header = 0;
        for (int k = 0; k < F_COUNT; k++)
            if (strcmp(r->field[k], field_names[k]) != 0)
                return xai_fail(XAI_ERR_PARSE,
                                "%s:1: the header must be 'column,group,meaning' "
                                "(field %d is '%s')", r->path, k + 1, r->field[k]);
        return XAI_OK;
    }
    const xai_dataset *ds = r->ds;
    int64_t j = xai_dataset_feature_index(ds, r->field[F_COLUMN]);
    if (j < 0)
        return xai_fail(XAI_ERR_PARSE, "%s:%zu: no feature column named '%s' in %s",
                        r->path, line, r->field[F_COLUMN], ds->source);
    const char *group = ds->group_names[ds->group_of[j]];
    if (r->field[F_GROUP][0] && strcmp(r->field[F_GROUP], group) != 0)
        return xai_fail(XAI_ERR_PARSE,
                        "%s:%zu: column '%s' is in group '%s' here but in group '%s' "
                        "in the data (group the data with --groups auto or a groups "
                        "file to match)", r->path, line, r->field[F_COLUMN],
                        r->field[F_GROUP], group);
    if (!r->field[F_MEANING][0])
        return xai_fail(XAI_ERR_PARSE, "%s:%zu: column '%s': empty meaning", r->path,
                        line, r->field[F_COLUMN]);
    if (r->meanings[j])
        return xai_fail(XAI_ERR_PARSE, "%s:%zu: column '%s' is listed twice", r->path,
                        line, r->field[F_COLUMN]);
    r->meanings[j] = r->field[F_MEANING];
    r->field[F_MEANING] = NULL;
    return XAI_OK;
}

static xai_status on_row_end(void *user, size_t line, size_t fields)
{
    labels_reader *r = user;
    if (fields != F_COUNT)
        return xai_fail(XAI_ERR_PARSE, "%s:%zu: %zu fields, expected 3 "
                        "(column,group,meaning)", r->path, line, fields);
    xai_status s = check_record(r, line);
    for (int k = 0; k < F_COUNT; k++) {
        free(r->field[k]);
        r->field[k] = NULL;
    }
    return s;
}

static void free_meanings(char **m, size_t n)
{
    for (size_t j = 0; m && j < n; j++)
        free(m[j]);
    free(m);
}

xai_status xai_dataset_load_feature_labels(xai_dataset *ds, const char *path)
{
    if (!ds || !path)
        return xai_fail(XAI_ERR_INVALID, "feature labels: no dataset or no path");
    labels_reader r = {.ds = ds, .path = path, .in_header = 1};
    if (!(r.meanings = calloc(ds->features ? ds->features : 1, sizeof *r.meanings)))
        return xai_fail(XAI_ERR_NOMEM, "%s: out of memory", path);
    xai_csv_visitor v = {on_field, on_row_end};
    xai_status s = xai_csv_read(path, &v, &r);
    if (s == XAI_OK && r.in_header)
        s = xai_fail(XAI_ERR_PARSE, "%s: empty file (expected the header "
                     "'column,group,meaning')", path);
    for (int k = 0; k < F_COUNT; k++)
        free(r.field[k]);
    if (s != XAI_OK) {
        free_meanings(r.meanings, ds->features);
        return s;
    }
    free_meanings(ds->meanings, ds->features);
    ds->meanings = r.meanings;
    return XAI_OK;
}

const char *xai_dataset_feature_meaning(const xai_dataset *ds, size_t feature)
{
    return ds->meanings && feature < ds->features ? ds->meanings[feature] : NULL;
}

const char *xai_dataset_feature_label(const xai_dataset *ds, size_t feature)
{
    const char *m = xai_dataset_feature_meaning(ds, feature);
    return m ? m : xai_dataset_feature_name(ds, feature);
}

int64_t xai_dataset_group_category(const xai_dataset *ds, size_t group,
                                   const float *row)
{
    if (!ds || group >= ds->groups || !row)
        return -1;
    int64_t set = -1;
    size_t members = 0, ones = 0;
    for (size_t j = 0; j < ds->features; j++) {
        if (ds->group_of[j] != group)
            continue;
        members++;
        if (row[j] == 1.0f) {
            ones++;
            set = (int64_t)j;
        } else if (row[j] != 0.0f) {
            return -1; /* not one-hot */
        }
    }
    return members >= 2 && ones == 1 ? set : -1;
}
