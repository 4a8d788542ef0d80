/* core/onnx_load.c: the protobuf-c adaptor: reads an .onnx file into a
 * validated graph (core/graph.h).  Every check happens here, at load time:
 * file errors, protobuf framing, supported ops and opset, dangling inputs,
 * missing initializer data, shapes (through each op's infer), absurd sizes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "error.h"
#include "graph.h"
#include "onnx_proto.h"

/* Files larger than this are refused before reading (2 GiB, protobuf's own
 * message limit). */
#define MAX_FILE_BYTES ((size_t)1 << 31)

static xai_status read_file(const char *path, uint8_t **buf, size_t *len)
{
    *buf = NULL;
    *len = 0;
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return xai_fail(XAI_ERR_IO, "%s: cannot read model: is a directory", path);
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
        return xai_fail(XAI_ERR_IO, "%s: cannot read model: is not a regular file", path);
    FILE *f = fopen(path, "rb");
    if (!f)
        return xai_fail(XAI_ERR_IO, "%s: cannot open model: %s", path, strerror(errno));
    if (fseek(f, 0, SEEK_END) != 0) {
        fclose(f);
        return xai_fail(XAI_ERR_IO, "%s: cannot seek (not a regular file?)", path);
    }
    long size = ftell(f);
    if (size < 0 || (unsigned long)size > MAX_FILE_BYTES) {
        fclose(f);
        return xai_fail(XAI_ERR_IO, "%s: cannot read model (size %ld)", path, size);
    }
    rewind(f);
    if (size == 0) {
        fclose(f);
        return xai_fail(XAI_ERR_PARSE, "%s: model file is empty (0 bytes)", path);
    }
    uint8_t *p = malloc((size_t)size);
    if (!p) {
        fclose(f);
        return xai_fail(XAI_ERR_NOMEM, "%s: out of memory reading %ld bytes", path, size);
    }
    size_t got = fread(p, 1, (size_t)size, f);
    fclose(f);
    if (got != (size_t)size) {
        free(p);
        return xai_fail(XAI_ERR_IO, "%s: read %zu of %ld bytes", path, got, size);
    }
    *buf = p;
    *len = got;
    return XAI_OK;
}

/* Walks the top-level protobuf fields: 0 well framed, 1 a field runs past the
 * end (truncated file), 2 not protobuf wire format.  *at = offending offset. */
static int wire_scan(const uint8_t *p, size_t len, size_t *at)
{
    size_t pos = 0;
    while (pos < len) {
        *at = pos;
        uint64_t v[2];
        for (int k = 0; k < 2; k++) {
            v[k] = 0;
            int shift = 0;
            for (;;) {
                if (pos >= len)
                    return 1;
                if (shift > 63)
                    return 2;
                uint8_t b = p[pos++];
                v[k] |= (uint64_t)(b & 0x7f) << shift;
                shift += 7;
                if (!(b & 0x80))
                    break;
            }
            if (k == 0) {
                unsigned wt = (unsigned)(v[0] & 7);
                if ((v[0] >> 3) == 0)
                    return 2;
                if (wt == 1 || wt == 5) {
                    size_t w = wt == 1 ? 8 : 4;
                    if (len - pos < w)
                        return 1;
                    pos += w;
                    break;
                }
                if (wt != 0 && wt != 2)
                    return 2;
            } else if ((v[0] & 7) == 2) {
                if (v[1] > len - pos)
                    return 1;
                pos += (size_t)v[1];
            }
        }
    }
    return 0;
}

/* ---- tensors ---- */

static xai_status add_tensor(graph *g, const char *name, int *idx)
{
    if (g->n_t == g->cap_t) {
        size_t cap = g->cap_t ? 2 * g->cap_t : 64;
        g_tensor *t = realloc(g->t, cap * sizeof *t);
        if (!t)
            return xai_fail(XAI_ERR_NOMEM, "out of memory loading %s", g->path);
        g->t = t;
        g->cap_t = cap;
    }
    g_tensor *t = &g->t[g->n_t];
    memset(t, 0, sizeof *t);
    t->producer = -1;
    t->name = strdup(name);
    if (!t->name)
        return xai_fail(XAI_ERR_NOMEM, "out of memory loading %s", g->path);
    *idx = (int)g->n_t++;
    return XAI_OK;
}

