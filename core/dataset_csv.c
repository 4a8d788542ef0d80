/* core/dataset_csv.c: a dataset from a CSV file with a header row. */
#include <errno.h>
#include <math.h>
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
    XAI_TRY(parse_cell(b, line, col, text, len,
                       b->opt->allow_missing && (long)col - 1 != b->label_col, &v));
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
    return XAI_OK;
}

static void builder_free(csv_builder *b)
{
    for (size_t i = 0; i < b->header_n; i++)
        free(b->header[i]);
    free(b->header);
    free(b->values);
    free(b->labels);
}

/* Moves the parsed table into ds, applying image shape and scale. */
static xai_status build(csv_builder *b, xai_dataset *ds)
{
    const xai_csv_options *o = b->opt;
    size_t features = b->header_n - (b->label_col >= 0);
    ds->rows = b->rows;
    ds->features = features;
    ds->values = b->values;
    b->values = NULL;
    if (!(ds->names = calloc(features, sizeof *ds->names)))
        return xai_fail(XAI_ERR_NOMEM, "%s: out of memory", b->path);
    for (size_t i = 0, j = 0; i < b->header_n; i++) {
        if ((long)i == b->label_col) {
            ds->label_name = b->header[i];
        } else {
            ds->names[j++] = b->header[i];
        }
        b->header[i] = NULL;
    }
    if (b->label_col >= 0) {
        ds->labels = b->labels;
        b->labels = NULL;
    }
    if (o->scale != 0.0f) {
        if (!isfinite(o->scale))
            return xai_fail(XAI_ERR_INVALID, "scale must be a finite nonzero number");
        for (size_t k = 0; k < ds->rows * features; k++)
            ds->values[k] /= o->scale;
    }
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
    return xai_dataset_compute_stats(ds);
}

static xai_status load(FILE *f, const char *path, const xai_csv_options *opt,
                       xai_dataset **out);

xai_status xai_dataset_load_csv(const char *path, const xai_csv_options *opt,
                                xai_dataset **out)
{
    return load(NULL, path, opt, out);
}

xai_status xai_dataset_load_csv_stream(FILE *f, const char *name,
                                       const xai_csv_options *opt, xai_dataset **out)
{
    if (!f || !name) {
        *out = NULL;
        return xai_fail(XAI_ERR_INVALID, "CSV: a stream and a name are required");
    }
    return load(f, name, opt, out);
}

static xai_status load(FILE *f, const char *path, const xai_csv_options *opt,
                       xai_dataset **out)
{
    *out = NULL;
    xai_csv_options defaults = xai_csv_options_default();
    csv_builder b = {.path = path, .opt = opt ? opt : &defaults, .in_header = 1,
                     .label_col = -1};
    xai_csv_visitor v = {on_field, on_row_end};
    xai_status s = f ? xai_csv_read_stream(f, path, &v, &b) : xai_csv_read(path, &v, &b);
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
