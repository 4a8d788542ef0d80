/* audit/json.c: the audit result as JSON (schema: README "Audit metrics"),
 * written through xai_outfile (temporary file renamed into place). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xai/outfile.h>

#include "audit_impl.h"
#include "core/error.h"
#include "core/json_out.h"

static void jstr(FILE *f, const char *s) { xai_json_string(f, s); }
static void jnum(FILE *f, double v) { xai_json_number(f, v, 10); }

static void jcell(FILE *f, const xai_audit_cell *c)
{
    fputs("{\"mean\": ", f);
    jnum(f, c->mean);
    fputs(", \"se\": ", f);
    jnum(f, c->se);
    fputs(", \"ci95\": ", f);
    jnum(f, c->ci95);
    fprintf(f, ", \"n\": %zu, \"rank\": ", c->count);
    if (c->rank)
        fprintf(f, "%d}", c->rank);
    else
        fputs("null}", f);
}

static const char *baseline_name(xai_baseline_kind b)
{
    switch (b) {
    case XAI_BASELINE_MEAN: return "mean";
    case XAI_BASELINE_ZERO: return "zero";
    case XAI_BASELINE_ROW: return "row";
    case XAI_BASELINE_BACKGROUND: return "background";
    case XAI_BASELINE_TREE_PATH: return "tree-path";
    default: return "?";
    }
}

/* Methods tied with the winner of neighbourhood z (rank 1, not the winner). */
static void tied(FILE *f, const xai_audit_result *r, size_t z)
{
    int first = 1;
    fputc('[', f);
    for (size_t m = 0; m < r->n_methods; m++)
        if (m != r->best[z] && r->table[m * r->n_nbhds + z].rank == 1) {
            fputs(first ? "" : ", ", f);
            jstr(f, r->methods[m].name);
            first = 0;
        }
    fputc(']', f);
}

static void write_table(FILE *f, const xai_audit_result *r)
{
    size_t M = r->n_methods, Z = r->n_nbhds;
    fputs("  \"table\": {\n    \"neighbourhoods\": [", f);
    for (size_t z = 0; z < Z; z++) {
        fputs(z ? ", " : "", f);
        jstr(f, r->nbhd_names[z]);
    }
    fputs("],\n    \"methods\": [", f);
    for (size_t m = 0; m < M; m++) {
        fputs(m ? ", " : "", f);
        jstr(f, r->methods[m].name);
    }
    static const char *const keys[3] = {"loss", "se", "rank"};
    for (int k = 0; k < 3; k++) {
        fprintf(f, "],\n    \"%s\": [", keys[k]);
        for (size_t m = 0; m < M; m++) {
            fputs(m ? ",\n      [" : "\n      [", f);
            for (size_t z = 0; z < Z; z++) {
                const xai_audit_cell *c = &r->table[m * Z + z];
                fputs(z ? ", " : "", f);
                if (k == 0)
                    jnum(f, c->mean);
                else if (k == 1)
                    jnum(f, c->se);
                else if (c->rank)
                    fprintf(f, "%d", c->rank);
                else
                    fputs("null", f);
            }
            fputc(']', f);
        }
    }
    fputs("],\n    \"best\": [", f);
    for (size_t z = 0; z < Z; z++) {
        fputs(z ? ", " : "", f);
        jstr(f, r->methods[r->best[z]].name);
    }
    fputs("],\n    \"tied_with_best\": [", f);
    for (size_t z = 0; z < Z; z++) {
        fputs(z ? ", " : "", f);
        tied(f, r, z);
    }
    fputs("]\n  },\n", f);
}

