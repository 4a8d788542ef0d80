/* core/model_load.c: xai_model_load dispatches on the path: "plugin:PATH"
 * loads a shared library (core/plugin.c), anything else an ONNX file. */
#include <string.h>

#include "error.h"
#include "model_impl.h"

xai_status xai_model_load(const char *path, xai_model **out)
{
    *out = NULL;
    if (!path || !path[0])
        return xai_fail(XAI_ERR_INVALID, "model path is empty");
    if (strncmp(path, "plugin:", 7) == 0)
        return xai_plugin_model_load(path + 7, out);
    return xai_onnx_model_load(path, out);
}
