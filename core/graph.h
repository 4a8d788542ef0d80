/* core/graph.h: the in-memory ONNX graph, its op table and the views the ops
 * run on.
 *
 * Tensors are either constants (initializers, folded shape sub-graphs; data
 * owned by the graph, no batch dimension) or batched values computed per call
 * (dims[0] is the batch size n, unknown until run time).  Nodes are kept in
 * ONNX's topological order; a node whose outputs are all constant was folded
 * at load time and is never executed.  Only float32 values are computed at run
 * time; int64 exists only in constants (shapes, axes, indices). */
#ifndef XAI_CORE_GRAPH_H
#define XAI_CORE_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include <xai/base.h>

#define G_MAX_RANK 6
#define G_MAX_IO 8
/* The batch size n inside a folded shape value (Shape of a batched tensor). */
#define G_SYM_BATCH INT64_MIN
/* Largest element count of one tensor (per row for batched ones): 2^31 floats
 * = 8 GiB.  Anything larger is refused at load, before any allocation. */
#define G_MAX_NUMEL ((size_t)1 << 31)

enum g_dtype { G_F32 = 1, G_I64 = 7 };

typedef struct g_tensor {
    char *name;
    int rank;
    int64_t dims[G_MAX_RANK]; /* dims[0] is ignored (it is n) when batched */
    int batched;              /* 1: computed per call, dims[0] = batch */
    int dtype;                /* G_F32 or G_I64 */
    void *data;               /* constant value (owned), NULL if batched */
    size_t numel;             /* per row when batched, total otherwise */
    int producer;             /* node index, or -1 */
} g_tensor;

typedef struct g_attr {
    char *name;
    int type; /* ONNX AttributeType: 1 FLOAT, 2 INT, 3 STRING, 4 TENSOR, 6 FLOATS, 7 INTS */
    int64_t i;
    float f;
    int64_t *ints;
    size_t n_ints;
    float *floats;
    size_t n_floats;
    char *s;
    int tensor; /* TENSOR: index of a constant tensor in the graph, or -1 */
} g_attr;

/* Attributes parsed by an op's infer function. */
typedef struct g_params {
    float alpha, beta, eps, lo, hi;
    int trans_a, trans_b, axis, group, ceil_mode, count_include_pad;
    int64_t kernel[2], pads[4], strides[2], dilations[2]; /* pads: t l b r */
    int perm[G_MAX_RANK];
    int64_t pad_all[2 * G_MAX_RANK]; /* Pad: begins then ends per axis */
} g_params;

typedef struct g_node {
    char *name, *op_type;
    int op; /* g_op_id */
    int n_in, n_out;
    int in[G_MAX_IO], out[G_MAX_IO]; /* tensor indices, -1 = omitted */
    g_attr *attrs;
    size_t n_attrs;
    g_params p;
    int folded;   /* all outputs constant: not executed */
    int after_score; /* the final Softmax/Sigmoid or a copy (Identity,
                        Dropout) of its output: not executed for scores */
    double flops; /* per sample, set by infer for executed nodes */
    /* Gemm or MatMul with small constant weights B: B transposed, so that
     * neither the forward (transB = 1) nor the VJP (transB = 0, MatMul)
     * transposes B on every call (made by g_gemm_pack at load and again
     * when the weights change; freed with the graph). */
    float *packed;
} g_node;

typedef struct graph {
    char *path;
    char *producer;
    int64_t opset;
    g_tensor *t;
    size_t n_t, cap_t;
    g_node *nodes;
    size_t n_nodes;
    int input, output; /* tensor indices */
    int final_node;    /* final Softmax/Sigmoid node, or -1 */
    int score;         /* its input tensor, or output */
    uint64_t n_params; /* float elements of initializers */
} graph;

