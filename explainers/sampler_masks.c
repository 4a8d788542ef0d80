/* explainers/sampler_masks.c: binary masks over units (1 = unit kept,
 * 0 = unit set to the baseline): LIME-style random masks and KernelSHAP
 * coalitions (exact enumeration or sampled sizes, paired). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "lfa.h"

static xai_status alloc_masks(xai_job *j, size_t cap)
{
    size_t U = j->plan->U, len;
    if (!xai_mul_size(cap ? cap : 1, U, &len))
        return xai_fail(XAI_ERR_NOMEM, "%zu masks of %zu units: too many", cap, U);
    j->mask = malloc(len);
    j->w = malloc((cap ? cap : 1) * sizeof *j->w);
    if (!j->mask || !j->w)
        return xai_fail(XAI_ERR_NOMEM, "out of memory (%zu masks of %zu units)",
                        cap, U);
    return XAI_OK;
}

/* Sets row s to `off` random units switched off (partial Fisher-Yates). */
static void random_mask(xai_rng *rng, uint32_t *perm, size_t U, size_t off,
                        uint8_t *row)
{
    memset(row, 1, U);
    for (size_t i = 0; i < off; i++) {
        size_t r = i + (size_t)xai_rng_below(rng, U - i);
        uint32_t t = perm[i];
        perm[i] = perm[r];
        perm[r] = t;
        row[perm[i]] = 0;
    }
}

/* LIME: the first sample is x itself; then k ~ U{1..M} units off, uniformly
 * chosen; weight exp(-k / (2 width^2)) (k = squared distance to x) or 1. */
xai_status xai_sample_masks(xai_job *j)
{
    const xai_plan *p = j->plan;
    size_t U = p->U, S = p->samples;
    XAI_TRY(alloc_masks(j, S));
    uint32_t *perm = malloc(U * sizeof *perm);
    if (!perm)
        return xai_fail(XAI_ERR_NOMEM, "out of memory (%zu units)", U);
    for (size_t u = 0; u < U; u++)
        perm[u] = (uint32_t)u;
    double w2 = p->opt.kernel_width * p->opt.kernel_width;
    for (size_t s = 0; s < S; s++) {
        size_t off = s == 0 ? 0 : 1 + (size_t)xai_rng_below(&j->rng, U);
        random_mask(&j->rng, perm, U, off, j->mask + s * U);
        j->w[s] = p->spec.kernel == XAI_KERNEL_EXPONENTIAL
                      ? exp(-(double)off / (2.0 * w2)) : 1.0;
    }
    free(perm);
    j->S = S;
    return XAI_OK;
}

static double binom(size_t n, size_t k)
{
    double r = 1;
    for (size_t i = 1; i <= k; i++)
        r = r * (double)(n - k + i) / (double)i;
    return r;
}

/* Appends every mask with exactly `on` units kept (lexicographic combos),
 * and its complement when `paired`, each with weight w. */
static void enumerate_size(xai_job *j, size_t on, int paired, double w)
{
    size_t U = j->plan->U;
    size_t idx[64];
    for (size_t i = 0; i < on; i++)
        idx[i] = i;
    for (;;) {
        uint8_t *row = j->mask + j->S * U;
        memset(row, 0, U);
        for (size_t i = 0; i < on; i++)
            row[idx[i]] = 1;
        j->w[j->S++] = w;
        if (paired) {
            uint8_t *c = j->mask + j->S * U;
            for (size_t u = 0; u < U; u++)
                c[u] = !row[u];
            j->w[j->S++] = w;
        }
        /* next combination */
        size_t i = on;
        while (i > 0 && idx[i - 1] == U - on + i - 1)
            i--;
        if (i == 0)
            return;
        idx[i - 1]++;
        for (size_t k = i; k < on; k++)
            idx[k] = idx[k - 1] + 1;
    }
}

