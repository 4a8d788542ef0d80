/* explainers/custom.c: custom = options.custom (neighbourhood, loss, kernel, scale); defaults by neighbourhood are set in options.c. */
#include "lfa.h"

const xai_preset xai_preset_custom = {
    .name = "custom",
    .summary = "a user-defined (neighbourhood, loss, kernel)",
    .spec = {0, 0, 0, 0},
    .default_samples = 0,
    .default_sigma = 0,
};
