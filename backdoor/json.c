/* backdoor/json.c: the verdict in words and the scan as JSON
 * (schema xai-backdoor/1). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <xai/backdoor.h>
#include <xai/outfile.h>

#include "core/error.h"
#include "core/json_out.h"

static void jnum(FILE *f, double v) { xai_json_number(f, v, 10); }

void xai_backdoor_verdict(const xai_backdoor_result *r, const xai_backdoor_options *o,
                          char *buf, size_t len)
{
    size_t at = 0;
#define PUT(...)                                                                   \
    do {                                                                           \
        if (at < len) {                                                            \
            int w_ = snprintf(buf + at, len - at, __VA_ARGS__);                    \
            at += w_ > 0 ? (size_t)w_ : 0;                                         \
        }                                                                          \
    } while (0)
    if (len)
        buf[0] = 0;
    if (r->n_classes == 1) {
        const xai_backdoor_class *c = &r->classes[0];
        PUT("Only class %d was inverted (--target), so there is no scan to compare it "
            "with: its best trigger flips %.1f%% of %zu held-out images to class %d "
            "(unsmoothed: %.1f%%).", c->cls, 100 * c->asr, c->n_heldout, c->cls,
            100 * c->asr_unsmoothed);
        return;
    }
    if (r->n_flagged) {
        PUT("Backdoor suspected: ");
        int first = 1;
        for (size_t i = 0; i < r->n_classes; i++) {
            const xai_backdoor_class *c = &r->classes[i];
            if (!c->flagged)
                continue;
            PUT("%sclass %d stands out: its best trigger flips %.1f%% of %zu held-out "
                "images to class %d against a median of %.1f%% over the classes "
                "(anomaly index %.1f > %g)", first ? "" : "; ", c->cls, 100 * c->asr,
                c->n_heldout, c->cls, 100 * r->median, c->anomaly, o->threshold);
            first = 0;
        }
        PUT(". A planted trigger is the likely cause; the recovered perturbation shows "
            "what it looks like and where it sits.");
        return;
    }
    size_t top = 0;
    for (size_t i = 1; i < r->n_classes; i++)
        if (r->classes[i].anomaly > r->classes[top].anomaly)
            top = i;
    PUT("No class stands out: the largest anomaly index is %.1f (class %d, ASR %.1f%% "
        "against a median of %.1f%%), not above the threshold %g. This does not prove "
        "that the model is clean: a trigger needing more than the L2 budget eps, one "
        "that smoothing with this sigma washes out, or one that only works on images "
        "unlike these would go unnoticed.", r->classes[top].anomaly, r->classes[top].cls,
        100 * r->classes[top].asr, 100 * r->median, o->threshold);
#undef PUT
}

static void window(FILE *f, const xai_energy_window *w)
{
    fprintf(f, "{\"x\": %u, \"y\": %u, \"size\": %u, \"share\": ", w->x, w->y, w->size);
    jnum(f, w->share);
    fputs(", \"uniform_share\": ", f);
    jnum(f, w->uniform_share);
    fputc('}', f);
}

static void write_body(FILE *f, const xai_backdoor_result *r, const xai_backdoor_options *o,
                       const char *input)
{
    char verdict[2048];
    xai_backdoor_verdict(r, o, verdict, sizeof verdict);
    fputs("{\n  \"schema\": \"xai-backdoor/1\",\n  \"input\": {", f);
    if (input)
        fputs(input, f);
    fprintf(f, "},\n  \"settings\": {\"eps\": ");
    jnum(f, o->eps);
    fputs(", \"sigma\": ", f);
    jnum(f, o->sigma);
    fprintf(f, ", \"steps\": %u, \"noise_samples\": %u, \"sources\": %u, \"target\": ",
            o->steps, o->noise_samples, o->sources);
    if (o->target >= 0)
        fprintf(f, "%d", o->target);
    else
        fputs("null", f);
    fputs(", \"threshold\": ", f);
    jnum(f, o->threshold);
    fputs(", \"mad_floor\": ", f);
    jnum(f, XAI_BACKDOOR_MAD_FLOOR);
    fputs(", \"value_range\": [", f);
    jnum(f, o->lo);
    fputs(", ", f);
    jnum(f, o->hi);
    fprintf(f, "], \"seed\": %llu, \"denoiser\": %s, \"unsmoothed_ablation\": %s},\n",
            (unsigned long long)o->seed, o->denoiser ? "true" : "false",
            o->unsmoothed ? "true" : "false");
    fprintf(f, "  \"image_shape\": [%u, %u, %u],\n  \"clean_accuracy\": ", r->c, r->h, r->w);
    jnum(f, r->clean_accuracy);
    fprintf(f, ",\n  \"model_evaluations\": %llu,\n  \"verdict\": {\"flagged\": [",
            (unsigned long long)r->model_evaluations);
    int first = 1;
    for (size_t i = 0; i < r->n_classes; i++)
        if (r->classes[i].flagged) {
            fprintf(f, "%s%d", first ? "" : ", ", r->classes[i].cls);
            first = 0;
        }
    fputs("], \"anomaly_index\": {", f);
    for (size_t i = 0; r->n_classes > 1 && i < r->n_classes; i++) {
        fprintf(f, "%s\"%d\": ", i ? ", " : "", r->classes[i].cls);
        jnum(f, r->classes[i].anomaly);
    }
    fputs("}, \"anomaly_index_unsmoothed\": {", f);
    for (size_t i = 0; r->n_classes > 1 && o->unsmoothed && i < r->n_classes; i++) {
        fprintf(f, "%s\"%d\": ", i ? ", " : "", r->classes[i].cls);
        jnum(f, r->classes[i].anomaly_unsmoothed);
    }
    fputs("}, \"median_asr\": ", f);
    jnum(f, r->median);
    fputs(", \"mad\": ", f);
    jnum(f, r->mad);
    fputs(", \"median_asr_unsmoothed\": ", f);
    jnum(f, r->median_unsmoothed);
    fputs(", \"mad_unsmoothed\": ", f);
    jnum(f, r->mad_unsmoothed);
    fputs(", \"text\": ", f);
    xai_json_string(f, verdict);
    fputs("},\n  \"classes\": [", f);
    for (size_t i = 0; i < r->n_classes; i++) {
        const xai_backdoor_class *c = &r->classes[i];
        fprintf(f, "%s\n    {\"class\": %d, \"asr\": ", i ? "," : "", c->cls);
        jnum(f, c->asr);
        fputs(", \"asr_unsmoothed\": ", f);
        jnum(f, c->asr_unsmoothed);
        fputs(", \"anomaly_index\": ", f);
        jnum(f, c->anomaly);
        fprintf(f, ", \"flagged\": %s, \"best_source\": %lld, \"heldout\": %zu, \"l2\": ",
                c->flagged ? "true" : "false", (long long)c->best_source, c->n_heldout);
        jnum(f, c->l2);
        fputs(", \"linf\": ", f);
        jnum(f, c->linf);
        fputs(", \"energy_window\": ", f);
        window(f, &c->window);
        fputs(",\n     \"sources\": [", f);
        for (uint32_t a = 0; a < c->n_sources; a++)
            fprintf(f, "%s%lld", a ? ", " : "", (long long)c->sources[a]);
        fputs("], \"source_asr\": [", f);
        for (uint32_t a = 0; a < c->n_sources; a++) {
            fputs(a ? ", " : "", f);
            jnum(f, c->source_asr[a]);
        }
        fputs("], \"source_asr_unsmoothed\": [", f);
        for (uint32_t a = 0; a < c->n_sources; a++) {
            fputs(a ? ", " : "", f);
            jnum(f, c->source_asr_unsmoothed[a]);
        }
        fputs("],\n     \"unsmoothed\": ", f);
        if (c->delta_unsmoothed) {
            fprintf(f, "{\"best_source\": %lld, \"anomaly_index\": ",
                    (long long)c->best_source_unsmoothed);
            jnum(f, c->anomaly_unsmoothed);
            fputs(", \"l2\": ", f);
            jnum(f, c->l2_unsmoothed);
            fputs(", \"linf\": ", f);
            jnum(f, c->linf_unsmoothed);
            fputs(", \"energy_window\": ", f);
            window(f, &c->window_unsmoothed);
            fputc('}', f);
        } else {
            fputs("null", f);
        }
        fputc('}', f);
    }
    fputs("\n  ]\n}\n", f);
}

xai_status xai_backdoor_write_json(const xai_backdoor_result *r,
                                   const xai_backdoor_options *o, const char *input,
                                   const char *path)
{
    xai_outfile *of;
    XAI_TRY(xai_outfile_open(path, &of));
    write_body(xai_outfile_stream(of), r, o, input);
    return xai_outfile_commit(of);
}

xai_status xai_backdoor_write_json_to(const xai_backdoor_result *r,
                                      const xai_backdoor_options *o, const char *input,
                                      xai_outfile *out)
{
    write_body(xai_outfile_stream(out), r, o, input);
    return XAI_OK;
}
