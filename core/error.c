/* core/error.c: status strings and the per-thread detailed message. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static _Thread_local char last_error[1024];

static const char *const status_text[XAI_STATUS_COUNT] = {
    [XAI_OK] = "success",
    [XAI_ERR_NOMEM] = "out of memory",
    [XAI_ERR_IO] = "input/output error",
    [XAI_ERR_PARSE] = "malformed input",
    [XAI_ERR_INVALID] = "invalid argument",
    [XAI_ERR_UNSUPPORTED] = "unsupported",
    [XAI_ERR_SHAPE] = "shape mismatch",
    [XAI_ERR_NUMERIC] = "numerical error",
    [XAI_ERR_INTERNAL] = "internal error",
};

const char *xai_version(void) { return XAI_VERSION_STRING; }

const char *xai_strerror(xai_status status)
{
    if ((unsigned)status >= XAI_STATUS_COUNT)
        return "unknown status";
    return status_text[status];
}

const char *xai_last_error(void) { return last_error; }

void xai_clear_error(void) { last_error[0] = '\0'; }

xai_status xai_fail(xai_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return status;
}

xai_status xai_floats_reserve(float **p, size_t *cap, size_t len)
{
    size_t bytes;
    if (len <= *cap)
        return XAI_OK;
    if (!xai_mul_size(len, sizeof **p, &bytes))
        return xai_fail(XAI_ERR_NOMEM, "%zu floats of working memory is too many", len);
    float *q = realloc(*p, bytes);
    if (!q)
        return xai_fail(XAI_ERR_NOMEM, "out of memory (%zu floats of working memory)", len);
    *p = q;
    *cap = len;
    return XAI_OK;
}
