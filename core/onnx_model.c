/* core/onnx_model.c: the ONNX backend: wraps a loaded graph and its runners
 * into an xai_model (core/model_impl.h). */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "graph_exec.h"
#include "model_impl.h"

typedef struct onnx_impl {
    graph *g;
    const char *op_names[OP_COUNT];
    size_t op_counts[OP_COUNT];
    size_t n_kinds;
    double flops;
} onnx_impl;

static void impl_free(void *p)
{
    onnx_impl *im = p;
    if (!im)
        return;
    graph_free(im->g);
    free(im);
}

static xai_status runner_new(const void *p, void **state)
{
    const onnx_impl *im = p;
    return g_runner_new(im->g, (g_runner **)state);
}

static void runner_free(void *state) { g_runner_free(state); }

static xai_status forward(void *state, xai_output_kind kind, const float *x,
                          size_t n, float *y)
{
    return g_forward(state, kind, x, n, y);
}

static xai_status vjp(void *state, xai_output_kind kind, const float *x, size_t n,
                      const float *dy, float *dx, float *y)
{
    return g_vjp(state, kind, x, n, dy, dx, y);
}

static xai_status tap(void *state, xai_output_kind kind, const char *name,
                      const float *x, size_t n, const int32_t *target, float *act,
                      float *grad_act, float *y)
{
    return g_tap(state, kind, name, x, n, target, act, grad_act, y);
}

static int tensor_shape(const void *p, const char *name, int64_t dims[4])
{
    const graph *g = ((const onnx_impl *)p)->g;
    for (size_t i = 0; i < g->n_t; i++) {
        const g_tensor *t = &g->t[i];
        if (strcmp(t->name, name) != 0)
            continue;
        int off = t->batched ? 1 : 0, r = t->rank - off;
        if (r > 4)
            return -1;
        for (int k = 0; k < r; k++)
            dims[k] = t->dims[k + off];
        return r;
    }
    return -1;
}

static void describe(const void *p, xai_model_info *info)
{
    const onnx_impl *im = p;
    const graph *g = im->g;
    info->producer = g->producer;
    info->opset = g->opset;
    info->input_name = g->t[g->input].name;
    info->output_name = g->t[g->output].name;
    info->n_params = g->n_params;
    info->flops_per_sample = im->flops;
    info->n_nodes = g->n_nodes;
    info->n_op_kinds = im->n_kinds;
    info->op_names = im->op_names;
    info->op_counts = im->op_counts;
}

static const xai_backend_ops onnx_ops = {
    "onnx", impl_free, runner_new, runner_free, forward, vjp, tap,
    tensor_shape, describe};

xai_status xai_onnx_model_load(const char *path, xai_model **out)
{
    *out = NULL;
    graph *g;
    XAI_TRY(graph_load_onnx(path, &g));
    onnx_impl *im = calloc(1, sizeof *im);
    const char **conv = calloc(g->n_nodes ? g->n_nodes : 1, sizeof *conv);
    if (!im || !conv) {
        free(im);
        free(conv);
        graph_free(g);
        return xai_fail(XAI_ERR_NOMEM, "out of memory loading %s", path);
    }
    im->g = g;
    size_t n_conv = 0;
    int slot[OP_COUNT];
    for (int k = 0; k < OP_COUNT; k++)
        slot[k] = -1;
    for (size_t i = 0; i < g->n_nodes; i++) {
        const g_node *nd = &g->nodes[i];
        if (slot[nd->op] < 0) {
            slot[nd->op] = (int)im->n_kinds;
            im->op_names[im->n_kinds++] = g_ops[nd->op].name;
        }
        im->op_counts[slot[nd->op]]++;
        im->flops += nd->flops;
        if (nd->op == OP_CONV && !nd->folded)
            conv[n_conv++] = g->t[nd->out[0]].name;
    }
    const g_tensor *in = &g->t[g->input];
    xai_model_desc d = {.n_inputs = in->numel,
                        .n_outputs = g->t[g->output].numel,
                        .outputs_probabilities = g->final_node >= 0,
                        .conv_layers = conv,
                        .n_conv_layers = n_conv};
    if (in->rank - 1 <= 4) {
        d.input_rank = in->rank - 1;
        for (int k = 1; k < in->rank; k++)
            d.input_dims[k - 1] = in->dims[k];
    }
    xai_status s = xai_model_wrap(&onnx_ops, im, &d, out);
    free(conv);
    return s;
}
