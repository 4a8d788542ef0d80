/* xai/mlp.h: the layers of a fully connected network, for analyses that need
 * the weights themselves (certified Lipschitz bounds).
 *
 * An ONNX graph is an MLP when it is one chain from the input to the output
 * of: Gemm or MatMul (constant weights) with optional bias Add; element-wise
 * Add / Sub / Mul / Div by a constant (input standardisation, folded into
 * the next dense layer); Relu, LeakyRelu, Sigmoid, Tanh; a final Sigmoid or
 * Softmax; Identity, Dropout and Flatten (no-ops).  Anything else is refused
 * with XAI_ERR_UNSUPPORTED naming the node. */
#ifndef XAI_MLP_H
#define XAI_MLP_H

#include "base.h"
#include "model.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum xai_activation {
    XAI_ACT_NONE = 0,
    XAI_ACT_RELU,
    XAI_ACT_LEAKY_RELU, /* slope alpha below 0 */
    XAI_ACT_SIGMOID,
    XAI_ACT_TANH,
    XAI_ACT_SOFTMAX
} xai_activation;

/* y = act(W x + b); W is n_out x n_in row-major. */
typedef struct xai_dense {
    size_t n_in, n_out;
    double *w, *b;
    xai_activation act;
    double alpha; /* LeakyRelu slope */
} xai_dense;

typedef struct xai_mlp {
    size_t n_layers;
    xai_dense *layers;
} xai_mlp;

/* The layers of m (a copy the caller frees with xai_mlp_free), or
 * XAI_ERR_UNSUPPORTED for models outside the family above (plugins and
 * callback models included). */
xai_status xai_model_mlp(const xai_model *m, xai_mlp **out);
void xai_mlp_free(xai_mlp *mlp);

#ifdef __cplusplus
}
#endif
#endif
