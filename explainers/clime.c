/* explainers/clime.c: C-LIME = x + N(0, sigma^2) points, g(z) = b + phi.(z - x) by least squares. */
#include "lfa.h"

const xai_preset xai_preset_clime = {
    .name = "c-lime",
    .summary = "Gaussian neighbourhood, least squares (continuous LIME)",
    .spec = {XAI_NBHD_GAUSSIAN, XAI_LOSS_FUNCTION, XAI_KERNEL_UNIFORM, XAI_SCALE_NONE},
    .default_samples = 1000,
    .default_sigma = 0.1,
};
