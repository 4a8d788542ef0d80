/* core/dataset_impl.h: the dataset object, shared by the CSV and PNG loaders. */
#ifndef XAI_CORE_DATASET_IMPL_H
#define XAI_CORE_DATASET_IMPL_H

#include <xai/data.h>

struct xai_dataset {
    char *source;
    size_t rows, features;
    float *values;   /* rows x features */
    float *labels;   /* rows, or NULL */
    char *label_name;
    char **names;    /* features */
    uint32_t *group_of; /* features */
    char **group_names;
    size_t groups;
    char **meanings;    /* features (entries may be NULL), or NULL */
    xai_column_stats *stats;
    uint32_t image_c, image_h, image_w;
};

/* An empty dataset for `source`; NULL when out of memory. */
xai_dataset *xai_dataset_alloc(const char *source);

/* Allocates values (rows x features) and names; checks the size. */
xai_status xai_dataset_reserve(xai_dataset *ds, size_t rows, size_t features);

/* Names features "c_y_x" for an image of shape c x h x w. */
xai_status xai_dataset_name_pixels(xai_dataset *ds, uint32_t c, uint32_t h,
                                   uint32_t w);

/* Fills the groups with one group per feature (named as the feature). */
xai_status xai_dataset_identity_groups(xai_dataset *ds);

/* Computes per-column statistics from values. */
xai_status xai_dataset_compute_stats(xai_dataset *ds);

#endif