/* Converts a TensorProto (float32, int64 or int32) into constant t. */
static xai_status tensor_from_proto(graph *g, const Onnx__TensorProto *tp,
                                    const char *what, g_tensor *t)
{
    const char *nm = t->name;
    if (tp->n_dims > G_MAX_RANK)
        return xai_fail(XAI_ERR_UNSUPPORTED, "%s: %s '%s' has rank %zu (at most %d)",
                        g->path, what, nm, tp->n_dims, G_MAX_RANK);
    size_t numel = 1;
    for (size_t i = 0; i < tp->n_dims; i++) {
        if (tp->dims[i] < 0)
            return xai_fail(XAI_ERR_PARSE, "%s: %s '%s' has negative dimension %lld",
                            g->path, what, nm, (long long)tp->dims[i]);
        if (!xai_mul_size(numel, (size_t)tp->dims[i], &numel) || numel > G_MAX_NUMEL)
            return xai_fail(XAI_ERR_UNSUPPORTED,
                            "%s: %s '%s' declares absurd dimensions (more than "
                            "%zu elements); refusing",
                            g->path, what, nm, G_MAX_NUMEL);
        t->dims[i] = tp->dims[i];
    }
    t->rank = (int)tp->n_dims;
    t->numel = numel;
    int dt = tp->data_type;
    if (dt != 1 && dt != 7 && dt != 6)
        return xai_fail(XAI_ERR_UNSUPPORTED,
                        "%s: %s '%s' has data type %d (only float32, int64 "
                        "and int32 are supported)",
                        g->path, what, nm, dt);
    size_t esz = dt == 7 ? 8 : 4, have;
    if (tp->has_raw_data)
        have = tp->raw_data.len / esz;
    else
        have = dt == 1 ? tp->n_float_data : dt == 7 ? tp->n_int64_data : tp->n_int32_data;
    if ((tp->has_raw_data && tp->raw_data.len % esz) || have != numel)
        return xai_fail(XAI_ERR_PARSE,
                        "%s: %s '%s' has %zu values for %zu elements (missing "
                        "or truncated data; external data is not supported)",
                        g->path, what, nm, have, numel);
    t->dtype = dt == 1 ? G_F32 : G_I64;
    t->data = malloc(numel ? numel * (dt == 1 ? 4 : 8) : 1);
    if (!t->data)
        return xai_fail(XAI_ERR_NOMEM, "%s: out of memory for %s '%s'", g->path, what, nm);
    if (numel == 0) {
        /* no values: the proto's arrays may be NULL */
    } else if (dt == 1) {
        if (tp->has_raw_data)
            memcpy(t->data, tp->raw_data.data, numel * 4); /* little-endian host */
        else
            memcpy(t->data, tp->float_data, numel * 4);
    } else {
        int64_t *d = t->data;
        for (size_t i = 0; i < numel; i++) {
            if (dt == 7 && tp->has_raw_data)
                memcpy(&d[i], tp->raw_data.data + 8 * i, 8);
            else if (dt == 7)
                d[i] = tp->int64_data[i];
            else if (tp->has_raw_data) {
                int32_t v;
                memcpy(&v, tp->raw_data.data + 4 * i, 4);
                d[i] = v;
            } else
                d[i] = tp->int32_data[i];
        }
    }
    return XAI_OK;
}

/* ---- graph input ---- */

