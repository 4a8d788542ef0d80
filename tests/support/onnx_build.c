/* tests/support/onnx_build.c: see onnx_build.h.  Every field is malloc'd so
 * protobuf-c's free_unpacked releases the whole model. */
#include "onnx_build.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *xmalloc(size_t n)
{
    void *p = calloc(1, n ? n : 1);
    assert(p);
    return p;
}

static char *xstrdup(const char *s)
{
    char *p = strdup(s);
    assert(p);
    return p;
}

/* Appends item to a protobuf-c repeated field (array + count). */
#define PUSH(arr, count, item)                                                 \
    do {                                                                       \
        void *np_ = realloc((arr), ((count) + 1) * sizeof *(arr));             \
        assert(np_);                                                           \
        (arr) = np_;                                                           \
        (arr)[(count)++] = (item);                                             \
    } while (0)

ob_model *ob_new(int64_t opset)
{
    ob_model *m = xmalloc(sizeof *m);
    onnx__model_proto__init(m);
    m->has_ir_version = 1;
    m->ir_version = 7;
    m->producer_name = xstrdup("xai-tests");
    Onnx__OperatorSetIdProto *os = xmalloc(sizeof *os);
    onnx__operator_set_id_proto__init(os);
    os->domain = xstrdup("");
    os->has_version = 1;
    os->version = opset;
    PUSH(m->opset_import, m->n_opset_import, os);
    m->graph = xmalloc(sizeof *m->graph);
    onnx__graph_proto__init(m->graph);
    m->graph->name = xstrdup("test");
    return m;
}

static Onnx__ValueInfoProto *value_info(const char *name, int rank, const int64_t *dims,
                                        int batch)
{
    Onnx__ValueInfoProto *vi = xmalloc(sizeof *vi);
    onnx__value_info_proto__init(vi);
    vi->name = xstrdup(name);
    if (rank <= 0)
        return vi;
    Onnx__TypeProto *ty = xmalloc(sizeof *ty);
    onnx__type_proto__init(ty);
    ty->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    ty->tensor_type = xmalloc(sizeof *ty->tensor_type);
    onnx__type_proto__tensor__init(ty->tensor_type);
    ty->tensor_type->has_elem_type = 1;
    ty->tensor_type->elem_type = 1;
    Onnx__TensorShapeProto *sh = xmalloc(sizeof *sh);
    onnx__tensor_shape_proto__init(sh);
    for (int i = 0; i < rank; i++) {
        Onnx__TensorShapeProto__Dimension *d = xmalloc(sizeof *d);
        onnx__tensor_shape_proto__dimension__init(d);
        if (i == 0 && batch) {
            d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
            d->dim_param = xstrdup("batch");
        } else {
            d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            d->dim_value = dims[i];
        }
        PUSH(sh->dim, sh->n_dim, d);
    }
    ty->tensor_type->shape = sh;
    vi->type = ty;
    return vi;
}

void ob_input(ob_model *m, const char *name, int rank, const int64_t *dims)
{
    PUSH(m->graph->input, m->graph->n_input, value_info(name, rank, dims, 1));
}

void ob_output(ob_model *m, const char *name, int rank, const int64_t *dims)
{
    PUSH(m->graph->output, m->graph->n_output, value_info(name, rank, dims, 1));
}

static Onnx__TensorProto *tensor(const char *name, int rank, const int64_t *dims,
                                 int type, const void *v, size_t esz)
{
    Onnx__TensorProto *t = xmalloc(sizeof *t);
    onnx__tensor_proto__init(t);
    t->name = xstrdup(name);
    t->has_data_type = 1;
    t->data_type = type;
    size_t n = 1;
    t->dims = xmalloc((size_t)rank * sizeof *t->dims);
    for (int i = 0; i < rank; i++) {
        t->dims[i] = dims[i];
        n *= (size_t)dims[i];
    }
    t->n_dims = (size_t)rank;
    t->has_raw_data = 1;
    t->raw_data.len = n * esz;
    t->raw_data.data = xmalloc(n * esz);
    if (v)
        memcpy(t->raw_data.data, v, n * esz);
    return t;
}

