/* reports/report_groups.c: "Differences between groups": the model's
 * quality and the metrics per group of rows (xai audit --group-by), the
 * largest gaps with their bootstrap intervals, and what they mean. */
#include "report_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

#define MAX_ROWS 24

/* Quantities shown: quality, the recommended method's, and every flagged one. */
static int shown(const rp_ctx *c, size_t q)
{
    const xai_audit_groups *G = c->r->groups;
    const char *rec = c->r->methods[c->r->rec_method].name;
    size_t lr = strlen(rec);
    return G->flagged[q] || !strchr(G->quantity[q], ':') ||
           (strncmp(G->quantity[q], rec, lr) == 0 && G->quantity[q][lr] == ':');
}

static xai_status group_table(rp_ctx *c)
{
    const xai_audit_groups *G = c->r->groups;
    size_t cols = 3, n = G->n_groups * cols;
    char (*txt)[64] = calloc(n, sizeof *txt);
    const char **cells = calloc(n, sizeof *cells);
    if (!txt || !cells) {
        free(txt), free(cells);
        return xai_fail(XAI_ERR_NOMEM, "audit report: out of memory");
    }
    for (size_t g = 0; g < G->n_groups; g++) {
        cells[g * cols] = G->group_names[g];
        snprintf(txt[g * cols + 1], 64, "%zu", G->rows[g]);
        snprintf(txt[g * cols + 2], 64, "%s", G->compared[g] ? "yes" : "no (too few rows)");
        cells[g * cols + 1] = txt[g * cols + 1];
        cells[g * cols + 2] = txt[g * cols + 2];
    }
    static const char *head[3] = {"group", "audited rows", "compared"};
    xai_pdf_table t = {G->n_groups, cols, head, cells, NULL, NULL, NULL};
    xai_status s = xai_pdf_add_table(c->doc, &t);
    free(txt), free(cells);
    return s;
}

static xai_status gap_table(rp_ctx *c)
{
    const xai_audit_groups *G = c->r->groups;
    size_t cols = 5, rows = 0;
    for (size_t q = 0; q < G->n_quantities && rows < MAX_ROWS; q++)
        rows += shown(c, q);
    char (*txt)[96] = calloc(rows * cols + 1, sizeof *txt);
    const char **cells = calloc(rows * cols + 1, sizeof *cells);
    xai_pdf_rgb *fill = calloc(rows * cols + 1, sizeof *fill);
    if (!txt || !cells || !fill) {
        free(txt), free(cells), free(fill);
        return xai_fail(XAI_ERR_NOMEM, "audit report: out of memory");
    }
    size_t r = 0;
    for (size_t q = 0; q < G->n_quantities && r < rows; q++) {
        if (!shown(c, q))
            continue;
        char a[32], b[32], d[32];
        char *row[5];
        for (size_t k = 0; k < cols; k++) {
            row[k] = txt[r * cols + k];
            cells[r * cols + k] = row[k];
            fill[r * cols + k] = (xai_pdf_rgb){-1, 0, 0};
        }
        snprintf(row[0], 96, "%s %s", G->quantity[q], G->higher_is_better[q] ? "\u2191" : "\u2193");
        if (G->hi[q] < 0) {
            snprintf(row[1], 96, "-");
            snprintf(row[2], 96, "fewer than two compared groups");
        } else {
            snprintf(row[1], 96, "%s", rp_num(G->gap[q], a));
            snprintf(row[2], 96, "%s (%s) vs %s (%s)", G->group_names[G->hi[q]],
                     rp_num(G->value[q * G->n_groups + G->hi[q]], b),
                     G->group_names[G->lo[q]],
                     rp_num(G->value[q * G->n_groups + G->lo[q]], d));
            snprintf(row[3], 96, "%s .. %s", rp_num(G->ci_lo[q], a), rp_num(G->ci_hi[q], b));
        }
        snprintf(row[4], 96, "%s", G->flagged[q] ? "yes" : "no");
        if (G->flagged[q])
            fill[r * cols + 4] = rp_rank_color(2, 2);
        r++;
    }
    static const char *head[5] = {"quantity", "largest gap", "between (values)",
                                  "95% interval", "beyond noise"};
    xai_pdf_table t = {rows, cols, head, cells, NULL, fill,
                       "Model quality, the recommended method's metrics and every gap "
                       "flagged for any method (all are in the JSON, key \"groups\"). "
                       "\u2191 higher is better, \u2193 lower is better."};
    xai_status s = xai_pdf_add_table(c->doc, &t);
    free(txt), free(cells), free(fill);
    return s;
}

xai_status rp_section_groups(rp_ctx *c)
{
    const xai_audit_groups *G = c->r->groups;
    if (!G)
        return XAI_OK;
    size_t nf = 0;
    for (size_t q = 0; q < G->n_quantities; q++)
        nf += G->flagged[q];
    XAI_TRY(xai_pdf_new_page(c->doc));
    XAI_TRY(xai_pdf_add_heading(c->doc, 1, "Differences between groups"));
    rp_printf(&c->t, "The audited rows split by %s into %zu groups. For each group the "
              "model's accuracy and AUC and the mean of every metric were computed; the "
              "largest gap is the difference between the best and the worst group among "
              "those with at least %d rows, with a 95%% interval from %zu bootstrap "
              "resamples of the rows within those two groups (fixed seed). A gap is "
              "flagged when its interval excludes zero. %zu of %zu gaps are flagged.",
              G->column, G->n_groups, XAI_AUDIT_GROUP_MIN_ROWS, G->bootstrap, nf,
              G->n_quantities);
    XAI_TRY(rp_paragraph(c));
    rp_printf(&c->t, "What a flagged gap means: on these rows, the model (accuracy, AUC) or "
              "the explanations (faithfulness, stability) are measurably better for one "
              "group than for another, so explanations given to members of the worse group "
              "deserve less trust. What it does not mean: it is not a test of "
              "discrimination or of the model's fairness (the groups may differ in "
              "difficulty, size and composition), the audited rows may not represent "
              "the population, many gaps are tested at once (about one in twenty gaps without "
              "real differences would still be flagged by chance), and the interval ignores "
              "that the two groups were chosen as the extremes. An unflagged gap is not "
              "evidence of equal treatment: small groups give wide intervals.");
    XAI_TRY(rp_paragraph(c));
    XAI_TRY(group_table(c));
    return gap_table(c);
}