/* KernelSHAP coalitions.  Weight of a coalition of size s (M units):
 * (M-1) / (C(M,s) s (M-s)).  Exact when all 2^M - 2 fit in the budget;
 * otherwise, as shap's "auto": sizes s and M-s are paired, complete sizes
 * are enumerated while the budget covers them (smallest first), the rest is
 * sampled by size with the remaining kernel mass, each mask with its
 * complement.  The empty and full coalitions are the constraint. */
xai_status xai_sample_shapley(xai_job *j)
{
    const xai_plan *p = j->plan;
    size_t M = p->U, B = p->samples;
    j->S = 0;
    if (M < 2)
        return alloc_masks(j, 0);
    if (M < 31 && ((size_t)1 << M) - 2 <= B) {
        XAI_TRY(alloc_masks(j, ((size_t)1 << M) - 2));
        for (uint64_t c = 1; c + 1 < ((uint64_t)1 << M); c++) {
            uint8_t *row = j->mask + j->S * M;
            size_t s = 0;
            for (size_t u = 0; u < M; u++)
                s += (row[u] = (uint8_t)((c >> u) & 1));
            j->w[j->S++] = (double)(M - 1) / (binom(M, s) * (double)s * (double)(M - s));
        }
        j->exact = 1;
        return XAI_OK;
    }
    XAI_TRY(alloc_masks(j, B));
    size_t nsizes = M / 2, npaired = (M - 1) / 2; /* sizes 1..nsizes */
    double *kw = calloc(nsizes + 1, sizeof *kw), *rem = calloc(nsizes + 1, sizeof *rem);
    uint32_t *perm = malloc(M * sizeof *perm);
    if (!kw || !rem || !perm) {
        free(kw), free(rem), free(perm);
        return xai_fail(XAI_ERR_NOMEM, "out of memory (KernelSHAP sizes)");
    }
    double tot = 0;
    for (size_t s = 1; s <= nsizes; s++) {
        kw[s] = (double)(M - 1) / ((double)s * (double)(M - s));
        if (s <= npaired)
            kw[s] *= 2;
        tot += kw[s];
    }
    for (size_t s = 1; s <= nsizes; s++)
        rem[s] = kw[s] /= tot;
    double left = (double)B;
    size_t full = 0;
    for (size_t s = 1; s <= nsizes && M <= 64; s++) {
        double nsub = binom(M, s) * (s <= npaired ? 2 : 1);
        if (left * rem[s] / nsub < 1.0 - 1e-8)
            break;
        full = s;
        left -= nsub;
        if (rem[s] < 1.0)
            for (size_t t = s + 1; t <= nsizes; t++)
                rem[t] /= 1.0 - rem[s];
        /* kernel mass of size s spread over its masks (and complements) */
        enumerate_size(j, s, s <= npaired, kw[s] / nsub);
    }
    if (full < nsizes) {
        double mass = 0, rtot = 0;
        for (size_t s = full + 1; s <= nsizes; s++)
            mass += kw[s], rtot += rem[s];
        size_t first = j->S;
        for (size_t u = 0; u < M; u++)
            perm[u] = (uint32_t)u;
        while (j->S < B) {
            /* size by inverse CDF of the remaining mass */
            double r = xai_rng_uniform(&j->rng) * rtot, acc = 0;
            size_t s = full + 1;
            for (; s < nsizes; s++) {
                acc += rem[s];
                if (r < acc)
                    break;
            }
            uint8_t *row = j->mask + j->S * M;
            random_mask(&j->rng, perm, M, M - s, row); /* s units kept */
            j->w[j->S++] = 1.0;
            if (s <= npaired && j->S < B) {
                uint8_t *c = j->mask + j->S * M;
                for (size_t u = 0; u < M; u++)
                    c[u] = !row[u];
                j->w[j->S++] = 1.0;
            }
        }
        double n = (double)(j->S - first);
        for (size_t s = first; s < j->S; s++)
            j->w[s] = mass / n;
    }
    free(kw), free(rem), free(perm);
    return XAI_OK;
}
