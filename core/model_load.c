/* core/model_load.c: xai_model_load dispatches on the path: "plugin:PATH"
 * loads a shared library (core/plugin.c), anything else an ONNX file. */
#include <string.h>

#include "error.h"
#include "model_impl.h"

xai_status xai_model_load(const char *path, xai_model **out)
{
    return xai_model_load_limited(path, XAI_DEFAULT_MAX_MEMORY, out);
}

xai_status xai_model_load_limited(const char *path, uint64_t max_bytes, xai_model **out)
{
    *out = NULL;
    if (!path || !path[0])
        return xai_fail(XAI_ERR_INVALID, "model path is empty");
    if (strncmp(path, "plugin:", 7) == 0)
        return xai_plugin_model_load(path + 7, out);
    if (!max_bytes)
        max_bytes = XAI_DEFAULT_MAX_MEMORY;
    XAI_TRY(xai_onnx_model_load(path, out));
    uint64_t row = xai_model_row_memory(*out);
    if (row > max_bytes) { /* refused before any buffer is planned */
        xai_model_free(*out);
        *out = NULL;
        return xai_fail(XAI_ERR_NOMEM, "%s: the graph needs %.1f MiB of working memory "
                        "per row (its computed tensors, forward and gradient), above "
                        "the limit of %.1f MiB; raise it (--max-memory) if this is "
                        "intended", path, (double)row / 1048576.0,
                        (double)max_bytes / 1048576.0);
    }
    xai_model_set_max_memory(*out, max_bytes);
    return XAI_OK;
}
