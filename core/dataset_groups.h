/* core/dataset_groups.h: feature groups (one-hot categories). */
#ifndef XAI_CORE_DATASET_GROUPS_H
#define XAI_CORE_DATASET_GROUPS_H

#include "dataset_impl.h"

/* Columns named PREFIX_K (K all digits) with the same PREFIX form a group
 * PREFIX when there are at least two of them; other columns stand alone. */
xai_status xai_dataset_groups_auto(xai_dataset *ds);

/* Groups from a schema file: one group per line, "NAME: col1, col2, ...";
 * '#' starts a comment; columns not listed stand alone.  Errors name the
 * schema file and line. */
xai_status xai_dataset_groups_from_schema(xai_dataset *ds, const char *path);

#endif