static void write_metrics(FILE *f, const xai_audit_result *r)
{
    size_t MK = XAI_AUDIT_METRIC_COUNT;
    fputs("  \"metrics\": {", f);
    for (size_t m = 0; m < r->n_methods; m++) {
        const xai_audit_method *me = &r->methods[m];
        fputs(m ? ",\n    " : "\n    ", f);
        jstr(f, me->name);
        fputs(": {\n      \"method\": ", f);
        jstr(f, xai_method_name(me->options.method));
        for (size_t k = 0; k < MK; k++) {
            const xai_audit_cell *c = &r->metrics[m * MK + k];
            if (!c->count)
                continue;
            fprintf(f, ",\n      \"%s\": ", xai_audit_metric_name((xai_audit_metric)k));
            jcell(f, c);
        }
        for (int u = 0; u < 2; u++) {
            const double *cv = (u ? r->pgu_curve : r->pgi_curve) + m * r->pgi_k;
            fprintf(f, ",\n      \"%s_curve\": [", u ? "pgu" : "pgi");
            for (size_t k = 0; k < r->pgi_k; k++) {
                fputs(k ? ", " : "", f);
                jnum(f, cv[k]);
            }
            fputc(']', f);
        }
        fputs(",\n      \"sanity_flagged\": ", f);
        fputs(r->sanity_flag[m] < 0 ? "null" : r->sanity_flag[m] ? "true" : "false", f);
        fputs(",\n      \"explain\": {\"seconds\": ", f);
        jnum(f, r->seconds[m]);
        fprintf(f, ", \"evaluations\": %llu, \"mean_r2\": ",
                (unsigned long long)r->evaluations[m]);
        jnum(f, r->mean_r2[m]);
        fputs(", \"mean_completeness_gap\": ", f);
        jnum(f, r->mean_gap[m]);
        fprintf(f, ", \"samples\": %lld, \"sigma\": ", (long long)me->options.samples);
        jnum(f, me->options.sigma);
        fputs(", \"baseline\": ", f);
        jstr(f, baseline_name(me->options.baseline));
        fputs("}\n    }", f);
    }
    fputs("\n  },\n", f);
}

/* "agreement": one M x M matrix per measure; "ground_truth_agreement". */
static void write_agreement(FILE *f, const xai_audit_result *r)
{
    size_t M = r->n_methods;
    if (!r->agreement)
        return;
    fprintf(f, "  \"agreement\": {\"k\": %zu, \"units\": %zu", r->agree_k,
            r->agree_units);
    for (int q = 0; q < XAI_AGREE_COUNT; q++) {
        fprintf(f, ",\n    \"%s\": [", xai_audit_agreement_name((xai_audit_agreement)q));
        for (size_t a = 0; a < M; a++) {
            fputs(a ? ", [" : "[", f);
            for (size_t b = 0; b < M; b++) {
                fputs(b ? ", " : "", f);
                jnum(f, r->agreement[(q * M + a) * M + b]);
            }
            fputc(']', f);
        }
        fputc(']', f);
    }
    fputs("},\n", f);
    if (!r->gt_agreement)
        return;
    fputs("  \"ground_truth_agreement\": {", f);
    for (size_t a = 0; a < M; a++) {
        fputs(a ? ",\n    " : "\n    ", f);
        jstr(f, r->methods[a].name);
        fputs(": {", f);
        for (int q = 0; q < XAI_AGREE_COUNT; q++) {
            fprintf(f, "%s\"%s\": ", q ? ", " : "",
                    xai_audit_agreement_name((xai_audit_agreement)q));
            jnum(f, r->gt_agreement[q * M + a]);
        }
        fputc('}', f);
    }
    fputs("\n  },\n", f);
}

