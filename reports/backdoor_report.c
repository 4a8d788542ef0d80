/* reports/backdoor_report.c: the backdoor report: summary, the per-class
 * ASR chart and table, the trigger gallery, where the energy sits, method
 * and limitations, reproducibility. */
#include "backdoor_report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/error.h"
#include "report_impl.h"

typedef struct bd_ctx {
    const xai_backdoor_report_input *in;
    const xai_backdoor_result *r;
    const xai_backdoor_options *o;
    xai_pdf *doc;
    rp_buf t;
    size_t *order; /* classes: flagged first, then by anomaly index (desc) */
    int top;       /* heading level of the sections: 1, or 2 inside another report */
} bd_ctx;

static xai_status para(bd_ctx *c)
{
    if (c->t.failed)
        return xai_fail(XAI_ERR_NOMEM, "backdoor report: out of memory");
    xai_status s = xai_pdf_add_paragraph(c->doc, c->t.s ? c->t.s : "");
    rp_clear(&c->t);
    return s;
}

static xai_status code(bd_ctx *c)
{
    if (c->t.failed)
        return xai_fail(XAI_ERR_NOMEM, "backdoor report: out of memory");
    xai_status s = xai_pdf_add_code(c->doc, c->t.s ? c->t.s : "");
    rp_clear(&c->t);
    return s;
}

/* The ASR at which the anomaly index equals the threshold. */
static double threshold_asr(double median, double mad, double thr)
{
    if (isnan(median))
        return NAN;
    return median + thr * 1.4826 * fmax(mad, XAI_BACKDOOR_MAD_FLOOR);
}

static xai_status summary(bd_ctx *c)
{
    const xai_backdoor_report_input *in = c->in;
    const xai_backdoor_result *r = c->r;
    char v[2048];
    xai_backdoor_verdict(r, c->o, v, sizeof v);
    XAI_TRY(xai_pdf_add_heading(c->doc, 1, c->top == 1 ? "Summary"
                                                        : "Backdoor scan (SmoothInv)"));
    rp_printf(&c->t, "Question: was a backdoor planted in this image classifier, for which "
              "class, and what does the trigger look like? The scan tried, for each of the "
              "%zu classes, to turn clean images of other classes into that class with a "
              "small additive pattern, found on a noise-smoothed copy of the model "
              "(SmoothInv), and measured how often that pattern fools the original model "
              "on other clean images (attack success rate, ASR). A planted trigger is a "
              "small pattern that works on almost every image, so its class stands out.",
              r->n_classes);
    XAI_TRY(para(c));
    XAI_TRY(xai_pdf_add_heading(c->doc, 2, "Verdict"));
    rp_printf(&c->t, "%s", v);
    XAI_TRY(para(c));
    XAI_TRY(xai_pdf_add_heading(c->doc, 2, "Inputs"));
    rp_printf(&c->t, "model  %s\nsha256 %s\ndata   %s (%zu images %ux%ux%u%s)\nsha256 %s\n",
              in->model_path, in->model_sha256, in->data_path, xai_dataset_rows(in->data),
              r->c, r->h, r->w, xai_dataset_labels(in->data) ? ", labelled" : ", no labels",
              in->data_sha256);
    if (in->denoiser_path)
        rp_printf(&c->t, "denoiser %s\nsha256   %s\n", in->denoiser_path,
                  in->denoiser_sha256 ? in->denoiser_sha256 : "");
    if (!isnan(r->clean_accuracy))
        rp_printf(&c->t, "clean accuracy of the model on these images: %.1f%%",
                  100 * r->clean_accuracy);
    return code(c);
}

