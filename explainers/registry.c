/* explainers/registry.c: the method table, one line per method. */
#include <strings.h>
#include <string.h>

#include "core/error.h"
#include "lfa.h"

static const xai_preset *const presets[XAI_METHOD_COUNT] = {
    [XAI_METHOD_LIME] = &xai_preset_lime,
    [XAI_METHOD_CLIME] = &xai_preset_clime,
    [XAI_METHOD_KERNELSHAP] = &xai_preset_kernelshap,
    [XAI_METHOD_OCCLUSION] = &xai_preset_occlusion,
    [XAI_METHOD_GRADIENT] = &xai_preset_gradient,
    [XAI_METHOD_GRADIENT_X_INPUT] = &xai_preset_gradient_x_input,
    [XAI_METHOD_SMOOTHGRAD] = &xai_preset_smoothgrad,
    [XAI_METHOD_INTEGRATED_GRADIENTS] = &xai_preset_integrated_gradients,
    [XAI_METHOD_SMOOTH_GRADCAM_PP] = &xai_preset_smooth_gradcam_pp,
    [XAI_METHOD_CUSTOM] = &xai_preset_custom,
    [XAI_METHOD_GRADCAM] = &xai_preset_gradcam,
    [XAI_METHOD_GRADCAM_PP] = &xai_preset_gradcam_pp,
    [XAI_METHOD_TREESHAP] = &xai_preset_treeshap,
};
_Static_assert(sizeof presets / sizeof presets[0] == XAI_METHOD_COUNT,
               "one registry line per method");

/* Names of methods not built in (so lookup and messages still know them). */
static const char *const reserved_names[XAI_METHOD_COUNT] = {
    [XAI_METHOD_SMOOTH_GRADCAM_PP] = "smooth-gradcam++",
};

static const struct {
    const char *alias;
    xai_method m;
} aliases[] = {
    {"clime", XAI_METHOD_CLIME},
    {"shap", XAI_METHOD_KERNELSHAP},
    {"ig", XAI_METHOD_INTEGRATED_GRADIENTS},
    {"gxi", XAI_METHOD_GRADIENT_X_INPUT},
    /* each name means what it says: "gradcam" is plain Grad-CAM, not the
     * smoothed Grad-CAM++ with noise */
    {"gradcam", XAI_METHOD_GRADCAM},
    {"gradcam++", XAI_METHOD_GRADCAM_PP},
};

const xai_preset *xai_preset_get(xai_method m)
{
    if ((unsigned)m >= XAI_METHOD_COUNT)
        return NULL;
    return presets[m];
}

size_t xai_method_count(void) { return XAI_METHOD_COUNT; }

const char *xai_method_name(xai_method m)
{
    if ((unsigned)m >= XAI_METHOD_COUNT)
        return NULL;
    return presets[m] ? presets[m]->name : reserved_names[m];
}

const char *xai_method_summary(xai_method m)
{
    if ((unsigned)m >= XAI_METHOD_COUNT)
        return NULL;
    return presets[m] ? presets[m]->summary : "not available in this build";
}

int xai_method_available(xai_method m)
{
    return (unsigned)m < XAI_METHOD_COUNT && presets[m] != NULL;
}

xai_status xai_method_lookup(const char *name, xai_method *out)
{
    if (!name)
        return xai_fail(XAI_ERR_INVALID, "no method name given");
    for (int m = 0; m < XAI_METHOD_COUNT; m++) {
        const char *n = xai_method_name((xai_method)m);
        if (n && strcasecmp(n, name) == 0) {
            *out = (xai_method)m;
            return XAI_OK;
        }
    }
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (strcasecmp(aliases[i].alias, name) == 0) {
            *out = aliases[i].m;
            return XAI_OK;
        }
    char list[512] = "";
    for (int m = 0; m < XAI_METHOD_COUNT; m++) {
        strncat(list, m ? ", " : "", sizeof list - strlen(list) - 1);
        strncat(list, xai_method_name((xai_method)m), sizeof list - strlen(list) - 1);
    }
    return xai_fail(XAI_ERR_INVALID, "unknown method '%s' (methods: %s)", name, list);
}
