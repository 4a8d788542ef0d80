/* explainers/smoothgrad.c: SmoothGrad = mean of grad f(x + eps), eps ~ N(0, sigma^2) (Smilkov et al. 2017). */
#include "lfa.h"

const xai_preset xai_preset_smoothgrad = {
    .name = "smoothgrad",
    .summary = "mean gradient over Gaussian-noised copies",
    .spec = {XAI_NBHD_GAUSSIAN, XAI_LOSS_GRADIENT, XAI_KERNEL_UNIFORM, XAI_SCALE_NONE},
    .default_samples = 50,
    .default_sigma = 0.15,
};
