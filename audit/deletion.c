/* audit/deletion.c: deletion and insertion curves for images.
 * d_t = f(x, first t unit groups set to fill), i_t = f(fill, first t groups
 * set to x); area = trapezoid over the moved fraction t / T. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audit_impl.h"
#include "core/error.h"

typedef struct del_call {
    const xai_audit_setup *s;
    const xai_audit_image *img;
    const float *x, *phi;
    size_t U, T, ux; /* units, steps, units per row of patches */
    double *dc, *ic, *da, *ia;
} del_call;

static size_t ceil_div(size_t a, size_t b) { return (a + b - 1) / b; }

static size_t unit_count(const xai_audit_image *img, size_t *ux)
{
    size_t p = img->patch ? img->patch : 1;
    *ux = ceil_div(img->w, p);
    return *ux * ceil_div(img->h, p);
}

size_t xai_audit_curve_steps(const xai_audit_image *img)
{
    size_t ux, U = unit_count(img, &ux);
    return img->n_steps == 0 || img->n_steps > U ? U : img->n_steps;
}

/* Copies unit u of src into dst (every channel). */
static void copy_unit(const del_call *c, size_t u, const float *src, float *dst)
{
    const xai_audit_image *g = c->img;
    size_t p = g->patch ? g->patch : 1, y0 = (u / c->ux) * p, x0 = (u % c->ux) * p;
    for (size_t ch = 0; ch < g->c; ch++)
        for (size_t y = y0; y < y0 + p && y < g->h; y++)
            for (size_t xx = x0; xx < x0 + p && xx < g->w; xx++) {
                size_t k = (ch * g->h + y) * g->w + xx;
                dst[k] = src[k];
            }
}

static double trapezoid(const double *v, size_t T)
{
    double a = 0;
    for (size_t t = 0; t < T; t++)
        a += 0.5 * (v[t] + v[t + 1]);
    return a / (double)T;
}

static xai_status del_row(void *vc, xai_runner *r, size_t i)
{
    const del_call *c = vc;
    const xai_audit_setup *s = c->s;
    const xai_audit_image *g = c->img;
    size_t D = s->n_features, U = c->U, T = c->T, n = 2 * (T + 1);
    size_t KO = xai_model_output_size(s->model);
    size_t p = g->patch ? g->patch : 1;
    const float *x = c->x + i * D, *phi = c->phi + i * D;
    xai_status st = XAI_ERR_NOMEM;
    float *pts = NULL, *buf = NULL, *fill = NULL;
    double *key = NULL, *y = NULL;
    uint32_t *order = NULL;
    if (!(pts = audit_alloc(n, D * sizeof *pts, "deletion batch")) ||
        !(buf = audit_alloc(n, KO * sizeof *buf, "deletion outputs")) ||
        !(fill = audit_alloc(D, sizeof *fill, "deletion fill")) ||
        !(key = audit_alloc(U, sizeof *key, "deletion ranking")) ||
        !(y = audit_alloc(n, sizeof *y, "deletion outputs")) ||
        !(order = audit_alloc(U, sizeof *order, "deletion ranking")))
        goto out;
    for (size_t j = 0; j < D; j++)
        fill[j] = g->fill ? g->fill[j] : 0.0f;
    /* unit score: summed attribution over its pixels and channels */
    for (size_t u = 0; u < U; u++) {
        size_t y0 = (u / c->ux) * p, x0 = (u % c->ux) * p;
        double k = 0;
        for (size_t ch = 0; ch < g->c; ch++)
            for (size_t yy = y0; yy < y0 + p && yy < g->h; yy++)
                for (size_t xx = x0; xx < x0 + p && xx < g->w; xx++)
                    k += phi[(ch * g->h + yy) * g->w + xx];
        key[u] = k;
    }
    audit_order_desc(key, U, order);
    /* rows 0..T: deletion states; rows T+1..2T+1: insertion states */
    float *del = pts, *ins = pts + (T + 1) * D;
    memcpy(del, x, D * sizeof *x);
    memcpy(ins, fill, D * sizeof *fill);
    size_t moved = 0;
    for (size_t st_i = 1; st_i <= T; st_i++) {
        float *dcur = del + st_i * D, *icur = ins + st_i * D;
        memcpy(dcur, dcur - D, D * sizeof *dcur);
        memcpy(icur, icur - D, D * sizeof *icur);
        size_t upto = st_i * U / T; /* nearly equal groups */
        for (; moved < upto; moved++) {
            copy_unit(c, order[moved], fill, dcur);
            copy_unit(c, order[moved], x, icur);
        }
    }
    int32_t t;
    double fx;
    if ((st = audit_eval_row(s, r, i, pts, n, 0, buf, &t, &fx, y)) != XAI_OK)
        goto out;
    if (c->dc)
        memcpy(c->dc + i * (T + 1), y, (T + 1) * sizeof *y);
    if (c->ic)
        memcpy(c->ic + i * (T + 1), y + T + 1, (T + 1) * sizeof *y);
    if (c->da)
        c->da[i] = trapezoid(y, T);
    if (c->ia)
        c->ia[i] = trapezoid(y + T + 1, T);
out:
    free(pts), free(buf), free(fill), free(key), free(y), free(order);
    return st;
}

xai_status xai_audit_deletion_insertion(const xai_audit_setup *s,
                                        const xai_audit_image *img,
                                        const float *x, size_t n_rows,
                                        const float *phi, double *del_curve,
                                        double *ins_curve, double *del_area,
                                        double *ins_area)
{
    XAI_TRY(audit_check(s, x, n_rows, phi, "deletion/insertion"));
    if (!img || !phi)
        return xai_fail(XAI_ERR_INVALID, "deletion/insertion: image shape and "
                        "attributions are required");
    size_t px;
    if (!img->c || !img->h || !img->w ||
        !xai_mul3_size(img->c, img->h, img->w, &px) || px != s->n_features)
        return xai_fail(XAI_ERR_SHAPE, "deletion/insertion: image shape %ux%ux%u "
                        "does not match the %zu model inputs", img->c, img->h,
                        img->w, s->n_features);
    if (img->fill)
        for (size_t j = 0; j < px; j++)
            if (!isfinite(img->fill[j]))
                return xai_fail(XAI_ERR_NUMERIC, "deletion/insertion: fill value "
                                "of pixel %zu is not a finite number", j);
    del_call c = {.s = s, .img = img, .x = x, .phi = phi, .dc = del_curve,
                  .ic = ins_curve, .da = del_area, .ia = ins_area};
    c.U = unit_count(img, &c.ux);
    c.T = xai_audit_curve_steps(img);
    return audit_for_rows(s->model, n_rows, s->n_threads, del_row, &c);
}
