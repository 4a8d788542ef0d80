/* explainers/kernelshap.c: KernelSHAP = masks with Shapley-kernel weights, WLS with efficiency sum(phi) = f(x) - f(b) (Lundberg & Lee 2017); exact enumeration when 2^M - 2 coalitions fit the budget. */
#include "lfa.h"

const xai_preset xai_preset_kernelshap = {
    .name = "kernelshap",
    .summary = "Shapley-kernel masks, constrained least squares (sum = f(x) - f(b))",
    .spec = {XAI_NBHD_MASKS, XAI_LOSS_FUNCTION, XAI_KERNEL_SHAPLEY, XAI_SCALE_NONE},
    .default_samples = XAI_SAMPLES_SHAP_AUTO,
    .default_sigma = 0,
};
