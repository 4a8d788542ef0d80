/* tests/plugins/crashing.c: a plugin for tests/test_mpi.c, compiled by the
 * test itself.  y = x0 + 2 x1 + 3 x2 (3 inputs, 1 output, no VJP), but a
 * row whose first feature is exactly 12345 raises SIGSEGV and one whose
 * first feature is exactly -12345 calls abort(): a model that crashes the
 * process on one row, as a buggy plugin or runtime would. */
#include <signal.h>
#include <stdlib.h>
#include <xai/plugin.h>

int xai_plugin_describe(xai_plugin_info *info)
{
    info->abi_version = XAI_PLUGIN_ABI_VERSION;
    info->n_inputs = 3;
    info->n_outputs = 1;
    info->outputs_probabilities = 0;
    info->name = "crashing test plugin";
    return 0;
}

int xai_plugin_predict(const float *x, size_t n, float *y)
{
    for (size_t i = 0; i < n; i++) {
        if (x[3 * i] == 12345.0f)
            raise(SIGSEGV);
        if (x[3 * i] == -12345.0f)
            abort();
        y[i] = x[3 * i] + 2 * x[3 * i + 1] + 3 * x[3 * i + 2];
    }
    return 0;
}
