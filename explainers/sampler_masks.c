/* explainers/sampler_masks.c: binary masks over units (1 = unit kept,
 * 0 = unit set to the baseline): LIME-style random masks and KernelSHAP
 * coalitions (exact enumeration or sampled sizes, paired). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/rng_step.h"
#include "lfa.h"

static xai_status alloc_masks(xai_job *j, size_t cap)
{
    size_t U = j->plan->U, len;
    if (!xai_mul_size(cap ? cap : 1, U, &len))
        return xai_fail(XAI_ERR_NOMEM, "%zu masks of %zu units: too many", cap, U);
    XAI_TRY(xai_reserve((void **)&j->mask, &j->cap_mask, len, 1));
    return xai_reserve((void **)&j->w, &j->cap_w, cap, sizeof *j->w);
}

/* perm = 0, 1, ..., U - 1 in the job's buffer. */
static xai_status identity_perm(xai_job *j, uint32_t **perm)
{
    size_t U = j->plan->U;
    XAI_TRY(xai_reserve((void **)&j->perm, &j->cap_perm, U, sizeof *j->perm));
    for (size_t u = 0; u < U; u++)
        j->perm[u] = (uint32_t)u;
    *perm = j->perm;
    return XAI_OK;
}

/* Sets row to `off` random units switched off (partial Fisher-Yates on
 * perm, which carries over between rows); st is the job's rng state, held
 * in a local copy meanwhile (the byte stores to row could alias it, which
 * would keep the compiler from holding it in registers). */
static void random_mask(uint64_t *st, const rng_below_n *below, uint32_t *perm, size_t U,
                        size_t off, uint8_t *row)
{
    uint64_t s[4] = {st[0], st[1], st[2], st[3]};
    memset(row, 1, U);
    for (size_t i = 0; i < off; i++) {
        size_t r = i + (size_t)rng_below_prepared(s, &below[U - i]);
        uint32_t t = perm[r];
        perm[r] = perm[i];
        perm[i] = t;
        row[t] = 0;
    }
    memcpy(st, s, sizeof s);
}

/* LIME: the first sample is x itself; then k ~ U{1..M} units off, uniformly
 * chosen; weight exp(-k / (2 width^2)) (k = squared distance to x) or 1.
 * The draws are those of xai_rng_below on j->rng, without its divisions. */
