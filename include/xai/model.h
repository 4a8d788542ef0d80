/* xai/model.h: models and batched execution.
 *
 * An xai_model is immutable after loading and may be shared between threads.
 * Execution state (buffers planned for a batch size) lives in an xai_runner;
 * use one runner per thread.  Inputs are row-major batches of n rows of
 * xai_model_input_size() floats (CHW order for images); outputs are n rows of
 * xai_model_output_size() floats.
 *
 * Output kinds: a graph that ends in Softmax or Sigmoid produces
 * probabilities; XAI_OUTPUT_SCORE then evaluates the graph up to the input of
 * that final activation (logits).  For a graph without a final activation
 * both kinds give the same values.  A model with a single sigmoid output is a
 * binary classifier: its output is P(class 1) and explanations explain it
 * (target 0). */
#ifndef XAI_MODEL_H
#define XAI_MODEL_H

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct xai_model xai_model;
typedef struct xai_runner xai_runner;

typedef enum xai_output_kind {
    XAI_OUTPUT_PROB = 0,  /* the graph's output */
    XAI_OUTPUT_SCORE = 1  /* the pre-activation of a final Softmax/Sigmoid */
} xai_output_kind;

/* Loads "PATH.onnx", or "plugin:PATH.so" (see xai/plugin.h).  On failure *out
 * is NULL and xai_last_error() names the file, node, op and opset.  The
 * memory limit is XAI_DEFAULT_MAX_MEMORY (see xai_model_load_limited). */
xai_status xai_model_load(const char *path, xai_model **out);

/* Working memory an ONNX graph may plan: 2 GiB by default. */
#define XAI_DEFAULT_MAX_MEMORY ((uint64_t)2 << 30)

/* xai_model_load with a bound on planned working memory: an ONNX graph whose
 * per-row buffers (every computed tensor, forward and gradient) exceed
 * max_bytes is refused at load, before anything is allocated, naming the
 * size; runners then split every batch so that rows x per-row bytes stays
 * within max_bytes (results do not depend on the batch size).  0 means the
 * default.  Plugins plan their own memory and are not bounded. */
xai_status xai_model_load_limited(const char *path, uint64_t max_bytes, xai_model **out);

/* Planned working bytes per row (0 when unknown, e.g. plugins). */
uint64_t xai_model_row_memory(const xai_model *m);

/* A model backed by C callbacks (for embedding and tests).  predict writes
 * n x n_outputs values; vjp (may be NULL) writes dx = J^T dy for every row.
 * Both return 0 on success.  When vjp is NULL, gradients are computed by
 * central finite differences and xai_model_has_gradient() returns 0. */
typedef int (*xai_predict_fn)(void *user, const float *x, size_t n, float *y);
typedef int (*xai_vjp_fn)(void *user, const float *x, size_t n,
                          const float *dy, float *dx);
xai_status xai_model_from_callbacks(size_t n_inputs, size_t n_outputs,
                                    int outputs_probabilities,
                                    xai_predict_fn predict, xai_vjp_fn vjp,
                                    void *user, xai_model **out);

/* Frees a model; NULL is accepted.  Free every runner of it first. */
void xai_model_free(xai_model *m);

size_t xai_model_input_size(const xai_model *m);
size_t xai_model_output_size(const xai_model *m);

/* Per-sample input shape without the batch dimension (e.g. 1,8,8 or 60):
 * writes up to 4 dims, returns the rank. */
int xai_model_input_shape(const xai_model *m, int64_t dims[4]);

/* 1 if the graph ends in Softmax or Sigmoid, possibly followed by Identity or
 * Dropout copies (as tf2onnx emits): outputs are probabilities. */
int xai_model_outputs_probabilities(const xai_model *m);

/* 1 if input gradients are exact (reverse mode), 0 if finite differences. */
int xai_model_has_gradient(const xai_model *m);

/* 1 if the model is piecewise constant in its inputs (tree ensembles: see
 * xai/trees.h): its gradient is zero almost everywhere and undefined at the
 * splits, so methods that match gradients refuse it. */
