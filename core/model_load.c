/* core/model_load.c: xai_model_load dispatches on the path: "plugin:PATH"
 * loads a shared library (core/plugin.c), a .json file (or one whose first
 * non-blank byte is '{') an XGBoost model (core/xgb_json.c), anything else
 * an ONNX file (a tree ensemble inside becomes a tree model). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "error.h"
#include "model_impl.h"

static int is_json(const char *path)
{
    size_t n = strlen(path);
    if (n >= 5 && strcmp(path + n - 5, ".json") == 0)
        return 1;
    struct stat st; /* never open a FIFO or device just to peek */
    FILE *f = stat(path, &st) == 0 && S_ISREG(st.st_mode) ? fopen(path, "rb") : NULL;
    if (!f)
        return 0;
    int c;
    while ((c = fgetc(f)) != EOF && isspace(c))
        ;
    fclose(f);
    return c == '{'; /* ONNX protobuf starts with a field tag, never '{' */
}

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
    if (is_json(path))
        XAI_TRY(xai_xgb_json_load(path, out));
    else
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
