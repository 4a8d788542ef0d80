/* backdoor/scan.c: the class scan.  For every class c, M sources (images not
 * of class c) are inverted towards c, with smoothing and (ablation) without;
 * each trigger is scored by its ASR on the other images not of class c, the
 * best of the M per class is kept, and the anomaly index flags outliers.
 * The (class, source) tasks run in parallel, one smoother per thread; every
 * task's noise comes from its own stream, so the thread count cannot change
 * any result. */
#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xai/backdoor.h>

#include "core/error.h"

typedef struct scan_task {
    size_t cls_idx;     /* index into the scanned classes */
    uint32_t row;       /* source image */
    double asr, asr0;   /* smoothed, unsmoothed */
    float *delta, *delta0;
} scan_task;

typedef struct scan_state {
    const xai_model *m;
    const xai_backdoor_options *o;
    const float *x;      /* n x d */
    size_t n, d;
    const int32_t *cls;  /* n class ids (label or prediction) */
    const int32_t *classes; /* scanned class ids */
    uint8_t **masks;     /* per scanned class: images the ASR counts */
    scan_task *tasks;
    size_t n_tasks;
} scan_state;

static xai_status run_task(const scan_state *S, xai_smoother *sm, xai_smoother *sm0,
                           xai_runner *r, scan_task *t)
{
    const xai_backdoor_options *o = S->o;
    int32_t y = S->classes[t->cls_idx];
    const float *x = S->x + (size_t)t->row * S->d;
    const uint8_t *mask = S->masks[t->cls_idx];
    XAI_TRY(xai_backdoor_invert(sm, o, o->sigma, x, t->row, y, t->delta));
    XAI_TRY(xai_backdoor_asr(r, S->x, S->n, mask, t->delta, o->lo, o->hi, y, &t->asr, NULL));
    if (t->delta0) {
        XAI_TRY(xai_backdoor_invert(sm0, o, 0.0, x, t->row, y, t->delta0));
        XAI_TRY(xai_backdoor_asr(r, S->x, S->n, mask, t->delta0, o->lo, o->hi, y, &t->asr0,
                                 NULL));
    }
    return XAI_OK;
}

static xai_status run_tasks(scan_state *S)
{
    const xai_backdoor_options *o = S->o;
    int nt = o->n_threads > 0 ? o->n_threads : omp_get_max_threads();
    if ((size_t)nt > S->n_tasks)
        nt = (int)S->n_tasks;
    size_t bad = SIZE_MAX, done = 0;
    xai_status bad_s = XAI_OK;
    char bad_msg[1024] = "";
    uint32_t copies = o->sigma > 0 ? o->noise_samples : 1;
    /* one BLAS thread: the same kernels for any nt (bit-identical sums), and
     * no oversubscription of the cores the tasks already use */
    int blas_threads = openblas_get_num_threads();
    openblas_set_num_threads(1);
#pragma omp parallel num_threads(nt)
    {
        xai_smoother *sm = NULL, *sm0 = NULL;
        xai_runner *r = NULL;
        xai_status s0 = xai_smoother_new(S->m, o->denoiser, copies, &sm);
        if (s0 == XAI_OK && o->unsmoothed)
            s0 = xai_smoother_new(S->m, o->denoiser, 1, &sm0);
        if (s0 == XAI_OK)
            s0 = xai_runner_new(S->m, &r);
        char msg0[1024];
        snprintf(msg0, sizeof msg0, "%s", xai_last_error());
#pragma omp for schedule(dynamic, 1)
        for (size_t i = 0; i < S->n_tasks; i++) {
            size_t cur;
#pragma omp atomic read
            cur = bad;
            if (cur < i)
                continue;
            xai_status s = s0;
            const char *msg = msg0;
            if (s == XAI_OK) {
                s = run_task(S, sm, sm0, r, &S->tasks[i]);
                msg = xai_last_error();
            }
            if (s != XAI_OK) {
#pragma omp critical(xai_backdoor_error)
                if (i < bad) {
#pragma omp atomic write
                    bad = i;
                    bad_s = s;
                    snprintf(bad_msg, sizeof bad_msg, "%s", msg);
                }
            } else if (o->progress) {
#pragma omp critical(xai_backdoor_progress)
                o->progress(o->progress_user, ++done, S->n_tasks);
            }
        }
        xai_runner_free(r);
        xai_smoother_free(sm);
        xai_smoother_free(sm0);
    }
    openblas_set_num_threads(blas_threads);
    if (bad_s != XAI_OK)
        return xai_fail(bad_s, "%s", bad_msg);
    return XAI_OK;
}