static xai_status read_input(graph *g, const Onnx__ValueInfoProto *vi)
{
    int idx;
    XAI_TRY(add_tensor(g, vi->name ? vi->name : "", &idx));
    g_tensor *t = &g->t[idx];
    const Onnx__TypeProto *ty = vi->type;
    if (!ty || ty->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ||
        !ty->tensor_type->shape)
        return xai_fail(XAI_ERR_PARSE, "%s: graph input '%s' has no tensor shape",
                        g->path, t->name);
    if (ty->tensor_type->elem_type != 1)
        return xai_fail(XAI_ERR_UNSUPPORTED,
                        "%s: graph input '%s' has element type %d (only float32)",
                        g->path, t->name, (int)ty->tensor_type->elem_type);
    const Onnx__TensorShapeProto *sh = ty->tensor_type->shape;
    if (sh->n_dim < 1 || sh->n_dim > G_MAX_RANK)
        return xai_fail(XAI_ERR_UNSUPPORTED,
                        "%s: graph input '%s' has rank %zu (need 1..%d with the "
                        "batch first)",
                        g->path, t->name, sh->n_dim, G_MAX_RANK);
    size_t numel = 1;
    t->dims[0] = -1;
    for (size_t i = 1; i < sh->n_dim; i++) {
        const Onnx__TensorShapeProto__Dimension *d = sh->dim[i];
        if (d->value_case != ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE ||
            d->dim_value <= 0)
            return xai_fail(XAI_ERR_UNSUPPORTED,
                            "%s: graph input '%s': dimension %zu must be a fixed "
                            "positive size (only the batch dimension may vary)",
                            g->path, t->name, i);
        if (!xai_mul_size(numel, (size_t)d->dim_value, &numel) || numel > G_MAX_NUMEL)
            return xai_fail(XAI_ERR_UNSUPPORTED,
                            "%s: graph input '%s' declares absurd dimensions "
                            "(more than %zu elements per row); refusing",
                            g->path, t->name, G_MAX_NUMEL);
        t->dims[i] = d->dim_value;
    }
    t->rank = (int)sh->n_dim;
    t->batched = 1;
    t->dtype = G_F32;
    t->numel = numel;
    g->input = idx;
    return XAI_OK;
}

/* ---- nodes ---- */

static xai_status read_attrs(graph *g, g_node *nd, const Onnx__NodeProto *np)
{
    if (!np->n_attribute)
        return XAI_OK;
    nd->attrs = calloc(np->n_attribute, sizeof *nd->attrs);
    if (!nd->attrs)
        return xai_fail(XAI_ERR_NOMEM, "out of memory loading %s", g->path);
    for (size_t i = 0; i < np->n_attribute; i++) {
        const Onnx__AttributeProto *ap = np->attribute[i];
        g_attr *a = &nd->attrs[nd->n_attrs++];
        a->tensor = -1;
        a->type = ap->has_type ? (int)ap->type : 0;
        if (!(a->name = strdup(ap->name ? ap->name : "")))
            return xai_fail(XAI_ERR_NOMEM, "out of memory loading %s", g->path);
        a->i = ap->i;
        a->f = ap->f;
        if (ap->n_ints) {
            if (!(a->ints = malloc(ap->n_ints * sizeof *a->ints)))
                return xai_fail(XAI_ERR_NOMEM, "out of memory loading %s", g->path);
            memcpy(a->ints, ap->ints, ap->n_ints * sizeof *a->ints);
            a->n_ints = ap->n_ints;
        }
        if (ap->n_floats) {
            if (!(a->floats = malloc(ap->n_floats * sizeof *a->floats)))
                return xai_fail(XAI_ERR_NOMEM, "out of memory loading %s", g->path);
            memcpy(a->floats, ap->floats, ap->n_floats * sizeof *a->floats);
            a->n_floats = ap->n_floats;
        }
        if (ap->has_s) {
            if (!(a->s = malloc(ap->s.len + 1)))
                return xai_fail(XAI_ERR_NOMEM, "out of memory loading %s", g->path);
            if (ap->s.len) /* empty bytes unpack as data == NULL */
                memcpy(a->s, ap->s.data, ap->s.len);
            a->s[ap->s.len] = '\0';
        }
        if (ap->t) {
            char name[300];
            snprintf(name, sizeof name, "%s:%s", nd->name, a->name);
            int idx;
            XAI_TRY(add_tensor(g, name, &idx));
            XAI_TRY(tensor_from_proto(g, ap->t, "attribute tensor", &g->t[idx]));
            a->tensor = idx;
        }
    }
    return XAI_OK;
}

