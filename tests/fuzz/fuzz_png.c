/* tests/fuzz/fuzz_png.c: libFuzzer target for the PNG loader. */
#include <stdint.h>

#include <xai/xai.h>

#include "fuzz_path.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write(".png", data, size);
    if (!path)
        return 0;
    xai_dataset *ds = NULL;
    if (xai_dataset_load_png(path, &ds) == XAI_OK)
        xai_dataset_free(ds);
    return 0;
}
