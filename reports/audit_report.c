/* reports/audit_report.c: xai_report_write_audit: checks the input, derives
 * what several sections share (f(x), global importance, agreement), then
 * lays the sections out and saves the document atomically. */
#include "report_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xai/hash.h>

#include "backdoor_report.h"
#include "core/error.h"

xai_report_input xai_report_input_default(void)
{
    xai_report_input in;
    memset(&in, 0, sizeof in);
    in.run_seconds = -1;
    in.date = -1;
    return in;
}

static xai_status check_input(const xai_report_input *in, const char *path)
{
    if (!in || !path)
        return xai_fail(XAI_ERR_INVALID, "audit report: no input or no path given");
    if (!in->audit || !in->data || !in->model || !in->model_path || !in->data_path)
        return xai_fail(XAI_ERR_INVALID, "audit report '%s': the audit result, data, "
                        "model and both paths are required", path);
    const xai_audit_result *r = in->audit;
    size_t D = xai_dataset_features(in->data), n = xai_dataset_rows(in->data);
    if (r->n_features != D || xai_model_input_size(in->model) != D)
        return xai_fail(XAI_ERR_INVALID, "audit report '%s': the audit has %zu features, "
                        "the data %zu, the model takes %zu", path, r->n_features, D,
                        xai_model_input_size(in->model));
    if (!r->n_rows || !r->n_methods || !r->n_nbhds || r->first_instance > n ||
        r->n_rows > n - r->first_instance)
        return xai_fail(XAI_ERR_INVALID, "audit report '%s': the audit covers rows %llu.."
                        "%llu but the data has %zu rows", path,
                        (unsigned long long)r->first_instance,
                        (unsigned long long)(r->first_instance + r->n_rows), n);
    if (!r->phi || !r->target)
        return xai_fail(XAI_ERR_INVALID, "audit report '%s': the audit result holds no "
                        "attributions", path);
    return XAI_OK;
}

static void ctx_free(rp_ctx *c)
{
    free(c->global), free(c->agree), free(c->fx);
    free((void *)c->group_name);
    rp_buf_free(&c->t);
}

/* f_target(x) of every audited row, in one batch. */
static xai_status explained_outputs(rp_ctx *c)
{
    size_t K = xai_model_output_size(c->in->model), n;
    if (!xai_mul_size(c->N, K, &n))
        return xai_fail(XAI_ERR_NOMEM, "audit report: too many outputs");
    float *y = malloc(n * sizeof *y);
    xai_runner *run = NULL;
    xai_status s = y ? xai_runner_new(c->in->model, &run)
                     : xai_fail(XAI_ERR_NOMEM, "audit report: out of memory");
    if (s == XAI_OK)
        s = xai_runner_forward(run, c->r->methods[0].options.output, c->x, c->N, y);
    for (size_t i = 0; s == XAI_OK && i < c->N; i++) {
        int32_t t = c->r->target[i];
        c->fx[i] = t >= 0 && (size_t)t < K ? y[i * K + (size_t)t] : NAN;
    }
    xai_runner_free(run);
    free(y);
    return s;
}

/* Global importance per method and the agreement matrix. */
static xai_status global_importance(rp_ctx *c)
{
    double *row = malloc(c->G * sizeof *row);
    float *a = malloc(c->G * sizeof *a), *b = malloc(c->G * sizeof *b);
    if (!row || !a || !b) {
        free(row), free(a), free(b);
        return xai_fail(XAI_ERR_NOMEM, "audit report: out of memory");
    }
    for (size_t m = 0; m < c->M; m++) {
        double *g = c->global + m * c->G;
        for (size_t i = 0; i < c->N; i++) {
            rp_group_phi(c, c->r->phi + (m * c->N + i) * c->D, row);
            for (size_t k = 0; k < c->G; k++)
                g[k] += fabs(row[k]) / (double)c->N;
        }
    }
    for (size_t m = 0; m < c->M; m++)
        for (size_t q = 0; q < c->M; q++) {
            for (size_t k = 0; k < c->G; k++) {
                a[k] = (float)c->global[m * c->G + k];
                b[k] = (float)c->global[q * c->G + k];
            }
            c->agree[m * c->M + q] = m == q ? 1.0 : xai_audit_spearman(a, b, c->G);
        }
    free(row), free(a), free(b);
    return XAI_OK;
}

