/* xai/data.h: tabular and image data sets.
 *
 * A dataset is a dense row-major float matrix (rows x features) with feature
 * names, an optional label column, feature groups (one-hot columns that act
 * as one interpretable feature) and per-column summaries.  Images are stored
 * the same way, one image per row in CHW order, with feature names "c_y_x".
 * A dataset is immutable after loading and may be shared between threads. */
#ifndef XAI_DATA_H
#define XAI_DATA_H

#include <stdio.h>

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct xai_dataset xai_dataset;
typedef struct xai_column_stats xai_column_stats;

typedef struct xai_csv_options {
    const char *label;       /* name of the label column, or NULL for none */
    int groups_auto;         /* nonzero: columns "prefix_k" form group "prefix" */
    const char *schema_path; /* optional groups file (see README), or NULL */
    uint32_t image_c, image_h, image_w; /* nonzero: rows are CHW pixel images */
    float scale;             /* nonzero: every feature value is divided by it */
    const char *feature_labels_path; /* optional feature-labels file, or NULL:
                                        see xai_dataset_load_feature_labels */
    int allow_missing;       /* nonzero: an empty feature cell, NA or NaN (any
                                case) reads as NaN, a missing value; only for
                                models that define missing values
                                (xai_model_accepts_missing).  Labels are never
                                missing.  Column statistics skip missing
                                values. */
} xai_csv_options;

/* Default options: no label, no groups, tabular, no scaling. */
xai_csv_options xai_csv_options_default(void);

/* Loads a CSV file with a header row.  Every non-label cell must be a finite
 * number (or missing, with allow_missing).  On failure *out is NULL and xai_last_error() names the file, line
 * and column and quotes the offending text.  Free with xai_dataset_free. */
xai_status xai_dataset_load_csv(const char *path, const xai_csv_options *opt,
                                xai_dataset **out);

/* The same from an open stream (e.g. stdin; read to its end, left open);
 * name stands for the file in messages and as the data set's source. */
xai_status xai_dataset_load_csv_stream(FILE *f, const char *name,
                                       const xai_csv_options *opt, xai_dataset **out);

/* Streaming: a CSV file read in chunks of at most chunk_rows data rows, so
 * memory does not grow with the file.  chunk is called for each chunk in
 * order with a dataset holding only its rows (names, label, groups, image
 * shape and scaling as xai_dataset_load_csv, but no column statistics:
 * xai_dataset_stats returns NULL) and the 0-based file row of its first
 * row; the dataset is valid during the call only.  keep (may be NULL: every
 * row) selects the rows whose cells are parsed and checked: the cells of
 * the others are left unread (0 in the chunk), so a process that handles a
 * share of the rows checks only its share.  A callback returning non-OK
 * stops the read with its status. */
typedef struct xai_csv_stream {
    size_t chunk_rows;
    int (*keep)(void *user, size_t row);
    xai_status (*chunk)(void *user, const xai_dataset *chunk, size_t first_row);
    void *user;
} xai_csv_stream;

/* Reads path (or the open stream f, when not NULL, path naming it in
 * messages) through stream.  *rows (may be NULL) receives the number of data
 * rows read.  Errors as xai_dataset_load_csv (empty file, header only, a
 * bad cell in a kept row, a ragged row). */
xai_status xai_dataset_stream_csv(FILE *f, const char *path, const xai_csv_options *opt,
                                  const xai_csv_stream *stream, size_t *rows);

/* The first max_rows (> 0) data rows of a CSV file (fewer if it has fewer)
 * as xai_dataset_load_csv loads them: the names, groups and shape of a file
 * that is then streamed.  The rest of the file is not read. */
xai_status xai_dataset_load_csv_head(const char *path, const xai_csv_options *opt,
                                     size_t max_rows, xai_dataset **out);

/* Per-column statistics of a CSV file, read in two streaming passes of
 * chunk_rows rows (means, then deviations: the same sums in the same order
 * as xai_dataset_load_csv, so the values are bit-identical).  *stats
 * (malloc'ed, *features entries) and *rows on success. */
