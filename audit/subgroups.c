/* audit/subgroups.c: the model's quality and every metric per group of
 * rows, the largest gap between compared groups and a bootstrap 95%
 * interval for it (rows resampled within each of the two groups). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_impl.h"
#include "core/error.h"

void audit_groups_free(xai_audit_groups *g)
{
    if (!g)
        return;
    free(g->group_names), free(g->rows), free(g->compared), free(g->quantity);
    free(g->higher_is_better), free(g->value), free(g->gap), free(g->hi), free(g->lo);
    free(g->ci_lo), free(g->ci_hi), free(g->flagged);
    free(g);
}

/* How a group's value is formed from its rows. */
typedef enum { Q_MEAN, Q_AUC } q_kind;

typedef struct quantity {
    q_kind kind;
    const double *v;     /* Q_MEAN: per-row values (non-finite skipped) */
    const double *score; /* Q_AUC: per-row P(class 1) */
    const float *labels; /* Q_AUC: 0 / 1 */
} quantity;

/* AUC = P(score of a positive > score of a negative) + ties / 2. */
static double auc_of(const quantity *q, const size_t *idx, size_t n)
{
    double wins = 0;
    size_t pos = 0, neg = 0;
    for (size_t a = 0; a < n; a++) {
        if (q->labels[idx[a]] != 1)
            continue;
        pos++;
        for (size_t b = 0; b < n; b++) {
            if (q->labels[idx[b]] != 0)
                continue;
            double sa = q->score[idx[a]], sb = q->score[idx[b]];
            wins += sa > sb ? 1.0 : sa == sb ? 0.5 : 0.0;
        }
    }
    for (size_t b = 0; b < n; b++)
        neg += q->labels[idx[b]] == 0;
    return pos && neg ? wins / ((double)pos * (double)neg) : NAN;
}

