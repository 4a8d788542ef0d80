/* core/pool2x2.h: MaxPool with a 2 x 2 window, stride 2, no pads, every
 * window inside the input (core/pool2x2.c). */
#ifndef XAI_CORE_POOL2X2_H
#define XAI_CORE_POOL2X2_H

#include <stddef.h>
#include <stdint.h>

/* y (planes x OH x OW) = the maxima of x (planes x H x W), 2 OH <= H,
 * 2 OW <= W. */
void pool2x2_fwd(const float *x, float *y, size_t planes, int64_t H, int64_t W,
                 int64_t OH, int64_t OW);
/* dx += dY at each window's first maximum (every element of dx written,
 * as 0 + that, when fresh). */
void pool2x2_bwd(const float *x, const float *dy, float *dx, size_t planes, int64_t H,
                 int64_t W, int64_t OH, int64_t OW, int fresh);

#endif
