/* examples/plugin/linear_logistic.c: a minimal xai model plugin (see
 * include/xai/plugin.h): logistic regression p = sigmoid(w . x + b) over 4
 * features, with its exact VJP.  Build: the Makefile makes
 * build/examples/linear_logistic.so; load with
 * xai_model_load("plugin:build/examples/linear_logistic.so", &m).
 * Define LINEAR_LOGISTIC_NO_VJP to build it without gradients. */
#include <math.h>

#include <xai/plugin.h>

#define D 4
static const float W[D] = {0.8f, -1.2f, 0.5f, 2.0f};
static const float B = -0.3f;

/* p = 1 / (1 + exp(-(w . x + b))) */
static float prob(const float *x)
{
    double z = B;
    for (int j = 0; j < D; j++)
        z += (double)W[j] * x[j];
    return (float)(1.0 / (1.0 + exp(-z)));
}

int xai_plugin_describe(xai_plugin_info *info)
{
    info->abi_version = XAI_PLUGIN_ABI_VERSION;
    info->n_inputs = D;
    info->n_outputs = 1;
    info->outputs_probabilities = 1;
    info->name = "linear_logistic example";
    return 0;
}

int xai_plugin_predict(const float *x, size_t n, float *y)
{
    for (size_t i = 0; i < n; i++)
        y[i] = prob(x + i * D);
    return 0;
}

#ifndef LINEAR_LOGISTIC_NO_VJP
/* dx_j = dy p (1 - p) w_j */
int xai_plugin_vjp(const float *x, size_t n, const float *dy, float *dx)
{
    for (size_t i = 0; i < n; i++) {
        float p = prob(x + i * D), g = dy[i] * p * (1.0f - p);
        for (int j = 0; j < D; j++)
            dx[i * D + j] = g * W[j];
    }
    return 0;
}
#endif
