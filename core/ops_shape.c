/* core/ops_shape.c: ops that only move data (Flatten, Reshape, Identity,
 * Dropout, Unsqueeze, Cast), Transpose, Concat, and the shape sub-graph ops
 * folded at load time (Constant, Shape, Gather, Slice).  In folded int64
 * values the batch size is the symbol G_SYM_BATCH. */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "ops.h"

static size_t esize(const g_tensor *t) { return t->dtype == G_I64 ? 8 : 4; }

/* Output 0 = input 0 with new dims: a run-time copy, or a folded constant. */
static xai_status view_as(graph *g, g_node *nd, int rank, const int64_t *dims)
{
    g_tensor *x = g_in(g, nd, 0);
    if (x->batched) {
        XAI_TRY(g_set_shape(g, nd, 0, rank, dims, 1, x->dtype));
        nd->flops = 0;
        return XAI_OK;
    }
    XAI_TRY(g_set_const(g, nd, 0, rank, dims, x->dtype));
    x = g_in(g, nd, 0);
    g_tensor *o = &g->t[nd->out[0]];
    if (o->numel != x->numel)
        return g_node_fail(g, nd, XAI_ERR_INTERNAL, "view changes the element count");
    memcpy(o->data, x->data, x->numel * esize(x));
    return XAI_OK;
}

G_FWD(copy)
{
    (void)nd; (void)ws;
    memcpy(out->p, in[0].p, out->numel * sizeof(float));
    return XAI_OK;
}

G_BWD(copy)
{
    (void)nd; (void)ws; (void)in; (void)out;
    for (size_t i = 0; i < dout->numel; i++)
        din[0].p[i] += dout->p[i];
    return XAI_OK;
}

static xai_status need_input(graph *g, g_node *nd)
{
    if (!g_in(g, nd, 0))
        return g_node_fail(g, nd, XAI_ERR_PARSE, "missing input 0");
    return XAI_OK;
}

G_INFER(identity)
{
    g_tensor *x = g_in(g, nd, 0);
    if (!x)
        return need_input(g, nd);
    int64_t dims[G_MAX_RANK];
    memcpy(dims, x->dims, sizeof dims);
    return view_as(g, nd, x->rank, dims);
}

G_INFER(dropout)
{
    if (nd->n_out > 1 && nd->out[1] >= 0)
        return g_node_fail(g, nd, XAI_ERR_UNSUPPORTED, "the mask output is not supported");
    g_tensor *tm = g_in(g, nd, 2);
    if (tm && (!tm->data || tm->numel != 1 || ((char *)tm->data)[0]))
        return g_node_fail(g, nd, XAI_ERR_UNSUPPORTED, "training mode is not supported");
    nd->n_in = 1;
    return identity_infer(g, nd);
}

G_INFER(flatten)
{
    g_tensor *x = g_in(g, nd, 0);
    if (!x)
        return need_input(g, nd);
    int64_t axis = g_attr_int(nd, "axis", 1);
    if (axis < 0)
        axis += x->rank;
    if (axis < 0 || axis > x->rank)
        return g_node_fail(g, nd, XAI_ERR_PARSE, "axis out of range for rank %d", x->rank);
    int64_t lead = 1, rest = 1;
    for (int i = x->batched ? 1 : 0; i < axis; i++)
        lead *= x->dims[i];
    for (int i = (int)axis; i < x->rank; i++)
        rest *= x->dims[i];
    if (x->batched && (axis == 0 || lead != 1))
        return g_node_fail(g, nd, XAI_ERR_UNSUPPORTED,
                           "Flatten at axis %lld would merge the batch dimension",
                           (long long)axis);
    int64_t dims[2] = {x->batched ? -1 : lead, rest};
    return view_as(g, nd, 2, dims);
}

