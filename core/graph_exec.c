/* core/graph_exec.c: the runner: plans one arena of activations (and one of
 * gradients) for a batch size, runs the nodes in order on whole batches, and
 * runs their VJPs in reverse order.  Large batches are processed in chunks of
 * rows so the arena stays bounded; there is never a loop over single rows. */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "graph_exec.h"

/* Bound on one arena (activations or gradients), in floats (1 GiB). */
#define ARENA_FLOATS ((size_t)1 << 28)
/* Preferred arena size, in floats (1 MiB): large batches run in chunks of
 * rows whose activations stay in cache and whose pages are touched once per
 * runner, not once per call (a 1000-row CNN batch in one pass spent more time
 * in page faults and memset than in arithmetic).  Rows are independent, so
 * the chunking never changes a result. */
#define CHUNK_FLOATS ((size_t)1 << 18)
#define CHUNK_MIN_ROWS 64

struct g_runner {
    const graph *g;
    size_t cap;      /* rows the arenas are planned for */
    size_t grad_cap; /* rows the gradient arena is planned for */
    size_t per_row;  /* floats of all batched tensors per row */
    float **val, **grad;
    int *uses;       /* per tensor: reads by the nodes of one backward pass */
    float *arena, *garena;
    float *onehot;   /* n x outputs for taps */
    size_t onehot_len;
    g_ws ws;
};

xai_status g_runner_new(const graph *g, g_runner **out)
{
    *out = NULL;
    g_runner *r = calloc(1, sizeof *r);
    if (!r || !(r->val = calloc(g->n_t, sizeof *r->val)) ||
        !(r->grad = calloc(g->n_t, sizeof *r->grad)) ||
        !(r->uses = calloc(g->n_t ? g->n_t : 1, sizeof *r->uses))) {
        if (r)
            free(r->val), free(r->grad);
        free(r);
        return xai_fail(XAI_ERR_NOMEM, "out of memory creating a runner");
    }
    r->g = g;
    for (size_t i = 0; i < g->n_t; i++) {
        if (g->t[i].batched) {
            if (g->t[i].dtype == G_F32 && (int)i != g->input)
                r->per_row += g->t[i].numel; /* checked at load: each <= 2^31 */
        } else {
            r->val[i] = g->t[i].data;
        }
    }
    *out = r;
    return XAI_OK;
}

void g_runner_free(g_runner *r)
{
    if (!r)
        return;
    free(r->val);
    free(r->grad);
    free(r->uses);
    free(r->arena);
    free(r->garena);
    free(r->onehot);
    g_ws_free(&r->ws);
    free(r);
}

/* Rows per pass: the whole batch, or as many as fit in one arena. */
static size_t chunk_rows(const g_runner *r, size_t n)
{
    size_t per = r->per_row + r->g->t[r->g->input].numel;
    size_t rows = per ? CHUNK_FLOATS / per : n;
    if (rows < CHUNK_MIN_ROWS)
        rows = per && ARENA_FLOATS / per < CHUNK_MIN_ROWS ? ARENA_FLOATS / per : CHUNK_MIN_ROWS;
    if (rows < 1)
        rows = 1;
    return rows < n ? rows : n;
}

/* Points every batched tensor into an arena of `rows` rows. */
static xai_status plan(g_runner *r, size_t rows, int grads)
{
    const graph *g = r->g;
    size_t total = r->per_row, gtotal;
    if (!xai_mul_size(total ? total : 1, rows, &total) ||
        !xai_mul_size(r->per_row + g->t[g->input].numel, rows, &gtotal))
        return xai_fail(XAI_ERR_NOMEM, "batch of %zu rows too large", rows);
    if (rows > r->cap) {
        float *a = realloc(r->arena, total * sizeof *a);
        if (!a)
            return xai_fail(XAI_ERR_NOMEM, "out of memory planning %zu rows (%zu floats)",
                            rows, total);
        r->arena = a;
        r->cap = rows;
        size_t off = 0;
        for (size_t i = 0; i < g->n_t; i++)
            if (g->t[i].batched && (int)i != g->input) {
                r->val[i] = a + off;
                off += g->t[i].numel * rows;
            }
    }
    if (grads && rows > r->grad_cap) {
        float *a = realloc(r->garena, (gtotal ? gtotal : 1) * sizeof *a);
        if (!a)
            return xai_fail(XAI_ERR_NOMEM, "out of memory planning gradients of %zu rows",
                            rows);
        r->garena = a;
        r->grad_cap = rows;
        size_t off = 0;
        for (size_t i = 0; i < g->n_t; i++)
            if (g->t[i].batched) {
                r->grad[i] = a + off;
                off += g->t[i].numel * rows;
            }
    }
    return XAI_OK;
}