/* A tensor as an op sees it at run time: dims[0] resolved to n. */
typedef struct g_view {
    float *p;
    int rank;
    int64_t d[G_MAX_RANK];
    size_t numel;
    /* din[0] of an op with bwd_writes only: p holds stale values, and the
     * op writes J^T dout instead of adding it (the runner skips zeroing). */
    int fresh;
} g_view;

/* Growable scratch memory owned by a runner. */
typedef struct g_ws {
    float *p;
    size_t len;
} g_ws;

typedef enum g_op_id {
    OP_GEMM, OP_MATMUL, OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_RELU, OP_LEAKYRELU,
    OP_SIGMOID, OP_TANH, OP_SOFTMAX, OP_LOGSOFTMAX, OP_EXP, OP_CLIP, OP_CONV,
    OP_MAXPOOL, OP_AVGPOOL, OP_GLOBALAVGPOOL, OP_BATCHNORM, OP_FLATTEN,
    OP_RESHAPE, OP_TRANSPOSE, OP_CONCAT, OP_IDENTITY, OP_DROPOUT, OP_CONSTANT,
    OP_SHAPE, OP_GATHER, OP_UNSQUEEZE, OP_CAST, OP_SLICE, OP_PAD,
    OP_COUNT
} g_op_id;

typedef struct g_op {
    const char *name;
    /* Checks inputs and attributes, fills nd->p, sets output shapes (and
     * folds constant outputs for shape ops). */
    xai_status (*infer)(graph *g, g_node *nd);
    /* out = f(in); inputs without data (omitted) have p == NULL. */
    xai_status (*forward)(const g_node *nd, const g_view *in, g_view *out,
                          g_ws *ws);
    /* din[i] += J_i^T dout for every input with din[i].p != NULL. */
    xai_status (*backward)(const g_node *nd, const g_view *in,
                           const g_view *out, const g_view *dout, g_view *din,
                           g_ws *ws);
    /* 1: backward honours din[0].fresh (writes every element of din[0]). */
    int bwd_writes;
} g_op;

extern const g_op g_ops[OP_COUNT];

/* The op called name (ONNX op_type), or -1. */
int g_op_find(const char *name);

/* ---- helpers shared by the loader and the ops (core/graph.c) ---- */

/* Sets this thread's message as "FILE: node 'NAME' (OP, opset N): ...". */
xai_status g_node_fail(const graph *g, const g_node *nd, xai_status s,
                       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

const g_attr *g_attr_get(const g_node *nd, const char *name);
int64_t g_attr_int(const g_node *nd, const char *name, int64_t dflt);
float g_attr_float(const g_node *nd, const char *name, float dflt);

/* Sets the shape of output slot k of nd (checked element count). */
xai_status g_set_shape(graph *g, g_node *nd, int k, int rank,
                       const int64_t *dims, int batched, int dtype);
/* Same and allocates zeroed constant data for it. */
xai_status g_set_const(graph *g, g_node *nd, int k, int rank,
                       const int64_t *dims, int dtype);

/* Input slot k of nd, or NULL when omitted. */
static inline g_tensor *g_in(graph *g, const g_node *nd, int k)
{
    return k < nd->n_in && nd->in[k] >= 0 ? &g->t[nd->in[k]] : NULL;
}

/* Reads a 1-D int64 constant input into v (up to max values); returns the
 * count or -1 (and sets the message) when it is not a constant int64. */
int g_const_ints(graph *g, const g_node *nd, int k, int64_t *v, int max);

/* Numpy broadcasting of two shapes (batched flags included). */
xai_status g_broadcast_shape(graph *g, g_node *nd, const g_tensor *a,
                             const g_tensor *b, int *rank, int64_t *dims);

/* Index of the tensor called name (the latest one added), or -1. */
int g_tensor_find(const graph *g, const char *name);
xai_status g_ws_reserve(g_ws *w, size_t len);
void g_ws_free(g_ws *w);

void graph_free(graph *g);

/* Loads and validates an ONNX file (core/onnx_load.c). */
xai_status graph_load_onnx(const char *path, graph **out);

#endif