/* "groups": per-group values, largest gaps and their intervals. */
static void write_groups(FILE *f, const xai_audit_result *r)
{
    const xai_audit_groups *G = r->groups;
    if (!G)
        return;
    fputs("  \"groups\": {\"by\": ", f);
    jstr(f, G->column);
    fprintf(f, ", \"bootstrap\": %zu, \"seed\": %llu, \"min_rows\": %d, "
            "\"confidence\": 0.95,\n    \"groups\": [", G->bootstrap,
            (unsigned long long)G->seed, XAI_AUDIT_GROUP_MIN_ROWS);
    for (size_t g = 0; g < G->n_groups; g++) {
        fputs(g ? ", {\"name\": " : "{\"name\": ", f);
        jstr(f, G->group_names[g]);
        fprintf(f, ", \"rows\": %zu, \"compared\": %s}", G->rows[g],
                G->compared[g] ? "true" : "false");
    }
    fputs("],\n    \"quantities\": [", f);
    for (size_t q = 0; q < G->n_quantities; q++) {
        fputs(q ? ",\n      {\"name\": " : "\n      {\"name\": ", f);
        jstr(f, G->quantity[q]);
        fprintf(f, ", \"higher_is_better\": %s, \"values\": [",
                G->higher_is_better[q] ? "true" : "false");
        for (size_t g = 0; g < G->n_groups; g++) {
            fputs(g ? ", " : "", f);
            jnum(f, G->value[q * G->n_groups + g]);
        }
        fputs("], \"gap\": ", f);
        jnum(f, G->gap[q]);
        fputs(", \"between\": ", f);
        if (G->hi[q] >= 0) {
            fputc('[', f);
            jstr(f, G->group_names[G->hi[q]]);
            fputs(", ", f);
            jstr(f, G->group_names[G->lo[q]]);
            fputc(']', f);
        } else
            fputs("null", f);
        fputs(", \"ci95\": [", f);
        jnum(f, G->ci_lo[q]);
        fputs(", ", f);
        jnum(f, G->ci_hi[q]);
        fprintf(f, "], \"flagged\": %s}", G->flagged[q] ? "true" : "false");
    }
    fputs("]\n  },\n", f);
}

/* "key": number pairs, comma separated. */
static void jfields(FILE *f, const char *const *keys, const double *vals, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        fprintf(f, "%s\"%s\": ", k ? ", " : "", keys[k]);
        jnum(f, vals[k]);
    }
}

/* The binary classifier's quality (README "Audit metrics"). */
static void write_quality(FILE *f, const xai_model_quality *q)
{
    if (!q->n) {
        fputs("null", f);
        return;
    }
    static const char *const k1[] = {"auc", "auc_se", "auc_ci95_low", "auc_ci95_high",
                                      "brier", "threshold"};
    double v1[] = {q->auc, q->auc_se, q->auc_lo, q->auc_hi, q->brier, q->threshold};
    fprintf(f, "{\"rows\": %zu, \"positives\": %zu, ", q->n, q->positives);
    jfields(f, k1, v1, 6);
    fprintf(f, ",\n      \"confusion\": {\"true_positive\": %zu, \"false_positive\": %zu, "
            "\"true_negative\": %zu, \"false_negative\": %zu},\n      \"calibration\": [",
            q->tp, q->fp, q->tn, q->fn);
    static const char *const kb[] = {"p_min", "p_max", "mean_predicted", "observed"};
    for (size_t b = 0; b < q->n_bins; b++) {
        const xai_calibration_bin *c = &q->bins[b];
        double vb[] = {c->p_min, c->p_max, c->mean_predicted, c->observed};
        fprintf(f, "%s\n        {\"rows\": %zu, ", b ? "," : "", c->count);
        jfields(f, kb, vb, 4);
        fputc('}', f);
    }
    fputs("],\n      \"calibration_error\": ", f);
    jnum(f, q->calibration_error);
    fputs(", \"cost\": ", f);
    if (!q->has_cost) {
        fputs("null}", f);
        return;
    }
    static const char *const kc[] = {"false_positive", "false_negative", "expected",
                                     "optimal_threshold", "expected_at_optimal_threshold",
                                     "always_positive", "always_negative"};
    double vc[] = {q->cost_fp, q->cost_fn, q->expected_cost, q->bayes_threshold,
                   q->expected_cost_bayes, q->cost_all_positive, q->cost_all_negative};
    fputc('{', f);
    jfields(f, kc, vc, 7);
    fputs("}}", f);
}

