/* core/model.c: the generic model handle, runners, target gradients and the
 * central finite-difference VJP for backends without reverse mode. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "model_impl.h"

struct xai_model {
    const xai_backend_ops *ops;
    void *impl;
    size_t n_in, n_out;
    int64_t in_dims[4];
    int in_rank;
    int probs;
    char **conv;
    size_t n_conv;
    char *hidden; /* last hidden activation tensor, or NULL */
    uint64_t row_bytes, max_bytes; /* planned per row; batch bound */
    int piecewise_constant, accepts_missing;
};

struct xai_runner {
    const xai_model *m;
    void *state;
    float *scratch; /* finite differences */
    size_t scratch_len;
};

xai_status xai_model_wrap(const xai_backend_ops *ops, void *impl,
                          const xai_model_desc *d, xai_model **out)
{
    *out = NULL;
    xai_model *m = calloc(1, sizeof *m);
    if (!m) {
        ops->free(impl);
        return xai_fail(XAI_ERR_NOMEM, "out of memory creating a model");
    }
    m->ops = ops;
    m->impl = impl;
    m->n_in = d->n_inputs;
    m->n_out = d->n_outputs;
    m->probs = d->outputs_probabilities;
    m->row_bytes = d->row_bytes;
    m->piecewise_constant = d->piecewise_constant;
    m->accepts_missing = d->accepts_missing;
    m->max_bytes = XAI_DEFAULT_MAX_MEMORY;
    if (d->input_rank > 0 && d->input_rank <= 4) {
        m->in_rank = d->input_rank;
        memcpy(m->in_dims, d->input_dims, sizeof m->in_dims);
    } else {
        m->in_rank = 1;
        m->in_dims[0] = (int64_t)d->n_inputs;
    }
    if (d->hidden_layer && !(m->hidden = strdup(d->hidden_layer))) {
        xai_model_free(m);
        return xai_fail(XAI_ERR_NOMEM, "out of memory creating a model");
    }
    if (d->n_conv_layers) {
        m->conv = calloc(d->n_conv_layers, sizeof *m->conv);
        if (!m->conv) {
            xai_model_free(m);
            return xai_fail(XAI_ERR_NOMEM, "out of memory creating a model");
        }
        m->n_conv = d->n_conv_layers;
        for (size_t i = 0; i < d->n_conv_layers; i++)
            if (!(m->conv[i] = strdup(d->conv_layers[i]))) {
                xai_model_free(m);
                return xai_fail(XAI_ERR_NOMEM, "out of memory creating a model");
            }
    }
    *out = m;
    return XAI_OK;
}

void xai_model_free(xai_model *m)
{
    if (!m)
        return;
    if (m->ops && m->ops->free)
        m->ops->free(m->impl);
    for (size_t i = 0; i < m->n_conv; i++)
        free(m->conv[i]);
    free(m->conv);
    free(m->hidden);
    free(m);
}

void *xai_model_backend_impl(const xai_model *m) { return m->impl; }
const xai_backend_ops *xai_model_backend_ops(const xai_model *m) { return m->ops; }
int xai_model_piecewise_constant(const xai_model *m) { return m->piecewise_constant; }
int xai_model_accepts_missing(const xai_model *m) { return m->accepts_missing; }
size_t xai_model_input_size(const xai_model *m) { return m->n_in; }
size_t xai_model_output_size(const xai_model *m) { return m->n_out; }
int xai_model_outputs_probabilities(const xai_model *m) { return m->probs; }
int xai_model_has_gradient(const xai_model *m) { return m->ops->vjp != NULL; }
size_t xai_model_conv_layer_count(const xai_model *m) { return m->n_conv; }
const char *xai_model_hidden_layer_name(const xai_model *m) { return m->hidden; }

int xai_model_input_shape(const xai_model *m, int64_t dims[4])
{
    memcpy(dims, m->in_dims, sizeof m->in_dims);
    return m->in_rank;
}

const char *xai_model_conv_layer_name(const xai_model *m, size_t i)
{
    return i < m->n_conv ? m->conv[i] : NULL;
}

int xai_model_tensor_shape(const xai_model *m, const char *name, int64_t dims[4])
{
    if (!m->ops->tensor_shape)
        return -1;
    return m->ops->tensor_shape(m->impl, name, dims);
}

xai_status xai_model_randomize_last_layer(const xai_model *m, uint64_t seed,
                                          xai_model **out)
{
    *out = NULL;
    if (!m->ops->randomized_copy)
        return xai_fail(XAI_ERR_UNSUPPORTED,
                        "re-drawing the last layer needs an ONNX model (this is a %s model)",
                        m->ops->name);
    return m->ops->randomized_copy(m->impl, seed, out);
}

void xai_model_info_get(const xai_model *m, xai_model_info *info)
{
    memset(info, 0, sizeof *info);
    info->format = m->ops->name;
    info->producer = info->input_name = info->output_name = "";
    if (m->ops->describe)
        m->ops->describe(m->impl, info);
}

