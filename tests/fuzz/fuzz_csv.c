/* tests/fuzz/fuzz_csv.c: libFuzzer target for the CSV loader, plain and with
 * a label column (the first header name, when there is one) and auto groups. */
#include <stdint.h>
#include <string.h>

#include <xai/xai.h>

#include "fuzz_path.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write(".csv", data, size);
    if (!path)
        return 0;
    xai_dataset *ds = NULL;
    if (xai_dataset_load_csv(path, NULL, &ds) == XAI_OK)
        xai_dataset_free(ds);

    /* label = the text before the first comma or newline (if short) */
    char label[64];
    size_t n = 0;
    while (n < size && n < sizeof label - 1 && data[n] != ',' && data[n] != '\n' &&
           data[n] != '\r' && data[n] != '\0')
        n++;
    memcpy(label, data, n);
    label[n] = '\0';
    xai_csv_options o = xai_csv_options_default();
    o.label = n ? label : "label";
    o.groups_auto = 1;
    if (xai_dataset_load_csv(path, &o, &ds) == XAI_OK)
        xai_dataset_free(ds);
    return 0;
}
