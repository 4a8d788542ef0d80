/* core/ops.c: the op table.  One entry per op: {ONNX name, infer (shapes,
 * attributes, load-time folding), forward, backward (VJP w.r.t. the computed
 * inputs)}.  Shape ops have no forward: they only exist folded to constants. */
#include <string.h>

#include "ops.h"

const g_op g_ops[OP_COUNT] = {
    /* Y = alpha * op(A) op(B) + beta * C */
    [OP_GEMM] = {"Gemm", gemm_infer, gemm_fwd, gemm_bwd, 1},
    /* Y = A B (A batched, any leading dims; B a constant matrix) */
    [OP_MATMUL] = {"MatMul", matmul_infer, matmul_fwd, matmul_bwd, 1},
    /* Y = A + B (numpy broadcasting) */
    [OP_ADD] = {"Add", binary_infer, add_fwd, add_bwd, 1},
    /* Y = A - B */
    [OP_SUB] = {"Sub", binary_infer, sub_fwd, sub_bwd, 1},
    /* Y = A * B */
    [OP_MUL] = {"Mul", binary_infer, mul_fwd, mul_bwd, 1},
    /* Y = A / B */
    [OP_DIV] = {"Div", binary_infer, div_fwd, div_bwd, 1},
    /* y = max(x, 0) */
    [OP_RELU] = {"Relu", unary_infer, relu_fwd, relu_bwd, 1},
    /* y = x if x >= 0 else alpha x */
    [OP_LEAKYRELU] = {"LeakyRelu", unary_infer, leakyrelu_fwd, leakyrelu_bwd},
    /* y = 1 / (1 + exp(-x)) */
    [OP_SIGMOID] = {"Sigmoid", unary_infer, sigmoid_fwd, sigmoid_bwd},
    /* y = tanh(x) */
    [OP_TANH] = {"Tanh", unary_infer, tanh_fwd, tanh_bwd},
    /* y_i = exp(x_i - max x) / sum_j exp(x_j - max x) along axis */
    [OP_SOFTMAX] = {"Softmax", softmax_infer, softmax_fwd, softmax_bwd},
    /* y_i = x_i - max x - log sum_j exp(x_j - max x) along axis */
    [OP_LOGSOFTMAX] = {"LogSoftmax", softmax_infer, logsoftmax_fwd, logsoftmax_bwd},
    /* y = exp(x) */
    [OP_EXP] = {"Exp", unary_infer, exp_fwd, exp_bwd},
    /* y = min(max(x, lo), hi) */
    [OP_CLIP] = {"Clip", clip_infer, clip_fwd, clip_bwd},
    /* Y[n,m] = sum_{c,i,j} W[m,c,i,j] X[n, g(m) c, s y + d i - p, s x + d j - p] + B[m] */
    [OP_CONV] = {"Conv", conv_infer, conv_fwd, conv_bwd, 1},
    /* Y[n,c,y,x] = max over the window of X (padding excluded) */
    [OP_MAXPOOL] = {"MaxPool", pool_infer, maxpool_fwd, maxpool_bwd, 1},
    /* Y[n,c,y,x] = mean over the window of X */
    [OP_AVGPOOL] = {"AveragePool", pool_infer, avgpool_fwd, avgpool_bwd},
    /* Y[n,c] = mean_{y,x} X[n,c,y,x] */
    [OP_GLOBALAVGPOOL] = {"GlobalAveragePool", gap_infer, gap_fwd, gap_bwd},
    /* Y = scale (X - mean) / sqrt(var + eps) + B, per channel */
    [OP_BATCHNORM] = {"BatchNormalization", batchnorm_infer, batchnorm_fwd, batchnorm_bwd},
    /* Y = X viewed as [d0 .. d(axis-1), d(axis) ..] */
    [OP_FLATTEN] = {"Flatten", flatten_infer, copy_fwd, copy_bwd},
    /* Y = X viewed with the given shape (0 copies, -1 infers) */
    [OP_RESHAPE] = {"Reshape", reshape_infer, copy_fwd, copy_bwd},
    /* Y[i_perm] = X[i] */
    [OP_TRANSPOSE] = {"Transpose", transpose_infer, transpose_fwd, transpose_bwd},
    /* Y = [X1, X2, ...] along axis */
    [OP_CONCAT] = {"Concat", concat_infer, concat_fwd, concat_bwd},
    /* Y = X */
    [OP_IDENTITY] = {"Identity", identity_infer, copy_fwd, copy_bwd},
    /* Y = X (inference) */
    [OP_DROPOUT] = {"Dropout", dropout_infer, copy_fwd, copy_bwd},
    /* Y = value attribute (folded) */
    [OP_CONSTANT] = {"Constant", constant_infer, NULL, NULL},
    /* Y = shape of X, batch as a symbol (folded) */
    [OP_SHAPE] = {"Shape", shape_infer, NULL, NULL},
    /* Y = take(X, indices, axis) (folded) */
    [OP_GATHER] = {"Gather", gather_infer, NULL, NULL},
    /* Y = X with size-1 axes inserted */
    [OP_UNSQUEEZE] = {"Unsqueeze", unsqueeze_infer, copy_fwd, copy_bwd},
    /* Y = X converted to type `to` (float->float at run time, else folded) */
    [OP_CAST] = {"Cast", cast_infer, copy_fwd, copy_bwd},
    /* Y = X[starts:ends:steps] on a 1-D constant (folded) */
    [OP_SLICE] = {"Slice", slice_infer, NULL, NULL},
    /* Y = X surrounded by pads of a constant value (mode "constant") */
    [OP_PAD] = {"Pad", pad_infer, pad_fwd, pad_bwd},
};
/* Adding an op: a new g_op_id, an entry above, a gradient test; then bump. */
_Static_assert(OP_COUNT == 32, "g_ops has one entry per g_op_id");

int g_op_find(const char *name)
{
    for (int i = 0; i < OP_COUNT; i++)
        if (g_ops[i].name && strcmp(g_ops[i].name, name) == 0)
            return i;
    return -1;
}
