/* core/dataset_csv.c: a dataset from a CSV file with a header row. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "csv_reader.h"
#include "dataset_impl.h"
#include "dataset_groups.h"
#include "error.h"

xai_csv_options xai_csv_options_default(void)
{
    xai_csv_options o = {0};
    return o;
}

typedef struct csv_builder {
    const char *path;
    const xai_csv_options *opt;
    char **header;       /* column names, header_n of them */
    size_t header_n, header_cap;
    int in_header;
    long label_col;      /* 0-based column index of the label, -1 if none */
    float *values;       /* growing rows x features */
    size_t values_n, values_cap;
    float *labels;
    size_t labels_n, labels_cap;
    size_t rows;
    /* streaming (xai_dataset_stream_csv): chunks of chunk_rows rows */
    const xai_csv_stream *stream;
    size_t first_row;    /* file row of the chunk's first row */
    xai_dataset *chunk;  /* names, groups; values swapped in per chunk */
    size_t max_rows;     /* xai_dataset_load_csv_head: stop after these rows */
    int at_max;
} csv_builder;

static xai_status grow(void **p, size_t *cap, size_t need, size_t elem,
                       const char *path)
{
    if (need <= *cap)
        return XAI_OK;
    size_t cap2 = *cap ? *cap : 256, bytes;
    while (cap2 < need)
        if (!xai_mul_size(cap2, 2, &cap2))
            return xai_fail(XAI_ERR_NOMEM, "%s: too much data", path);
    if (!xai_mul_size(cap2, elem, &bytes))
        return xai_fail(XAI_ERR_NOMEM, "%s: too much data", path);
    void *q = realloc(*p, bytes);
    if (!q)
        return xai_fail(XAI_ERR_NOMEM, "%s: out of memory reading data", path);
    *p = q;
    *cap = cap2;
    return XAI_OK;
}

/* Parses a whole cell as a finite float; fails with the place and the text. */
/* An empty cell, NA or NaN (any case, blanks around): a missing value. */
static int is_missing_text(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    size_t n = strcspn(p, " \t\r");
    const char *q = p + n;
    while (*q == ' ' || *q == '\t' || *q == '\r')
        q++;
    if (*q)
        return 0;
    return n == 0 || (n == 2 && strncasecmp(p, "na", 2) == 0) ||
           (n == 3 && strncasecmp(p, "nan", 3) == 0);
}

static xai_status parse_cell(csv_builder *b, size_t line, size_t col,
                             const char *text, size_t len, int missing_ok, float *out)
{
    const char *name = col <= b->header_n ? b->header[col - 1] : "?";
    if (strlen(text) != len) /* "1\0junk" must not read as 1 */
        return xai_fail(XAI_ERR_PARSE, "%s:%zu:%zu: column '%s': the cell holds a NUL "
                        "byte (after '%s')", b->path, line, col, name, text);
    if (missing_ok && is_missing_text(text)) {
        *out = NAN;
        return XAI_OK;
    }
    const char *p = text;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '\0')
        return xai_fail(XAI_ERR_PARSE, "%s:%zu:%zu: column '%s': empty cell",
                        b->path, line, col, name);
    char *end;
    errno = 0;
    double v = strtod(p, &end);
    while (*end == ' ' || *end == '\t' || *end == '\r')
        end++;
    if (end == p || *end != '\0')
        return xai_fail(XAI_ERR_PARSE,
                        "%s:%zu:%zu: column '%s': '%s' is not a number",
                        b->path, line, col, name, text);
    if (!isfinite(v) || fabs(v) > 3.4028234663852886e38)
        return xai_fail(XAI_ERR_NUMERIC,
                        "%s:%zu:%zu: column '%s': '%s' is not a finite number",
                        b->path, line, col, name, text);
    *out = (float)v;
    return XAI_OK;
}

/* The last error, with the 0-based data row appended. */
static xai_status stream_row_error(const csv_builder *b, xai_status s)
{
    char msg[1024];
    snprintf(msg, sizeof msg, "%s", xai_last_error());
    return xai_fail(s, "%s (row %zu)", msg, b->first_row + b->rows);
}

