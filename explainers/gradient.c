/* explainers/gradient.c: vanilla gradient = grad f(x) (gradient matching at x). */
#include "lfa.h"

const xai_preset xai_preset_gradient = {
    .name = "gradient",
    .summary = "input gradient of the target output",
    .spec = {XAI_NBHD_POINT, XAI_LOSS_GRADIENT, XAI_KERNEL_UNIFORM, XAI_SCALE_NONE},
    .default_samples = 1,
    .default_sigma = 0,
};
