/* audit/explain_fn.c: xai_explain_rows as an xai_attribution_fn. */
#include "audit_impl.h"
#include "core/error.h"

xai_status xai_audit_explain_fn(void *user, const xai_model *m, const float *x,
                                size_t n, uint64_t first_instance, float *phi)
{
    const xai_audit_explainer *e = user;
    if (!e || !e->options || !e->ctx)
        return xai_fail(XAI_ERR_INVALID, "audit explainer: options and context "
                        "are required");
    return xai_explain_rows(m, e->options, e->ctx, x, n, first_instance, phi,
                            NULL, e->n_threads);
}
