/* tests/plugins/faulty.c: a plugin for tests/test_model_faults.c, compiled
 * by the test itself.  y = x0 + 2 x1 + 3 x2 (3 inputs, 1 output, no VJP).
 * -DFAULTY_ABI=N declares ABI version N; -DFAULTY_FAIL_AFTER=K makes
 * predict fail from its K-th call on. */
#include <xai/plugin.h>

#ifndef FAULTY_ABI
#define FAULTY_ABI XAI_PLUGIN_ABI_VERSION
#endif

static long calls;

int xai_plugin_describe(xai_plugin_info *info)
{
    info->abi_version = FAULTY_ABI;
    info->n_inputs = 3;
    info->n_outputs = 1;
    info->outputs_probabilities = 0;
    info->name = "faulty test plugin";
    return 0;
}

int xai_plugin_predict(const float *x, size_t n, float *y)
{
#ifdef FAULTY_FAIL_AFTER
    if (calls++ >= FAULTY_FAIL_AFTER)
        return 1;
#else
    calls++;
#endif
    for (size_t i = 0; i < n; i++)
        y[i] = x[3 * i] + 2 * x[3 * i + 1] + 3 * x[3 * i + 2];
    return 0;
}
