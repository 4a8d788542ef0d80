/* explainers/gradient_x_input.c: gradient x input = x * grad f(x). */
#include "lfa.h"

const xai_preset xai_preset_gradient_x_input = {
    .name = "gradient-x-input",
    .summary = "gradient times input",
    .spec = {XAI_NBHD_POINT, XAI_LOSS_GRADIENT, XAI_KERNEL_UNIFORM, XAI_SCALE_INPUT},
    .default_samples = 1,
    .default_sigma = 0,
};