/* ---- callbacks backend ---- */

typedef struct callbacks_impl {
    xai_predict_fn predict;
    xai_vjp_fn vjp;
    void *user;
} callbacks_impl;

static void cb_free(void *impl) { free(impl); }
static xai_status cb_runner_new(const void *impl, void **state)
{
    *state = (void *)impl;
    return XAI_OK;
}
static void cb_runner_free(void *state) { (void)state; }

static xai_status cb_forward(void *state, xai_output_kind kind, const float *x,
                             size_t n, float *y)
{
    (void)kind;
    callbacks_impl *c = state;
    if (c->predict(c->user, x, n, y) != 0)
        return xai_fail(XAI_ERR_INVALID, "model callback: predict failed");
    return XAI_OK;
}

static xai_status cb_vjp(void *state, xai_output_kind kind, const float *x,
                         size_t n, const float *dy, float *dx, float *y)
{
    callbacks_impl *c = state;
    if (y)
        XAI_TRY(cb_forward(state, kind, x, n, y));
    if (c->vjp(c->user, x, n, dy, dx) != 0)
        return xai_fail(XAI_ERR_INVALID, "model callback: vjp failed");
    return XAI_OK;
}

static const xai_backend_ops callbacks_ops = {
    .name = "callbacks", .free = cb_free, .runner_new = cb_runner_new,
    .runner_free = cb_runner_free, .forward = cb_forward, .vjp = cb_vjp};
static const xai_backend_ops callbacks_fd_ops = {
    .name = "callbacks", .free = cb_free, .runner_new = cb_runner_new,
    .runner_free = cb_runner_free, .forward = cb_forward};

xai_status xai_model_from_callbacks(size_t n_inputs, size_t n_outputs,
                                    int outputs_probabilities,
                                    xai_predict_fn predict, xai_vjp_fn vjp,
                                    void *user, xai_model **out)
{
    *out = NULL;
    if (!predict || n_inputs == 0 || n_outputs == 0)
        return xai_fail(XAI_ERR_INVALID,
                        "model callbacks: need predict and nonzero sizes");
    callbacks_impl *c = malloc(sizeof *c);
    if (!c)
        return xai_fail(XAI_ERR_NOMEM, "out of memory creating a model");
    *c = (callbacks_impl){predict, vjp, user};
    xai_model_desc d = {.n_inputs = n_inputs,
                        .n_outputs = n_outputs,
                        .outputs_probabilities = outputs_probabilities};
    return xai_model_wrap(vjp ? &callbacks_ops : &callbacks_fd_ops, c, &d, out);
}

/* ---- runners ---- */

xai_status xai_runner_new(const xai_model *m, xai_runner **out)
{
    *out = NULL;
    xai_runner *r = calloc(1, sizeof *r);
    if (!r)
        return xai_fail(XAI_ERR_NOMEM, "out of memory creating a runner");
    r->m = m;
    xai_status s = m->ops->runner_new(m->impl, &r->state);
    if (s != XAI_OK) {
        free(r);
        return s;
    }
    *out = r;
    return XAI_OK;
}

void xai_runner_free(xai_runner *r)
{
    if (!r)
        return;
    if (r->m->ops->runner_free)
        r->m->ops->runner_free(r->state);
    free(r->scratch);
    free(r);
}

const xai_model *xai_runner_model(const xai_runner *r) { return r->m; }

void xai_model_set_max_memory(xai_model *m, uint64_t max_bytes)
{
    m->max_bytes = max_bytes ? max_bytes : XAI_DEFAULT_MAX_MEMORY;
}

uint64_t xai_model_row_memory(const xai_model *m) { return m ? m->row_bytes : 0; }

/* Rows per backend call so that rows x planned bytes per row stays within
 * the model's memory bound (at least 1: a row alone was checked at load). */
static size_t batch_rows(const xai_model *m, size_t n)
{
    if (!m->row_bytes || n <= 1)
        return n ? n : 1;
    uint64_t k = m->max_bytes / m->row_bytes;
    return k < 1 ? 1 : k < n ? (size_t)k : n;
}

xai_status xai_runner_forward(xai_runner *r, xai_output_kind kind,
                              const float *x, size_t n, float *y)
{
    size_t b = batch_rows(r->m, n), D = r->m->n_in, K = r->m->n_out;
    for (size_t i = 0; i < n; i += b)
        XAI_TRY(r->m->ops->forward(r->state, kind, x + i * D, n - i < b ? n - i : b,
                                   y + i * K));
    return XAI_OK;
}

/* Central differences, one row at a time but with all 2*D perturbations of a
 * row evaluated as one batch: dx_j = sum_k dy_k (f_k(x+h e_j) - f_k(x-h e_j))
 * / (2h), h = 1e-3 * max(1, |x_j|).  Accuracy is that of float32 models:
 * about 1e-4 relative on smooth models. */
