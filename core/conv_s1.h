/* core/conv_s1.h: the geometry of a 2-D convolution and its stride-1 path
 * over blocks of samples (core/conv_s1.c), shared with core/ops_conv.c. */
#ifndef XAI_CORE_CONV_S1_H
#define XAI_CORE_CONV_S1_H

#include "graph.h"

/* n samples, c input channels of h x w, m output channels of oh x ow, a
 * kh x kw kernel, grp groups of cg inputs / mg outputs, ck = cg kh kw
 * weights per output, hw = oh ow. */
typedef struct conv_geo {
    int64_t n, c, h, w, m, oh, ow, kh, kw, cg, mg, ck, hw, grp;
} conv_geo;

/* How s1_conv_run combines the product with y. */
typedef enum s1_mode {
    S1_WRITE,     /* y = conv (+ bias) */
    S1_WRITE_ADD0,/* y = 0 + conv: the values of S1_ADD into a zeroed y */
    S1_ADD        /* y += conv */
} s1_mode;

/* y (n x m x oh x ow) = conv(x (n x c x h x w), w (m x ck), stride 1, the
 * pads and dilations of p) (+ bias when given), combined as `mode`.  Blocks
 * of samples share one g_mm call; each output is still one fixed-order
 * chain, so a sample's result never depends on its block or position.
 * `extra` floats of scratch are reserved after the kernel's own and
 * returned in *extra_p (before any work: fill them, then call
 * s1_conv_run). */
typedef struct s1_conv {
    const g_params *p;
    const conv_geo *q;
    int64_t hp, wp, img, blk; /* padded plane h x w, its size, samples per block */
    int align;                /* columns per product rounded up to this */
    int narrow, by_rows;      /* paths (see s1_conv_setup); a test may force them */
    size_t *boff;             /* ck row offsets into the padded block */
    float *pad, *cb;          /* cg x blk x hp x wp (borders 0); mg x blk img */
} s1_conv;

xai_status s1_conv_setup(s1_conv *c, const g_params *p, const conv_geo *q, size_t extra,
                         g_ws *ws, float **extra_p);
void s1_conv_run(const s1_conv *c, const float *x, const float *w, const float *bias,
                 float *y, s1_mode mode);

#endif
