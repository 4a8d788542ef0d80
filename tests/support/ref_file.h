/* tests/support/ref_file.h: reads the fixture reference files NAME.ref
 * (format: tests/fixtures/FIXTURES_FORMAT.md): blocks "KEY ROWS COLS" + rows of floats,
 * and "layer NAME 0". */
#ifndef XAI_TEST_REF_FILE_H
#define XAI_TEST_REF_FILE_H

#include <stddef.h>

typedef struct ref_block {
    char key[64];
    size_t rows, cols;
    double *v; /* rows x cols */
} ref_block;

typedef struct ref_file {
    ref_block *b;
    size_t n;
    char layer[256]; /* "" when absent */
} ref_file;

/* Returns NULL when the file cannot be read or is malformed. */
ref_file *ref_load(const char *path);
void ref_free(ref_file *rf);
/* The block called key, or NULL. */
const ref_block *ref_get(const ref_file *rf, const char *key);

#endif
