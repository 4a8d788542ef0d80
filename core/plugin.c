/* core/plugin.c: models from shared libraries (include/xai/plugin.h), loaded
 * with dlopen. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xai/plugin.h>

#include "error.h"
#include "model_impl.h"

typedef struct plugin_impl {
    void *dl;
    xai_plugin_predict_fn predict;
    xai_plugin_vjp_fn vjp;
    char *path;
    const char *name;
} plugin_impl;

static void impl_free(void *p)
{
    plugin_impl *pl = p;
    if (!pl)
        return;
    if (pl->dl)
        dlclose(pl->dl);
    free(pl->path);
    free(pl);
}

static xai_status runner_new(const void *impl, void **state)
{
    *state = (void *)impl;
    return XAI_OK;
}

static void runner_free(void *state) { (void)state; }

static xai_status forward(void *state, xai_output_kind kind, const float *x,
                          size_t n, float *y)
{
    (void)kind;
    plugin_impl *pl = state;
    int rc = pl->predict(x, n, y);
    if (rc != 0)
        return xai_fail(XAI_ERR_INVALID, "plugin %s: xai_plugin_predict returned %d",
                        pl->path, rc);
    return XAI_OK;
}

static xai_status vjp(void *state, xai_output_kind kind, const float *x, size_t n,
                      const float *dy, float *dx, float *y)
{
    plugin_impl *pl = state;
    if (y)
        XAI_TRY(forward(state, kind, x, n, y));
    int rc = pl->vjp(x, n, dy, dx);
    if (rc != 0)
        return xai_fail(XAI_ERR_INVALID, "plugin %s: xai_plugin_vjp returned %d",
                        pl->path, rc);
    return XAI_OK;
}

static void describe(const void *impl, xai_model_info *info)
{
    const plugin_impl *pl = impl;
    info->producer = pl->name ? pl->name : "";
}

static const xai_backend_ops plugin_ops = {
    .name = "plugin", .free = impl_free, .runner_new = runner_new,
    .runner_free = runner_free, .forward = forward, .vjp = vjp, .describe = describe};
static const xai_backend_ops plugin_fd_ops = {
    .name = "plugin", .free = impl_free, .runner_new = runner_new,
    .runner_free = runner_free, .forward = forward, .describe = describe};

xai_status xai_plugin_model_load(const char *path, xai_model **out)
{
    *out = NULL;
    plugin_impl *pl = calloc(1, sizeof *pl);
    if (!pl || !(pl->path = strdup(path))) {
        free(pl);
        return xai_fail(XAI_ERR_NOMEM, "out of memory loading plugin %s", path);
    }
    /* a bare name would search the library path; require a path */
    const char *p = strchr(path, '/') ? path : NULL;
    char buf[4096];
    if (!p) {
        snprintf(buf, sizeof buf, "./%s", path);
        p = buf;
    }
    pl->dl = dlopen(p, RTLD_NOW | RTLD_LOCAL);
    if (!pl->dl) {
        const char *e = dlerror();
        xai_status s = xai_fail(XAI_ERR_IO, "plugin %s: cannot load: %s", path,
                                e ? e : "unknown error");
        impl_free(pl);
        return s;
    }
    xai_plugin_describe_fn desc;
    *(void **)&desc = dlsym(pl->dl, "xai_plugin_describe");
    *(void **)&pl->predict = dlsym(pl->dl, "xai_plugin_predict");
    *(void **)&pl->vjp = dlsym(pl->dl, "xai_plugin_vjp");
    if (!desc || !pl->predict) {
        impl_free(pl);
        return xai_fail(XAI_ERR_PARSE,
                        "plugin %s: does not export xai_plugin_describe and "
                        "xai_plugin_predict (see xai/plugin.h)",
                        path);
    }
    xai_plugin_info info;
    memset(&info, 0, sizeof info);
    int rc = desc(&info);
    if (rc != 0 || info.abi_version != XAI_PLUGIN_ABI_VERSION || info.n_inputs == 0 ||
        info.n_outputs == 0) {
        impl_free(pl);
        return xai_fail(XAI_ERR_UNSUPPORTED,
                        "plugin %s: describe returned %d, ABI version %u (need %d), "
                        "%u inputs, %u outputs",
                        path, rc, (unsigned)info.abi_version, XAI_PLUGIN_ABI_VERSION,
                        (unsigned)info.n_inputs, (unsigned)info.n_outputs);
    }
    pl->name = info.name;
    xai_model_desc d = {.n_inputs = info.n_inputs,
                        .n_outputs = info.n_outputs,
                        .outputs_probabilities = info.outputs_probabilities != 0};
    return xai_model_wrap(pl->vjp ? &plugin_ops : &plugin_fd_ops, pl, &d, out);
}