G_INFER(reshape)
{
    g_tensor *x = g_in(g, nd, 0);
    if (!x)
        return need_input(g, nd);
    int64_t s[G_MAX_RANK];
    int r = g_const_ints(g, nd, 1, s, G_MAX_RANK);
    if (r < 0)
        return XAI_ERR_UNSUPPORTED;
    if (g_attr_int(nd, "allowzero", 0))
        return g_node_fail(g, nd, XAI_ERR_UNSUPPORTED, "allowzero=1");
    int64_t dims[G_MAX_RANK] = {0};
    int infer_at = -1;
    size_t known = 1;
    for (int i = 0; i < r; i++) {
        int64_t v = s[i];
        int is_batch = x->batched && i == 0 && (v == 0 || v == G_SYM_BATCH);
        if (v == G_SYM_BATCH && !is_batch)
            return g_node_fail(g, nd, XAI_ERR_UNSUPPORTED,
                               "the batch size may only be dimension 0 of a reshape");
        if (v == 0) {
            if (i >= x->rank)
                return g_node_fail(g, nd, XAI_ERR_SHAPE, "0 at dimension %d beyond rank %d",
                                   i, x->rank);
            v = x->dims[i];
        }
        if (is_batch) {
            dims[i] = -1;
            continue;
        }
        if (v == -1) {
            if (infer_at >= 0)
                return g_node_fail(g, nd, XAI_ERR_SHAPE, "more than one -1 in the shape");
            infer_at = i;
            continue;
        }
        if (v < 0)
            return g_node_fail(g, nd, XAI_ERR_SHAPE, "negative dimension %lld", (long long)v);
        dims[i] = v;
        if (!xai_mul_size(known, (size_t)v, &known))
            return g_node_fail(g, nd, XAI_ERR_UNSUPPORTED, "absurd dimensions");
    }
    int batched_out = x->batched && r > 0 && dims[0] == -1 && infer_at != 0;
    if (x->batched && !batched_out && !(infer_at == 0))
        return g_node_fail(g, nd, XAI_ERR_UNSUPPORTED,
                           "reshape to a fixed leading dimension would change the batch "
                           "size (export with a dynamic batch axis)");
    if (infer_at >= 0) {
        if (known == 0 || x->numel % known)
            return g_node_fail(g, nd, XAI_ERR_SHAPE,
                               "cannot reshape %zu values per row into the given shape",
                               x->numel);
        dims[infer_at] = (int64_t)(x->numel / known);
        if (x->batched && infer_at == 0) {
            /* [-1, rest...]: rows must stay rows */
            if (x->numel != known)
                return g_node_fail(g, nd, XAI_ERR_UNSUPPORTED,
                                   "reshape would mix rows of the batch (%zu values "
                                   "per row, shape asks for %zu)",
                                   x->numel, known);
            dims[0] = -1;
        }
    } else if (known != x->numel) {
        return g_node_fail(g, nd, XAI_ERR_SHAPE,
                           "cannot reshape %zu values%s into %zu", x->numel,
                           x->batched ? " per row" : "", known);
    }
    nd->n_in = 1;
    return view_as(g, nd, r, dims);
}

G_INFER(unsqueeze)
{
    g_tensor *x = g_in(g, nd, 0);
    if (!x)
        return need_input(g, nd);
    int64_t axes[G_MAX_RANK];
    int na;
    const g_attr *a = g_attr_get(nd, "axes");
    if (g_in(g, nd, 1)) {
        if ((na = g_const_ints(g, nd, 1, axes, G_MAX_RANK)) < 0)
            return XAI_ERR_UNSUPPORTED;
    } else if (a && a->n_ints <= G_MAX_RANK) {
        na = (int)a->n_ints;
        memcpy(axes, a->ints, a->n_ints * sizeof *axes);
    } else {
        return g_node_fail(g, nd, XAI_ERR_PARSE, "needs axes");
    }
    int r = x->rank + na;
    if (r > G_MAX_RANK)
        return g_node_fail(g, nd, XAI_ERR_UNSUPPORTED, "rank %d too large", r);
    int is_new[G_MAX_RANK] = {0};
    for (int i = 0; i < na; i++) {
        int64_t ax = axes[i] < 0 ? axes[i] + r : axes[i];
        if (ax < 0 || ax >= r || is_new[ax])
            return g_node_fail(g, nd, XAI_ERR_PARSE, "bad axis %lld", (long long)axes[i]);
        if (x->batched && ax == 0)
            return g_node_fail(g, nd, XAI_ERR_UNSUPPORTED, "unsqueeze before the batch axis");
        is_new[ax] = 1;
    }
    int64_t dims[G_MAX_RANK];
    for (int i = 0, j = 0; i < r; i++)
        dims[i] = is_new[i] ? 1 : x->dims[j++];
    nd->n_in = 1;
    return view_as(g, nd, r, dims);
}

