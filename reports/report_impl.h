/* reports/report_impl.h: state shared by the audit report's section files
 * (report_*.c).  Not for use outside reports/. */
#ifndef XAI_REPORTS_REPORT_IMPL_H
#define XAI_REPORTS_REPORT_IMPL_H

#include <stdarg.h>

#include "audit_report.h"
#include "pdf.h"

/* A growable NUL-terminated string. */
typedef struct rp_buf {
    char *s;
    size_t len, cap;
    int failed; /* an allocation failed: the text is truncated */
} rp_buf;

void rp_printf(rp_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rp_clear(rp_buf *b);
void rp_buf_free(rp_buf *b);

/* What every section reads. */
typedef struct rp_ctx {
    const xai_report_input *in;
    const xai_audit_result *r;
    xai_pdf *doc;
    const float *x;          /* n_rows x D audited rows */
    const float *labels;     /* n_rows labels, or NULL */
    size_t M, N, D, Z;       /* methods, rows, features, neighbourhoods */
    size_t G;                /* interpretable features (groups) */
    const uint32_t *group;   /* D: feature -> group (identity when no groups) */
    const char **group_name; /* G names */
    int image;
    uint32_t c, h, w;
    double *global;          /* M x G: mean over rows of |sum of phi over group| */
    double *agree;           /* M x M: Spearman of the global importances */
    double *fx;              /* N: the explained output f_target(x) */
    size_t n_classes;        /* model outputs */
    int probabilities;       /* outputs are probabilities */
    char model_sha[65], data_sha[65];
    rp_buf t;                /* scratch text */
} rp_ctx;

/* Compact number ("%.3g"-like). */
const char *rp_num(double v, char buf[32]);

/* Per-row importance of group g: sum of phi over its features. */
void rp_group_phi(const rp_ctx *c, const float *phi_row, double *out);

/* The explained output in words, e.g. "P(class 1)" or "score of class 3". */
void rp_output_name(const rp_ctx *c, int32_t target, char *buf, size_t len);

/* What a neighbourhood means, in one sentence. */
void rp_nbhd_meaning(const xai_audit_nbhd *z, char *buf, size_t len);

/* Mean pairwise agreement and the least agreeing pair (NaN if < 2 methods). */
double rp_mean_agreement(const rp_ctx *c, size_t *worst_a, size_t *worst_b);

/* Soft colour for rank r of n (1 best: green, worst: red); r <= 0: none. */
xai_pdf_rgb rp_rank_color(int rank, size_t n);

/* The PGI/PGU and infidelity settings in one paragraph (appended to b). */
void rp_metric_settings(const rp_ctx *c, rp_buf *b);

/* Sections, in report order. */
xai_status rp_section_summary(rp_ctx *c);
xai_status rp_section_loss_table(rp_ctx *c);
xai_status rp_section_rankings(rp_ctx *c);
xai_status rp_section_global(rp_ctx *c);
xai_status rp_section_agreement(rp_ctx *c);
xai_status rp_section_groups(rp_ctx *c);
xai_status rp_section_instances(rp_ctx *c);
xai_status rp_section_limitations(rp_ctx *c);
xai_status rp_section_recourse(rp_ctx *c); /* report_recourse.c; no-op without */
xai_status rp_section_appendix(rp_ctx *c);

/* Library versions as "name version" lines (appendix). */
void rp_library_versions(rp_buf *b);

/* Writes paragraphs / tables with the scratch text; propagates a failed
 * allocation as XAI_ERR_NOMEM. */
xai_status rp_paragraph(rp_ctx *c);

#endif
