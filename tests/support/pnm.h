/* tests/support/pnm.h: readers for the binary PGM and PPM images that
 * pdftoppm writes (maxval 255); a malformed file fails the test. */
#ifndef XAI_TESTS_PNM_H
#define XAI_TESTS_PNM_H

#include <stddef.h>

/* Reads a P5 file into *px (malloc'ed, caller frees); *width is the width.
 * Returns width * height. */
size_t pgm_read(const char *path, unsigned char **px, size_t *width);

/* Reads a P6 file into *px (3 bytes a pixel, malloc'ed, caller frees).
 * Returns width * height. */
size_t ppm_read(const char *path, unsigned char **px);

#endif
