/* explainers/gradcam.h: Smooth Grad-CAM++ arithmetic, independent of any
 * model runtime (the preset in gradcam.c feeds it layer taps). */
#ifndef XAI_EXPLAINERS_GRADCAM_H
#define XAI_EXPLAINERS_GRADCAM_H

#include <stddef.h>

#include <xai/base.h>

typedef enum xai_cam_weights {
    XAI_CAM_PLUSPLUS = 0, /* Grad-CAM++ / Smooth Grad-CAM++ weights */
    XAI_CAM_PLAIN         /* Grad-CAM: w_c = mean_ij G_cij */
} xai_cam_weights;

/* Class activation map at layer resolution (hw = H*W values) from n copies
 * of a layer's activation A and gradient G = dS/dA, each n x C x hw (CHW per
 * copy).  Over the copies, A, G, G^2 and G^3 are averaged SEPARATELY:
 *   alpha_cij = mean(G^2) / (2 mean(G^2) + sum_ab mean(A)_cab mean(G^3))
 *               (0 where the denominator is 0),
 *   w_c = sum_ij alpha_cij ReLU(mean G_cij)         (XAI_CAM_PLUSPLUS)
 *   w_c = mean_ij mean G_cij                         (XAI_CAM_PLAIN)
 *   map = ReLU(sum_c w_c mean(A)_c).
 * n = 1 gives Grad-CAM++ (Chattopadhay et al. 2018, exponential-score closed
 * form) or Grad-CAM (Selvaraju et al. 2017); n > 1 noisy copies give Smooth
 * Grad-CAM++ (Omeiza et al. 2019).  Accumulates in double. */
xai_status xai_cam_map(const float *act, const float *grad, size_t n,
                       size_t C, size_t hw, xai_cam_weights kind, float *map);

/* Bilinear resize of in (ih x iw) to out (oh x ow), align_corners=False
 * convention (PyTorch / OpenCV INTER_LINEAR): output pixel centre y maps to
 * source coordinate (y + 0.5) * ih / oh - 0.5, clamped below at 0; the
 * neighbours are floor() and floor() + 1 clamped to the last row/column. */
xai_status xai_cam_upsample(const float *in, size_t ih, size_t iw, float *out,
                            size_t oh, size_t ow);

#endif