/* Evaluates a node whose inputs are all constant, at load time. */
static xai_status fold_node(graph *g, g_node *nd)
{
    const g_op *op = &g_ops[nd->op];
    g_view in[G_MAX_IO] = {{0}}, out[G_MAX_IO] = {{0}};
    for (int k = 0; k < nd->n_in; k++) {
        g_tensor *t = g_in(g, nd, k);
        if (!t)
            continue;
        if (t->dtype != G_F32)
            return g_node_fail(g, nd, XAI_ERR_UNSUPPORTED,
                               "cannot evaluate on int64 constant '%s'", t->name);
        in[k] = (g_view){t->data, t->rank, {0}, t->numel};
        memcpy(in[k].d, t->dims, sizeof t->dims);
    }
    for (int k = 0; k < nd->n_out; k++) {
        if (nd->out[k] < 0)
            continue;
        g_tensor *t = &g->t[nd->out[k]];
        XAI_TRY(g_set_const(g, nd, k, t->rank, t->dims, G_F32));
        out[k] = (g_view){t->data, t->rank, {0}, t->numel};
        memcpy(out[k].d, t->dims, sizeof t->dims);
    }
    g_ws ws = {0};
    xai_status s = op->forward ? op->forward(nd, in, out, &ws)
                               : g_node_fail(g, nd, XAI_ERR_INTERNAL, "no forward");
    g_ws_free(&ws);
    return s;
}

static xai_status read_node(graph *g, size_t i, const Onnx__NodeProto *np)
{
    g_node *nd = &g->nodes[i];
    nd->name = strdup(np->name ? np->name : "");
    nd->op_type = strdup(np->op_type ? np->op_type : "");
    if (!nd->name || !nd->op_type)
        return xai_fail(XAI_ERR_NOMEM, "out of memory loading %s", g->path);
    if (np->domain && np->domain[0] && strcmp(np->domain, "ai.onnx") != 0)
        return g_node_fail(g, nd, XAI_ERR_UNSUPPORTED,
                           "op domain '%s' is not supported", np->domain);
    nd->op = g_op_find(nd->op_type);
    if (nd->op < 0)
        return g_node_fail(g, nd, XAI_ERR_UNSUPPORTED,
                           "op type '%s' is not supported", nd->op_type);
    if (np->n_input > G_MAX_IO || np->n_output > G_MAX_IO)
        return g_node_fail(g, nd, XAI_ERR_UNSUPPORTED, "too many inputs or outputs");
    /* every supported op computes its first output; infer and exec use it */
    if (np->n_output < 1 || !np->output[0][0])
        return g_node_fail(g, nd, XAI_ERR_PARSE, "the node has no (first) output");
    nd->n_in = (int)np->n_input;
    nd->n_out = (int)np->n_output;
    for (size_t k = 0; k < np->n_input; k++) {
        const char *nm = np->input[k];
        nd->in[k] = nm[0] ? g_tensor_find(g, nm) : -1;
        if (nm[0] && nd->in[k] < 0)
            return g_node_fail(g, nd, XAI_ERR_PARSE,
                               "input '%s' is not produced by any earlier node, "
                               "initializer or graph input (dangling input)",
                               nm);
    }
    XAI_TRY(read_attrs(g, nd, np));
    for (size_t k = 0; k < np->n_output; k++) {
        const char *nm = np->output[k];
        nd->out[k] = -1;
        if (!nm[0])
            continue;
        if (g_tensor_find(g, nm) >= 0)
            return g_node_fail(g, nd, XAI_ERR_PARSE, "output '%s' is defined twice", nm);
        XAI_TRY(add_tensor(g, nm, &nd->out[k]));
        g->t[nd->out[k]].producer = (int)i;
        g->t[nd->out[k]].rank = -1; /* set by infer */
    }
    XAI_TRY(g_ops[nd->op].infer(g, nd));
    int out_const = 1, in_const = 1;
    for (int k = 0; k < nd->n_out; k++) {
        if (nd->out[k] < 0)
            continue;
        g_tensor *t = &g->t[nd->out[k]];
        if (t->rank < 0)
            return g_node_fail(g, nd, XAI_ERR_INTERNAL, "output '%s' has no shape", t->name);
        out_const &= t->data != NULL;
    }
    for (int k = 0; k < nd->n_in; k++)
        if (nd->in[k] >= 0)
            in_const &= !g->t[nd->in[k]].batched;
    if (!out_const && in_const)
        XAI_TRY(fold_node(g, nd));
    nd->folded = out_const || in_const;
    if (nd->folded)
        nd->flops = 0;
    return XAI_OK;
}

