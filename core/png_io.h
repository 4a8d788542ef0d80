/* core/png_io.h: the one adaptor around libpng. */
#ifndef XAI_CORE_PNG_IO_H
#define XAI_CORE_PNG_IO_H

#include <xai/base.h>

/* Reads a PNG into *chw (malloc'ed, channels x height x width floats in
 * [0, 1]; caller frees).  Grey, grey+alpha, RGB, RGBA (palette images are
 * expanded to RGB/RGBA), 1 to 16 bit. */
xai_status xai_png_read(const char *path, uint32_t *channels, uint32_t *height,
                        uint32_t *width, float **chw);

#endif