xai_status xai_sample_masks(xai_job *j)
{
    const xai_plan *p = j->plan;
    size_t U = p->U, S = p->samples;
    XAI_TRY(alloc_masks(j, S));
    uint32_t *perm;
    XAI_TRY(identity_perm(j, &perm));
    uint64_t *st = j->rng.s;
    for (size_t s = 0; s < S; s++) {
        size_t off = s == 0 ? 0 : 1 + (size_t)rng_below_prepared(st, &p->below[U]);
        random_mask(st, p->below, perm, U, off, j->mask + s * U);
        j->w[s] = p->mask_weight[off];
    }
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
 * each followed by its complement, each with weight w.  For on = U/2 only the
 * combos holding unit 0 are listed, so every coalition appears once. */
static void enumerate_size(xai_job *j, size_t on, double w)
{
    size_t U = j->plan->U;
    size_t idx[64];
    for (size_t i = 0; i < on; i++)
        idx[i] = i;
    for (;;) {
        if (2 * on == U && idx[0] != 0)
            return; /* lexicographic: the rest lack unit 0 */
        uint8_t *row = j->mask + j->S * U;
        memset(row, 0, U);
        for (size_t i = 0; i < on; i++)
            row[idx[i]] = 1;
        j->w[j->S++] = w;
        uint8_t *c = j->mask + j->S * U;
        for (size_t u = 0; u < U; u++)
            c[u] = !row[u];
        j->w[j->S++] = w;
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

/* A set of coalitions already drawn (open addressing on a 64-bit key: the
 * mask's bits for M <= 64, else a hash of the mask). */
typedef struct seen_set {
    uint64_t *key;
    size_t cap;
} seen_set;

static uint64_t mask_key(const uint8_t *row, size_t M)
{
    uint64_t k = 0;
    if (M <= 64) {
        for (size_t u = 0; u < M; u++)
            k |= (uint64_t)row[u] << u;
        return k;
    }
    k = 1469598103934665603ull; /* FNV-1a */
    for (size_t u = 0; u < M; u++)
        k = (k ^ row[u]) * 1099511628211ull;
    return k;
}

/* Adds key; returns 0 if it was there already.  Key 0 (the empty coalition)
 * never occurs here, so 0 marks a free slot. */
static int seen_add(seen_set *h, uint64_t key)
{
    size_t i = (size_t)((key * 0x9E3779B97F4A7C15ull) >> 20) & (h->cap - 1);
    while (h->key[i]) {
        if (h->key[i] == key)
            return 0;
        i = (i + 1) & (h->cap - 1);
    }
    h->key[i] = key;
    return 1;
}

/* Appends `pairs` distinct pairs (z, complement of z) with |z| = s, drawn
 * uniformly without replacement, each coalition with weight w.  For
 * s = M/2 a pair is one unordered {z, complement}. */
static void draw_pairs(xai_job *j, uint32_t *perm, seen_set *h, size_t s, size_t pairs,
                       double w)
{
    size_t M = j->plan->U;
    for (size_t got = 0; got < pairs;) {
        uint8_t *row = j->mask + j->S * M, *c = row + M;
        random_mask(j->rng.s, j->plan->below, perm, M, M - s, row); /* s units kept */
        for (size_t u = 0; u < M; u++)
            c[u] = !row[u];
        /* the pair's key: the member that keeps unit 0 */
        if (!seen_add(h, mask_key(row[0] ? row : c, M)))
            continue;
        j->w[j->S++] = w;
        j->w[j->S++] = w;
        got++;
    }
}

/* KernelSHAP coalitions.  Weight of a coalition of size s (M units):
 * k(s) = (M-1) / (C(M,s) s (M-s)).  Exact when all 2^M - 2 fit in the
 * budget.  Otherwise the coalitions are stratified by size and every size
 * gets the same number of coalitions (water-filling: sizes with fewer
 * coalitions than that share are enumerated whole), drawn without
 * replacement (no duplicates to merge) in complementary pairs.  Equal
 * shares per size are the leverage scores of this regression (Musco &
 * Witter, ICLR 2025, "Provably accurate Shapley value estimation via
 * leverage score sampling"); pairs cancel the even part of the error
 * (Covert & Lee, AISTATS 2021).  A coalition of size s then has weight
 * K(s) / n_s, its size's kernel mass over the coalitions drawn of that size,
 * so the weighted normal equations are unbiased for the exact ones.  The
 * empty and full coalitions are the constraint (solve.c). */
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
    B &= ~(size_t)1; /* whole pairs */
    XAI_TRY(alloc_masks(j, B));
    size_t half = M / 2; /* strata t = 1..half: sizes t and M - t */
    uint32_t *perm;
    XAI_TRY(identity_perm(j, &perm));
    size_t *pairs = calloc(half + 1, sizeof *pairs);
    seen_set h = {0};
    for (h.cap = 16; h.cap < 2 * B; h.cap *= 2)
        ;
    h.key = calloc(h.cap, sizeof *h.key);
    if (!pairs || !h.key) {
        free(pairs), free(h.key);
        return xai_fail(XAI_ERR_NOMEM, "out of memory (KernelSHAP coalitions)");
    }
    /* cap[t]: pairs available in stratum t; water-fill B / 2 pairs so every
     * size gets the same count (a middle stratum holds one size, so it gets
     * half a share of pairs) */
    double left = (double)(B / 2), shares = 0;
    int *full = calloc(half + 1, sizeof *full);
    if (!full) {
        free(pairs), free(h.key);
        return xai_fail(XAI_ERR_NOMEM, "out of memory (KernelSHAP coalitions)");
    }
    for (size_t t = 1; t <= half; t++)
        shares += 2 * t == M ? 0.5 : 1.0;
    for (int changed = 1; changed;) { /* strata too small for a share: whole */
        changed = 0;
        for (size_t t = 1; t <= half; t++) {
            double cap = 2 * t == M ? binom(M, t) / 2 : binom(M, t);
            double sh = 2 * t == M ? 0.5 : 1.0;
            if (!full[t] && cap <= left / shares * sh) {
                full[t] = 1;
                left -= cap;
                shares -= sh;
                changed = 1;
            }
        }
    }
    double per = shares > 0 ? left / shares : 0; /* pairs per whole share */
    size_t used = 0;
    for (size_t t = 1; t <= half; t++) {
        double cap = 2 * t == M ? binom(M, t) / 2 : binom(M, t);
        pairs[t] = full[t] ? (size_t)cap : (size_t)(per * (2 * t == M ? 0.5 : 1.0));
        used += pairs[t];
    }
    /* the pairs lost to rounding go to the sampled strata nearest the middle */
    for (int progress = 1; progress && used < B / 2;) {
        progress = 0;
        for (size_t t = half; t >= 1 && used < B / 2; t--) {
            double cap = 2 * t == M ? binom(M, t) / 2 : binom(M, t);
            if (!full[t] && (double)pairs[t] < cap) {
                pairs[t]++;
                used++;
                progress = 1;
            }
        }
    }
    double tot = 0; /* kernel mass of sizes 1..M-1: K(s) = (M-1) / (s (M-s)) */
    for (size_t s = 1; s < M; s++)
        tot += (double)(M - 1) / ((double)s * (double)(M - s));
    for (size_t t = 1; t <= half; t++) {
        if (!pairs[t])
            continue;
        double K = (double)(M - 1) / ((double)t * (double)(M - t)) / tot;
        if (full[t]) /* every coalition of the size(s), each with k(s) */
            enumerate_size(j, t, K / binom(M, t));
        else if (2 * t == M) /* one size: 2 pairs[t] coalitions share its mass */
            draw_pairs(j, perm, &h, t, pairs[t], K / (double)(2 * pairs[t]));
        else /* pairs[t] coalitions of each size t and M - t */
            draw_pairs(j, perm, &h, t, pairs[t], K / (double)pairs[t]);
    }
    free(pairs), free(h.key), free(full);
    j->paired = 1;
    return XAI_OK;
}
