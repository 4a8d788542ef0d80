/* tests/support/pnm.c: see pnm.h. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "pnm.h"

#include <stdio.h>
#include <stdlib.h>

/* Reads a PNM with the given magic and bytes per pixel; returns pixels. */
static size_t pnm_read(const char *path, const char *magic, size_t channels,
                       unsigned char **px, size_t *width)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    char m[3] = "";
    int w, h, maxval;
    assert_int_equal(fscanf(f, "%2s %d %d %d", m, &w, &h, &maxval), 4);
    assert_string_equal(m, magic);
    assert_int_equal(maxval, 255);
    assert_true(w > 0 && h > 0);
    fgetc(f); /* the single whitespace before the raster */
    size_t n = (size_t)w * (size_t)h;
    *px = malloc(channels * n);
    assert_non_null(*px);
    assert_int_equal(fread(*px, channels, n, f), n);
    fclose(f);
    if (width)
        *width = (size_t)w;
    return n;
}

size_t pgm_read(const char *path, unsigned char **px, size_t *width)
{
    return pnm_read(path, "P5", 1, px, width);
}

size_t ppm_read(const char *path, unsigned char **px) { return pnm_read(path, "P6", 3, px, NULL); }