/* Class of each image: its label (which must be a class index) or f's
 * prediction; also the clean accuracy with labels. */
static xai_status image_classes(const xai_model *m, const xai_dataset *ds, int32_t *cls,
                                double *accuracy)
{
    size_t n = xai_dataset_rows(ds), k = xai_model_output_size(m);
    const float *lab = xai_dataset_labels(ds);
    float *p = malloc(n * k * sizeof *p);
    xai_runner *r = NULL;
    if (!p)
        return xai_fail(XAI_ERR_NOMEM, "out of memory (predictions)");
    xai_status st = xai_runner_new(m, &r);
    for (size_t i = 0; st == XAI_OK && i < n; i += 256) {
        size_t nb = n - i < 256 ? n - i : 256;
        st = xai_runner_forward(r, XAI_OUTPUT_PROB, xai_dataset_row(ds, i), nb, p + i * k);
    }
    xai_runner_free(r);
    size_t correct = 0;
    for (size_t i = 0; st == XAI_OK && i < n; i++) {
        const float *pi = p + i * k;
        size_t best = 0;
        for (size_t j = 1; j < k; j++)
            if (pi[j] > pi[best])
                best = j;
        if (lab) {
            float v = lab[i];
            if (!(v >= 0 && v < (float)k && v == floorf(v))) {
                st = xai_fail(XAI_ERR_INVALID,
                              "%s: row %zu: label %g is not a class index 0..%zu of the model",
                              xai_dataset_source(ds), i + 1, (double)v, k - 1);
                break;
            }
            cls[i] = (int32_t)v;
            correct += best == (size_t)cls[i];
        } else {
            cls[i] = (int32_t)best;
        }
    }
    *accuracy = lab && n ? (double)correct / (double)n : NAN;
    free(p);
    return st;
}

static double norm_l2(const float *v, size_t d)
{
    double s = 0;
    for (size_t j = 0; j < d; j++)
        s += (double)v[j] * v[j];
    return sqrt(s);
}

static double norm_linf(const float *v, size_t d)
{
    double s = 0;
    for (size_t j = 0; j < d; j++)
        s = fmax(s, fabs(v[j]));
    return s;
}

void xai_backdoor_result_free(xai_backdoor_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; r->classes && i < r->n_classes; i++) {
        free(r->classes[i].delta);
        free(r->classes[i].delta_unsmoothed);
        free(r->classes[i].sources);
        free(r->classes[i].source_asr);
        free(r->classes[i].source_asr_unsmoothed);
    }
    free(r->classes);
    free(r);
}

/* Picks the M sources of each class and the images its ASR counts. */
static xai_status plan_classes(scan_state *S, size_t nc, uint32_t *srcs_per_class)
{
    const xai_backdoor_options *o = S->o;
    uint32_t *elig = malloc(S->n * sizeof *elig), *pick = malloc(o->sources * sizeof *pick);
    if (!elig || !pick) {
        free(elig);
        free(pick);
        return xai_fail(XAI_ERR_NOMEM, "out of memory (scan plan)");
    }
    xai_status st = XAI_OK;
    size_t t = 0;
    for (size_t c = 0; c < nc && st == XAI_OK; c++) {
        int32_t y = S->classes[c];
        uint32_t ne = 0;
        for (size_t i = 0; i < S->n; i++)
            if (S->cls[i] != y)
                elig[ne++] = (uint32_t)i;
        if (ne < 2) {
            st = xai_fail(XAI_ERR_INVALID,
                          "class %d: only %u image(s) not of this class; the scan needs at "
                          "least 2 (a source and a held-out image)", y, ne);
            break;
        }
        uint32_t mm = o->sources < ne - 1 ? o->sources : ne - 1;
        xai_rng rng;
        xai_rng_init(&rng, o->seed,
                     xai_backdoor_stream((uint32_t)y, XAI_BACKDOOR_SELECT_ROW, 0));
        if ((st = xai_rng_choose(&rng, ne, mm, pick)) != XAI_OK)
            break;
        uint8_t *mask = S->masks[c];
        for (uint32_t i = 0; i < ne; i++)
            mask[elig[i]] = 1;
        /* sources in row order, so the task list reads naturally */
        for (uint32_t a = 0; a < mm; a++)
            pick[a] = elig[pick[a]];
        for (uint32_t a = 1; a < mm; a++)
            for (uint32_t b = a; b > 0 && pick[b - 1] > pick[b]; b--) {
                uint32_t tmp = pick[b];
                pick[b] = pick[b - 1];
                pick[b - 1] = tmp;
            }
        for (uint32_t a = 0; a < mm; a++) {
            mask[pick[a]] = 0;
            S->tasks[t].cls_idx = c;
            S->tasks[t].row = pick[a];
            t++;
        }
        srcs_per_class[c] = mm;
    }
    S->n_tasks = t;
    free(elig);
    free(pick);
    return st;
}

