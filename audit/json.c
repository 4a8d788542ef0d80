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
    fputs("},\n  \"recommendation\": {\"method\": ", f);
    jstr(f, r->methods[m0].name);
    fputs(", \"neighbourhood\": ", f);
    jstr(f, r->nbhd_names[z0]);
    fprintf(f, ", \"declared\": %s, \"loss\": ", r->declared ? "true" : "false");
    jcell(f, &r->table[m0 * r->n_nbhds + z0]);
    fputs(", \"tied_with\": ", f);
    tied(f, r, z0);
    fputs("},\n", f);
    write_table(f, r);
    write_metrics(f, r);
    fprintf(f, "  \"settings\": {\"pgi_k\": %zu, \"sanity_threshold\": ", r->pgi_k);
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