G_INFER(cast)
{
    g_tensor *x = g_in(g, nd, 0);
    if (!x)
        return need_input(g, nd);
    int64_t to = g_attr_int(nd, "to", 0);
    if (to != 1 && to != 7 && to != 6)
        return g_node_fail(g, nd, XAI_ERR_UNSUPPORTED, "cast to type %lld", (long long)to);
    int dt = to == 1 ? G_F32 : G_I64;
    if (x->batched) {
        if (dt != G_F32)
            return g_node_fail(g, nd, XAI_ERR_UNSUPPORTED,
                               "casting computed values to an integer type");
        return g_set_shape(g, nd, 0, x->rank, x->dims, 1, G_F32);
    }
    XAI_TRY(g_set_const(g, nd, 0, x->rank, x->dims, dt));
    x = g_in(g, nd, 0);
    g_tensor *o = &g->t[nd->out[0]];
    for (size_t i = 0; i < x->numel; i++) {
        if (x->dtype == dt) {
            memcpy((char *)o->data + i * esize(x), (char *)x->data + i * esize(x), esize(x));
        } else if (dt == G_F32) {
            int64_t v = ((int64_t *)x->data)[i];
            if (v == G_SYM_BATCH)
                return g_node_fail(g, nd, XAI_ERR_UNSUPPORTED, "casting the batch size");
            ((float *)o->data)[i] = (float)v;
        } else {
            ((int64_t *)o->data)[i] = (int64_t)((float *)x->data)[i];
        }
    }
    return XAI_OK;
}

/* ---- Transpose ---- */

G_INFER(transpose)
{
    g_tensor *x = g_in(g, nd, 0);
    if (!x)
        return need_input(g, nd);
    const g_attr *a = g_attr_get(nd, "perm");
    int seen[G_MAX_RANK] = {0};
    for (int i = 0; i < x->rank; i++) {
        int64_t pv = a ? (i < (int)a->n_ints ? a->ints[i] : -1) : x->rank - 1 - i;
        if ((a && (int)a->n_ints != x->rank) || pv < 0 || pv >= x->rank || seen[pv])
            return g_node_fail(g, nd, XAI_ERR_PARSE, "perm is not a permutation of %d axes",
                               x->rank);
        seen[pv] = 1;
        nd->p.perm[i] = (int)pv;
    }
    if (x->dtype != G_F32)
        return g_node_fail(g, nd, XAI_ERR_UNSUPPORTED, "transpose of int64 values");
    if (x->batched && nd->p.perm[0] != 0)
        return g_node_fail(g, nd, XAI_ERR_UNSUPPORTED, "transpose moving the batch axis");
    int64_t dims[G_MAX_RANK];
    for (int i = 0; i < x->rank; i++)
        dims[i] = x->dims[nd->p.perm[i]];
    XAI_TRY(g_set_shape(g, nd, 0, x->rank, dims, x->batched, G_F32));
    nd->flops = 0;
    return XAI_OK;
}