static xai_status on_field(void *user, size_t line, size_t col,
                           const char *text, size_t len)
{
    csv_builder *b = user;
    if (b->in_header) {
        XAI_TRY(grow((void **)&b->header, &b->header_cap, col, sizeof(char *), b->path));
        /* a UTF-8 byte-order mark before the first name is not part of it */
        if (col == 1 && len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
            text += 3, len -= 3;
        if (memchr(text, '\0', len))
            return xai_fail(XAI_ERR_PARSE, "%s:%zu:%zu: the column name holds a NUL byte",
                            b->path, line, col);
        char *name = strndup(text, len);
        if (!name)
            return xai_fail(XAI_ERR_NOMEM, "%s: out of memory", b->path);
        /* trim a trailing CR/space left by unusual line endings */
        size_t n = strlen(name);
        while (n && (name[n - 1] == '\r' || name[n - 1] == ' '))
            name[--n] = '\0';
        b->header[col - 1] = name;
        b->header_n = col;
        return XAI_OK;
    }
    if (col > b->header_n)
        return XAI_OK; /* reported as a ragged row at the end of the record */
    float v = 0;
    int missing_ok = b->opt->allow_missing && (long)col - 1 != b->label_col;
    if (b->stream) { /* streamed: only kept rows are read; errors name the row */
        if (b->stream->keep && !b->stream->keep(b->stream->user, b->first_row + b->rows))
            v = 0;
        else {
            xai_status s = parse_cell(b, line, col, text, len, missing_ok, &v);
            if (s != XAI_OK)
                return stream_row_error(b, s);
        }
    } else
        XAI_TRY(parse_cell(b, line, col, text, len, missing_ok, &v));
    if ((long)col - 1 == b->label_col) {
        XAI_TRY(grow((void **)&b->labels, &b->labels_cap, b->labels_n + 1,
                     sizeof(float), b->path));
        b->labels[b->labels_n++] = v;
    } else {
        XAI_TRY(grow((void **)&b->values, &b->values_cap, b->values_n + 1,
                     sizeof(float), b->path));
        b->values[b->values_n++] = v;
    }
    return XAI_OK;
}

/* Duplicate names through an open-addressing hash set (FNV-1a): linear in
 * the number of columns (100,000 columns took 9 s pairwise). */
static xai_status check_duplicates(csv_builder *b)
{
    size_t n = b->header_n, cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    size_t *slot = malloc(cap * sizeof *slot); /* column index + 1; 0 empty */
    if (!slot)
        return xai_fail(XAI_ERR_NOMEM, "%s: out of memory", b->path);
    memset(slot, 0, cap * sizeof *slot);
    xai_status s = XAI_OK;
    for (size_t i = 0; i < n && s == XAI_OK; i++) {
        uint64_t h = 1469598103934665603ull;
        for (const unsigned char *q = (const unsigned char *)b->header[i]; *q; q++)
            h = (h ^ *q) * 1099511628211ull;
        for (size_t k = (size_t)h & (cap - 1);; k = (k + 1) & (cap - 1)) {
            if (!slot[k]) {
                slot[k] = i + 1;
                break;
            }
            size_t j = slot[k] - 1;
            if (strcmp(b->header[i], b->header[j]) == 0) {
                s = xai_fail(XAI_ERR_PARSE,
                             "%s:1:%zu: duplicate column name '%s' (also column %zu)",
                             b->path, i + 1, b->header[i], j + 1);
                break;
            }
        }
    }
    free(slot);
    return s;
}

static xai_status check_header(csv_builder *b)
{
    for (size_t i = 0; i < b->header_n; i++)
        if (b->header[i][0] == '\0')
            return xai_fail(XAI_ERR_PARSE, "%s:1:%zu: empty column name", b->path, i + 1);
    XAI_TRY(check_duplicates(b));
    b->label_col = -1;
    if (b->opt->label) {
        for (size_t i = 0; i < b->header_n; i++)
            if (strcmp(b->header[i], b->opt->label) == 0)
                b->label_col = (long)i;
        if (b->label_col < 0)
            return xai_fail(XAI_ERR_INVALID, "%s:1: no label column named '%s'",
                            b->path, b->opt->label);
    }
    if (b->header_n - (b->label_col >= 0) == 0)
        return xai_fail(XAI_ERR_PARSE, "%s:1: no feature columns", b->path);
    return XAI_OK;
}

static xai_status flush_chunk(csv_builder *b);

static xai_status on_row_end(void *user, size_t line, size_t fields)
{
    csv_builder *b = user;
    if (b->in_header) {
        b->in_header = 0;
        return check_header(b);
    }
    if (fields != b->header_n)
        return xai_fail(XAI_ERR_PARSE,
                        "%s:%zu: %zu fields, but the header has %zu columns",
                        b->path, line, fields, b->header_n);
    b->rows++;
    if (b->max_rows && b->rows == b->max_rows) {
        b->at_max = 1;
        return XAI_ERR_INVALID; /* stops the read; not an error (see load) */
    }
    return b->stream && b->rows == b->stream->chunk_rows ? flush_chunk(b) : XAI_OK;
}

static void builder_free(csv_builder *b)
{
    for (size_t i = 0; i < b->header_n; i++)
        free(b->header[i]);
    free(b->header);
    free(b->values);
    free(b->labels);
}

/* The names, label name, image shape, groups and feature labels of ds from
 * the header.  copy: the names are duplicated (a stream keeps its header for
 * its messages), else moved. */
static xai_status build_meta(csv_builder *b, xai_dataset *ds, int copy)
{
    const xai_csv_options *o = b->opt;
    size_t features = b->header_n - (b->label_col >= 0);
    ds->features = features;
    if (!(ds->names = calloc(features, sizeof *ds->names)))
        return xai_fail(XAI_ERR_NOMEM, "%s: out of memory", b->path);
    for (size_t i = 0, j = 0; i < b->header_n; i++) {
        char *name = copy ? strdup(b->header[i]) : b->header[i];
        if (!name)
            return xai_fail(XAI_ERR_NOMEM, "%s: out of memory", b->path);
        if ((long)i == b->label_col)
            ds->label_name = name;
        else
            ds->names[j++] = name;
        if (!copy)
            b->header[i] = NULL;
    }
    if (o->scale != 0.0f && !isfinite(o->scale))
        return xai_fail(XAI_ERR_INVALID, "scale must be a finite nonzero number");
    if (o->image_c || o->image_h || o->image_w) {
        size_t want;
        if (!o->image_c || !o->image_h || !o->image_w ||
            !xai_mul3_size(o->image_c, o->image_h, o->image_w, &want) || want != features)
            return xai_fail(XAI_ERR_SHAPE,
                            "%s: image shape %u,%u,%u needs %zu pixel columns, the file has %zu",
                            b->path, o->image_c, o->image_h, o->image_w,
                            (size_t)o->image_c * o->image_h * o->image_w, features);
        XAI_TRY(xai_dataset_name_pixels(ds, o->image_c, o->image_h, o->image_w));
    }
    if (o->schema_path)
        XAI_TRY(xai_dataset_groups_from_schema(ds, o->schema_path));
    else if (o->groups_auto)
        XAI_TRY(xai_dataset_groups_auto(ds));
    else
        XAI_TRY(xai_dataset_identity_groups(ds));
    if (o->feature_labels_path)
        XAI_TRY(xai_dataset_load_feature_labels(ds, o->feature_labels_path));
    return XAI_OK;
}

/* Moves the parsed rows into ds (rows, values, labels), scaled. */
static void take_rows(csv_builder *b, xai_dataset *ds)
{
    ds->rows = b->rows;
    ds->values = b->values;
    b->values = NULL;
    b->values_n = b->values_cap = 0;
    if (b->label_col >= 0) {
        ds->labels = b->labels;
        b->labels = NULL;
        b->labels_n = b->labels_cap = 0;
    }
    if (b->opt->scale != 0.0f)
        for (size_t k = 0; k < ds->rows * ds->features; k++)
            ds->values[k] /= b->opt->scale;
}

/* Moves the parsed table into ds, applying image shape and scale. */
static xai_status build(csv_builder *b, xai_dataset *ds)
{
    XAI_TRY(build_meta(b, ds, 0));
    take_rows(b, ds);
    return xai_dataset_compute_stats(ds);
}

/* Streaming: hands the rows parsed so far to the caller as one chunk (the
 * builder's buffers are lent and taken back, so they are allocated once). */
static xai_status flush_chunk(csv_builder *b)
{
    if (!b->chunk) {
        if (!(b->chunk = xai_dataset_alloc(b->path)))
            return xai_fail(XAI_ERR_NOMEM, "%s: out of memory", b->path);
        XAI_TRY(build_meta(b, b->chunk, 1));
    }
    size_t cap = b->values_cap, lcap = b->labels_cap;
    take_rows(b, b->chunk);
    xai_status s = b->stream->chunk(b->stream->user, b->chunk, b->first_row);
    b->values = b->chunk->values, b->values_cap = cap;
    b->labels = b->chunk->labels, b->labels_cap = lcap;
    b->chunk->values = NULL, b->chunk->labels = NULL;
    b->first_row += b->rows;
    b->rows = 0;
    return s;
}

static xai_status load(FILE *f, const char *path, const xai_csv_options *opt,
                       size_t max_rows, xai_dataset **out);

xai_status xai_dataset_load_csv(const char *path, const xai_csv_options *opt,
                                xai_dataset **out)
{
    return load(NULL, path, opt, 0, out);
}

xai_status xai_dataset_load_csv_head(const char *path, const xai_csv_options *opt,
                                     size_t max_rows, xai_dataset **out)
{
    if (max_rows == 0) {
        *out = NULL;
        return xai_fail(XAI_ERR_INVALID, "CSV head: max_rows must be positive");
    }
    return load(NULL, path, opt, max_rows, out);
}

xai_status xai_dataset_load_csv_stream(FILE *f, const char *name,
                                       const xai_csv_options *opt, xai_dataset **out)
{
    if (!f || !name) {
        *out = NULL;
        return xai_fail(XAI_ERR_INVALID, "CSV: a stream and a name are required");
    }
    return load(f, name, opt, 0, out);
}

static xai_status load(FILE *f, const char *path, const xai_csv_options *opt,
                       size_t max_rows, xai_dataset **out)
{
    *out = NULL;
    xai_csv_options defaults = xai_csv_options_default();
    csv_builder b = {.path = path, .opt = opt ? opt : &defaults, .in_header = 1,
                     .label_col = -1, .max_rows = max_rows};
    xai_csv_visitor v = {on_field, on_row_end};
    xai_status s = f ? xai_csv_read_stream(f, path, &v, &b) : xai_csv_read(path, &v, &b);
    if (b.at_max)
        s = XAI_OK;
    if (s == XAI_OK && b.header_n == 0)
        s = xai_fail(XAI_ERR_PARSE, "%s: empty file (a header row is required)", path);
    else if (s == XAI_OK && b.rows == 0)
        s = xai_fail(XAI_ERR_PARSE, "%s: header only, no data rows", path);
    xai_dataset *ds = NULL;
    if (s == XAI_OK && !(ds = xai_dataset_alloc(path)))
        s = xai_fail(XAI_ERR_NOMEM, "%s: out of memory", path);
    if (s == XAI_OK)
        s = build(&b, ds);
    builder_free(&b);
    if (s != XAI_OK) {
        xai_dataset_free(ds);
        return s;
    }
    *out = ds;
    return XAI_OK;
}

xai_status xai_dataset_stream_csv(FILE *f, const char *path, const xai_csv_options *opt,
                                  const xai_csv_stream *stream, size_t *rows)
{
    if (rows)
        *rows = 0;
    if (!path || !stream || !stream->chunk || stream->chunk_rows == 0)
        return xai_fail(XAI_ERR_INVALID, "CSV stream: a path, a chunk callback and "
                        "chunk_rows > 0 are required");
    xai_csv_options defaults = xai_csv_options_default();
    csv_builder b = {.path = path, .opt = opt ? opt : &defaults, .in_header = 1,
                     .label_col = -1, .stream = stream};
    xai_csv_visitor v = {on_field, on_row_end};
    xai_status s = f ? xai_csv_read_stream(f, path, &v, &b) : xai_csv_read(path, &v, &b);
    if (s == XAI_OK && b.header_n == 0)
        s = xai_fail(XAI_ERR_PARSE, "%s: empty file (a header row is required)", path);
    else if (s == XAI_OK && b.first_row + b.rows == 0)
        s = xai_fail(XAI_ERR_PARSE, "%s: header only, no data rows", path);
    else if (s == XAI_OK && b.rows > 0)
        s = flush_chunk(&b);
    if (rows)
        *rows = b.first_row + b.rows;
    builder_free(&b);
    xai_dataset_free(b.chunk);
    return s;
}