static g_view view_of(const g_tensor *t, float *p, size_t n)
{
    g_view v = {p, t->rank, {0}, t->numel, 0};
    memcpy(v.d, t->dims, sizeof v.d);
    if (t->batched) {
        v.d[0] = (int64_t)n;
        v.numel = t->numel * n;
    }
    return v;
}

static int skipped(const graph *g, xai_output_kind kind, size_t i)
{
    return g->nodes[i].folded || (kind == XAI_OUTPUT_SCORE && g->nodes[i].after_score);
}

static int result_tensor(const graph *g, xai_output_kind kind)
{
    return kind == XAI_OUTPUT_SCORE ? g->score : g->output;
}

static xai_status run_forward(g_runner *r, xai_output_kind kind, const float *x,
                              size_t n)
{
    const graph *g = r->g;
    r->val[g->input] = (float *)x; /* read only: no op writes its inputs */
    for (size_t i = 0; i < g->n_nodes; i++) {
        if (skipped(g, kind, i))
            continue;
        const g_node *nd = &g->nodes[i];
        g_view in[G_MAX_IO] = {{0}}, out[G_MAX_IO] = {{0}};
        for (int k = 0; k < nd->n_in; k++)
            if (nd->in[k] >= 0)
                in[k] = view_of(&g->t[nd->in[k]], r->val[nd->in[k]], n);
        for (int k = 0; k < nd->n_out; k++)
            if (nd->out[k] >= 0)
                out[k] = view_of(&g->t[nd->out[k]], r->val[nd->out[k]], n);
        XAI_TRY(g_ops[nd->op].forward(nd, in, out, &r->ws));
    }
    return XAI_OK;
}

/* Backward from dy at the result tensor, down to tensor `stop` (complete once
 * its producer has run; the input's gradient needs the whole pass). */
static xai_status run_backward(g_runner *r, xai_output_kind kind, size_t n,
                               const float *dy, int stop)
{
    const graph *g = r->g;
    int res = result_tensor(g, kind);
    int first = g->t[stop].producer; /* -1 for the input */
    /* A gradient read by one node only, as the first input of an op that
     * writes it (bwd_writes), is not zeroed: uses[t] = -1 marks it fresh. */
    memset(r->uses, 0, g->n_t * sizeof *r->uses);
    for (size_t i = g->n_nodes; i-- > 0 && (int)i > first;)
        for (int k = 0; !skipped(g, kind, i) && k < g->nodes[i].n_in; k++)
            if (g->nodes[i].in[k] >= 0)
                r->uses[g->nodes[i].in[k]]++;
    for (size_t i = g->n_nodes; i-- > 0 && (int)i > first;) {
        const g_node *nd = &g->nodes[i];
        int t = nd->n_in > 0 ? nd->in[0] : -1;
        if (!skipped(g, kind, i) && g_ops[nd->op].bwd_writes && t >= 0 && t != res &&
            r->uses[t] == 1)
            r->uses[t] = -1;
    }
    for (size_t i = 0; i < g->n_t; i++)
        if (g->t[i].batched && r->uses[i] != -1 && (int)i != res)
            memset(r->grad[i], 0, g->t[i].numel * n * sizeof(float));
    memcpy(r->grad[res], dy, g->t[res].numel * n * sizeof(float));
    for (size_t i = g->n_nodes; i-- > 0 && (int)i > first;) {
        if (skipped(g, kind, i))
            continue;
        const g_node *nd = &g->nodes[i];
        g_view in[G_MAX_IO] = {{0}}, out[G_MAX_IO] = {{0}}, dout[G_MAX_IO] = {{0}},
               din[G_MAX_IO] = {{0}};
        for (int k = 0; k < nd->n_in; k++) {
            int t = nd->in[k];
            if (t < 0)
                continue;
            in[k] = view_of(&g->t[t], r->val[t], n);
            if (g->t[t].batched) {
                din[k] = view_of(&g->t[t], r->grad[t], n);
                din[k].fresh = k == 0 && r->uses[t] == -1;
            }
        }
        for (int k = 0; k < nd->n_out; k++) {
            int t = nd->out[k];
            if (t < 0)
                continue;
            out[k] = view_of(&g->t[t], r->val[t], n);
            dout[k] = view_of(&g->t[t], r->grad[t], n);
        }
        XAI_TRY(g_ops[nd->op].backward(nd, in, out, dout, din, &r->ws));
    }
    return XAI_OK;
}

