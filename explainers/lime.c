/* explainers/lime.c: LIME = masks (units off -> baseline), kernel exp(-d^2/(2 width^2)), d^2 = units off, function matching with intercept (Ribeiro et al. 2016). */
#include "lfa.h"

const xai_preset xai_preset_lime = {
    .name = "lime",
    .summary = "binary masks over units, exponential kernel, weighted least squares",
    .spec = {XAI_NBHD_MASKS, XAI_LOSS_FUNCTION, XAI_KERNEL_EXPONENTIAL, XAI_SCALE_NONE},
    .default_samples = 1000,
    .default_sigma = 0,
};