/* y[i] = x[perm(i)] (back = 0) or dx[perm(i)] += dy[i] (back = 1). */
static void permute(const g_node *nd, const g_view *x, float *xp, const float *cx,
                    const g_view *y, float *yp, const float *cy, int back)
{
    int r = x->rank;
    int64_t xs[G_MAX_RANK], st = 1;
    for (int i = r - 1; i >= 0; i--) {
        xs[i] = st;
        st *= x->d[i];
    }
    int64_t idx[G_MAX_RANK] = {0};
    for (size_t o = 0; o < y->numel; o++) {
        int64_t off = 0;
        for (int i = 0; i < r; i++)
            off += idx[i] * xs[nd->p.perm[i]];
        if (back)
            xp[off] += cy[o];
        else
            yp[o] = cx[off];
        for (int i = r - 1; i >= 0; i--) {
            if (++idx[i] < y->d[i])
                break;
            idx[i] = 0;
        }
    }
}

G_FWD(transpose)
{
    (void)ws;
    permute(nd, &in[0], NULL, in[0].p, out, out->p, NULL, 0);
    return XAI_OK;
}

G_BWD(transpose)
{
    (void)ws; (void)out;
    permute(nd, &in[0], din[0].p, NULL, dout, NULL, dout->p, 1);
    return XAI_OK;
}

/* ---- Concat ---- */

G_INFER(concat)
{
    g_tensor *x0 = g_in(g, nd, 0);
    if (!x0)
        return g_node_fail(g, nd, XAI_ERR_PARSE, "needs inputs");
    int rank = x0->rank;
    int64_t axis = g_attr_int(nd, "axis", 0);
    if (axis < 0)
        axis += rank;
    if (axis < 0 || axis >= rank)
        return g_node_fail(g, nd, XAI_ERR_PARSE, "axis out of range for rank %d", rank);
    int64_t dims[G_MAX_RANK];
    memcpy(dims, x0->dims, sizeof dims);
    dims[axis] = 0;
    for (int k = 0; k < nd->n_in; k++) {
        g_tensor *t = g_in(g, nd, k);
        if (!t || t->rank != rank || t->batched != x0->batched || t->dtype != x0->dtype)
            return g_node_fail(g, nd, XAI_ERR_UNSUPPORTED,
                               "inputs must all be computed or all be constants, of "
                               "one type and rank");
        for (int i = x0->batched ? 1 : 0; i < rank; i++)
            if (i != axis && t->dims[i] != x0->dims[i])
                return g_node_fail(g, nd, XAI_ERR_SHAPE,
                                   "input '%s' differs in dimension %d", t->name, i);
        dims[axis] += t->dims[axis];
    }
    if (x0->batched && axis == 0)
        return g_node_fail(g, nd, XAI_ERR_UNSUPPORTED, "concatenation along the batch axis");
    nd->p.axis = (int)axis;
    if (x0->batched || x0->dtype == G_F32) {
        XAI_TRY(g_set_shape(g, nd, 0, rank, dims, x0->batched, x0->dtype));
        nd->flops = 0;
        return XAI_OK;
    }
    /* int64 constants (shape vectors): fold here */
    XAI_TRY(g_set_const(g, nd, 0, rank, dims, G_I64));
    g_tensor *o = &g->t[nd->out[0]];
    size_t outer = 1, inner = 1, at = 0;
    for (int i = 0; i < axis; i++)
        outer *= (size_t)dims[i];
    for (int i = (int)axis + 1; i < rank; i++)
        inner *= (size_t)dims[i];
    for (size_t ob = 0; ob < outer; ob++)
        for (int k = 0; k < nd->n_in; k++) {
            g_tensor *t = g_in(g, nd, k);
            size_t len = (size_t)t->dims[axis] * inner;
            memcpy((int64_t *)o->data + at, (int64_t *)t->data + ob * len, len * 8);
            at += len;
        }
    return XAI_OK;
}

static void concat_move(const g_node *nd, const g_view *in, const g_view *out,
                        float *op, g_view *din, int back)
{
    int ax = nd->p.axis;
    size_t outer = 1, inner = 1;
    for (int i = 0; i < ax; i++)
        outer *= (size_t)out->d[i];
    for (int i = ax + 1; i < out->rank; i++)
        inner *= (size_t)out->d[i];
    size_t row = (size_t)out->d[ax] * inner, at = 0;
    for (int k = 0; k < nd->n_in; k++) {
        size_t len = (size_t)in[k].d[ax] * inner;
        for (size_t ob = 0; ob < outer; ob++) {
            if (!back)
                memcpy(op + ob * row + at, in[k].p + ob * len, len * sizeof(float));
            else if (din[k].p)
                for (size_t i = 0; i < len; i++)
                    din[k].p[ob * len + i] += out->p[ob * row + at + i];
        }
        at += len;
    }
}

