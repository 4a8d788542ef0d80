/* explainers/units.c: interpretable units as CSR feature lists: feature
 * groups, square image patches (a partition), or sliding occlusion windows
 * (possibly overlapping). */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "lfa.h"

/* Window origins along a side: 0, s, 2s, ... and one flush with the end. */
static size_t origins(size_t side, size_t wnd, size_t stride, size_t *out)
{
    size_t n = 0, o = 0;
    for (; o + wnd <= side; o += stride)
        if (out)
            out[n++] = o;
        else
            n++;
    if (n == 0 || (n && (o - stride) + wnd < side)) {
        if (out)
            out[n] = side - wnd;
        n++;
    }
    return n;
}

static xai_status alloc_units(xai_plan *p, size_t U, size_t nfeat)
{
    p->U = U;
    p->ustart = calloc(U + 1, sizeof *p->ustart);
    p->ufeat = malloc((nfeat ? nfeat : 1) * sizeof *p->ufeat);
    p->cover = calloc(p->D, sizeof *p->cover);
    if (!p->ustart || !p->ufeat || !p->cover)
        return xai_fail(XAI_ERR_NOMEM, "out of memory (%zu units)", U);
    return XAI_OK;
}

static xai_status windows(xai_plan *p)
{
    const xai_explain_context *c = p->ctx;
    size_t C = c->image_c, H = c->image_h, W = c->image_w;
    size_t wnd = (size_t)p->opt.window, st = (size_t)p->opt.stride;
    size_t ny = origins(H, wnd, st, NULL), nx = origins(W, wnd, st, NULL);
    size_t *oy = malloc(ny * sizeof *oy), *ox = malloc(nx * sizeof *ox);
    size_t U = ny * nx, per = C * wnd * wnd, total = 0;
    xai_status s = XAI_OK;
    if (!oy || !ox || !xai_mul_size(U, per, &total))
        s = xai_fail(XAI_ERR_NOMEM, "out of memory (occlusion windows)");
    if (s == XAI_OK)
        s = alloc_units(p, U, total);
    if (s == XAI_OK) {
        origins(H, wnd, st, oy);
        origins(W, wnd, st, ox);
        size_t k = 0;
        for (size_t a = 0; a < ny; a++)
            for (size_t b = 0; b < nx; b++) {
                p->ustart[a * nx + b] = k;
                for (size_t ch = 0; ch < C; ch++)
                    for (size_t y = oy[a]; y < oy[a] + wnd; y++)
                        for (size_t x = ox[b]; x < ox[b] + wnd; x++)
                            p->ufeat[k++] = (uint32_t)((ch * H + y) * W + x);
            }
        p->ustart[U] = k;
    }
    free(oy);
    free(ox);
    return s;
}

/* A partition given as feature -> unit. */
static xai_status partition(xai_plan *p, const uint32_t *map, size_t U)
{
    XAI_TRY(alloc_units(p, U, p->D));
    for (size_t j = 0; j < p->D; j++)
        p->ustart[map[j] + 1]++;
    for (size_t u = 0; u < U; u++) {
        if (p->ustart[u + 1] == 0)
            return xai_fail(XAI_ERR_INVALID, "feature group %zu has no features", u);
        p->ustart[u + 1] += p->ustart[u];
    }
    size_t *fill = malloc(U * sizeof *fill);
    if (!fill)
        return xai_fail(XAI_ERR_NOMEM, "out of memory (%zu units)", U);
    for (size_t u = 0; u < U; u++)
        fill[u] = p->ustart[u];
    for (size_t j = 0; j < p->D; j++)
        p->ufeat[fill[map[j]]++] = (uint32_t)j;
    free(fill);
    /* feature -> unit, for building masked inputs by a select per feature */
    if (!(p->funit = malloc((p->D ? p->D : 1) * sizeof *p->funit)))
        return xai_fail(XAI_ERR_NOMEM, "out of memory (%zu features)", p->D);
    memcpy(p->funit, map, p->D * sizeof *map);
    p->unit_is_feature = U == p->D;
    for (size_t j = 0; j < p->D; j++)
        p->unit_is_feature = p->unit_is_feature && map[j] == j;
    return XAI_OK;
}

xai_status xai_units_build(xai_plan *p, int want_windows)
{
    const xai_explain_context *c = p->ctx;
    xai_status s;
    if (c->image_c && want_windows) {
        s = windows(p);
    } else if (c->image_c || !c->groups) {
        uint32_t *map = malloc(p->D * sizeof *map);
        if (!map)
            return xai_fail(XAI_ERR_NOMEM, "out of memory (units)");
        size_t U = p->D;
        if (c->image_c) {
            size_t H = c->image_h, W = c->image_w, P = (size_t)p->opt.patch;
            size_t gw = (W + P - 1) / P;
            U = ((H + P - 1) / P) * gw;
            for (size_t j = 0; j < p->D; j++) {
                size_t y = (j / W) % H, x = j % W;
                map[j] = (uint32_t)((y / P) * gw + x / P);
            }
        } else {
            for (size_t j = 0; j < p->D; j++)
                map[j] = (uint32_t)j;
        }
        s = partition(p, map, U);
        free(map);
    } else {
        s = partition(p, c->groups, c->n_groups);
    }
    if (s != XAI_OK)
        return s;
    /* cover[j] = 1 / (units holding j) */
    for (size_t k = 0; k < p->ustart[p->U]; k++)
        p->cover[p->ufeat[k]] += 1.0;
    for (size_t j = 0; j < p->D; j++)
        p->cover[j] = p->cover[j] > 0 ? 1.0 / p->cover[j] : 0.0;
    return XAI_OK;
}
