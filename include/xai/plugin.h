/* xai/plugin.h: the C ABI of a model plugin.
 *
 * A plugin is a shared library that computes a model xai cannot import
 * (a gradient-boosted forest, a hand-written scorer, a model in another
 * runtime).  Load it with xai_model_load("plugin:/path/to/model.so", &m).
 * It exports these symbols (C linkage, no name mangling):
 *
 *   int xai_plugin_describe(xai_plugin_info *info);               required
 *   int xai_plugin_predict(const float *x, size_t n, float *y);   required
 *   int xai_plugin_vjp(const float *x, size_t n, const float *dy,
 *                      float *dx);                                optional
 *
 * Every function returns 0 on success and nonzero on failure.
 * - describe fills *info; abi_version must be XAI_PLUGIN_ABI_VERSION.
 * - predict reads n rows of n_inputs floats (row-major) and writes n rows of
 *   n_outputs floats.  It must handle any n >= 1 and be safe to call from
 *   several threads at once (xai runs one runner per thread).
 * - vjp writes dx (n x n_inputs) = J(x)^T dy for each row, dy being
 *   n x n_outputs.  Without it, xai computes gradients by central finite
 *   differences (xai_model_has_gradient() returns 0).
 * A plugin has no score / probability distinction: both output kinds give
 * predict's values, and it offers no layer taps.
 *
 * A minimal plugin is examples/plugin/linear_logistic.c. */
#ifndef XAI_PLUGIN_H
#define XAI_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define XAI_PLUGIN_ABI_VERSION 1

typedef struct xai_plugin_info {
    uint32_t abi_version;          /* XAI_PLUGIN_ABI_VERSION */
    uint32_t n_inputs;             /* floats per input row, >= 1 */
    uint32_t n_outputs;            /* floats per output row, >= 1 */
    int32_t outputs_probabilities; /* 1: outputs are probabilities */
    const char *name;              /* a static string, may be NULL */
} xai_plugin_info;

typedef int (*xai_plugin_describe_fn)(xai_plugin_info *info);
typedef int (*xai_plugin_predict_fn)(const float *x, size_t n, float *y);
typedef int (*xai_plugin_vjp_fn)(const float *x, size_t n, const float *dy,
                                 float *dx);

#ifdef __cplusplus
}
#endif
#endif