G_FWD(concat)
{
    (void)ws;
    concat_move(nd, in, out, out->p, NULL, 0);
    return XAI_OK;
}

G_BWD(concat)
{
    (void)ws; (void)out;
    concat_move(nd, in, dout, NULL, din, 1);
    return XAI_OK;
}

/* ---- folded shape ops ---- */

G_INFER(constant)
{
    const g_attr *a = g_attr_get(nd, "value");
    if (a && a->tensor >= 0) {
        g_tensor *t = &g->t[a->tensor];
        int64_t dims[G_MAX_RANK];
        memcpy(dims, t->dims, sizeof dims);
        XAI_TRY(g_set_const(g, nd, 0, t->rank, dims, t->dtype));
        t = &g->t[a->tensor];
        memcpy(g->t[nd->out[0]].data, t->data, t->numel * esize(t));
        return XAI_OK;
    }
    int64_t one = 1, n;
    if ((a = g_attr_get(nd, "value_float")) || (a = g_attr_get(nd, "value_int"))) {
        XAI_TRY(g_set_const(g, nd, 0, 0, &one, a->type == 1 ? G_F32 : G_I64));
        if (a->type == 1)
            *(float *)g->t[nd->out[0]].data = a->f;
        else
            *(int64_t *)g->t[nd->out[0]].data = a->i;
        return XAI_OK;
    }
    if ((a = g_attr_get(nd, "value_floats")) || (a = g_attr_get(nd, "value_ints"))) {
        n = (int64_t)(a->type == 6 ? a->n_floats : a->n_ints);
        XAI_TRY(g_set_const(g, nd, 0, 1, &n, a->type == 6 ? G_F32 : G_I64));
        if (a->type == 6)
            memcpy(g->t[nd->out[0]].data, a->floats, (size_t)n * 4);
        else
            memcpy(g->t[nd->out[0]].data, a->ints, (size_t)n * 8);
        return XAI_OK;
    }
    return g_node_fail(g, nd, XAI_ERR_UNSUPPORTED,
                       "needs a value, value_float(s) or value_int(s) attribute");
}

G_INFER(shape)
{
    g_tensor *x = g_in(g, nd, 0);
    if (!x)
        return need_input(g, nd);
    int64_t r = x->rank, start = g_attr_int(nd, "start", 0), end = g_attr_int(nd, "end", r);
    if (start < 0)
        start += r;
    if (end < 0)
        end += r;
    start = start < 0 ? 0 : start > r ? r : start;
    end = end < start ? start : end > r ? r : end;
    int64_t n = end - start;
    XAI_TRY(g_set_const(g, nd, 0, 1, &n, G_I64));
    x = g_in(g, nd, 0);
    int64_t *v = g->t[nd->out[0]].data;
    for (int64_t i = start; i < end; i++)
        v[i - start] = x->batched && i == 0 ? G_SYM_BATCH : x->dims[i];
    return XAI_OK;
}

