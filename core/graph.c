/* core/graph.c: helpers shared by the ONNX loader and the ops: messages,
 * attributes, checked shapes, broadcasting, scratch memory. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "graph.h"

xai_status g_node_fail(const graph *g, const g_node *nd, xai_status s,
                       const char *fmt, ...)
{
    char detail[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    return xai_fail(s, "%s: node '%s' (%s, opset %lld): %s", g->path,
                    nd->name && nd->name[0] ? nd->name : "(unnamed)",
                    nd->op_type ? nd->op_type : "?", (long long)g->opset,
                    detail);
}

const g_attr *g_attr_get(const g_node *nd, const char *name)
{
    for (size_t i = 0; i < nd->n_attrs; i++)
        if (strcmp(nd->attrs[i].name, name) == 0)
            return &nd->attrs[i];
    return NULL;
}

int64_t g_attr_int(const g_node *nd, const char *name, int64_t dflt)
{
    const g_attr *a = g_attr_get(nd, name);
    return a && a->type == 2 ? a->i : dflt;
}

float g_attr_float(const g_node *nd, const char *name, float dflt)
{
    const g_attr *a = g_attr_get(nd, name);
    return a && a->type == 1 ? a->f : dflt;
}

static xai_status set_shape(graph *g, g_node *nd, int k, int rank,
                            const int64_t *dims, int batched, int dtype)
{
    if (k >= nd->n_out || nd->out[k] < 0)
        return XAI_OK; /* optional output not requested */
    g_tensor *t = &g->t[nd->out[k]];
    if (rank < 0 || rank > G_MAX_RANK)
        return g_node_fail(g, nd, XAI_ERR_UNSUPPORTED,
                           "output '%s' has rank %d (at most %d supported)",
                           t->name, rank, G_MAX_RANK);
    size_t numel = 1;
    for (int i = batched ? 1 : 0; i < rank; i++) {
        if (dims[i] < 0)
            return g_node_fail(g, nd, XAI_ERR_SHAPE,
                               "output '%s' gets negative dimension %lld",
                               t->name, (long long)dims[i]);
        if (!xai_mul_size(numel, (size_t)dims[i], &numel) || numel > G_MAX_NUMEL)
            return g_node_fail(g, nd, XAI_ERR_UNSUPPORTED,
                               "output '%s' would need more than %zu elements "
                               "per row (absurd dimensions); refusing",
                               t->name, G_MAX_NUMEL);
    }
    t->rank = rank;
    memcpy(t->dims, dims, (size_t)rank * sizeof *dims);
    if (batched)
        t->dims[0] = -1;
    t->batched = batched;
    t->dtype = dtype;
    t->numel = numel;
    return XAI_OK;
}

xai_status g_set_shape(graph *g, g_node *nd, int k, int rank,
                       const int64_t *dims, int batched, int dtype)
{
    return set_shape(g, nd, k, rank, dims, batched, dtype);
}

xai_status g_set_const(graph *g, g_node *nd, int k, int rank,
                       const int64_t *dims, int dtype)
{
    XAI_TRY(set_shape(g, nd, k, rank, dims, 0, dtype));
    if (k >= nd->n_out || nd->out[k] < 0)
        return XAI_OK;
    g_tensor *t = &g->t[nd->out[k]];
    free(t->data);
    t->data = calloc(t->numel ? t->numel : 1, 8);
    if (!t->data)
        return xai_fail(XAI_ERR_NOMEM, "out of memory folding node '%s'", nd->name);
    return XAI_OK;
}

int g_const_ints(graph *g, const g_node *nd, int k, int64_t *v, int max)
{
    g_tensor *t = g_in(g, nd, k);
    if (!t || !t->data || t->dtype != G_I64 || t->rank > 1) {
        g_node_fail(g, nd, XAI_ERR_UNSUPPORTED,
                    "input %d must be a constant 1-D int64 tensor", k);
        return -1;
    }
    if (t->numel > (size_t)max) {
        g_node_fail(g, nd, XAI_ERR_UNSUPPORTED, "input %d has %zu values (at most %d)",
                    k, t->numel, max);
        return -1;
    }
    memcpy(v, t->data, t->numel * sizeof *v);
    return (int)t->numel;
}

xai_status g_broadcast_shape(graph *g, g_node *nd, const g_tensor *a,
                             const g_tensor *b, int *rank, int64_t *dims)
{
    int r = a->rank > b->rank ? a->rank : b->rank;
    for (int i = 0; i < r; i++) {
        int ia = i - (r - a->rank), ib = i - (r - b->rank);
        /* the batch dim counts as "n", which broadcasts only against 1 */
        int64_t da = ia < 0 ? 1 : (a->batched && ia == 0 ? -1 : a->dims[ia]);
        int64_t db = ib < 0 ? 1 : (b->batched && ib == 0 ? -1 : b->dims[ib]);
        if (da == db || db == 1)
            dims[i] = da;
        else if (da == 1)
            dims[i] = db;
        else
            return g_node_fail(g, nd, XAI_ERR_SHAPE,
                               "cannot broadcast '%s' with '%s' (dimension %d: "
                               "%lld vs %lld)",
                               a->name, b->name, i, (long long)da, (long long)db);
        if (dims[i] == -1 && i != 0)
            return g_node_fail(g, nd, XAI_ERR_UNSUPPORTED,
                               "the batch dimension would move off axis 0");
    }
    *rank = r;
    return XAI_OK;
}

int g_tensor_find(const graph *g, const char *name)
{
    for (size_t i = g->n_t; i-- > 0;)
        if (g->t[i].name && strcmp(g->t[i].name, name) == 0)
            return (int)i;
    return -1;
}

xai_status g_ws_reserve(g_ws *w, size_t len)
{
    return xai_floats_reserve(&w->p, &w->len, len);
}

void g_ws_free(g_ws *w)
{
    free(w->p);
    w->p = NULL;
    w->len = 0;
}

void graph_free(graph *g)
{
    if (!g)
        return;
    for (size_t i = 0; i < g->n_t; i++) {
        free(g->t[i].name);
        free(g->t[i].data);
    }
    for (size_t i = 0; i < g->n_nodes; i++) {
        g_node *nd = &g->nodes[i];
        free(nd->name);
        free(nd->op_type);
        for (size_t j = 0; j < nd->n_attrs; j++) {
            free(nd->attrs[j].name);
            free(nd->attrs[j].ints);
            free(nd->attrs[j].floats);
            free(nd->attrs[j].s);
        }
        free(nd->attrs);
        free(nd->packed);
    }
    free(g->t);
    free(g->nodes);
    free(g->path);
    free(g->producer);
    free(g);
}