xai_status g_forward(g_runner *r, xai_output_kind kind, const float *x, size_t n,
                     float *y)
{
    const graph *g = r->g;
    size_t D = g->t[g->input].numel, K = g->t[result_tensor(g, kind)].numel;
    size_t rows = chunk_rows(r, n);
    XAI_TRY(plan(r, rows, 0));
    for (size_t s = 0; s < n; s += rows) {
        size_t cur = n - s < rows ? n - s : rows;
        XAI_TRY(run_forward(r, kind, x + s * D, cur));
        memcpy(y + s * K, r->val[result_tensor(g, kind)], cur * K * sizeof *y);
    }
    return XAI_OK;
}

xai_status g_vjp(g_runner *r, xai_output_kind kind, const float *x, size_t n,
                 const float *dy, float *dx, float *y)
{
    const graph *g = r->g;
    int res = result_tensor(g, kind);
    size_t D = g->t[g->input].numel, K = g->t[res].numel;
    size_t rows = chunk_rows(r, n);
    XAI_TRY(plan(r, rows, 1));
    for (size_t s = 0; s < n; s += rows) {
        size_t cur = n - s < rows ? n - s : rows;
        XAI_TRY(run_forward(r, kind, x + s * D, cur));
        if (y)
            memcpy(y + s * K, r->val[res], cur * K * sizeof *y);
        XAI_TRY(run_backward(r, kind, cur, dy + s * K, g->input));
        memcpy(dx + s * D, r->grad[g->input], cur * D * sizeof *dx);
    }
    return XAI_OK;
}

xai_status g_tap(g_runner *r, xai_output_kind kind, const char *name,
                 const float *x, size_t n, const int32_t *target, float *act,
                 float *grad_act, float *y)
{
    const graph *g = r->g;
    int ti = g_tensor_find(g, name);
    if (ti < 0)
        return xai_fail(XAI_ERR_INVALID, "%s: no tensor named '%s'", g->path, name);
    if (!g->t[ti].batched || g->t[ti].dtype != G_F32)
        return xai_fail(XAI_ERR_INVALID,
                        "%s: tensor '%s' is a constant, not computed from the input",
                        g->path, name);
    if (kind == XAI_OUTPUT_SCORE && g->t[ti].producer >= 0 &&
        g->nodes[g->t[ti].producer].after_score)
        return xai_fail(XAI_ERR_INVALID,
                        "%s: tensor '%s' is the final activation (or a copy of it), "
                        "not computed for scores",
                        g->path, name);
    if (grad_act && !target)
        return xai_fail(XAI_ERR_INVALID, "layer tap: a gradient needs targets");
    int res = result_tensor(g, kind);
    size_t D = g->t[g->input].numel, K = g->t[res].numel, A = g->t[ti].numel;
    size_t rows = chunk_rows(r, n), len;
    XAI_TRY(plan(r, rows, grad_act != NULL));
    if (grad_act) {
        if (!xai_mul_size(rows, K, &len))
            return xai_fail(XAI_ERR_NOMEM, "batch too large");
        XAI_TRY(xai_floats_reserve(&r->onehot, &r->onehot_len, len));
    }
    for (size_t s = 0; s < n; s += rows) {
        size_t cur = n - s < rows ? n - s : rows;
        XAI_TRY(run_forward(r, kind, x + s * D, cur));
        if (y)
            memcpy(y + s * K, r->val[res], cur * K * sizeof *y);
        if (act)
            memcpy(act + s * A, ti == g->input ? x + s * D : r->val[ti],
                   cur * A * sizeof *act);
        if (grad_act) {
            memset(r->onehot, 0, cur * K * sizeof *r->onehot);
            for (size_t i = 0; i < cur; i++)
                r->onehot[i * K + (size_t)target[s + i]] = 1.0f;
            XAI_TRY(run_backward(r, kind, cur, r->onehot, ti));
            memcpy(grad_act + s * A, r->grad[ti], cur * A * sizeof *grad_act);
        }
    }
    return XAI_OK;
}