int xai_model_piecewise_constant(const xai_model *m);

/* 1 if the model defines what a missing input (NaN) means (tree models:
 * each split's default direction), so data may hold missing values (see
 * xai_csv_options.allow_missing); 0 if NaN inputs are an error. */
int xai_model_accepts_missing(const xai_model *m);

/* Convolutional layers (node output names), in graph order. */
size_t xai_model_conv_layer_count(const xai_model *m);
const char *xai_model_conv_layer_name(const xai_model *m, size_t i);

/* The output tensor of the last hidden activation (Relu, LeakyRelu, Tanh or
 * Sigmoid before the output layer) of an ONNX model, or NULL (no hidden
 * layer, or not an ONNX model).  Owned by the model. */
const char *xai_model_hidden_layer_name(const xai_model *m);

/* Per-sample shape of a named tensor (any node output); returns the rank, or
 * -1 if the name is unknown. */
int xai_model_tensor_shape(const xai_model *m, const char *name,
                           int64_t dims[4]);

/* A summary of a model for display (`xai info`).  Every pointer belongs to
 * the model and stays valid until xai_model_free. */
typedef struct xai_model_info {
    const char *format;     /* "onnx", "trees", "plugin" or "callbacks" */
    const char *producer;   /* ONNX producer_name, plugin name, or "" */
    int64_t opset;          /* ONNX default-domain opset, or 0 */
    const char *input_name, *output_name; /* "" when unnamed */
    uint64_t n_params;      /* float parameters (ONNX initializers) */
    double flops_per_sample; /* forward, a multiply-add counts 2; 0 unknown */
    size_t n_nodes;         /* ONNX nodes in the file */
    size_t n_op_kinds;      /* entries of the op histogram */
    const char *const *op_names; /* n_op_kinds op types, first-use order */
    const size_t *op_counts;     /* n_op_kinds node counts */
} xai_model_info;

/* Fills *info (never fails). */
void xai_model_info_get(const xai_model *m, xai_model_info *info);

/* A copy of m whose last weighted layer (the last Gemm, MatMul or Conv with
 * constant weights) has its weights and bias re-drawn i.i.d. from a normal
 * distribution with the mean and standard deviation of the originals, from
 * the random stream (seed, 0): the randomised model of the sanity check of
 * Adebayo et al. (2018).  ONNX models only (XAI_ERR_UNSUPPORTED otherwise).
 * *out is a new model (free with xai_model_free). */
xai_status xai_model_randomize_last_layer(const xai_model *m, uint64_t seed,
                                          xai_model **out);

xai_status xai_runner_new(const xai_model *m, xai_runner **out);
void xai_runner_free(xai_runner *r);
/* The model a runner executes (borrowed). */
const xai_model *xai_runner_model(const xai_runner *r);

/* y (n x outputs) = f(x). */
xai_status xai_runner_forward(xai_runner *r, xai_output_kind kind,
                              const float *x, size_t n, float *y);

/* Vector-Jacobian product: dx (n x inputs) = J(x)^T dy for each row, where dy
 * is n x outputs.  y (n x outputs) receives f(x) when not NULL. */
xai_status xai_runner_vjp(xai_runner *r, xai_output_kind kind, const float *x,
                          size_t n, const float *dy, float *dx, float *y);

/* Gradient of output target[i] of row i with respect to row i's input:
 * grad is n x inputs; y (n x outputs) receives f(x) when not NULL. */
xai_status xai_runner_grad(xai_runner *r, xai_output_kind kind, const float *x,
                           size_t n, const int32_t *target, float *grad,
                           float *y);

/* Layer tap: the activation of tensor `name` (n x its per-sample size) and the
 * gradient of output target[i] with respect to it, in one pass.  Either of
 * act / grad_act may be NULL. */
xai_status xai_runner_tap(xai_runner *r, xai_output_kind kind, const char *name,
                          const float *x, size_t n, const int32_t *target,
                          float *act, float *grad_act, float *y);

#ifdef __cplusplus
}
#endif
#endif
