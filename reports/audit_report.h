/* reports/audit_report.h: the PDF audit report (internal to libxai; the CLI
 * `xai audit --out FILE.pdf` calls it).
 *
 *     xai_report_input in = xai_report_input_default();
 *     in.audit = result;  in.data = ds;  in.model = m;
 *     in.model_path = "model.onnx";  in.data_path = "test.csv";
 *     in.command_line = "xai audit ...";
 *     if (xai_report_write_audit(&in, "report.pdf") != XAI_OK)
 *         fprintf(stderr, "%s\n", xai_last_error());
 *
 * The report explains in plain words what the audit found: a summary with
 * the model's quality, the recommended method and the main risks; the
 * methods x neighbourhoods loss table; per-metric rankings and PGI/PGU
 * curves; global importance and how much the methods agree; the first few
 * explained rows; limitations; a reproducibility appendix.  It is written
 * through xai_pdf_save: a temporary file renamed into place, so a failure
 * leaves neither a report nor a temporary file. */
#ifndef XAI_REPORTS_AUDIT_REPORT_H
#define XAI_REPORTS_AUDIT_REPORT_H

#include <xai/audit.h>
#include <xai/data.h>
#include <xai/model.h>

/* The "Recourse robustness" section (xai audit --counterfactuals): one row
 * per counterfactual method and the first recourses in plain words. */
typedef struct xai_report_recourse_method {
    const char *name;
    size_t searched, found;
    double validity_mean, validity_min; /* over alternative models; NaN: none */
    double cost_l1, cost_l2, changed, stability, lof; /* means over found rows */
    size_t n_points;        /* found rows for the chart: */
    const double *cost_l2s, *validity; /* their L2 cost and validity share */
} xai_report_recourse_method;

typedef struct xai_report_recourse {
    size_t n_methods;
    const xai_report_recourse_method *methods;
    size_t n_rows, already_accepted, n_alt;
    double sigma, tau;
    size_t n_examples;
    const char *const *examples; /* "row 3 (trex): duration-months 30 -> 22" */
} xai_report_recourse;

typedef struct xai_report_input {
    const xai_audit_result *audit; /* required */
    /* required: the audited rows are data rows audit->first_instance ..
     * + n_rows - 1; names, groups, labels and image shape come from it */
    const xai_dataset *data;
    const xai_model *model;        /* required: model info and f(x) */
    const char *model_path, *data_path; /* as given by the user; required */
    /* 64 hex digits each; NULL: computed from the paths */
    const char *model_sha256, *data_sha256;
    const char *command_line;      /* the exact command; NULL: "(library call)" */
    uint64_t seed;
    int n_threads;                 /* threads used (reported only) */
    int n_ranks;                   /* MPI ranks (reported when above 1) */
    double run_seconds;            /* wall time of the audit; < 0: unknown */
    int64_t date;                  /* seconds since 1970 UTC; < 0: now */
    size_t max_instances;          /* explained rows shown one by one; 0: 5 */
    size_t deletion_steps;         /* images: curve steps as audited; 0: 32 */
    const char *font_dir;          /* NULL: Debian's DejaVu fonts */
    /* `xai audit --backdoor`: the scan's sections go before the limitations
     * (reports/backdoor_report.h); NULL: none */
    const struct xai_backdoor_report_input *backdoor;
    const xai_report_recourse *recourse; /* NULL: no recourse section */
} xai_report_input;

/* Everything NULL / 0, date and run time -1. */
xai_report_input xai_report_input_default(void);

/* Builds the report and writes it to path (atomically).  Errors name the
 * step that failed; the file system is left as it was. */
xai_status xai_report_write_audit(const xai_report_input *in, const char *path);

/* The same into an open output file, not committed (the CLI commits the
 * report and the JSON together: both or neither). */
xai_status xai_report_write_audit_to(const xai_report_input *in, xai_outfile *out);

#endif