static xai_status check_output(graph *g, const Onnx__ValueInfoProto *vi)
{
    const char *nm = vi->name ? vi->name : "";
    g->output = g_tensor_find(g, nm);
    if (g->output < 0)
        return xai_fail(XAI_ERR_PARSE,
                        "%s: graph output '%s' is not produced by any node", g->path, nm);
    g_tensor *t = &g->t[g->output];
    if (!t->batched || t->dtype != G_F32)
        return xai_fail(XAI_ERR_UNSUPPORTED,
                        "%s: graph output '%s' does not depend on the input", g->path, nm);
    const Onnx__TypeProto *ty = vi->type;
    if (ty && ty->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE &&
        ty->tensor_type->shape) {
        const Onnx__TensorShapeProto *sh = ty->tensor_type->shape;
        int bad = (int)sh->n_dim != t->rank;
        for (size_t i = 1; !bad && i < sh->n_dim; i++)
            bad = sh->dim[i]->value_case ==
                      ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE &&
                  sh->dim[i]->dim_value != t->dims[i];
        if (bad)
            return xai_fail(XAI_ERR_SHAPE,
                            "%s: graph output '%s' is declared with %zu dims but "
                            "the graph computes a different shape (rank %d, %zu "
                            "values per row)",
                            g->path, nm, sh->n_dim, t->rank, t->numel);
    }
    g->final_node = -1;
    g->score = g->output;
    /* The final activation, looking through copies of its output: tf2onnx
     * ends graphs with an Identity naming the output.  Producers precede
     * their consumers, so the walk goes strictly backwards and ends. */
    int p = t->producer;
    while (p >= 0 && (g->nodes[p].op == OP_IDENTITY || g->nodes[p].op == OP_DROPOUT) &&
           g->nodes[p].in[0] >= 0)
        p = g->t[g->nodes[p].in[0]].producer;
    if (p >= 0 && (g->nodes[p].op == OP_SOFTMAX || g->nodes[p].op == OP_SIGMOID)) {
        g->final_node = p;
        g->score = g->nodes[p].in[0];
        for (int q = t->producer; q != p; q = g->t[g->nodes[q].in[0]].producer)
            g->nodes[q].after_score = 1;
        g->nodes[p].after_score = 1;
    }
    return XAI_OK;
}

