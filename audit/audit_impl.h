/* audit/audit_impl.h: helpers shared by the audit metrics. */
#ifndef XAI_AUDIT_IMPL_H
#define XAI_AUDIT_IMPL_H

#include <xai/audit.h>

/* Random-stream tags: metric M uses the stream (seed ^ TAG, instance). */
enum {
    AUDIT_TAG_PGI = 0x50474931u,
    AUDIT_TAG_INFD = 0x494e4644u,
    AUDIT_TAG_SENS = 0x53454e53u,
    AUDIT_TAG_LOSS = 0x4c4f5353u,
    AUDIT_TAG_MASK = 0x4d41534bu
};

/* Per-row work: row i of the call, with this thread's runner. */
typedef xai_status (*audit_row_fn)(void *ctx, xai_runner *r, size_t row);

/* Runs fn for rows 0..n_rows-1 over OpenMP threads, one runner per thread.
 * On failure returns the status and message of the lowest failing row. */
xai_status audit_for_rows(const xai_model *m, size_t n_rows, int n_threads,
                          audit_row_fn fn, void *ctx);

/* Checks the fields of s shared by every metric and that x (n_rows x D) and
 * phi (may be NULL) are finite. */
xai_status audit_check(const xai_audit_setup *s, const float *x, size_t n_rows,
                       const float *phi, const char *metric);

/* The explained output of row `row` (x its input): index into *t and
 * f_t(x) into *fx. */
xai_status audit_row_target(const xai_audit_setup *s, xai_runner *r,
                            const float *x, size_t row, int32_t *t, double *fx);

/* Noise scale of feature j: stats std, 1 without stats or for a zero std. */
double audit_scale(const xai_audit_setup *s, size_t j);

/* Evaluates output t of f on n rows of x into y (n doubles), using buf
 * (n x outputs floats) as scratch. */
xai_status audit_eval(const xai_audit_setup *s, xai_runner *r, const float *x,
                      size_t n, int32_t t, float *buf, double *y);

/* order[0..n) = indices sorted by key descending (ties: lower index first). */
void audit_order_desc(const double *key, size_t n, uint32_t *order);

/* Prefixes the current error message: "PREFIX: message"; returns st. */
xai_status audit_wrap(xai_status st, const char *prefix);

/* malloc of a * b bytes with an overflow check; NULL + xai_fail on error. */
void *audit_alloc(size_t a, size_t b, const char *what);

#endif
