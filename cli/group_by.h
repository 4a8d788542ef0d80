/* cli/group_by.h: `--group-by SPEC` for `xai audit`: which group each
 * audited row belongs to.  SPEC is a feature column (one group per distinct
 * value, at most 12), a feature column with band edges ("age:25,40,60":
 * <25, 25-40, 40-60, >=60), a one-hot feature group (one group per member
 * column: the column holding the row's largest value), or the label. */
#ifndef XAI_CLI_GROUP_BY_H
#define XAI_CLI_GROUP_BY_H

#include <xai/xai.h>

typedef struct group_by {
    int32_t *group;   /* one per audited row */
    size_t n_groups;
    char (*names)[48];
    const char **name_ptr; /* n_groups pointers into names */
    char column[64];
} group_by;

/* Fills g for rows r0..r1-1 of ds; CLI_OK or a usage error (printed). */
int group_by_rows(const char *cmd, const char *spec, const xai_dataset *ds, size_t r0,
                  size_t r1, group_by *g);
void group_by_free(group_by *g);

#endif