static xai_status build(graph *g, const Onnx__ModelProto *mp)
{
    const Onnx__GraphProto *gp = mp->graph;
    g->opset = -1;
    for (size_t i = 0; i < mp->n_opset_import; i++) {
        const char *d = mp->opset_import[i]->domain;
        if (!d || !d[0] || strcmp(d, "ai.onnx") == 0)
            g->opset = mp->opset_import[i]->version;
    }
    if (g->opset < 0 && mp->has_ir_version && mp->ir_version < 3)
        g->opset = 1;
    if (g->opset < 0)
        return xai_fail(XAI_ERR_PARSE, "%s: no opset_import for the default ONNX domain",
                        g->path);
    if (g->opset < 7 || g->opset > 18)
        return xai_fail(XAI_ERR_UNSUPPORTED,
                        "%s: opset %lld is not supported (7..18)", g->path,
                        (long long)g->opset);
    if (!(g->producer = strdup(mp->producer_name ? mp->producer_name : "")))
        return xai_fail(XAI_ERR_NOMEM, "out of memory loading %s", g->path);
    for (size_t i = 0; i < gp->n_initializer; i++) {
        const Onnx__TensorProto *tp = gp->initializer[i];
        int idx;
        if (!tp->name || !tp->name[0])
            return xai_fail(XAI_ERR_PARSE, "%s: initializer %zu has no name", g->path, i);
        XAI_TRY(add_tensor(g, tp->name, &idx));
        XAI_TRY(tensor_from_proto(g, tp, "initializer", &g->t[idx]));
        if (g->t[idx].dtype == G_F32)
            g->n_params += g->t[idx].numel;
    }
    g->input = -1;
    for (size_t i = 0; i < gp->n_input; i++) {
        const char *nm = gp->input[i]->name ? gp->input[i]->name : "";
        if (g_tensor_find(g, nm) >= 0)
            continue; /* an initializer listed as an input (IR < 4) */
        if (g->input >= 0)
            return xai_fail(XAI_ERR_UNSUPPORTED,
                            "%s: the graph has more than one input ('%s' and '%s')",
                            g->path, g->t[g->input].name, nm);
        XAI_TRY(read_input(g, gp->input[i]));
    }
    if (g->input < 0)
        return xai_fail(XAI_ERR_PARSE, "%s: the graph has no input", g->path);
    if (gp->n_output < 1)
        return xai_fail(XAI_ERR_PARSE, "%s: the graph has no output", g->path);
    if (gp->n_node) {
        g->nodes = calloc(gp->n_node, sizeof *g->nodes);
        if (!g->nodes)
            return xai_fail(XAI_ERR_NOMEM, "out of memory loading %s", g->path);
    }
    for (size_t i = 0; i < gp->n_node; i++) {
        g->n_nodes = i + 1;
        XAI_TRY(read_node(g, i, gp->node[i]));
    }
    /* only the first graph output is used */
    return check_output(g, gp->output[0]);
}

xai_status onnx_proto_read(const char *path, Onnx__ModelProto **out)
{
    *out = NULL;
    uint8_t *buf;
    size_t len;
    XAI_TRY(read_file(path, &buf, &len));
    size_t at = 0;
    int w = wire_scan(buf, len, &at);
    if (w == 1) {
        free(buf);
        return xai_fail(XAI_ERR_PARSE,
                        "%s: truncated ONNX file: a field at byte %zu runs past "
                        "the end of the file (%zu bytes)",
                        path, at, len);
    }
    if (w == 2) {
        free(buf);
        return xai_fail(XAI_ERR_PARSE,
                        "%s: not an ONNX model: invalid protobuf data at byte %zu",
                        path, at);
    }
    Onnx__ModelProto *mp = onnx__model_proto__unpack(NULL, len, buf);
    free(buf);
    if (!mp)
        return xai_fail(XAI_ERR_PARSE,
                        "%s: corrupt ONNX protobuf (a nested message is malformed "
                        "or truncated)",
                        path);
    if (!mp->graph) {
        onnx__model_proto__free_unpacked(mp, NULL);
        return xai_fail(XAI_ERR_PARSE,
                        "%s: not an ONNX model: the protobuf holds no graph", path);
    }
    *out = mp;
    return XAI_OK;
}

xai_status graph_from_proto(const char *path, const Onnx__ModelProto *mp, graph **out)
{
    *out = NULL;
    graph *g = calloc(1, sizeof *g);
    xai_status s = XAI_ERR_NOMEM;
    if (!g || !(g->path = strdup(path)))
        s = xai_fail(XAI_ERR_NOMEM, "out of memory loading %s", path);
    else
        s = build(g, mp);
    if (s != XAI_OK) {
        graph_free(g);
        return s;
    }
    *out = g;
    return XAI_OK;
}

xai_status graph_load_onnx(const char *path, graph **out)
{
    *out = NULL;
    Onnx__ModelProto *mp;
    XAI_TRY(onnx_proto_read(path, &mp));
    xai_status s = graph_from_proto(path, mp, out);
    onnx__model_proto__free_unpacked(mp, NULL);
    return s;
}
