/* explainers/integrated_gradients.c: integrated gradients = (x - b) * sum_i w_i grad f(b + t_i (x - b)) (Sundararajan et al. 2017). */
#include "lfa.h"

const xai_preset xai_preset_integrated_gradients = {
    .name = "integrated-gradients",
    .summary = "path integral of gradients from the baseline, times (x - b)",
    .spec = {XAI_NBHD_PATH, XAI_LOSS_GRADIENT, XAI_KERNEL_UNIFORM, XAI_SCALE_DELTA},
    .default_samples = 50,
    .default_sigma = 0,
};
