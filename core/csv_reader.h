/* core/csv_reader.h: the one adaptor around libcsv.
 *
 * Streams a CSV file (quoted fields, CRLF, embedded commas and newlines) to
 * two callbacks with 1-based physical line numbers and 1-based columns.  A
 * callback returning non-OK stops the read and its status is returned. */
#ifndef XAI_CORE_CSV_READER_H
#define XAI_CORE_CSV_READER_H

#include <stdio.h>

#include <xai/base.h>

typedef struct xai_csv_visitor {
    /* One field; text is NUL-terminated (len excludes the NUL). */
    xai_status (*field)(void *user, size_t line, size_t column,
                        const char *text, size_t len);
    /* End of the record that started on `line`, with `fields` fields. */
    xai_status (*row_end)(void *user, size_t line, size_t fields);
} xai_csv_visitor;

/* Reads path; I/O errors name the file.  Returns XAI_OK at end of file. */
xai_status xai_csv_read(const char *path, const xai_csv_visitor *v, void *user);

/* The same from an open stream (left open); name is used in messages. */
xai_status xai_csv_read_stream(FILE *f, const char *name, const xai_csv_visitor *v,
                               void *user);

#endif
