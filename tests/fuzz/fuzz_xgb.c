/* tests/fuzz/fuzz_xgb.c: libFuzzer target for the XGBoost JSON loader (and
 * the JSON reader under it).  A model that loads runs one forward pass on a
 * row of zeros and a row of missing values (NaN). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include <xai/xai.h>

#include "fuzz_path.h"

static void run_model(const xai_model *m)
{
    size_t ni = xai_model_input_size(m), no = xai_model_output_size(m);
    if (ni == 0 || no == 0 || ni > (1u << 20) || no > (1u << 20))
        return;
    xai_runner *r;
    if (xai_runner_new(m, &r) != XAI_OK)
        return;
    float *x = calloc(2 * ni, sizeof *x), *y = calloc(2 * no, sizeof *y);
    if (x && y) {
        for (size_t k = ni; k < 2 * ni; k++)
            x[k] = NAN;
        xai_runner_forward(r, XAI_OUTPUT_PROB, x, 2, y);
        xai_runner_forward(r, XAI_OUTPUT_SCORE, x, 2, y);
    }
    free(x);
    free(y);
    xai_runner_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write(".json", data, size);
    if (!path)
        return 0;
    xai_model *m = NULL;
    if (xai_model_load(path, &m) == XAI_OK) {
        run_model(m);
        xai_model_free(m);
    }
    return 0;
}
