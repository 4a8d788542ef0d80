/* cli/audit_recourse.h: `xai audit --counterfactuals "OPTIONS"`: runs the
 * counterfactual methods on the audited rows (OPTIONS are those of
 * `xai counterfactual`: --train is required) and fills the report's
 * "Recourse robustness" section. */
#ifndef XAI_CLI_AUDIT_RECOURSE_H
#define XAI_CLI_AUDIT_RECOURSE_H

#include <xai/xai.h>

#include "data_args.h"
#include "reports/audit_report.h"

/* Checks the options string before any work; returns a CLI code. */
int audit_recourse_check(const char *spec);

/* Returns a CLI code; on success *out is the section (free with
 * audit_recourse_free). */
int audit_recourse_build(const char *spec, const char *model, const data_args *d,
                         const char *rows, uint64_t seed, int threads,
                         xai_report_recourse **out);
void audit_recourse_free(xai_report_recourse *rr);

#endif
