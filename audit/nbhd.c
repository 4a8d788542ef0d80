/* audit/nbhd.c: neighbourhood specs "gaussian:SIGMA", "mask:P", "path",
 * "point", and the standard set. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "audit_impl.h"
#include "core/error.h"

static const char forms[] = "gaussian:SIGMA (SIGMA > 0, in column stds), "
                            "mask:P (0 < P < 1), path, point or shapley";

static int number(const char *s, double *v)
{
    char *end;
    if (!*s)
        return 0;
    *v = strtod(s, &end);
    return *end == 0 && isfinite(*v);
}

xai_status xai_audit_nbhd_parse(const char *text, xai_audit_nbhd *out)
{
    if (!text || !out)
        return xai_fail(XAI_ERR_INVALID, "no neighbourhood given (use %s)", forms);
    double v;
    if (strncasecmp(text, "gaussian:", 9) == 0) {
        if (!number(text + 9, &v) || !(v > 0))
            return xai_fail(XAI_ERR_INVALID, "neighbourhood '%s': sigma must be a "
                            "positive number (use %s)", text, forms);
        *out = (xai_audit_nbhd){XAI_AUDIT_NBHD_GAUSSIAN, v};
    } else if (strncasecmp(text, "mask:", 5) == 0) {
        if (!number(text + 5, &v) || !(v > 0 && v < 1))
            return xai_fail(XAI_ERR_INVALID, "neighbourhood '%s': P must be a "
                            "probability strictly between 0 and 1 (use %s)", text, forms);
        *out = (xai_audit_nbhd){XAI_AUDIT_NBHD_MASK, v};
    } else if (strcasecmp(text, "path") == 0) {
        *out = (xai_audit_nbhd){XAI_AUDIT_NBHD_PATH, 0};
    } else if (strcasecmp(text, "point") == 0) {
        *out = (xai_audit_nbhd){XAI_AUDIT_NBHD_POINT, 0};
    } else if (strcasecmp(text, "shapley") == 0) {
        *out = (xai_audit_nbhd){XAI_AUDIT_NBHD_SHAPLEY, 0};
    } else {
        return xai_fail(XAI_ERR_INVALID, "unknown neighbourhood '%s' (use %s)",
                        text, forms);
    }
    return XAI_OK;
}

void xai_audit_nbhd_format(const xai_audit_nbhd *z, char *buf, size_t len)
{
    if (!buf || !len)
        return;
    switch (z ? (int)z->kind : -1) {
    case XAI_AUDIT_NBHD_GAUSSIAN:
        snprintf(buf, len, "gaussian:%g", z->param);
        break;
    case XAI_AUDIT_NBHD_MASK:
        snprintf(buf, len, "mask:%g", z->param);
        break;
    case XAI_AUDIT_NBHD_PATH:
        snprintf(buf, len, "path");
        break;
    case XAI_AUDIT_NBHD_POINT:
        snprintf(buf, len, "point");
        break;
    case XAI_AUDIT_NBHD_SHAPLEY:
        snprintf(buf, len, "shapley");
        break;
    default:
        snprintf(buf, len, "?");
    }
}

size_t xai_audit_default_nbhds(xai_audit_nbhd *out, size_t cap)
{
    static const xai_audit_nbhd std[] = {
        {XAI_AUDIT_NBHD_GAUSSIAN, 0.1}, {XAI_AUDIT_NBHD_GAUSSIAN, 0.5},
        {XAI_AUDIT_NBHD_MASK, 0.5},     {XAI_AUDIT_NBHD_PATH, 0},
        {XAI_AUDIT_NBHD_POINT, 0}};
    size_t n = sizeof std / sizeof std[0];
    for (size_t i = 0; out && i < n && i < cap; i++)
        out[i] = std[i];
    return n;
}

size_t xai_audit_default_nbhds_for(const xai_model *m, xai_audit_nbhd *out, size_t cap)
{
    static const xai_audit_nbhd trees[] = {
        {XAI_AUDIT_NBHD_GAUSSIAN, 0.1}, {XAI_AUDIT_NBHD_GAUSSIAN, 0.5},
        {XAI_AUDIT_NBHD_MASK, 0.5},     {XAI_AUDIT_NBHD_SHAPLEY, 0}};
    if (!m || !xai_model_piecewise_constant(m))
        return xai_audit_default_nbhds(out, cap);
    size_t n = sizeof trees / sizeof trees[0];
    for (size_t i = 0; out && i < n && i < cap; i++)
        out[i] = trees[i];
    return n;
}
