/* cli/group_by.c: rows -> groups for `xai audit --group-by` (see group_by.h). */
#include "group_by.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define MAX_DISTINCT 12
#define MAX_BANDS 16

void group_by_free(group_by *g)
{
    free(g->group), free(g->names), free(g->name_ptr);
    memset(g, 0, sizeof *g);
}

static int alloc(group_by *g, size_t n, size_t n_groups)
{
    g->group = calloc(n ? n : 1, sizeof *g->group);
    g->names = calloc(n_groups, sizeof *g->names);
    g->name_ptr = calloc(n_groups, sizeof *g->name_ptr);
    g->n_groups = n_groups;
    for (size_t k = 0; g->names && g->name_ptr && k < n_groups; k++)
        g->name_ptr[k] = g->names[k];
    return g->group && g->names && g->name_ptr;
}

/* values v (n) -> one group per distinct value (sorted), at most MAX_DISTINCT */
static int by_value(const char *cmd, const char *name, const float *v, size_t stride,
                    size_t n, group_by *g)
{
    float uniq[MAX_DISTINCT];
    size_t nu = 0;
    for (size_t i = 0; i < n; i++) {
        float x = v[i * stride];
        size_t k = 0;
        while (k < nu && uniq[k] != x)
            k++;
        if (k < nu)
            continue;
        if (nu == MAX_DISTINCT)
            return cli_usage_error(cmd, "--group-by %s: more than %d distinct values in the "
                                   "audited rows; give band edges, e.g. %s:25,40,60",
                                   name, MAX_DISTINCT, name);
        uniq[nu++] = x;
    }
    for (size_t a = 1; a < nu; a++) /* insertion sort, nu <= 12 */
        for (size_t b = a; b > 0 && uniq[b] < uniq[b - 1]; b--) {
            float t = uniq[b];
            uniq[b] = uniq[b - 1], uniq[b - 1] = t;
        }
    if (!alloc(g, n, nu))
        return cli_usage_error(cmd, "out of memory");
    for (size_t k = 0; k < nu; k++)
        snprintf(g->names[k], sizeof g->names[k], "%s = %g", name, uniq[k]);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < nu; k++)
            if (v[i * stride] == uniq[k])
                g->group[i] = (int32_t)k;
    return CLI_OK;
}

static int by_bands(const char *cmd, const char *name, const char *edges, const float *v,
                    size_t stride, size_t n, group_by *g)
{
    double e[MAX_BANDS];
    size_t ne = 0;
    const char *p = edges;
    while (*p) {
        char *end;
        double x = strtod(p, &end);
        if (end == p || !isfinite(x) || (*end && *end != ',') || ne == MAX_BANDS ||
            (ne && !(x > e[ne - 1])))
            return cli_usage_error(cmd, "--group-by %s:%s: band edges must be up to %d "
                                   "increasing numbers separated by commas", name, edges,
                                   MAX_BANDS);
        e[ne++] = x;
        p = *end ? end + 1 : end;
        if (*end && !*p)
            return cli_usage_error(cmd, "--group-by %s:%s: trailing comma", name, edges);
    }
    if (!ne)
        return cli_usage_error(cmd, "--group-by %s: no band edges after ':'", name);
    if (!alloc(g, n, ne + 1))
        return cli_usage_error(cmd, "out of memory");
    snprintf(g->names[0], sizeof g->names[0], "%s < %g", name, e[0]);
    for (size_t k = 1; k < ne; k++)
        snprintf(g->names[k], sizeof g->names[k], "%s %g-%g", name, e[k - 1], e[k]);
    snprintf(g->names[ne], sizeof g->names[ne], "%s >= %g", name, e[ne - 1]);
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        while (k < ne && v[i * stride] >= e[k])
            k++;
        g->group[i] = (int32_t)k;
    }
    return CLI_OK;
}

/* A one-hot group: the member column with the largest value. */
static int by_onehot(const char *cmd, const xai_dataset *ds, size_t grp, size_t r0,
                     size_t n, group_by *g)
{
    size_t D = xai_dataset_features(ds), nm = 0;
    const uint32_t *fg = xai_dataset_feature_groups(ds);
    size_t *cols = calloc(D, sizeof *cols);
    if (!cols)
        return cli_usage_error(cmd, "out of memory");
    for (size_t j = 0; j < D; j++)
        if (fg[j] == grp)
            cols[nm++] = j;
    const char *gname = xai_dataset_group_name(ds, grp);
    if (!alloc(g, n, nm)) {
        free(cols);
        return cli_usage_error(cmd, "out of memory");
    }
    size_t pl = strlen(gname);
    for (size_t k = 0; k < nm; k++) {
        const char *cn = xai_dataset_feature_name(ds, cols[k]);
        const char *meaning = xai_dataset_feature_meaning(ds, cols[k]);
        /* the plain meaning (--feature-labels), else "prefix_value" ->
         * "prefix = value" */
        if (meaning)
            snprintf(g->names[k], sizeof g->names[k], "%s", meaning);
        else if (strncmp(cn, gname, pl) == 0 && cn[pl] == '_')
            snprintf(g->names[k], sizeof g->names[k], "%s = %s", gname, cn + pl + 1);
        else
            snprintf(g->names[k], sizeof g->names[k], "%s", cn);
    }
    for (size_t i = 0; i < n; i++) {
        const float *row = xai_dataset_row(ds, r0 + i);
        size_t best = 0;
        for (size_t k = 1; k < nm; k++)
            if (row[cols[k]] > row[cols[best]])
                best = k;
        g->group[i] = (int32_t)best;
    }
    free(cols);
    return CLI_OK;
}

int group_by_rows(const char *cmd, const char *spec, const xai_dataset *ds, size_t r0,
                  size_t r1, group_by *g)
{
    memset(g, 0, sizeof *g);
    char name[64];
    const char *colon = strchr(spec, ':');
    size_t len = colon ? (size_t)(colon - spec) : strlen(spec);
    if (!len || len >= sizeof name)
        return cli_usage_error(cmd, "--group-by wants COLUMN or COLUMN:EDGE,EDGE,..., got "
                               "'%s'", spec);
    memcpy(name, spec, len);
    name[len] = 0;
    snprintf(g->column, sizeof g->column, "%s", spec);
    size_t n = r1 - r0, D = xai_dataset_features(ds);
    int64_t f = xai_dataset_feature_index(ds, name);
    size_t G = xai_dataset_group_count(ds);
    if (f >= 0) {
        const float *v = xai_dataset_row(ds, r0) + f;
        return colon ? by_bands(cmd, name, colon + 1, v, D, n, g)
                     : by_value(cmd, name, v, D, n, g);
    }
    for (size_t k = 0; k < G; k++)
        if (strcmp(xai_dataset_group_name(ds, k), name) == 0) {
            if (colon)
                return cli_usage_error(cmd, "--group-by %s: a one-hot feature group has "
                                       "no bands", name);
            return by_onehot(cmd, ds, k, r0, n, g);
        }
    const char *lname = xai_dataset_label_name(ds);
    const float *lab = xai_dataset_labels(ds);
    if (lab && lname && strcmp(lname, name) == 0)
        return colon ? by_bands(cmd, name, colon + 1, lab + r0, 1, n, g)
                     : by_value(cmd, name, lab + r0, 1, n, g);
    return cli_usage_error(cmd, "--group-by: %s has no column or feature group named '%s'%s",
                           xai_dataset_source(ds), name,
                           G < D ? "" : " (one-hot groups need --groups auto or a schema)");
}
