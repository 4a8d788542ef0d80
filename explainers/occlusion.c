/* explainers/occlusion.c: occlusion = one unit off at a time: phi_u = f(x) - f(x with u off), the exact fit on {x} + one-hot masks (Zeiler & Fergus 2014). */
#include "lfa.h"

const xai_preset xai_preset_occlusion = {
    .name = "occlusion",
    .summary = "each unit (or image window) replaced by the baseline",
    .spec = {XAI_NBHD_ONEHOT, XAI_LOSS_FUNCTION, XAI_KERNEL_UNIFORM, XAI_SCALE_NONE},
    .default_samples = 0,
    .default_sigma = 0,
};