static xai_status fill_class(const scan_state *S, const scan_task *first, uint32_t mm,
                             uint32_t c, uint32_t h, uint32_t w, xai_backdoor_class *out)
{
    const scan_task *b = first, *b0 = first;
    for (uint32_t a = 1; a < mm; a++) {
        if (first[a].asr > b->asr)
            b = first + a;
        if (first[a].asr0 > b0->asr0)
            b0 = first + a;
    }
    size_t d = S->d;
    out->n_sources = mm;
    out->sources = malloc(mm * sizeof *out->sources);
    out->source_asr = malloc(mm * sizeof *out->source_asr);
    out->source_asr_unsmoothed = malloc(mm * sizeof *out->source_asr_unsmoothed);
    if (!out->sources || !out->source_asr || !out->source_asr_unsmoothed)
        return xai_fail(XAI_ERR_NOMEM, "out of memory (scan result)");
    for (uint32_t a = 0; a < mm; a++) {
        out->sources[a] = first[a].row;
        out->source_asr[a] = first[a].asr;
        out->source_asr_unsmoothed[a] = first[a].delta0 ? first[a].asr0 : NAN;
    }
    out->asr = b->asr;
    out->best_source = b->row;
    out->delta = malloc(d * sizeof *out->delta);
    if (!out->delta)
        return xai_fail(XAI_ERR_NOMEM, "out of memory (scan result)");
    memcpy(out->delta, b->delta, d * sizeof *out->delta);
    out->l2 = norm_l2(b->delta, d);
    out->linf = norm_linf(b->delta, d);
    XAI_TRY(xai_backdoor_energy_window(b->delta, c, h, w, &out->window));
    out->anomaly = out->anomaly_unsmoothed = NAN;
    out->asr_unsmoothed = NAN;
    out->best_source_unsmoothed = -1;
    out->l2_unsmoothed = out->linf_unsmoothed = NAN;
    if (b0->delta0) {
        out->asr_unsmoothed = b0->asr0;
        out->best_source_unsmoothed = b0->row;
        out->delta_unsmoothed = malloc(d * sizeof *out->delta_unsmoothed);
        if (!out->delta_unsmoothed)
            return xai_fail(XAI_ERR_NOMEM, "out of memory (scan result)");
        memcpy(out->delta_unsmoothed, b0->delta0, d * sizeof *out->delta_unsmoothed);
        out->l2_unsmoothed = norm_l2(b0->delta0, d);
        out->linf_unsmoothed = norm_linf(b0->delta0, d);
        XAI_TRY(xai_backdoor_energy_window(b0->delta0, c, h, w, &out->window_unsmoothed));
    }
    return XAI_OK;
}

static xai_status score_scan(xai_backdoor_result *res, double threshold)
{
    size_t nc = res->n_classes;
    res->median = res->mad = res->median_unsmoothed = res->mad_unsmoothed = NAN;
    if (nc < 2)
        return XAI_OK; /* a single target has no scan to compare with */
    double *v = malloc(2 * nc * sizeof *v);
    if (!v)
        return xai_fail(XAI_ERR_NOMEM, "out of memory (anomaly index)");
    double *a = v + nc;
    xai_status st = XAI_OK;
    for (size_t i = 0; i < nc; i++)
        v[i] = res->classes[i].asr;
    st = xai_backdoor_anomaly(v, nc, XAI_BACKDOOR_MAD_FLOOR, a, &res->median, &res->mad);
    for (size_t i = 0; st == XAI_OK && i < nc; i++) {
        res->classes[i].anomaly = a[i];
        res->classes[i].flagged = a[i] > threshold;
        res->n_flagged += (size_t)res->classes[i].flagged;
    }
    if (st == XAI_OK && res->classes[0].delta_unsmoothed) {
        for (size_t i = 0; i < nc; i++)
            v[i] = res->classes[i].asr_unsmoothed;
        st = xai_backdoor_anomaly(v, nc, XAI_BACKDOOR_MAD_FLOOR, a, &res->median_unsmoothed,
                                  &res->mad_unsmoothed);
        for (size_t i = 0; st == XAI_OK && i < nc; i++)
            res->classes[i].anomaly_unsmoothed = a[i];
    }
    free(v);
    return st;
}