G_INFER(gather)
{
    g_tensor *x = g_in(g, nd, 0), *ix = g_in(g, nd, 1);
    if (!x || !ix || x->batched || ix->batched || ix->dtype != G_I64)
        return g_node_fail(g, nd, XAI_ERR_UNSUPPORTED,
                           "only Gather on constants (shape values) is supported");
    int64_t axis = g_attr_int(nd, "axis", 0);
    if (axis < 0)
        axis += x->rank;
    if (axis < 0 || axis >= x->rank || x->rank + ix->rank - 1 > G_MAX_RANK)
        return g_node_fail(g, nd, XAI_ERR_PARSE, "axis out of range");
    int64_t dims[G_MAX_RANK];
    int r = 0;
    for (int i = 0; i < axis; i++)
        dims[r++] = x->dims[i];
    for (int i = 0; i < ix->rank; i++)
        dims[r++] = ix->dims[i];
    for (int i = (int)axis + 1; i < x->rank; i++)
        dims[r++] = x->dims[i];
    XAI_TRY(g_set_const(g, nd, 0, r, dims, x->dtype));
    x = g_in(g, nd, 0);
    ix = g_in(g, nd, 1);
    g_tensor *o = &g->t[nd->out[0]];
    size_t outer = 1, inner = 1, es = esize(x), len = (size_t)x->dims[axis];
    for (int i = 0; i < axis; i++)
        outer *= (size_t)x->dims[i];
    for (int i = (int)axis + 1; i < x->rank; i++)
        inner *= (size_t)x->dims[i];
    const int64_t *iv = ix->data;
    char *dst = o->data;
    for (size_t ob = 0; ob < outer; ob++)
        for (size_t k = 0; k < ix->numel; k++) {
            int64_t j = iv[k] < 0 ? iv[k] + (int64_t)len : iv[k];
            if (j < 0 || (size_t)j >= len)
                return g_node_fail(g, nd, XAI_ERR_PARSE, "index %lld out of range",
                                   (long long)iv[k]);
            memcpy(dst, (char *)x->data + ((ob * len + (size_t)j) * inner) * es, inner * es);
            dst += inner * es;
        }
    return XAI_OK;
}

G_INFER(slice)
{
    g_tensor *x = g_in(g, nd, 0);
    if (!x || x->batched || x->rank != 1)
        return g_node_fail(g, nd, XAI_ERR_UNSUPPORTED,
                           "only Slice of a 1-D constant (a shape) is supported");
    int64_t st[1], en[1], ax[1] = {0}, sp[1] = {1};
    const g_attr *a;
    if (g_in(g, nd, 1)) {
        if (g_const_ints(g, nd, 1, st, 1) != 1 || g_const_ints(g, nd, 2, en, 1) != 1 ||
            (g_in(g, nd, 3) && g_const_ints(g, nd, 3, ax, 1) != 1) ||
            (g_in(g, nd, 4) && g_const_ints(g, nd, 4, sp, 1) != 1))
            return XAI_ERR_UNSUPPORTED;
    } else if ((a = g_attr_get(nd, "starts")) && a->n_ints == 1) {
        st[0] = a->ints[0];
        if (!(a = g_attr_get(nd, "ends")) || a->n_ints != 1)
            return g_node_fail(g, nd, XAI_ERR_PARSE, "needs ends");
        en[0] = a->ints[0];
    } else {
        return g_node_fail(g, nd, XAI_ERR_PARSE, "needs starts and ends");
    }
    int64_t len = x->dims[0], s = st[0], e = en[0], step = sp[0];
    if ((ax[0] != 0 && ax[0] != -1) || step == 0)
        return g_node_fail(g, nd, XAI_ERR_PARSE, "bad axes or steps");
    if (s < 0)
        s += len;
    if (e < 0)
        e += len;
    if (step > 0) {
        s = s < 0 ? 0 : s > len ? len : s;
        e = e < 0 ? 0 : e > len ? len : e;
    } else {
        s = s < 0 ? -1 : s > len - 1 ? len - 1 : s;
        e = e < -1 ? -1 : e > len - 1 ? len - 1 : e;
    }
    int64_t n = 0;
    for (int64_t i = s; step > 0 ? i < e : i > e; i += step)
        n++;
    XAI_TRY(g_set_const(g, nd, 0, 1, &n, x->dtype));
    x = g_in(g, nd, 0);
    size_t es = esize(x), k = 0;
    for (int64_t i = s; step > 0 ? i < e : i > e; i += step)
        memcpy((char *)g->t[nd->out[0]].data + es * k++, (char *)x->data + es * (size_t)i, es);
    return XAI_OK;
}
