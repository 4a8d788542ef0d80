/* audit/agreement.c: agreement between two explanations of one row
 * (Krishna et al. 2022, "The Disagreement Problem in Explainable Machine
 * Learning"): feature, rank, sign and signed-rank agreement on the top-k
 * features by |phi|, rank correlation, pairwise rank agreement. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audit_impl.h"
#include "core/error.h"

static const char *const names[XAI_AGREE_COUNT] = {
    "feature", "rank", "sign", "signed_rank", "rank_correlation", "pairwise_rank"};

const char *xai_audit_agreement_name(xai_audit_agreement k)
{
    return (unsigned)k < XAI_AGREE_COUNT ? names[k] : NULL;
}

static int sgn(double v) { return (v > 0) - (v < 0); }

/* order[] by |v| descending, ties: lower index first. */
static void order_abs(const float *v, size_t D, double *key, uint32_t *order)
{
    for (size_t j = 0; j < D; j++)
        key[j] = fabs((double)v[j]);
    audit_order_desc(key, D, order);
}

xai_status xai_audit_agreement_row(const float *a, const float *b, size_t D, size_t k,
                                   double out[XAI_AGREE_COUNT])
{
    if (!a || !b || !out || D == 0 || k == 0)
        return xai_fail(XAI_ERR_INVALID, "agreement: two explanations, at least one "
                        "feature and k >= 1 are required");
    if (k > D)
        k = D; /* the top-k of D < k features is every feature */
    double *ka = audit_alloc(2 * D, sizeof *ka, "agreement");
    uint32_t *oa = audit_alloc(2 * D, sizeof *oa, "agreement");
    uint8_t *in = audit_alloc(D, 2, "agreement");
    float *ma = audit_alloc(2 * D, sizeof *ma, "agreement");
    if (!ka || !oa || !in || !ma) {
        free(ka), free(oa), free(in), free(ma);
        return XAI_ERR_NOMEM;
    }
    double *kb = ka + D;
    uint32_t *ob = oa + D;
    order_abs(a, D, ka, oa);
    order_abs(b, D, kb, ob);
    uint8_t *ina = in, *inb = in + D;
    memset(in, 0, 2 * D);
    for (size_t q = 0; q < k; q++)
        ina[oa[q]] = 1, inb[ob[q]] = 1;
    size_t fa = 0, sa = 0, ra = 0, sra = 0;
    for (size_t j = 0; j < D; j++)
        if (ina[j] && inb[j]) {
            fa++;
            sa += sgn(a[j]) == sgn(b[j]);
        }
    for (size_t q = 0; q < k; q++)
        if (oa[q] == ob[q]) {
            ra++;
            sra += sgn(a[oa[q]]) == sgn(b[oa[q]]);
        }
    out[XAI_AGREE_FEATURE] = (double)fa / (double)k;
    out[XAI_AGREE_SIGN] = (double)sa / (double)k;
    out[XAI_AGREE_RANK] = (double)ra / (double)k;
    out[XAI_AGREE_SIGNED_RANK] = (double)sra / (double)k;
    /* Spearman of |phi| over every feature (average ranks for ties) */
    float *mb = ma + D;
    for (size_t j = 0; j < D; j++)
        ma[j] = fabsf(a[j]), mb[j] = fabsf(b[j]);
    out[XAI_AGREE_RANK_CORR] = xai_audit_spearman(ma, mb, D);
    /* pairs of F = top-k(a) u top-k(b) ordered alike by |phi| (a tie agrees
     * only with a tie) */
    size_t pairs = 0, same = 0;
    for (size_t i = 0; i < D; i++)
        for (size_t j = i + 1; j < D; j++) {
            if (!(ina[i] || inb[i]) || !(ina[j] || inb[j]))
                continue;
            pairs++;
            same += sgn(ka[i] - ka[j]) == sgn(kb[i] - kb[j]);
        }
    out[XAI_AGREE_PAIRWISE] = pairs ? (double)same / (double)pairs : NAN;
    free(ka), free(oa), free(in), free(ma);
    return XAI_OK;
}
