/* xai/image.h: writing images (heatmaps, overlays). */
#ifndef XAI_IMAGE_H
#define XAI_IMAGE_H

#include "base.h"
#include "outfile.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Writes an 8-bit PNG with 1 (grey), 2 (grey+alpha), 3 (RGB) or 4 (RGBA)
 * channels from interleaved rows (height x width x channels bytes).  The file
 * is written to a temporary name in the same directory and renamed, so a
 * failure leaves nothing behind. */
xai_status xai_png_write(const char *path, uint32_t width, uint32_t height,
                         uint32_t channels, const uint8_t *pixels);

/* The same into an open output file (xai/outfile.h), not committed: the
 * caller commits it, e.g. with other files by xai_outfile_commit_all. */
xai_status xai_png_write_to(xai_outfile *out, uint32_t width, uint32_t height,
                            uint32_t channels, const uint8_t *pixels);

#ifdef __cplusplus
}
#endif
#endif
