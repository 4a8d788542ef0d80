/* core/csv_reader.c: libcsv adaptor (see csv_reader.h). */
#include "csv_reader.h"

#include <csv.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

typedef struct reader_state {
    const xai_csv_visitor *v;
    void *user;
    size_t line;       /* physical line being fed to the parser */
    size_t row_line;   /* line on which the current record started */
    size_t fields;     /* fields seen in the current record */
    xai_status status; /* first failure from a callback */
} reader_state;

static void on_field(void *text, size_t len, void *data)
{
    reader_state *s = data;
    if (s->status != XAI_OK)
        return;
    if (s->fields == 0)
        s->row_line = s->line;
    s->fields++;
    /* CSV_APPEND_NULL guarantees termination; an empty field may be NULL */
    s->status = s->v->field(s->user, s->row_line, s->fields, text ? text : "",
                            text ? len : 0);
}

static void on_row(int term, void *data)
{
    (void)term;
    reader_state *s = data;
    if (s->status != XAI_OK)
        return;
    s->status = s->v->row_end(s->user, s->row_line, s->fields);
    s->fields = 0;
}

xai_status xai_csv_read(const char *path, const xai_csv_visitor *v, void *user)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return xai_fail(XAI_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    xai_status s = xai_csv_read_stream(f, path, v, user);
    fclose(f);
    return s;
}

xai_status xai_csv_read_stream(FILE *f, const char *path, const xai_csv_visitor *v,
                               void *user)
{
    struct csv_parser p;
    if (csv_init(&p, CSV_APPEND_NULL) != 0)
        return xai_fail(XAI_ERR_NOMEM, "%s: cannot initialise the CSV parser", path);
    reader_state s = {v, user, 1, 1, 0, XAI_OK};
    char *buf = NULL;
    size_t cap = 0;
    ssize_t got;
    /* Feed one physical line at a time so records know their line number. */
    while (s.status == XAI_OK && (got = getline(&buf, &cap, f)) > 0) {
        /* libcsv grows its field buffer by blk_size (128 bytes by default):
         * a 50 MB cell took 400,000 reallocs; growing by the line's length
         * bounds the reallocs by the number of lines */
        csv_set_blk_size(&p, (size_t)got > 128 ? (size_t)got : 128);
        if (csv_parse(&p, buf, (size_t)got, on_field, on_row, &s) != (size_t)got) {
            s.status = xai_fail(XAI_ERR_PARSE, "%s:%zu: %s", path, s.line,
                                csv_strerror(csv_error(&p)));
            break;
        }
        s.line++;
    }
    if (s.status == XAI_OK && ferror(f))
        s.status = xai_fail(XAI_ERR_IO, "%s: read error: %s", path, strerror(errno));
    if (s.status == XAI_OK) {
        s.line--; /* a record still open ends on the last line read */
        csv_fini(&p, on_field, on_row, &s);
    }
    csv_free(&p);
    free(buf);
    return s.status;
}
