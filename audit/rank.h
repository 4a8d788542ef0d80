/* audit/rank.h: ranking methods with paired confidence intervals. */
#ifndef XAI_AUDIT_RANK_H
#define XAI_AUDIT_RANK_H

#include <xai/audit.h>

/* v holds n_methods rows of n per-instance values.  Fills
 * cells[j * stride] (mean, se, ci95, count, rank) for each method j; higher
 * nonzero when larger values are better. */
void audit_rank(const double *v, size_t n_methods, size_t n, int higher,
                xai_audit_cell *cells, size_t stride);

#endif
