/* cli/stats_file.c: see stats_file.h. */
#include "stats_file.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/csv_reader.h"
#include "core/error.h"
#include "outputs.h"

static const char *const columns[] = {"feature", "rows", "mean", "std", "min", "max"};

int stats_file_write(const char *cmd, const char *path, const xai_dataset *names,
                     const xai_column_stats *stats, size_t rows)
{
    xai_outfile *o;
    if (cli_output_open(cmd, path, &o) != CLI_OK)
        return CLI_RUNTIME_ERROR;
    FILE *f = xai_outfile_stream(o);
    fputs("feature,rows,mean,std,min,max\n", f);
    for (size_t j = 0; j < xai_dataset_features(names); j++) {
        const char *n = xai_dataset_feature_name(names, j);
        if (strpbrk(n, ",\"\r\n")) { /* quoted as CSV */
            fputc('"', f);
            for (; *n; n++)
                fprintf(f, *n == '"' ? "\"\"" : "%c", *n);
            fputc('"', f);
        } else
            fputs(n, f);
        fprintf(f, ",%zu,%.17g,%.17g,%.17g,%.17g\n", rows, stats[j].mean, stats[j].std,
                stats[j].min, stats[j].max);
    }
    xai_status s = xai_outfile_commit(o);
    return s == XAI_OK ? CLI_OK : cli_runtime_error(cmd, s);
}

typedef struct reader {
    const char *path;
    const xai_dataset *ds;
    xai_column_stats *stats;
    size_t rows, line_feature; /* lines read after the header */
    double v[6];
} reader;

static xai_status on_field(void *user, size_t line, size_t col, const char *text, size_t len)
{
    reader *r = user;
    if (col > 6)
        return XAI_OK; /* reported by on_row */
    if (line == 1) {
        if (strcmp(text, columns[col - 1]) != 0)
            return xai_fail(XAI_ERR_PARSE, "%s:1:%zu: the header is feature,rows,mean,std,"
                            "min,max (got '%s')", r->path, col, text);
        return XAI_OK;
    }
    size_t j = r->line_feature;
    if (col == 1) {
        if (j >= xai_dataset_features(r->ds))
            return xai_fail(XAI_ERR_PARSE, "%s:%zu: more features than the %zu of %s",
                            r->path, line, xai_dataset_features(r->ds),
                            xai_dataset_source(r->ds));
        const char *want = xai_dataset_feature_name(r->ds, j);
        if (strlen(want) != len || strcmp(want, text) != 0)
            return xai_fail(XAI_ERR_PARSE, "%s:%zu: feature '%s', but feature %zu of %s "
                            "is '%s'", r->path, line, text, j + 1,
                            xai_dataset_source(r->ds), want);
        return XAI_OK;
    }
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (len == 0 || *end || errno == ERANGE || !isfinite(v))
        return xai_fail(XAI_ERR_PARSE, "%s:%zu:%zu: %s wants a finite number, got '%s'",
                        r->path, line, col, columns[col - 1], text);
    r->v[col - 1] = v;
    return XAI_OK;
}

static xai_status on_row(void *user, size_t line, size_t fields)
{
    reader *r = user;
    if (fields != 6)
        return xai_fail(XAI_ERR_PARSE, "%s:%zu: %zu fields, want 6 (feature,rows,mean,"
                        "std,min,max)", r->path, line, fields);
    if (line == 1)
        return XAI_OK;
    double *v = r->v;
    size_t j = r->line_feature;
    if (!(v[1] >= 1 && v[1] <= 1e18 && v[1] == floor(v[1])) ||
        (j > 0 && (size_t)v[1] != r->rows))
        return xai_fail(XAI_ERR_PARSE, "%s:%zu: rows must be one whole number >= 1 on "
                        "every line", r->path, line);
    if (!(v[3] >= 0) || !(v[4] <= v[2] && v[2] <= v[5]))
        return xai_fail(XAI_ERR_PARSE, "%s:%zu: needs std >= 0 and min <= mean <= max",
                        r->path, line);
    r->rows = (size_t)v[1];
    r->stats[j] = (xai_column_stats){v[2], v[3], v[4], v[5]};
    r->line_feature++;
    return XAI_OK;
}

int stats_file_read(const char *cmd, const char *path, const xai_dataset *ds,
                    xai_column_stats **stats, size_t *rows)
{
    size_t D = xai_dataset_features(ds);
    reader r = {path, ds, calloc(D ? D : 1, sizeof *r.stats), 0, 0, {0}};
    *stats = NULL;
    if (!r.stats) {
        fprintf(stderr, "xai %s: error: out of memory\n", cmd);
        return CLI_RUNTIME_ERROR;
    }
    xai_csv_visitor v = {on_field, on_row};
    xai_status s = xai_csv_read(path, &v, &r);
    if (s == XAI_OK && r.line_feature != D)
        s = xai_fail(XAI_ERR_PARSE, "%s: %zu features, but %s has %zu", path,
                     r.line_feature, xai_dataset_source(ds), D);
    if (s != XAI_OK) {
        free(r.stats);
        return cli_runtime_error(cmd, s);
    }
    *stats = r.stats;
    *rows = r.rows;
    return CLI_OK;
}