xai_status xai_backdoor_scan(const xai_model *m, const xai_dataset *ds,
                             const xai_backdoor_options *o,
                             xai_backdoor_result **out)
{
    *out = NULL;
    XAI_TRY(xai_backdoor_check(m, o));
    size_t n = xai_dataset_rows(ds), d = xai_model_input_size(m);
    size_t k = xai_model_output_size(m);
    if (xai_dataset_features(ds) != d)
        return xai_fail(XAI_ERR_SHAPE, "%s: %zu values per image, the model takes %zu",
                        xai_dataset_source(ds), xai_dataset_features(ds), d);
    if (n < 2)
        return xai_fail(XAI_ERR_INVALID, "%s: %zu clean image(s); the scan needs at least 2",
                        xai_dataset_source(ds), n);
    if (n > XAI_BACKDOOR_MAX_ROWS)
        return xai_fail(XAI_ERR_UNSUPPORTED, "%s: %zu images (at most %u)",
                        xai_dataset_source(ds), n, XAI_BACKDOOR_MAX_ROWS);
    int64_t dims[4];
    xai_model_input_shape(m, dims);
    size_t nc = o->target >= 0 ? 1 : k;

    xai_backdoor_result *res = calloc(1, sizeof *res);
    scan_state S = {.m = m, .o = o, .x = xai_dataset_values(ds), .n = n, .d = d};
    int32_t *cls = malloc(n * sizeof *cls), *classes = malloc(nc * sizeof *classes);
    uint8_t **masks = calloc(nc, sizeof *masks);
    uint32_t *mm = calloc(nc, sizeof *mm);
    size_t max_tasks = nc * (size_t)o->sources;
    scan_task *tasks = calloc(max_tasks, sizeof *tasks);
    xai_status st = XAI_OK;
    if (!res || !cls || !classes || !masks || !mm || !tasks) {
        st = xai_fail(XAI_ERR_NOMEM, "out of memory (scan)");
        goto done;
    }
    res->c = (uint32_t)dims[0];
    res->h = (uint32_t)dims[1];
    res->w = (uint32_t)dims[2];
    for (size_t c = 0; c < nc; c++) {
        classes[c] = o->target >= 0 ? o->target : (int32_t)c;
        if (!(masks[c] = calloc(n, 1))) {
            st = xai_fail(XAI_ERR_NOMEM, "out of memory (scan)");
            goto done;
        }
    }
    S.cls = cls;
    S.classes = classes;
    S.masks = masks;
    S.tasks = tasks;
    if ((st = image_classes(m, ds, cls, &res->clean_accuracy)) != XAI_OK ||
        (st = plan_classes(&S, nc, mm)) != XAI_OK)
        goto done;
    for (size_t t = 0; t < S.n_tasks; t++) {
        tasks[t].delta = malloc(d * sizeof(float));
        if (o->unsmoothed)
            tasks[t].delta0 = malloc(d * sizeof(float));
        if (!tasks[t].delta || (o->unsmoothed && !tasks[t].delta0)) {
            st = xai_fail(XAI_ERR_NOMEM, "out of memory (scan triggers)");
            goto done;
        }
    }
    if ((st = run_tasks(&S)) != XAI_OK)
        goto done;
    res->n_classes = nc;
    if (!(res->classes = calloc(nc, sizeof *res->classes))) {
        st = xai_fail(XAI_ERR_NOMEM, "out of memory (scan result)");
        goto done;
    }
    size_t t0 = 0;
    for (size_t c = 0; c < nc && st == XAI_OK; c++) {
        xai_backdoor_class *bc = &res->classes[c];
        bc->cls = classes[c];
        for (size_t i = 0; i < n; i++)
            bc->n_heldout += masks[c][i];
        st = fill_class(&S, tasks + t0, mm[c], res->c, res->h, res->w, bc);
        t0 += mm[c];
    }
    uint32_t copies = o->sigma > 0 ? o->noise_samples : 1;
    res->model_evaluations = (uint64_t)S.n_tasks * o->steps * (copies + (o->unsmoothed ? 1 : 0));
    if (st == XAI_OK)
        st = score_scan(res, o->threshold);
done:
    for (size_t t = 0; tasks && t < max_tasks; t++) {
        free(tasks[t].delta);
        free(tasks[t].delta0);
    }
    free(tasks);
    for (size_t c = 0; masks && c < nc; c++)
        free(masks[c]);
    free(masks);
    free(mm);
    free(cls);
    free(classes);
    if (st != XAI_OK) {
        xai_backdoor_result_free(res);
        return st;
    }
    *out = res;
    return XAI_OK;
}
