/* core/graph_exec.h: batched execution of a loaded graph: forward, reverse
 * mode (VJP) and layer taps.  A runner owns buffers planned for a batch size
 * (grown when a larger batch comes, reused otherwise); one runner per thread. */
#ifndef XAI_CORE_GRAPH_EXEC_H
#define XAI_CORE_GRAPH_EXEC_H

#include <xai/model.h>

#include "graph.h"

typedef struct g_runner g_runner;

xai_status g_runner_new(const graph *g, g_runner **out);
void g_runner_free(g_runner *r);

/* y (n x outputs of kind) = f(x). */
xai_status g_forward(g_runner *r, xai_output_kind kind, const float *x,
                     size_t n, float *y);

/* dx = J^T dy per row; y (may be NULL) receives f(x). */
xai_status g_vjp(g_runner *r, xai_output_kind kind, const float *x, size_t n,
                 const float *dy, float *dx, float *y);

/* Activation of tensor `name` and d output[target[i]] / d that tensor. */
xai_status g_tap(g_runner *r, xai_output_kind kind, const char *name,
                 const float *x, size_t n, const int32_t *target, float *act,
                 float *grad_act, float *y);

#endif
