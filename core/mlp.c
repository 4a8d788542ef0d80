/* core/mlp.c: reads a chain-shaped ONNX graph as dense layers (see
 * xai/mlp.h).  Element-wise affine ops before a dense layer become a
 * diagonal map folded into it; those after it (before the activation)
 * rescale its rows and shift its bias. */
#include <xai/mlp.h>

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "graph.h"
#include "model_impl.h"

const graph *xai_onnx_model_graph(const xai_model *m);

void xai_mlp_free(xai_mlp *mlp)
{
    if (!mlp)
        return;
    for (size_t i = 0; i < mlp->n_layers; i++) {
        free(mlp->layers[i].w);
        free(mlp->layers[i].b);
    }
    free(mlp->layers);
    free(mlp);
}

typedef struct walk {
    const graph *g;
    xai_mlp *mlp;
    size_t cap;
    size_t width;     /* current vector width */
    double *pre_s, *pre_t; /* pending diagonal pre-map (width entries) */
    int open;         /* the last layer has no activation yet */
} walk;

static xai_status refuse(const walk *w, const g_node *nd, const char *why)
{
    return xai_fail(XAI_ERR_UNSUPPORTED, "%s: node '%s' (%s) is outside the MLP family "
                    "(dense layers with ReLU / LeakyReLU / Sigmoid / Tanh): %s",
                    w->g->path ? w->g->path : "model", nd->name ? nd->name : "",
                    nd->op_type ? nd->op_type : "?", why);
}

/* A constant float input of nd with 1 or `want` elements, or NULL. */
static const float *const_vec(const walk *w, const g_node *nd, int k, size_t want,
                              size_t *numel)
{
    const g_tensor *t = g_in((graph *)w->g, nd, k);
    if (!t || t->batched || t->dtype != G_F32 || !t->data)
        return NULL;
    if (t->numel != 1 && t->numel != want)
        return NULL;
    *numel = t->numel;
    return t->data;
}

static xai_status add_dense(walk *w, const g_node *nd, size_t n_in, size_t n_out,
                            const float *B, int trans_b, double alpha, const float *C,
                            size_t nc, double beta)
{
    if (n_in != w->width)
        return refuse(w, nd, "its input width does not match the previous layer");
    if (w->mlp->n_layers == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 4;
        xai_dense *l = realloc(w->mlp->layers, cap * sizeof *l);
        if (!l)
            return xai_fail(XAI_ERR_NOMEM, "out of memory");
        w->mlp->layers = l;
        w->cap = cap;
    }
    xai_dense *L = &w->mlp->layers[w->mlp->n_layers];
    memset(L, 0, sizeof *L);
    L->w = malloc(n_in * n_out * sizeof *L->w);
    L->b = calloc(n_out, sizeof *L->b);
    if (!L->w || !L->b) {
        free(L->w);
        free(L->b);
        return xai_fail(XAI_ERR_NOMEM, "out of memory");
    }
    w->mlp->n_layers++;
    L->n_in = n_in;
    L->n_out = n_out;
    for (size_t o = 0; o < n_out; o++) {
        double bias = C ? beta * C[nc == 1 ? 0 : o] : 0;
        for (size_t i = 0; i < n_in; i++) {
            double v = alpha * (trans_b ? B[o * n_in + i] : B[i * n_out + o]);
            /* fold the pending pre-map x -> s x + t */
            bias += v * w->pre_t[i];
            L->w[o * n_in + i] = v * w->pre_s[i];
        }
        L->b[o] = bias;
    }
    double *s = realloc(w->pre_s, n_out * sizeof *s), *t = realloc(w->pre_t, n_out * sizeof *t);
    if (s)
        w->pre_s = s;
    if (t)
        w->pre_t = t;
    if (!s || !t)
        return xai_fail(XAI_ERR_NOMEM, "out of memory");
    for (size_t o = 0; o < n_out; o++) {
        w->pre_s[o] = 1;
        w->pre_t[o] = 0;
    }
    w->width = n_out;
    w->open = 1;
    return XAI_OK;
}

/* x op c element-wise, applied to the open layer or the pending pre-map. */
static xai_status elementwise(walk *w, const g_node *nd)
{
    size_t nc;
    int k = g_in((graph *)w->g, nd, 0)->batched ? 1 : 0;
    if (nd->op == OP_SUB || nd->op == OP_DIV) {
        if (k != 1)
            return refuse(w, nd, "a constant minus or over the input");
    }
    const float *c = const_vec(w, nd, k, w->width, &nc);
    if (!c)
        return refuse(w, nd, "the other operand is not a constant of the layer's width");
    for (size_t i = 0; i < w->width; i++) {
        double v = c[nc == 1 ? 0 : i], mul = 1, add = 0;
        switch (nd->op) {
        case OP_ADD: add = v; break;
        case OP_SUB: add = -v; break;
        case OP_MUL: mul = v; break;
        default: mul = 1.0 / v; break; /* OP_DIV */
        }
        if (w->open) {
            xai_dense *L = &w->mlp->layers[w->mlp->n_layers - 1];
            for (size_t j = 0; j < L->n_in; j++)
                L->w[i * L->n_in + j] *= mul;
            L->b[i] = L->b[i] * mul + add;
        } else {
            w->pre_s[i] *= mul;
            w->pre_t[i] = w->pre_t[i] * mul + add;
        }
    }
    return XAI_OK;
}