Onnx__TensorProto *ob_init_f(ob_model *m, const char *name, int rank,
                             const int64_t *dims, const float *v)
{
    Onnx__TensorProto *t = tensor(name, rank, dims, 1, v, 4);
    PUSH(m->graph->initializer, m->graph->n_initializer, t);
    return t;
}

Onnx__TensorProto *ob_init_i(ob_model *m, const char *name, int rank,
                             const int64_t *dims, const int64_t *v)
{
    Onnx__TensorProto *t = tensor(name, rank, dims, 7, v, 8);
    PUSH(m->graph->initializer, m->graph->n_initializer, t);
    return t;
}

static void split(const char *list, char ***arr, size_t *count)
{
    if (!list[0])
        return;
    const char *p = list;
    for (;;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        char *s = xmalloc(len + 1);
        memcpy(s, p, len);
        PUSH(*arr, *count, s);
        if (!e)
            break;
        p = e + 1;
    }
}

ob_node *ob_add(ob_model *m, const char *op, const char *name, const char *inputs,
                const char *outputs)
{
    ob_node *n = xmalloc(sizeof *n);
    onnx__node_proto__init(n);
    n->op_type = xstrdup(op);
    n->name = xstrdup(name);
    split(inputs, &n->input, &n->n_input);
    split(outputs, &n->output, &n->n_output);
    PUSH(m->graph->node, m->graph->n_node, n);
    return n;
}

static Onnx__AttributeProto *attr(ob_node *n, const char *name, int type)
{
    Onnx__AttributeProto *a = xmalloc(sizeof *a);
    onnx__attribute_proto__init(a);
    a->name = xstrdup(name);
    a->has_type = 1;
    a->type = type;
    PUSH(n->attribute, n->n_attribute, a);
    return a;
}

void ob_attr_i(ob_node *n, const char *name, int64_t v)
{
    Onnx__AttributeProto *a = attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    a->has_i = 1;
    a->i = v;
}

void ob_attr_f(ob_node *n, const char *name, float v)
{
    Onnx__AttributeProto *a = attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    a->has_f = 1;
    a->f = v;
}

void ob_attr_ints(ob_node *n, const char *name, size_t k, const int64_t *v)
{
    Onnx__AttributeProto *a = attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    a->ints = xmalloc(k * sizeof *a->ints);
    memcpy(a->ints, v, k * sizeof *v);
    a->n_ints = k;
}

void ob_attr_s(ob_node *n, const char *name, const char *v)
{
    Onnx__AttributeProto *a = attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
    a->has_s = 1;
    a->s.len = strlen(v);
    a->s.data = (uint8_t *)xstrdup(v);
}

uint8_t *ob_pack(const ob_model *m, size_t *len)
{
    *len = onnx__model_proto__get_packed_size(m);
    uint8_t *buf = xmalloc(*len);
    onnx__model_proto__pack(m, buf);
    return buf;
}

void ob_write(const ob_model *m, const char *path)
{
    size_t len;
    uint8_t *buf = ob_pack(m, &len);
    FILE *f = fopen(path, "wb");
    assert(f);
    size_t w = fwrite(buf, 1, len, f);
    assert(w == len);
    (void)w;
    fclose(f);
    free(buf);
}

void ob_free(ob_model *m)
{
    onnx__model_proto__free_unpacked(m, NULL);
}

xai_status ob_load(ob_model *m, xai_model **out)
{
    char path[] = "/tmp/xai_ob_XXXXXX";
    int fd = mkstemp(path);
    assert(fd >= 0);
    close(fd);
    ob_write(m, path);
    ob_free(m);
    xai_status s = xai_model_load(path, out);
    unlink(path);
    return s;
}
