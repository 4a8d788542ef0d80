/* core/onnx_model.c: the ONNX backend: wraps a loaded graph and its runners
 * into an xai_model (core/model_impl.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <xai/rng.h>

#include "error.h"
#include "graph_exec.h"
#include "model_impl.h"
#include "onnx_proto.h"
#include "ops.h"

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
    int i = g_tensor_find(g, name);
    if (i < 0)
        return -1;
    const g_tensor *t = &g->t[i];
    int off = t->batched ? 1 : 0, r = t->rank - off;
    if (r > 4)
        return -1;
    for (int k = 0; k < r; k++)
        dims[k] = t->dims[k + off];
    return r;
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

/* Re-draws a constant float tensor i.i.d. N(mean, std) of its own values. */
static void redraw(g_tensor *t, xai_rng *rng)
{
    float *v = t->data;
    double sum = 0, ss = 0;
    for (size_t i = 0; i < t->numel; i++)
        sum += v[i];
    double mean = sum / (double)t->numel;
    for (size_t i = 0; i < t->numel; i++)
        ss += (v[i] - mean) * (v[i] - mean);
    double sd = sqrt(ss / (double)t->numel);
    for (size_t i = 0; i < t->numel; i++)
        v[i] = (float)(mean + sd * xai_rng_normal(rng));
}

static int is_const_f32(const graph *g, int t)
{
    return t >= 0 && !g->t[t].batched && g->t[t].dtype == G_F32 && g->t[t].data &&
           g->t[t].numel > 0;
}

static xai_status randomized_copy(const void *p, uint64_t seed, xai_model **out);

static const xai_backend_ops onnx_ops = {
    .name = "onnx", .free = impl_free, .runner_new = runner_new,
    .runner_free = runner_free, .forward = forward, .vjp = vjp, .tap = tap,
    .tensor_shape = tensor_shape, .describe = describe,
    .randomized_copy = randomized_copy};

/* Loads the file again (the graph owns its constants) and re-draws the last
 * weighted layer of the copy. */
static xai_status randomized_copy(const void *p, uint64_t seed, xai_model **out)
{
    const graph *orig = ((const onnx_impl *)p)->g;
    XAI_TRY(xai_onnx_model_load(orig->path, out));
    graph *g = ((onnx_impl *)xai_model_backend_impl(*out))->g;
    for (size_t i = g->n_nodes; i-- > 0;) {
        g_node *nd = &g->nodes[i];
        int weighted = nd->op == OP_GEMM || nd->op == OP_MATMUL || nd->op == OP_CONV;
        if (nd->folded || !weighted || nd->n_in < 2 || !is_const_f32(g, nd->in[1]))
            continue;
        xai_rng rng;
        xai_rng_init(&rng, seed, 0);
        redraw(&g->t[nd->in[1]], &rng);
        if (nd->op != OP_MATMUL && nd->n_in > 2 && is_const_f32(g, nd->in[2]))
            redraw(&g->t[nd->in[2]], &rng);
        if (nd->op == OP_GEMM || nd->op == OP_MATMUL) {
            xai_status s = g_gemm_pack(g, nd); /* its transposed copy */
            if (s != XAI_OK) {
                xai_model_free(*out);
                *out = NULL;
            }
            return s;
        }
        return XAI_OK;
    }
    xai_model_free(*out);
    *out = NULL;
    return xai_fail(XAI_ERR_UNSUPPORTED, "%s: no Gemm, MatMul or Conv with constant weights to re-draw",
                    orig->path);
}

xai_status xai_onnx_model_load(const char *path, xai_model **out)
{
    *out = NULL;
    graph *g;
    Onnx__ModelProto *mp;
    XAI_TRY(onnx_proto_read(path, &mp));
    xai_status ls = onnx_has_tree_ensemble(mp) ? onnx_trees_load(path, mp, out)
                                               : graph_from_proto(path, mp, &g);
    onnx__model_proto__free_unpacked(mp, NULL);
    if (ls != XAI_OK || *out) /* failed, or a tree model */
        return ls;
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
    const char *hidden = NULL;
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
        /* the last activation before the output head: a hidden layer */
        if ((nd->op == OP_RELU || nd->op == OP_LEAKYRELU || nd->op == OP_TANH ||
             nd->op == OP_SIGMOID) && !nd->folded && !nd->after_score &&
            (int)i != g->final_node && nd->out[0] != g->output)
            hidden = g->t[nd->out[0]].name;
    }
    const g_tensor *in = &g->t[g->input];
    /* planned working memory per row: every computed (batched) tensor, once
     * for the forward values and once for the gradients */
    uint64_t row_bytes = 0;
    for (size_t i = 0; i < g->n_t; i++)
        if (g->t[i].batched)
            row_bytes += 2 * (uint64_t)g->t[i].numel * (g->t[i].dtype == G_I64 ? 8 : 4);
    xai_model_desc d = {.n_inputs = in->numel,
                        .row_bytes = row_bytes,
                        .n_outputs = g->t[g->output].numel,
                        .outputs_probabilities = g->final_node >= 0,
                        .conv_layers = conv,
                        .n_conv_layers = n_conv,
                        .hidden_layer = hidden};
    if (in->rank - 1 <= 4) {
        d.input_rank = in->rank - 1;
        for (int k = 1; k < in->rank; k++)
            d.input_dims[k - 1] = in->dims[k];
    }
    xai_status s = xai_model_wrap(&onnx_ops, im, &d, out);
    free(conv);
    return s;
}

/* The graph of an ONNX model, NULL for other backends (core/mlp.c). */
const graph *xai_onnx_model_graph(const xai_model *m);
const graph *xai_onnx_model_graph(const xai_model *m)
{
    xai_model_info info;
    xai_model_info_get(m, &info);
    if (strcmp(info.format, "onnx") != 0)
        return NULL;
    return ((const onnx_impl *)xai_model_backend_impl(m))->g;
}
