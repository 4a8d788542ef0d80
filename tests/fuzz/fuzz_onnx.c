/* tests/fuzz/fuzz_onnx.c: libFuzzer target for the ONNX loader.  A model that
 * loads also runs one forward pass and one VJP on a batch of two zero rows. */
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
    float *x = calloc(2 * ni, sizeof *x), *dx = calloc(2 * ni, sizeof *dx);
    float *y = calloc(2 * no, sizeof *y), *dy = calloc(2 * no, sizeof *dy);
    if (x && dx && y && dy) {
        for (size_t k = 0; k < 2 * no; k++)
            dy[k] = 1.0f;
        xai_runner_forward(r, XAI_OUTPUT_PROB, x, 2, y);
        xai_runner_vjp(r, XAI_OUTPUT_SCORE, x, 2, dy, dx, y);
    }
    free(x);
    free(dx);
    free(y);
    free(dy);
    xai_runner_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write(".onnx", data, size);
    if (!path)
        return 0;
    xai_model *m = NULL;
    if (xai_model_load(path, &m) == XAI_OK) {
        run_model(m);
        xai_model_free(m);
    }
    return 0;
}