xai_status xai_dataset_csv_stats(const char *path, const xai_csv_options *opt,
                                 size_t chunk_rows, xai_column_stats **stats,
                                 size_t *features, size_t *rows);

/* Loads one PNG file, or every *.png file of a directory (sorted by name) as a
 * batch; all images must share one size and channel count.  Grey, grey+alpha,
 * RGB and RGBA, 8 or 16 bit; values become floats in [0, 1] in CHW order
 * (alpha is kept as a channel).  Free with xai_dataset_free. */
xai_status xai_dataset_load_png(const char *path, xai_dataset **out);

/* Frees a dataset; NULL is accepted. */
void xai_dataset_free(xai_dataset *ds);

/* The path the dataset was loaded from (for messages and provenance). */
const char *xai_dataset_source(const xai_dataset *ds);

size_t xai_dataset_rows(const xai_dataset *ds);
size_t xai_dataset_features(const xai_dataset *ds);

/* rows x features values, row-major; valid until xai_dataset_free. */
const float *xai_dataset_values(const xai_dataset *ds);
const float *xai_dataset_row(const xai_dataset *ds, size_t row);

const char *xai_dataset_feature_name(const xai_dataset *ds, size_t feature);

/* Index of the feature called name, or -1. */
int64_t xai_dataset_feature_index(const xai_dataset *ds, const char *name);

/* Labels (one per row) or NULL when the dataset has no label column. */
const float *xai_dataset_labels(const xai_dataset *ds);
const char *xai_dataset_label_name(const xai_dataset *ds);

/* Feature groups.  Every feature belongs to exactly one group; without
 * grouping, group g is feature g.  Groups are numbered in order of their
 * first feature. */
size_t xai_dataset_group_count(const xai_dataset *ds);
const char *xai_dataset_group_name(const xai_dataset *ds, size_t group);
/* features-long array mapping each feature to its group. */
const uint32_t *xai_dataset_feature_groups(const xai_dataset *ds);

/* Feature labels: the plain meaning of each column, read from a CSV file
 * with the header "column,group,meaning" and one line per feature column,
 * e.g. "checking-account_4,checking-account,no account" (for a one-hot
 * column, the category it stands for) or "age,age,age, years".  Every column
 * named must be a feature of ds; a non-empty group must be the column's group
 * in ds (so a stale file or a forgotten --groups is an error); columns not
 * listed have no meaning.  Errors name the file and line; on error ds is
 * unchanged.  Replaces labels loaded before; call it before ds is shared
 * between threads (xai_dataset_load_csv calls it for
 * opt->feature_labels_path). */
xai_status xai_dataset_load_feature_labels(xai_dataset *ds, const char *path);

/* The plain meaning of a feature from the feature-labels file, or NULL. */
const char *xai_dataset_feature_meaning(const xai_dataset *ds, size_t feature);

/* The meaning when there is one, else the column name. */
const char *xai_dataset_feature_label(const xai_dataset *ds, size_t feature);

/* The category a row has in a one-hot group: the index of the group's
 * column that is 1 in `row` (a features-long row of ds) when the group's
 * columns there are one-hot (exactly one 1, the others 0); -1 otherwise,
 * and for a group of a single column (a numeric feature).  With feature labels,
 * xai_dataset_feature_label(ds, result) names the category ("no account"). */
int64_t xai_dataset_group_category(const xai_dataset *ds, size_t group,
                                   const float *row);

/* Per-feature summaries over all rows (population std). */
typedef struct xai_column_stats {
    double mean, std, min, max;
} xai_column_stats;
const xai_column_stats *xai_dataset_stats(const xai_dataset *ds, size_t feature);

/* The one rule for a column's noise and distance scale, used by every
 * explainer and audit metric: its std, or 1 when the std is 0 (a constant
 * column) or not finite, so noise still reaches a constant column and a
 * feature the model uses is never silently given no variation.  NULL: 1. */
double xai_column_scale(const xai_column_stats *s);

/* Image shape: returns 1 and fills c, h, w for image data, else returns 0. */
int xai_dataset_image_shape(const xai_dataset *ds, uint32_t *c, uint32_t *h,
                            uint32_t *w);

#ifdef __cplusplus
}
#endif
#endif