static double value_of(const quantity *q, const size_t *idx, size_t n)
{
    if (q->kind == Q_AUC)
        return auc_of(q, idx, n);
    double s = 0;
    size_t k = 0;
    for (size_t a = 0; a < n; a++)
        if (isfinite(q->v[idx[a]]))
            s += q->v[idx[a]], k++;
    return k ? s / (double)k : NAN;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* rows of each group, concatenated: members[start[g] .. start[g + 1]) */
typedef struct membership {
    size_t *members, *start;
} membership;

static void gap_with_interval(xai_audit_groups *G, size_t qi, const quantity *q,
                              const membership *ms, size_t *tmp, double *reps)
{
    size_t NG = G->n_groups;
    const double *val = G->value + qi * NG;
    int32_t hi = -1, lo = -1;
    for (size_t g = 0; g < NG; g++) {
        if (!G->compared[g] || !isfinite(val[g]))
            continue;
        if (hi < 0 || val[g] > val[hi])
            hi = (int32_t)g;
        if (lo < 0 || val[g] < val[lo])
            lo = (int32_t)g;
    }
    G->hi[qi] = G->lo[qi] = -1;
    G->gap[qi] = G->ci_lo[qi] = G->ci_hi[qi] = NAN;
    G->flagged[qi] = 0;
    if (hi < 0 || hi == lo)
        return;
    G->hi[qi] = hi, G->lo[qi] = lo;
    G->gap[qi] = val[hi] - val[lo];
    xai_rng rng;
    xai_rng_init(&rng, G->seed ^ AUDIT_TAG_GROUP, qi);
    size_t nv = 0;
    for (size_t b = 0; b < G->bootstrap; b++) {
        double v[2];
        int32_t gs[2] = {hi, lo};
        for (int u = 0; u < 2; u++) {
            size_t s0 = ms->start[gs[u]], n = ms->start[gs[u] + 1] - s0;
            for (size_t a = 0; a < n; a++)
                tmp[a] = ms->members[s0 + (size_t)(xai_rng_uniform(&rng) * (double)n) % n];
            v[u] = value_of(q, tmp, n);
        }
        if (isfinite(v[0] - v[1]))
            reps[nv++] = v[0] - v[1];
    }
    if (nv < 2)
        return;
    qsort(reps, nv, sizeof *reps, cmp_double);
    /* percentile interval: the 2.5% and 97.5% order statistics */
    G->ci_lo[qi] = reps[(size_t)floor(0.025 * (double)(nv - 1))];
    G->ci_hi[qi] = reps[(size_t)ceil(0.975 * (double)(nv - 1))];
    G->flagged[qi] = G->ci_lo[qi] > 0 || G->ci_hi[qi] < 0;
}

static xai_status alloc_groups(xai_audit_groups *G, size_t NG, size_t NQ)
{
    G->group_names = calloc(NG, sizeof *G->group_names);
    G->rows = calloc(NG, sizeof *G->rows);
    G->compared = calloc(NG, sizeof *G->compared);
    G->quantity = calloc(NQ, sizeof *G->quantity);
    G->higher_is_better = calloc(NQ, sizeof *G->higher_is_better);
    G->value = calloc(NQ * NG, sizeof *G->value);
    G->gap = calloc(NQ, sizeof *G->gap);
    G->hi = calloc(NQ, sizeof *G->hi);
    G->lo = calloc(NQ, sizeof *G->lo);
    G->ci_lo = calloc(NQ, sizeof *G->ci_lo);
    G->ci_hi = calloc(NQ, sizeof *G->ci_hi);
    G->flagged = calloc(NQ, sizeof *G->flagged);
    if (!G->group_names || !G->rows || !G->compared || !G->quantity ||
        !G->higher_is_better || !G->value || !G->gap || !G->hi || !G->lo || !G->ci_lo ||
        !G->ci_hi || !G->flagged)
        return xai_fail(XAI_ERR_NOMEM, "subgroups: out of memory");
    return XAI_OK;
}

/* Predicted class (correct or not) and P(class 1) of every row. */
static xai_status quality_rows(const xai_model *m, const float *x, size_t n,
                               const float *labels, double *correct, double *p1,
                               int *binary)
{
    size_t K = xai_model_output_size(m);
    float *y = audit_alloc(n, K * sizeof *y, "subgroup outputs");
    xai_runner *run = NULL;
    xai_status st = y ? xai_runner_new(m, &run) : XAI_ERR_NOMEM;
    if (st == XAI_OK)
        st = xai_runner_forward(run, XAI_OUTPUT_PROB, x, n, y);
    *binary = K <= 2;
    for (size_t i = 0; st == XAI_OK && i < n; i++) {
        const float *v = y + i * K;
        size_t c = 0;
        if (K == 1)
            c = v[0] >= 0.5f;
        for (size_t k = 1; k < K; k++)
            if (v[k] > v[c])
                c = k;
        correct[i] = (float)c == labels[i];
        p1[i] = K == 1 ? v[0] : K == 2 ? v[1] : NAN;
        *binary &= labels[i] == 0 || labels[i] == 1;
    }
    xai_runner_free(run);
    free(y);
    return st;
}

xai_status xai_audit_subgroups(xai_audit_result *r, const xai_model *m,
                               const float *x, const float *labels,
                               const int32_t *group, size_t n_groups,
                               const char *const *names, const char *column,
                               size_t bootstrap, uint64_t seed, int n_threads)
{
    (void)n_threads;
    if (!r || !m || !x || !group || !names || !n_groups || bootstrap < 10)
        return xai_fail(XAI_ERR_INVALID, "subgroups: result, model, rows, groups and "
                        "at least 10 bootstrap resamples are required");
    size_t n = r->n_rows, M = r->n_methods, MK = XAI_AUDIT_METRIC_COUNT;
    for (size_t i = 0; i < n; i++)
        if (group[i] < 0 || (size_t)group[i] >= n_groups)
            return xai_fail(XAI_ERR_INVALID, "subgroups: row %zu: group %d out of range",
                            i, (int)group[i]);
    /* the quantities: quality, then per method its metrics and loss */
    size_t NQ = labels ? 2 : 0;
    for (size_t j = 0; j < M; j++) {
        NQ += 1;
        for (size_t k = 0; k < MK; k++)
            NQ += r->metrics[j * MK + k].count > 0;
    }
    xai_audit_groups *G = calloc(1, sizeof *G);
    quantity *qs = calloc(NQ ? NQ : 1, sizeof *qs);
    membership ms = {audit_alloc(n, sizeof(size_t), "subgroups"),
                     audit_alloc(n_groups + 1, sizeof(size_t), "subgroups")};
    double *correct = audit_alloc(n, 2 * sizeof *correct, "subgroups");
    size_t *tmp = audit_alloc(n, sizeof *tmp, "subgroups");
    double *reps = audit_alloc(bootstrap, sizeof *reps, "subgroups");
    xai_status st = G && qs && ms.members && ms.start && correct && tmp && reps
                        ? alloc_groups(G, n_groups, NQ)
                        : xai_fail(XAI_ERR_NOMEM, "subgroups: out of memory");
    double *p1 = correct ? correct + n : NULL;
    int binary = 0;
    if (st == XAI_OK && labels)
        st = quality_rows(m, x, n, labels, correct, p1, &binary);
    if (st != XAI_OK)
        goto out;
    snprintf(G->column, sizeof G->column, "%s", column ? column : "");
    G->n_groups = n_groups, G->n_quantities = NQ, G->bootstrap = bootstrap, G->seed = seed;
    for (size_t i = 0; i < n; i++)
        G->rows[group[i]]++;
    ms.start[0] = 0;
    for (size_t g = 0; g < n_groups; g++) {
        snprintf(G->group_names[g], sizeof G->group_names[g], "%s", names[g]);
        G->compared[g] = G->rows[g] >= XAI_AUDIT_GROUP_MIN_ROWS;
        ms.start[g + 1] = ms.start[g] + G->rows[g];
    }
    size_t *pos = calloc(n_groups, sizeof *pos); /* next slot per group */
    if (!pos) {
        st = xai_fail(XAI_ERR_NOMEM, "subgroups: out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        ms.members[ms.start[group[i]] + pos[group[i]]++] = i;
    free(pos);
    size_t qi = 0;
    if (labels) {
        qs[qi] = (quantity){Q_MEAN, correct, NULL, NULL};
        snprintf(G->quantity[qi], sizeof G->quantity[qi], "accuracy");
        G->higher_is_better[qi++] = 1;
        qs[qi] = (quantity){Q_AUC, NULL, p1, labels};
        snprintf(G->quantity[qi], sizeof G->quantity[qi], "auc");
        G->higher_is_better[qi++] = 1;
    }
    for (size_t j = 0; j < M; j++) {
        qs[qi] = (quantity){Q_MEAN, r->loss + (j * r->n_nbhds + r->rec_nbhd) * n, NULL, NULL};
        snprintf(G->quantity[qi], sizeof G->quantity[qi], "%s: lfa_loss %s",
                 r->methods[j].name, r->nbhd_names[r->rec_nbhd]);
        G->higher_is_better[qi++] = 0;
        for (size_t k = 0; k < MK; k++) {
            if (!r->metrics[j * MK + k].count)
                continue;
            qs[qi] = (quantity){Q_MEAN, r->metric_rows + (k * M + j) * n, NULL, NULL};
            snprintf(G->quantity[qi], sizeof G->quantity[qi], "%s: %s", r->methods[j].name,
                     xai_audit_metric_name((xai_audit_metric)k));
            G->higher_is_better[qi++] = xai_audit_metric_higher_is_better((xai_audit_metric)k);
        }
    }
    for (size_t q = 0; q < NQ; q++) {
        for (size_t g = 0; g < n_groups; g++) {
            size_t s0 = ms.start[g], cnt = ms.start[g + 1] - s0;
            double v = cnt ? value_of(&qs[q], ms.members + s0, cnt) : NAN;
            if (qs[q].kind == Q_AUC && !binary)
                v = NAN;
            G->value[q * n_groups + g] = v;
        }
        if (qs[q].kind == Q_AUC && !binary)
            G->hi[q] = G->lo[q] = -1, G->gap[q] = G->ci_lo[q] = G->ci_hi[q] = NAN;
        else
            gap_with_interval(G, q, &qs[q], &ms, tmp, reps);
    }
    audit_groups_free(r->groups);
    r->groups = G;
    G = NULL;
out:
    audit_groups_free(G);
    free(qs), free(ms.members), free(ms.start), free(correct), free(tmp), free(reps);
    return st;
}
