/* core/dataset.c: the dataset object, its accessors and column summaries. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataset_impl.h"
#include "error.h"

xai_dataset *xai_dataset_alloc(const char *source)
{
    xai_dataset *ds = calloc(1, sizeof *ds);
    if (!ds)
        return NULL;
    if (!(ds->source = strdup(source ? source : ""))) {
        free(ds);
        return NULL;
    }
    return ds;
}

xai_status xai_dataset_reserve(xai_dataset *ds, size_t rows, size_t features)
{
    size_t cells;
    if (!xai_mul3_size(rows, features, sizeof(float), &cells))
        return xai_fail(XAI_ERR_NOMEM, "%s: %zu x %zu values is too large",
                        ds->source, rows, features);
    free(ds->values);
    ds->values = malloc(cells ? cells : 1);
    if (!ds->names)
        ds->names = calloc(features ? features : 1, sizeof *ds->names);
    if (!ds->values || !ds->names)
        return xai_fail(XAI_ERR_NOMEM, "%s: out of memory for %zu x %zu values",
                        ds->source, rows, features);
    ds->rows = rows;
    ds->features = features;
    return XAI_OK;
}

xai_status xai_dataset_name_pixels(xai_dataset *ds, uint32_t c, uint32_t h,
                                   uint32_t w)
{
    size_t f = 0;
    for (uint32_t ci = 0; ci < c; ci++)
        for (uint32_t y = 0; y < h; y++)
            for (uint32_t x = 0; x < w; x++, f++) {
                char name[48];
                snprintf(name, sizeof name, "%u_%u_%u", ci, y, x);
                free(ds->names[f]);
                if (!(ds->names[f] = strdup(name)))
                    return xai_fail(XAI_ERR_NOMEM, "out of memory naming pixels");
            }
    ds->image_c = c;
    ds->image_h = h;
    ds->image_w = w;
    return XAI_OK;
}

xai_status xai_dataset_identity_groups(xai_dataset *ds)
{
    ds->group_of = calloc(ds->features ? ds->features : 1, sizeof *ds->group_of);
    ds->group_names = calloc(ds->features ? ds->features : 1, sizeof *ds->group_names);
    if (!ds->group_of || !ds->group_names)
        return xai_fail(XAI_ERR_NOMEM, "out of memory for feature groups");
    for (size_t j = 0; j < ds->features; j++) {
        ds->group_of[j] = (uint32_t)j;
        if (!(ds->group_names[j] = strdup(ds->names[j])))
            return xai_fail(XAI_ERR_NOMEM, "out of memory for feature groups");
    }
    ds->groups = ds->features;
    return XAI_OK;
}

xai_status xai_dataset_compute_stats(xai_dataset *ds)
{
    ds->stats = calloc(ds->features ? ds->features : 1, sizeof *ds->stats);
    if (!ds->stats)
        return xai_fail(XAI_ERR_NOMEM, "out of memory for column summaries");
    /* over the values present: missing ones (NaN, see allow_missing) are
     * skipped; a column with none present summarises as 0 */
    for (size_t j = 0; j < ds->features; j++) {
        double sum = 0, mn = INFINITY, mx = -INFINITY;
        size_t n = 0;
        for (size_t i = 0; i < ds->rows; i++) {
            double v = ds->values[i * ds->features + j];
            if (isnan(v))
                continue;
            n++;
            sum += v;
            mn = v < mn ? v : mn;
            mx = v > mx ? v : mx;
        }
        double mean = n ? sum / (double)n : 0, ss = 0;
        for (size_t i = 0; i < ds->rows; i++) {
            double d = ds->values[i * ds->features + j] - mean;
            if (!isnan(d))
                ss += d * d;
        }
        if (!n && ds->rows)
            mn = mx = 0;
        ds->stats[j] = (xai_column_stats){mean, n ? sqrt(ss / (double)n) : 0, mn, mx};
    }
    return XAI_OK;
}

void xai_dataset_free(xai_dataset *ds)
{
    if (!ds)
        return;
    for (size_t j = 0; ds->names && j < ds->features; j++)
        free(ds->names[j]);
    for (size_t g = 0; ds->group_names && g < ds->groups; g++)
        free(ds->group_names[g]);
    for (size_t j = 0; ds->meanings && j < ds->features; j++)
        free(ds->meanings[j]);
    free(ds->meanings);
    free(ds->names);
    free(ds->group_names);
    free(ds->group_of);
    free(ds->values);
    free(ds->labels);
    free(ds->label_name);
    free(ds->stats);
    free(ds->source);
    free(ds);
}

const char *xai_dataset_source(const xai_dataset *ds) { return ds->source; }
size_t xai_dataset_rows(const xai_dataset *ds) { return ds->rows; }
size_t xai_dataset_features(const xai_dataset *ds) { return ds->features; }
const float *xai_dataset_values(const xai_dataset *ds) { return ds->values; }
const float *xai_dataset_labels(const xai_dataset *ds) { return ds->labels; }
const char *xai_dataset_label_name(const xai_dataset *ds) { return ds->label_name; }
size_t xai_dataset_group_count(const xai_dataset *ds) { return ds->groups; }
const uint32_t *xai_dataset_feature_groups(const xai_dataset *ds) { return ds->group_of; }

const float *xai_dataset_row(const xai_dataset *ds, size_t row)
{
    return row < ds->rows ? ds->values + row * ds->features : NULL;
}

const char *xai_dataset_feature_name(const xai_dataset *ds, size_t feature)
{
    return feature < ds->features ? ds->names[feature] : NULL;
}

int64_t xai_dataset_feature_index(const xai_dataset *ds, const char *name)
{
    for (size_t j = 0; j < ds->features; j++)
        if (strcmp(ds->names[j], name) == 0)
            return (int64_t)j;
    return -1;
}

const char *xai_dataset_group_name(const xai_dataset *ds, size_t group)
{
    return group < ds->groups ? ds->group_names[group] : NULL;
}

double xai_column_scale(const xai_column_stats *s)
{
    return s && s->std > 0 && isfinite(s->std) ? s->std : 1.0;
}

const xai_column_stats *xai_dataset_stats(const xai_dataset *ds, size_t feature)
{
    return ds->stats && feature < ds->features ? &ds->stats[feature] : NULL;
}

int xai_dataset_image_shape(const xai_dataset *ds, uint32_t *c, uint32_t *h,
                            uint32_t *w)
{
    if (!ds->image_c)
        return 0;
    *c = ds->image_c;
    *h = ds->image_h;
    *w = ds->image_w;
    return 1;
}
