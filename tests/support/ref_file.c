/* tests/support/ref_file.c: the .ref reader (see ref_file.h). */
#include "ref_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Next non-blank, non-comment line into buf; 0 at end of file. */
static int next_line(FILE *f, char *buf, size_t len)
{
    while (fgets(buf, (int)len, f)) {
        char *p = buf;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p && *p != '\n' && *p != '\r' && *p != '#')
            return 1;
    }
    return 0;
}

ref_file *ref_load(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    ref_file *rf = calloc(1, sizeof *rf);
    size_t cap = 1 << 20;
    char *line = malloc(cap);
    int ok = rf && line;
    while (ok && next_line(f, line, cap)) {
        char key[64], name[256];
        size_t rows, cols;
        if (sscanf(line, "layer %255s %zu", name, &rows) == 2 && rows == 0 &&
            strncmp(line, "layer ", 6) == 0) {
            snprintf(rf->layer, sizeof rf->layer, "%s", name);
            continue;
        }
        if (sscanf(line, "%63s %zu %zu", key, &rows, &cols) != 3) {
            ok = 0;
            break;
        }
        ref_block *nb = realloc(rf->b, (rf->n + 1) * sizeof *nb);
        if (!nb) {
            ok = 0;
            break;
        }
        rf->b = nb;
        ref_block *b = &rf->b[rf->n++];
        memset(b, 0, sizeof *b);
        snprintf(b->key, sizeof b->key, "%s", key);
        b->rows = rows;
        b->cols = cols;
        b->v = malloc((rows * cols > 0 ? rows * cols : 1) * sizeof *b->v);
        ok = b->v != NULL;
        for (size_t i = 0; ok && i < rows; i++) {
            if (!next_line(f, line, cap)) {
                ok = 0;
                break;
            }
            char *p = line, *end;
            for (size_t j = 0; j < cols; j++) {
                b->v[i * cols + j] = strtod(p, &end);
                if (end == p) {
                    ok = 0;
                    break;
                }
                p = end;
            }
        }
    }
    free(line);
    fclose(f);
    if (!ok) {
        ref_free(rf);
        return NULL;
    }
    return rf;
}

void ref_free(ref_file *rf)
{
    if (!rf)
        return;
    for (size_t i = 0; i < rf->n; i++)
        free(rf->b[i].v);
    free(rf->b);
    free(rf);
}

const ref_block *ref_get(const ref_file *rf, const char *key)
{
    for (size_t i = 0; i < rf->n; i++)
        if (strcmp(rf->b[i].key, key) == 0)
            return &rf->b[i];
    return NULL;
}
