/* core/model_impl.h: the backend interface behind xai_model.
 *
 * A backend (ONNX graph, plugin, C callbacks) supplies a table of functions;
 * core/model.c owns the generic parts: argument checks, gradients of chosen
 * outputs, and the finite-difference fallback when a backend has no VJP. */
#ifndef XAI_CORE_MODEL_IMPL_H
#define XAI_CORE_MODEL_IMPL_H

#include <xai/model.h>

typedef struct xai_backend_ops {
    const char *name;                 /* "onnx", "plugin", "callbacks" */
    void (*free)(void *impl);
    xai_status (*runner_new)(const void *impl, void **state);
    void (*runner_free)(void *state);
    /* y = f(x) for n rows. */
    xai_status (*forward)(void *state, xai_output_kind kind, const float *x,
                          size_t n, float *y);
    /* dx = J^T dy; y may be NULL.  NULL => central finite differences. */
    xai_status (*vjp)(void *state, xai_output_kind kind, const float *x,
                      size_t n, const float *dy, float *dx, float *y);
    /* Layer tap (see xai_runner_tap); NULL => XAI_ERR_UNSUPPORTED. */
    xai_status (*tap)(void *state, xai_output_kind kind, const char *name,
                      const float *x, size_t n, const int32_t *target,
                      float *act, float *grad_act, float *y);
    /* Per-sample shape of a named tensor, rank or -1; NULL => none known. */
    int (*tensor_shape)(const void *impl, const char *name, int64_t dims[4]);
    /* Fills the backend's part of xai_model_info; NULL => nothing more. */
    void (*describe)(const void *impl, xai_model_info *info);
    /* A new model whose last weighted layer is re-drawn (see
     * xai_model_randomize_last_layer); NULL => unsupported. */
    xai_status (*randomized_copy)(const void *impl, uint64_t seed,
                                  xai_model **out);
} xai_backend_ops;

typedef struct xai_model_desc {
    size_t n_inputs, n_outputs;
    int64_t input_dims[4]; /* per-sample shape; rank 0 => {n_inputs} */
    int input_rank;
    int outputs_probabilities;
    const char *const *conv_layers; /* copied */
    size_t n_conv_layers;
    const char *hidden_layer; /* last hidden activation, or NULL (copied) */
    uint64_t row_bytes; /* planned working bytes per row; 0 unknown */
    int piecewise_constant; /* see xai_model_piecewise_constant */
    int accepts_missing;    /* see xai_model_accepts_missing */
} xai_model_desc;

/* Wraps a backend into a model.  On success the model owns impl (freed with
 * ops->free); on failure impl is freed too. */
xai_status xai_model_wrap(const xai_backend_ops *ops, void *impl,
                          const xai_model_desc *desc, xai_model **out);

/* The backend's impl pointer of a model (for backends building copies). */
void *xai_model_backend_impl(const xai_model *m);

/* The backend table of a model (a backend recognises its own models). */
const xai_backend_ops *xai_model_backend_ops(const xai_model *m);

/* Sets the batch memory bound of m (0: XAI_DEFAULT_MAX_MEMORY). */
void xai_model_set_max_memory(xai_model *m, uint64_t max_bytes);

/* Provided by the ONNX backend and the plugin loader respectively. */
xai_status xai_onnx_model_load(const char *path, xai_model **out);
xai_status xai_plugin_model_load(const char *path, xai_model **out);
/* An XGBoost JSON model (core/xgb_json.c). */
xai_status xai_xgb_json_load(const char *path, xai_model **out);

#endif