static xai_status step(walk *w, const g_node *nd, int *cur)
{
    const graph *g = w->g;
    const g_tensor *a = g_in((graph *)g, nd, 0);
    int ok_in = 0;
    for (int k = 0; k < nd->n_in; k++)
        if (nd->in[k] == *cur)
            ok_in = 1;
        else if (nd->in[k] >= 0 && g->t[nd->in[k]].batched)
            return refuse(w, nd, "it joins two computed tensors (not a chain)");
    if (!ok_in)
        return refuse(w, nd, "it does not continue the chain from the input");
    xai_status s = XAI_OK;
    switch (nd->op) {
    case OP_GEMM: {
        const g_tensor *B = g_in((graph *)g, nd, 1);
        if (nd->in[0] != *cur || nd->p.trans_a || !B || B->batched || B->rank != 2 ||
            B->dtype != G_F32)
            return refuse(w, nd, "not x times a constant matrix");
        size_t n_out = (size_t)(nd->p.trans_b ? B->dims[0] : B->dims[1]);
        size_t n_in = (size_t)(nd->p.trans_b ? B->dims[1] : B->dims[0]), nc = 0;
        const float *C = nd->n_in > 2 ? const_vec(w, nd, 2, n_out, &nc) : NULL;
        if (nd->n_in > 2 && nd->in[2] >= 0 && !C)
            return refuse(w, nd, "the bias is not a constant vector");
        if (w->open)
            return refuse(w, nd, "two dense layers without an activation between");
        s = add_dense(w, nd, n_in, n_out, B->data, nd->p.trans_b, nd->p.alpha, C, nc,
                      nd->p.beta);
        break;
    }
    case OP_MATMUL: {
        const g_tensor *B = g_in((graph *)g, nd, 1);
        if (nd->in[0] != *cur || !B || B->batched || B->rank != 2 || B->dtype != G_F32)
            return refuse(w, nd, "not x times a constant matrix");
        if (w->open)
            return refuse(w, nd, "two dense layers without an activation between");
        s = add_dense(w, nd, (size_t)B->dims[0], (size_t)B->dims[1], B->data, 0, 1.0, NULL,
                      0, 0);
        break;
    }
    case OP_ADD: case OP_SUB: case OP_MUL: case OP_DIV:
        s = elementwise(w, nd);
        break;
    case OP_RELU: case OP_LEAKYRELU: case OP_SIGMOID: case OP_TANH: case OP_SOFTMAX: {
        if (!w->open)
            return refuse(w, nd, "an activation without a dense layer before it");
        if (nd->op == OP_SOFTMAX && (int)(nd - g->nodes) != g->final_node)
            return refuse(w, nd, "Softmax inside the network");
        xai_dense *L = &w->mlp->layers[w->mlp->n_layers - 1];
        L->act = nd->op == OP_RELU ? XAI_ACT_RELU : nd->op == OP_LEAKYRELU ? XAI_ACT_LEAKY_RELU
                 : nd->op == OP_SIGMOID ? XAI_ACT_SIGMOID : nd->op == OP_TANH ? XAI_ACT_TANH
                 : XAI_ACT_SOFTMAX;
        L->alpha = nd->p.alpha;
        w->open = 0;
        break;
    }
    case OP_IDENTITY: case OP_DROPOUT: case OP_FLATTEN:
        if (a->rank != 2)
            return refuse(w, nd, "a reshaping op on a tensor of rank other than 2");
        break;
    default:
        return refuse(w, nd, "an op the MLP reader does not know");
    }
    if (s == XAI_OK)
        *cur = nd->out[0];
    return s;
}

xai_status xai_model_mlp(const xai_model *m, xai_mlp **out)
{
    *out = NULL;
    const graph *g = xai_onnx_model_graph(m);
    if (!g)
        return xai_fail(XAI_ERR_UNSUPPORTED, "only ONNX models can be read as MLPs (this "
                        "one is a plugin or callbacks)");
    const g_tensor *in = &g->t[g->input];
    if (in->rank != 2)
        return xai_fail(XAI_ERR_UNSUPPORTED, "%s: the input has rank %d; an MLP takes "
                        "rows of features", g->path ? g->path : "model", in->rank);
    walk w = {.g = g, .width = in->numel};
    w.mlp = calloc(1, sizeof *w.mlp);
    w.pre_s = malloc(w.width * sizeof *w.pre_s);
    w.pre_t = malloc(w.width * sizeof *w.pre_t);
    xai_status s = XAI_OK;
    if (!w.mlp || !w.pre_s || !w.pre_t)
        s = xai_fail(XAI_ERR_NOMEM, "out of memory");
    for (size_t j = 0; s == XAI_OK && j < w.width; j++) {
        w.pre_s[j] = 1;
        w.pre_t[j] = 0;
    }
    int cur = g->input;
    for (size_t i = 0; s == XAI_OK && i < g->n_nodes; i++) {
        const g_node *nd = &g->nodes[i];
        if (nd->folded || nd->op == OP_CONSTANT)
            continue;
        s = step(&w, nd, &cur);
    }
    if (s == XAI_OK && cur != g->output)
        s = xai_fail(XAI_ERR_UNSUPPORTED, "%s: the chain does not end at the output",
                     g->path ? g->path : "model");
    if (s == XAI_OK && !w.mlp->n_layers)
        s = xai_fail(XAI_ERR_UNSUPPORTED, "%s: no dense layer", g->path ? g->path : "model");
    if (s == XAI_OK && !w.open) {
        /* element-wise ops after the last activation cannot be folded */
        for (size_t j = 0; j < w.width; j++)
            if (w.pre_s[j] != 1 || w.pre_t[j] != 0)
                s = xai_fail(XAI_ERR_UNSUPPORTED, "%s: element-wise ops after the last "
                             "activation", g->path ? g->path : "model");
    }
    free(w.pre_s);
    free(w.pre_t);
    if (s != XAI_OK) {
        xai_mlp_free(w.mlp);
        return s;
    }
    *out = w.mlp;
    return XAI_OK;
}
