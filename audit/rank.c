/* audit/rank.c: cells (mean, se, 95% interval) and ranks among methods:
 * rank_j = 1 + #{k : k better than j with 95% paired confidence}. */
#include <math.h>

#include "audit_impl.h"
#include "rank.h"

void audit_rank(const double *v, size_t n_methods, size_t n, int higher,
                xai_audit_cell *cells, size_t stride)
{
    for (size_t j = 0; j < n_methods; j++) {
        xai_audit_stat s = xai_audit_stat_of(v + j * n, n);
        xai_audit_cell *c = &cells[j * stride];
        c->mean = s.mean;
        c->se = s.se;
        c->count = s.count;
        c->ci95 = s.count > 1 ? xai_audit_t95(s.count - 1) * s.se : NAN;
        c->rank = 0;
    }
    for (size_t j = 0; j < n_methods; j++) {
        xai_audit_cell *c = &cells[j * stride];
        if (!c->count)
            continue;
        int better = 0;
        for (size_t k = 0; k < n_methods; k++) {
            if (k == j || !cells[k * stride].count)
                continue;
            int d = xai_audit_paired(v + k * n, v + j * n, n, NULL);
            better += higher ? d > 0 : d < 0;
        }
        c->rank = 1 + better;
    }
}
