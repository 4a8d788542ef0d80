/* tests/support/models.h: analytic callback models for explainer tests.
 * Each model computes in double and returns floats; vjp is exact. */
#ifndef XAI_TESTS_MODELS_H
#define XAI_TESTS_MODELS_H

#include <xai/xai.h>

enum { TM_MAX_IN = 128, TM_MAX_HID = 32, TM_MAX_OUT = 4 };

typedef enum tm_kind {
    TM_LINEAR,   /* y_k = w_k . x + c_k */
    TM_LOGISTIC, /* y_0 = sigmoid(w_0 . x + c_0) */
    TM_MLP,      /* y_k = V_k . tanh(W x + a) + c_k */
    TM_ADDITIVE  /* y_0 = sum_j (w_j sin(x_j) + v_j x_j^2) + c_0 */
} tm_kind;

typedef struct tm_model {
    tm_kind kind;
    size_t d, h, k;
    double w[TM_MAX_OUT][TM_MAX_IN];   /* linear / logistic / additive w */
    double v[TM_MAX_IN];               /* additive quadratic terms */
    double W[TM_MAX_HID][TM_MAX_IN], a[TM_MAX_HID], V[TM_MAX_OUT][TM_MAX_HID];
    double c[TM_MAX_OUT];
    long calls; /* predict calls (not rows) */
} tm_model;

/* Random parameters from stream (seed, 0) of xai_rng. */
void tm_init(tm_model *t, tm_kind kind, size_t d, size_t h, size_t k, uint64_t seed);

/* f(x) in double for one row, all outputs. */
void tm_eval(const tm_model *t, const float *x, double *y);

/* Wraps t as an xai_model (exact vjp unless fd, then finite differences). */
xai_model *tm_wrap(tm_model *t, int fd);

/* Random rows x ~ N(0, 1) into out (n x d), stream (seed, 1). */
void tm_rows(size_t n, size_t d, uint64_t seed, float *out);

/* xai_explain_rows on one thread from instance 0; any error fails the test
 * with xai_last_error(). */
void tm_explain(xai_model *m, const xai_explain_options *o, const xai_explain_context *c,
                const float *x, size_t n, float *phi, xai_explain_diag *dg);

#endif