static xai_status ctx_init(rp_ctx *c, const xai_report_input *in)
{
    const xai_audit_result *r = in->audit;
    c->in = in;
    c->r = r;
    c->M = r->n_methods, c->N = r->n_rows, c->D = r->n_features, c->Z = r->n_nbhds;
    c->x = xai_dataset_row(in->data, (size_t)r->first_instance);
    const float *lab = xai_dataset_labels(in->data);
    c->labels = lab ? lab + r->first_instance : NULL;
    c->image = xai_dataset_image_shape(in->data, &c->c, &c->h, &c->w);
    c->G = xai_dataset_group_count(in->data);
    c->group = xai_dataset_feature_groups(in->data);
    c->n_classes = xai_model_output_size(in->model);
    c->probabilities = xai_model_outputs_probabilities(in->model) &&
                       r->methods[0].options.output == XAI_OUTPUT_PROB;
    size_t mg, mm;
    if (!xai_mul_size(c->M, c->G, &mg) || !xai_mul_size(c->M, c->M, &mm))
        return xai_fail(XAI_ERR_NOMEM, "audit report: too many methods or features");
    c->group_name = calloc(c->G, sizeof *c->group_name);
    c->global = calloc(mg, sizeof *c->global);
    c->agree = calloc(mm, sizeof *c->agree);
    c->fx = calloc(c->N, sizeof *c->fx);
    if (!c->group_name || !c->global || !c->agree || !c->fx)
        return xai_fail(XAI_ERR_NOMEM, "audit report: out of memory");
    for (size_t g = 0; g < c->G; g++)
        c->group_name[g] = xai_dataset_group_name(in->data, g);
    const char *hin[2] = {in->model_sha256, in->data_sha256};
    const char *paths[2] = {in->model_path, in->data_path};
    char *hout[2] = {c->model_sha, c->data_sha};
    for (int k = 0; k < 2; k++) {
        if (hin[k] && strlen(hin[k]) == 64)
            memcpy(hout[k], hin[k], 65);
        else
            XAI_TRY(xai_sha256_file(paths[k], hout[k]));
    }
    XAI_TRY(explained_outputs(c));
    return global_importance(c);
}

static xai_status build(rp_ctx *c)
{
    XAI_TRY(rp_section_summary(c));
    XAI_TRY(rp_section_loss_table(c));
    XAI_TRY(rp_section_rankings(c));
    XAI_TRY(rp_section_global(c));
    XAI_TRY(rp_section_agreement(c));
    XAI_TRY(rp_section_groups(c));
    XAI_TRY(rp_section_instances(c));
    if (c->in->backdoor)
        XAI_TRY(xai_backdoor_report_add(c->doc, c->in->backdoor));
    XAI_TRY(rp_section_recourse(c));
    XAI_TRY(rp_section_limitations(c));
    return rp_section_appendix(c);
}

static xai_status write_audit(const xai_report_input *in, const char *path,
                              xai_outfile *out)
{
    XAI_TRY(check_input(in, path));
    rp_ctx c;
    memset(&c, 0, sizeof c);
    xai_status s = ctx_init(&c, in);
    if (s == XAI_OK) {
        const char *base = strrchr(in->model_path, '/');
        rp_printf(&c.t, "Audit of %s", base ? base + 1 : in->model_path);
        xai_pdf_options o = xai_pdf_options_default();
        o.title = c.t.s;
        o.subject = "Which explanation method to trust for this model and these data";
        o.date = in->date;
        o.font_dir = in->font_dir;
        s = c.t.failed ? xai_fail(XAI_ERR_NOMEM, "audit report: out of memory")
                       : xai_pdf_new(&o, &c.doc);
        rp_clear(&c.t);
    }
    if (s == XAI_OK)
        s = build(&c);
    if (s == XAI_OK)
        s = out ? xai_pdf_save_to(c.doc, out) : xai_pdf_save(c.doc, path);
    else {
        char msg[768];
        snprintf(msg, sizeof msg, "%s", xai_last_error());
        s = xai_fail(s, "cannot write report '%s': %s", path, msg);
    }
    xai_pdf_free(c.doc);
    ctx_free(&c);
    return s;
}

xai_status xai_report_write_audit(const xai_report_input *in, const char *path)
{
    return write_audit(in, path, NULL);
}

xai_status xai_report_write_audit_to(const xai_report_input *in, xai_outfile *out)
{
    if (!out)
        return xai_fail(XAI_ERR_INVALID, "audit report: no output file given");
    return write_audit(in, xai_outfile_path(out), out);
}