static void write_all(FILE *f, const xai_audit_result *r, const char *prov)
{
    size_t z0 = r->rec_nbhd, m0 = r->rec_method;
    fprintf(f, "{\n  \"schema\": \"xai-audit/1\",\n  \"xai_version\": ");
    jstr(f, xai_version());
    fprintf(f, ",\n  \"input\": {%s},\n", prov ? prov : "");
    fprintf(f, "  \"rows\": {\"first\": %llu, \"count\": %zu, \"features\": %zu, "
            "\"mean_output\": ", (unsigned long long)r->first_instance, r->n_rows,
            r->n_features);
    jnum(f, r->mean_output);
    fputs("},\n  \"model_quality\": {\"labelled_rows\": ", f);
    fprintf(f, "%zu, \"accuracy\": ", r->n_labelled);
    jnum(f, r->accuracy);
    fputs(", \"majority_rate\": ", f);
    jnum(f, r->majority_rate);
    fputs(",\n    \"binary\": ", f);
    write_quality(f, &r->quality);
    fputs("},\n  \"recommendation\": {\"method\": ", f);
    jstr(f, r->methods[m0].name);
    fputs(", \"neighbourhood\": ", f);
    jstr(f, r->nbhd_names[z0]);
    fprintf(f, ", \"declared\": %s, \"loss\": ", r->declared ? "true" : "false");
    jcell(f, &r->table[m0 * r->n_nbhds + z0]);
    fputs(", \"tied_with\": ", f);
    tied(f, r, z0);
    fputs("},\n  \"skipped_methods\": [", f);
    for (size_t k = 0; k < r->n_skipped; k++) {
        fputs(k ? ",\n    {\"method\": " : "\n    {\"method\": ", f);
        jstr(f, r->skipped[k].name);
        fputs(", \"reason\": ", f);
        jstr(f, r->skipped[k].reason);
        fputc('}', f);
    }
    fputs("],\n", f);
    write_table(f, r);
    write_metrics(f, r);
    write_agreement(f, r);
    write_groups(f, r);
    fprintf(f, "  \"settings\": {\"pgi_k\": %zu, \"pgi_k_first\": %zu, "
            "\"pgi_summary\": \"%s\", \"pgi_samples\": %zu, \"metric_noise\": \"%s\", "
            "\"pgi_sigma\": ", r->pgi_k, r->pgi_k_first,
            r->pgi_summary == XAI_AUDIT_PGI_AUC ? "auc" : "mean", r->pgi_samples,
            xai_audit_noise_name(r->metric_noise));
    jnum(f, r->pgi_sigma);
    fprintf(f, ", \"infidelity_samples\": %zu, \"infidelity_sigma\": ", r->infid_samples);
    jnum(f, r->infid_sigma);
    fputs(", \"compat\": ", f);
    if (r->compat[0])
        jstr(f, r->compat);
    else
        fputs("null", f);
    fprintf(f, ", \"stability_points\": %zu, \"stability_sigma\": ", r->stab_points);
    jnum(f, r->stab_sigma);
    fputs(", \"stability_eps\": ", f);
    jnum(f, r->stab_eps);
    fputs(", \"rrs_layer\": ", f);
    if (r->stab_layer[0])
        jstr(f, r->stab_layer);
    else
        fputs("null", f);
    fputs(", \"sanity_threshold\": ", f);
    jnum(f, r->sanity_threshold);
    fputs(", \"confidence\": 0.95}\n}\n", f);
}

xai_status xai_audit_write_json(const xai_audit_result *r, const char *prov,
                                const char *path)
{
    if (!r || !path)
        return xai_fail(XAI_ERR_INVALID, "audit JSON: result and path are required");
    xai_outfile *out;
    XAI_TRY(xai_outfile_open(path, &out));
    write_all(xai_outfile_stream(out), r, prov);
    return xai_outfile_commit(out);
}

xai_status xai_audit_write_json_to(const xai_audit_result *r, const char *prov,
                                   xai_outfile *out)
{
    if (!r || !out)
        return xai_fail(XAI_ERR_INVALID, "audit JSON: result and output are required");
    write_all(xai_outfile_stream(out), r, prov);
    return XAI_OK;
}
