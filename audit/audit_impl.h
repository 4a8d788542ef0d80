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
    AUDIT_TAG_MASK = 0x4d41534bu,
    AUDIT_TAG_STAB = 0x53544142u,
    AUDIT_TAG_GROUP = 0x47525053u
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

/* Noise scale of feature j: stats std, 1 without stats or for a zero std. */
double audit_scale(const xai_audit_setup *s, size_t j);

/* One model call for row `row`: f on the n rows of pts, pts[ix] being the
 * row's own input x.  The explained output t (the given target, else the
 * argmax of f(x)) into *t, f_t(x) into *fx, f_t of every row into y (n
 * doubles); buf (n x outputs floats) is scratch. */
xai_status audit_eval_row(const xai_audit_setup *s, xai_runner *r, size_t row,
                          const float *pts, size_t n, size_t ix, float *buf,
                          int32_t *t, double *fx, double *y);

/* order[0..n) = indices sorted by key descending (ties: lower index first). */
void audit_order_desc(const double *key, size_t n, uint32_t *order);

/* Fills r->agree_k, agree_units, agreement (and gt_agreement when
 * ground_truth, D values, is given) from every method's phi (M x n x D). */
xai_status audit_agreement_all(xai_audit_result *r, const float *phi,
                               const xai_explain_context *ctx, size_t k,
                               const float *ground_truth);

/* Frees an xai_audit_groups (NULL accepted). */
void audit_groups_free(xai_audit_groups *g);
/* The model's predicted class (arg-max, or p >= 0.5 for one probability
 * output) into pred and P(class 1) (the one output, or output 1) into p1,
 * for the n rows of x; either may be NULL. */
xai_status audit_predict(const xai_model *m, const float *x, size_t n, int n_threads,
                         int32_t *pred, double *p1);

/* Prefixes the current error message: "PREFIX: message"; returns st. */
xai_status audit_wrap(xai_status st, const char *prefix);

/* malloc of a * b bytes with an overflow check; NULL + xai_fail on error. */
void *audit_alloc(size_t a, size_t b, const char *what);

#endif