static xai_status fd_vjp(xai_runner *r, xai_output_kind kind, const float *x,
                         size_t n, const float *dy, float *dx, float *y)
{
    size_t D = r->m->n_in, K = r->m->n_out, len_x, len_y;
    if (!xai_mul3_size(2, D, D, &len_x) || !xai_mul3_size(2, D, K, &len_y) ||
        len_x + len_y < len_x)
        return xai_fail(XAI_ERR_NOMEM, "finite differences: %zu inputs too many", D);
    XAI_TRY(xai_floats_reserve(&r->scratch, &r->scratch_len, len_x + len_y));
    float *xs = r->scratch, *ys = r->scratch + len_x;
    for (size_t i = 0; i < n; i++) {
        const float *xi = x + i * D;
        for (size_t j = 0; j < D; j++) {
            float h = 1e-3f * fmaxf(1.0f, fabsf(xi[j]));
            memcpy(xs + (2 * j) * D, xi, D * sizeof *xs);
            memcpy(xs + (2 * j + 1) * D, xi, D * sizeof *xs);
            xs[(2 * j) * D + j] = xi[j] + h;
            xs[(2 * j + 1) * D + j] = xi[j] - h;
        }
        XAI_TRY(r->m->ops->forward(r->state, kind, xs, 2 * D, ys));
        for (size_t j = 0; j < D; j++) {
            /* the step actually taken, after float rounding */
            double h2 = (double)xs[(2 * j) * D + j] - (double)xs[(2 * j + 1) * D + j];
            double acc = 0;
            for (size_t k = 0; k < K; k++)
                acc += (double)dy[i * K + k] *
                       ((double)ys[(2 * j) * K + k] - (double)ys[(2 * j + 1) * K + k]);
            dx[i * D + j] = (float)(acc / h2);
        }
    }
    if (y)
        XAI_TRY(r->m->ops->forward(r->state, kind, x, n, y));
    return XAI_OK;
}

xai_status xai_runner_vjp(xai_runner *r, xai_output_kind kind, const float *x,
                          size_t n, const float *dy, float *dx, float *y)
{
    if (n == 0)
        return XAI_OK;
    if (!r->m->ops->vjp)
        return fd_vjp(r, kind, x, n, dy, dx, y);
    size_t b = batch_rows(r->m, n), D = r->m->n_in, K = r->m->n_out;
    for (size_t i = 0; i < n; i += b)
        XAI_TRY(r->m->ops->vjp(r->state, kind, x + i * D, n - i < b ? n - i : b,
                               dy + i * K, dx + i * D, y ? y + i * K : NULL));
    return XAI_OK;
}

xai_status xai_runner_grad(xai_runner *r, xai_output_kind kind, const float *x,
                           size_t n, const int32_t *target, float *grad, float *y)
{
    size_t K = r->m->n_out, len;
    if (n == 0)
        return XAI_OK;
    for (size_t i = 0; i < n; i++)
        if (target[i] < 0 || (size_t)target[i] >= K)
            return xai_fail(XAI_ERR_INVALID,
                            "target %d out of range (the model has %zu outputs)",
                            (int)target[i], K);
    if (!xai_mul_size(n, K, &len))
        return xai_fail(XAI_ERR_NOMEM, "batch of %zu rows too large", n);
    /* the one-hot dy must not share scratch with fd_vjp: own buffer */
    float *dy = calloc(len, sizeof *dy);
    if (!dy)
        return xai_fail(XAI_ERR_NOMEM, "out of memory (%zu floats)", len);
    for (size_t i = 0; i < n; i++)
        dy[i * K + (size_t)target[i]] = 1.0f;
    xai_status s = xai_runner_vjp(r, kind, x, n, dy, grad, y);
    free(dy);
    return s;
}

xai_status xai_runner_tap(xai_runner *r, xai_output_kind kind, const char *name,
                          const float *x, size_t n, const int32_t *target,
                          float *act, float *grad_act, float *y)
{
    if (!r->m->ops->tap)
        return xai_fail(XAI_ERR_UNSUPPORTED,
                        "layer taps need an ONNX model (tensor '%s')", name);
    if (n == 0)
        return XAI_OK;
    for (size_t i = 0; target && i < n; i++)
        if (target[i] < 0 || (size_t)target[i] >= r->m->n_out)
            return xai_fail(XAI_ERR_INVALID, "target %d out of range", (int)target[i]);
    size_t b = batch_rows(r->m, n), D = r->m->n_in, K = r->m->n_out, L = 1;
    int64_t d[4];
    int rank = xai_model_tensor_shape(r->m, name, d);
    if (b < n && rank < 0) /* the backend names the tensor */
        b = n;
    for (int k = 0; k < rank; k++)
        L *= (size_t)d[k];
    for (size_t i = 0; i < n; i += b)
        XAI_TRY(r->m->ops->tap(r->state, kind, name, x + i * D, n - i < b ? n - i : b,
                               target ? target + i : NULL, act ? act + i * L : NULL,
                               grad_act ? grad_act + i * L : NULL, y ? y + i * K : NULL));
    return XAI_OK;
}