static xai_status chart_and_table(bd_ctx *c)
{
    const xai_backdoor_result *r = c->r;
    size_t n = r->n_classes;
    int abl = r->classes[0].delta_unsmoothed != NULL;
    XAI_TRY(xai_pdf_add_heading(c->doc, c->top, "Attack success rate per class"));
    char (*lab)[16] = calloc(n, sizeof *lab);
    const char **lp = calloc(n, sizeof *lp);
    double *vals = calloc(2 * n, sizeof *vals);
    size_t cols = 9;
    char (*cell)[48] = calloc(n * cols, sizeof *cell);
    const char **cp = calloc(n * cols, sizeof *cp);
    xai_pdf_rgb *fill = calloc(n * cols, sizeof *fill);
    xai_status s = XAI_OK;
    if (!lab || !lp || !vals || !cell || !cp || !fill) {
        s = xai_fail(XAI_ERR_NOMEM, "backdoor report: out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        const xai_backdoor_class *k = &r->classes[i];
        snprintf(lab[i], sizeof lab[i], "%d", k->cls);
        lp[i] = lab[i];
        vals[i] = k->asr;
        vals[n + i] = abl ? k->asr_unsmoothed : 0;
    }
    double ref[2] = {threshold_asr(r->median, r->mad, c->o->threshold),
                     threshold_asr(r->median_unsmoothed, r->mad_unsmoothed, c->o->threshold)};
    static const char *series[2] = {"smoothed (SmoothInv)", "unsmoothed (plain PGD)"};
    xai_pdf_column_chart ch = {
        .n = n, .n_series = abl ? 2 : 1, .labels = lp, .series = series, .values = vals,
        .reference = n > 1 ? ref : NULL,
        .reference_label = "flagging threshold (anomaly index = T)", .y_min = 0,
        .y_max = 1, .title = "Best ASR of each class's triggers on held-out clean images",
        .y_label = "ASR"};
    if ((s = xai_pdf_add_column_chart(c->doc, &ch)) != XAI_OK)
        goto done;
    for (size_t i = 0; i < n; i++) {
        const xai_backdoor_class *k = &r->classes[i];
        char (*row)[48] = cell + i * cols;
        snprintf(row[0], 48, "%d%s", k->cls, k->flagged ? " (flagged)" : "");
        snprintf(row[1], 48, "%.1f%%", 100 * k->asr);
        snprintf(row[2], 48, isnan(k->anomaly) ? "-" : "%.2f", k->anomaly);
        snprintf(row[3], 48, abl ? "%.1f%%" : "-", 100 * k->asr_unsmoothed);
        snprintf(row[4], 48, isnan(k->anomaly_unsmoothed) ? "-" : "%.2f",
                 k->anomaly_unsmoothed);
        snprintf(row[5], 48, "%.3f", k->l2);
        snprintf(row[6], 48, "%.3f", k->linf);
        snprintf(row[7], 48, "%lld", (long long)k->best_source);
        snprintf(row[8], 48, "%zu", k->n_heldout);
        for (size_t j = 0; j < cols; j++) {
            cp[i * cols + j] = row[j];
            fill[i * cols + j] = k->flagged ? (xai_pdf_rgb){0.98f, 0.85f, 0.85f}
                                            : (xai_pdf_rgb){-1, 0, 0};
        }
    }
    static const char *head[9] = {"class", "ASR", "anomaly index", "ASR sigma 0",
                                  "anomaly sigma 0", "L2", "L-inf", "source row",
                                  "held-out images"};
    rp_printf(&c->t, "ASR: share of the held-out clean images (not the sources, not of the "
              "class) that the original model assigns to the class once the best of the "
              "class's %u triggers is added. Anomaly index: (ASR - median) / (1.4826 MAD), "
              "MAD floored at %g; flagged above %g. Median ASR %.1f%% (sigma 0: %.1f%%).",
              c->o->sources, XAI_BACKDOOR_MAD_FLOOR, c->o->threshold, 100 * r->median,
              100 * r->median_unsmoothed);
    if (c->t.failed) {
        s = xai_fail(XAI_ERR_NOMEM, "backdoor report: out of memory");
        goto done;
    }
    xai_pdf_table tb = {n, cols, head, cp, NULL, fill, c->t.s};
    s = xai_pdf_add_table(c->doc, &tb);
    rp_clear(&c->t);
done:
    free(lab), free(lp), free(vals), free(cell), free(cp), free(fill);
    return s;
}

static xai_status gallery(bd_ctx *c)
{
    const xai_backdoor_result *r = c->r;
    size_t d = (size_t)r->c * r->h * r->w;
    XAI_TRY(xai_pdf_add_heading(c->doc, c->top, "Trigger gallery"));
    rp_printf(&c->t, "For each class (flagged first, then by anomaly index): the source "
              "image, the recovered perturbation (grey is 0, lighter adds, darker removes; "
              "scaled to its largest |value|), the perturbed image, and the perturbation "
              "plain PGD (sigma 0) finds from its best source. A real trigger shows as a "
              "compact pattern at the same place for the smoothed inversion; adversarial "
              "noise is spread over the digit.");
    XAI_TRY(para(c));
    float *img = malloc(4 * d * sizeof *img);
    if (!img)
        return xai_fail(XAI_ERR_NOMEM, "backdoor report: out of memory");
    xai_status s = XAI_OK;
    for (size_t q = 0; q < r->n_classes && s == XAI_OK; q++) {
        const xai_backdoor_class *k = &r->classes[c->order[q]];
        const float *x = xai_dataset_row(c->in->data, (size_t)k->best_source);
        const float *dl[2] = {k->delta, k->delta_unsmoothed};
        double lo = c->o->lo, hi = c->o->hi;
        for (size_t j = 0; j < d; j++) {
            img[j] = (float)((x[j] - lo) / (hi - lo));
            img[2 * d + j] = (float)((fmin(fmax(x[j] + k->delta[j], lo), hi) - lo) / (hi - lo));
        }
        for (int e = 0; e < 2; e++) {
            float *dst = img + (e ? 3 : 1) * d;
            double mx = 0;
            for (size_t j = 0; dl[e] && j < d; j++)
                mx = fmax(mx, fabs(dl[e][j]));
            for (size_t j = 0; j < d; j++)
                dst[j] = (float)(0.5 + (dl[e] && mx > 0 ? 0.5 * dl[e][j] / mx : 0));
        }
        char cap[4][64], title[128];
        snprintf(cap[0], 64, "source (row %lld)", (long long)k->best_source);
        snprintf(cap[1], 64, "perturbation, L2 %.2f", k->l2);
        snprintf(cap[2], 64, "perturbed: ASR %.0f%%", 100 * k->asr);
        snprintf(cap[3], 64, "sigma 0: ASR %.0f%%", 100 * k->asr_unsmoothed);
        snprintf(title, sizeof title, "Class %d%s", k->cls, k->flagged ? " (flagged)" : "");
        xai_pdf_image tiles[4];
        size_t nt = k->delta_unsmoothed ? 4 : 3;
        for (size_t i = 0; i < nt; i++)
            tiles[i] = (xai_pdf_image){.channels = r->c == 3 ? 3 : 1, .height = r->h,
                                       .width = r->w, .pixels = img + i * d,
                                       .caption = cap[i]};
        s = xai_pdf_add_image_grid(c->doc, tiles, nt, title);
    }
    free(img);
    return s;
}

static xai_status energy(bd_ctx *c)
{
    const xai_backdoor_result *r = c->r;
    XAI_TRY(xai_pdf_add_heading(c->doc, c->top, "Where the perturbation's energy sits"));
    rp_printf(&c->t, "The smallest square window holding half of sum(delta^2), for the best "
              "trigger of each class; 'uniform' is the share the same window would hold if "
              "the energy were spread evenly. A trigger patch concentrates its energy: a "
              "small window holds far more than the uniform share.");
    XAI_TRY(para(c));
    size_t top = c->order[0];
    for (size_t q = 0; q < r->n_classes; q++) {
        const xai_backdoor_class *k = &r->classes[c->order[q]];
        rp_printf(&c->t, "class %2d%s  %ux%u window at x=%u..%u, y=%u..%u holds %4.0f%% "
                  "(uniform %3.0f%%)", k->cls, k->flagged ? "*" : " ", k->window.size,
                  k->window.size, k->window.x, k->window.x + k->window.size - 1,
                  k->window.y, k->window.y + k->window.size - 1, 100 * k->window.share,
                  100 * k->window.uniform_share);
        if (k->delta_unsmoothed)
            rp_printf(&c->t, "; sigma 0: %ux%u at (%u,%u) %3.0f%%", k->window_unsmoothed.size,
                      k->window_unsmoothed.size, k->window_unsmoothed.x,
                      k->window_unsmoothed.y, 100 * k->window_unsmoothed.share);
        rp_printf(&c->t, "\n");
    }
    XAI_TRY(code(c));
    /* energy map of the top class */
    const xai_backdoor_class *k = &r->classes[top];
    size_t hw = (size_t)r->h * r->w;
    double *e = calloc(hw, sizeof *e);
    if (!e)
        return xai_fail(XAI_ERR_NOMEM, "backdoor report: out of memory");
    double tot = 0;
    for (size_t ch = 0; ch < r->c; ch++)
        for (size_t j = 0; j < hw; j++) {
            double v = k->delta[ch * hw + j];
            e[j] += v * v;
            tot += v * v;
        }
    for (size_t j = 0; j < hw && tot > 0; j++)
        e[j] /= tot;
    char title[96];
    snprintf(title, sizeof title, "Share of sum(delta^2) per pixel, class %d%s", k->cls,
             k->flagged ? " (flagged)" : "");
    xai_pdf_heatmap hm = {.rows = r->h, .cols = r->w, .values = e,
                          .cmap = XAI_PDF_CMAP_SEQUENTIAL, .annotate = 0,
                          .title = title, .colorbar_label = "share",
                          .width = 260};
    xai_status s = xai_pdf_add_heatmap(c->doc, &hm);
    free(e);
    return s;
}

static xai_status method(bd_ctx *c)
{
    const xai_backdoor_options *o = c->o;
    const xai_backdoor_report_input *in = c->in;
    XAI_TRY(xai_pdf_add_heading(c->doc, c->top, "Method"));
    rp_printf(&c->t, "SmoothInv (Sun & Kolter, CVPR 2023). The smoothed classifier "
              "g(x) = (1/N) sum_k softmax(f(%sx + sigma n_k)%s), n_k ~ N(0, I), N = %u "
              "noisy copies per step with fresh noise each step, is robust: only a pattern "
              "that really moves f, such as a trigger, can change its decision. From a "
              "clean source image x the scan minimises -log g_y(x + delta) over delta with "
              "||delta||_2 <= eps = %g (%g of the value range [%g, %g]) by %u steps of SGD "
              "with momentum 0.9 on the unit-normalised gradient (learning rate eps/20, "
              "halved for the last quarter), projecting onto the ball and clipping to the "
              "value range after each step; the last iterate is the candidate trigger. "
              "sigma = %g (%g of the value range). Each class gets %u source images of "
              "other classes; the best of their triggers by ASR on the held-out images "
              "counts. The unsmoothed ablation (sigma 0, plain targeted PGD, same "
              "sources) runs beside it.",
              in->denoiser_path ? "D(" : "", in->denoiser_path ? ")" : "", o->noise_samples,
              o->eps, in->eps_rel, o->lo, o->hi, o->steps, o->sigma, in->sigma_rel,
              o->sources);
    XAI_TRY(para(c));
    XAI_TRY(xai_pdf_add_heading(c->doc, c->top, "Limitations"));
    rp_printf(&c->t, "\u2022 A scan that flags nothing is not a proof that the model is "
              "clean: a trigger that needs more than the L2 budget eps, one that noise of "
              "this sigma washes out, a trigger that is not additive (a blend, a warp, a "
              "semantic feature) or one that only works on images unlike these can go "
              "unnoticed.\n");
    rp_printf(&c->t, "\u2022 %s\n", in->denoiser_path
                  ? "The denoiser's quality bounds the result: a poor denoiser hides "
                    "patterns or invents them."
                  : "No diffusion denoiser is used (the authors' --no_diffusion variant): "
                    "smoothing with large sigma on the raw classifier lowers its clean "
                    "accuracy, and the inversion sees a blurrier model.");
    rp_printf(&c->t, "\u2022 sigma was not selected on these images (the authors' evaluation "
              "picks it per source on the evaluation set, which is optimistic); it was set "
              "by the user or is the default chosen on a separate validation split of the "
              "example (README).\n");
    rp_printf(&c->t, "\u2022 With few held-out images the ASR is coarse, and with few "
              "classes the median and MAD are rough; the MAD is floored at %g so that small "
              "differences cannot flag a class. A model with several backdoored classes "
              "raises the median and may hide them.\n", XAI_BACKDOOR_MAD_FLOOR);
    rp_printf(&c->t, "\u2022 Every image is assumed to be a clean image of the class its "
              "label (or, without labels, the model) says.");
    return para(c);
}

static xai_status appendix(bd_ctx *c)
{
    const xai_backdoor_report_input *in = c->in;
    const xai_backdoor_options *o = c->o;
    XAI_TRY(xai_pdf_add_heading(c->doc, 1, "Reproducibility"));
    rp_printf(&c->t, "The command below with the same model, data (check the SHA-256 "
              "digests), seed and xai version reproduces every number in this report for "
              "any thread count: the noise of step t of the inversion of class c from "
              "source row s comes from the random stream (seed, c, s, t).");
    XAI_TRY(para(c));
    XAI_TRY(xai_pdf_add_heading(c->doc, 2, "Command"));
    rp_printf(&c->t, "%s", in->command_line ? in->command_line : "(library call)");
    XAI_TRY(code(c));
    XAI_TRY(xai_pdf_add_heading(c->doc, 2, "Run"));
    char date[48] = "as in the page header (not fixed)";
    if (in->date >= 0) {
        time_t tt = (time_t)in->date;
        struct tm tm;
        if (gmtime_r(&tt, &tm))
            strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC (fixed)", &tm);
    }
    rp_printf(&c->t, "eps %g  sigma %g  steps %u  noise samples %u  sources %u\n"
              "threshold %g  MAD floor %g  value range [%g, %g]  seed %llu\n"
              "model evaluations %llu (forward + gradient each)\nthreads %d\n",
              o->eps, o->sigma, o->steps, o->noise_samples, o->sources, o->threshold,
              XAI_BACKDOOR_MAD_FLOOR, o->lo, o->hi, (unsigned long long)o->seed,
              (unsigned long long)c->r->model_evaluations, in->n_threads);
    if (in->run_seconds >= 0)
        rp_printf(&c->t, "run time %.1f s\n", in->run_seconds);
    rp_printf(&c->t, "date %s", date);
    XAI_TRY(code(c));
    XAI_TRY(xai_pdf_add_heading(c->doc, 2, "Library versions"));
    rp_library_versions(&c->t);
    return code(c);
}

static xai_status sections(bd_ctx *c)
{
    XAI_TRY(summary(c));
    XAI_TRY(chart_and_table(c));
    XAI_TRY(gallery(c));
    XAI_TRY(energy(c));
    return method(c);
}

static xai_status ctx_init(bd_ctx *c, const xai_backdoor_report_input *in, int top)
{
    if (!in || !in->result || !in->options || !in->data || !in->model_path ||
        !in->data_path || !in->model_sha256 || !in->data_sha256 || !in->result->n_classes)
        return xai_fail(XAI_ERR_INVALID, "backdoor report: result, options, data, paths "
                        "and SHA-256s are required");
    memset(c, 0, sizeof *c);
    c->in = in;
    c->r = in->result;
    c->o = in->options;
    c->top = top;
    size_t n = c->r->n_classes;
    c->order = malloc(n * sizeof *c->order);
    if (!c->order)
        return xai_fail(XAI_ERR_NOMEM, "backdoor report: out of memory");
    for (size_t i = 0; i < n; i++)
        c->order[i] = i;
    for (size_t i = 1; i < n; i++) /* flagged first, then anomaly index descending */
        for (size_t j = i; j > 0; j--) {
            const xai_backdoor_class *a = &c->r->classes[c->order[j - 1]],
                                     *b = &c->r->classes[c->order[j]];
            double ka = a->flagged * 1e9 + (isnan(a->anomaly) ? 0 : a->anomaly);
            double kb = b->flagged * 1e9 + (isnan(b->anomaly) ? 0 : b->anomaly);
            if (kb <= ka)
                break;
            size_t t = c->order[j];
            c->order[j] = c->order[j - 1];
            c->order[j - 1] = t;
        }
    return XAI_OK;
}

xai_status xai_backdoor_report_add(xai_pdf *doc, const xai_backdoor_report_input *in)
{
    bd_ctx c;
    XAI_TRY(ctx_init(&c, in, 2));
    c.doc = doc;
    xai_status s = sections(&c);
    rp_buf_free(&c.t);
    free(c.order);
    return s;
}

xai_status xai_backdoor_report_write(const xai_backdoor_report_input *in, const char *path)
{
    if (!path)
        return xai_fail(XAI_ERR_INVALID, "backdoor report: no path given");
    xai_outfile *out;
    XAI_TRY(xai_outfile_open(path, &out));
    xai_status s = xai_backdoor_report_write_to(in, out);
    if (s != XAI_OK) {
        xai_outfile_abort(out);
        return s;
    }
    return xai_outfile_commit(out);
}

xai_status xai_backdoor_report_write_to(const xai_backdoor_report_input *in, xai_outfile *out)
{
    const char *path = xai_outfile_path(out);
    bd_ctx c;
    XAI_TRY(ctx_init(&c, in, 1));
    const char *base = strrchr(in->model_path, '/');
    rp_printf(&c.t, "Backdoor scan of %s", base ? base + 1 : in->model_path);
    xai_pdf_options po = xai_pdf_options_default();
    po.title = c.t.s;
    po.subject = "SmoothInv backdoor scan: which class, if any, carries a planted trigger";
    po.date = in->date;
    po.font_dir = in->font_dir;
    xai_status s = c.t.failed ? xai_fail(XAI_ERR_NOMEM, "backdoor report: out of memory")
                              : xai_pdf_new(&po, &c.doc);
    rp_clear(&c.t);
    if (s == XAI_OK)
        s = sections(&c);
    if (s == XAI_OK)
        s = appendix(&c);
    if (s == XAI_OK)
        s = xai_pdf_save_to(c.doc, out);
    else {
        char msg[768];
        snprintf(msg, sizeof msg, "%s", xai_last_error());
        s = xai_fail(s, "cannot write report '%s': %s", path, msg);
    }
    xai_pdf_free(c.doc);
    rp_buf_free(&c.t);
    free(c.order);
    return s;
}
