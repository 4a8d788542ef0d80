/* reports/backdoor_report.h: the PDF backdoor report (internal to libxai;
 * `xai backdoor --out FILE.pdf` calls it).
 *
 * Sections: a summary in plain words (model, data, SHA-256s, the verdict),
 * the per-class ASR chart with the flagging threshold (smoothed and
 * unsmoothed) and the scan table, the trigger gallery (source, perturbation,
 * perturbed image per class, flagged classes first), where the
 * perturbations' energy sits, the method and its limitations, and a
 * reproducibility appendix.  Written through xai_pdf_save (temporary file
 * renamed into place). */
#ifndef XAI_REPORTS_BACKDOOR_REPORT_H
#define XAI_REPORTS_BACKDOOR_REPORT_H

#include <xai/backdoor.h>
#include <xai/data.h>

#include "pdf.h"

typedef struct xai_backdoor_report_input xai_backdoor_report_input;
struct xai_backdoor_report_input {
    const xai_backdoor_result *result;   /* required */
    const xai_backdoor_options *options; /* required: as run (value units) */
    const xai_dataset *data;             /* required: the clean images */
    const char *model_path, *data_path;  /* required */
    const char *denoiser_path;           /* NULL: none */
    /* 64 hex digits each (denoiser's may be NULL or "") */
    const char *model_sha256, *data_sha256, *denoiser_sha256;
    const char *command_line;            /* NULL: "(library call)" */
    double eps_rel, sigma_rel;           /* eps, sigma in units of the value range */
    int n_threads;                       /* reported only */
    double run_seconds;                  /* < 0: unknown */
    int64_t date;                        /* seconds since 1970 UTC; < 0: now */
    const char *font_dir;                /* NULL: Debian's DejaVu fonts */
};

xai_status xai_backdoor_report_write(const xai_backdoor_report_input *in, const char *path);

/* The same into an open output file, not committed (xai_outfile_commit_all). */
xai_status xai_backdoor_report_write_to(const xai_backdoor_report_input *in, xai_outfile *out);

/* The same sections (without the appendix) added to another report, e.g.
 * the audit report of `xai audit --backdoor`: one level-1 heading "Backdoor
 * scan (SmoothInv)", the sections below it at level 2. */
xai_status xai_backdoor_report_add(xai_pdf *doc, const xai_backdoor_report_input *in);

#endif
