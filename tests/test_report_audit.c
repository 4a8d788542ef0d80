/* tests/test_report_audit.c: the PDF audit report, checked with independent
 * tools: qpdf --check (validity), pdftotext (headings, method and feature
 * names, SHA-256 from sha256sum), pdftoppm (every page renders, none is
 * blank).  Also: non-ASCII feature names, an unwritable destination and a
 * failure midway (nothing left behind), reproducibility across runs, and
 * the audit's stored attributions against a direct xai_explain_rows call. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <hpdf_version.h>

#include <xai/xai.h>

#include "reports/audit_report.h"
#include "support/pdf_tools.h"
#include "support/pnm.h"
#include "support/run_cmd.h"
#include "support/shell.h"

#define CREDIT_MODEL "examples/credit/model.onnx"
#define CREDIT_DATA "examples/credit/data/test.csv"
#define DATE 1700000000
#define N_ROWS 8

static const char *headings[] = {
    "Summary", "Model quality", "Recommended explanation method", "Main risks found",
    "Methods \u00d7 neighbourhoods: LFA loss", "What the neighbourhoods mean",
    "Rankings by metric", "Prediction gaps against k", "Global importance",
    "Method agreement", "Explained instances", "Limitations", "Reproducibility",
    "Library versions"};
#define N_HEADINGS (sizeof headings / sizeof *headings)

/* ---- helpers ------------------------------------------------------------- */

static void must_contain(const char *text, const char *needle)
{
    if (!strstr(text, needle))
        fail_msg("report text lacks '%s'", needle);
}

/* Renders every page in grey at 30 dpi; each page's body (between header
 * and footer) must have at least 0.5% non-white pixels.  Returns pages. */
static int check_pages(const char *pdf, const char *dir)
{
    char *info;
    assert_int_equal(sh_run(&info, "pdfinfo '%s' 2>/dev/null | sed -n 's/^Pages: *//p'", pdf), 0);
    int pages = atoi(info);
    free(info);
    assert_true(pages >= 5);
    assert_int_equal(sh_run(NULL, "pdftoppm -r 30 -gray '%s' '%s/pg' 2>/dev/null", pdf, dir), 0);
    for (int k = 1; k <= pages; k++) {
        char path[512];
        int found = 0;
        for (int width = 1; width <= 3 && !found; width++) { /* pdftoppm pads page numbers */
            snprintf(path, sizeof path, "%s/pg-%0*d.pgm", dir, width, k);
            found = access(path, F_OK) == 0;
        }
        if (!found)
            fail_msg("page %d of %s was not rendered", k, pdf);
        unsigned char *px;
        size_t w, n = pgm_read(path, &px, &w), h = n / w, dark = 0, body = 0;
        for (size_t y = h / 10; y < h - h / 10; y++)
            for (size_t x = 0; x < w; x++, body++)
                dark += px[y * w + x] < 200;
        free(px);
        if (dark * 200 < body)
            fail_msg("page %d of %s is blank (%zu of %zu body pixels drawn)", k, pdf, dark, body);
        remove(path);
    }
    return pages;
}

/* ---- the credit audit through the API ------------------------------------ */

typedef struct credit {
    xai_dataset *ds;
    xai_model *m;
    xai_column_stats *st;
    xai_explain_context ctx;
    xai_audit_result *r;
} credit;

static void credit_run(credit *c)
{
    xai_csv_options co = xai_csv_options_default();
    co.label = "credit-risk";
    co.groups_auto = 1;
    assert_int_equal(xai_dataset_load_csv(CREDIT_DATA, &co, &c->ds), XAI_OK);
    assert_int_equal(xai_model_load(CREDIT_MODEL, &c->m), XAI_OK);
    size_t D = xai_dataset_features(c->ds);
    c->st = calloc(D, sizeof *c->st);
    assert_non_null(c->st);
    for (size_t j = 0; j < D; j++)
        c->st[j] = *xai_dataset_stats(c->ds, j);
    c->ctx = (xai_explain_context){.n_features = D, .stats = c->st,
                                   .groups = xai_dataset_feature_groups(c->ds),
                                   .n_groups = xai_dataset_group_count(c->ds)};
    static const char *names[] = {"gradient", "c-lime", "kernelshap"};
    xai_audit_method ms[3];
    xai_audit_options o = xai_audit_options_default();
    o.base.seed = 5;
    for (int k = 0; k < 3; k++) {
        ms[k].options = o.base;
        assert_int_equal(xai_method_lookup(names[k], &ms[k].options.method), XAI_OK);
        snprintf(ms[k].name, sizeof ms[k].name, "%s", names[k]);
    }
    o.methods = ms;
    o.n_methods = 3;
    o.loss_samples = 200;
    o.pgi_samples = 20;
    o.infid_samples = 20;
    o.sens_points = 1;
    o.n_threads = 2;
    assert_int_equal(xai_audit_run(c->m, &c->ctx, &o, xai_dataset_row(c->ds, 0), N_ROWS, 0,
                                   xai_dataset_labels(c->ds), &c->r), XAI_OK);
}

static void credit_free(credit *c)
{
    xai_audit_result_free(c->r);
    xai_dataset_free(c->ds);
    xai_model_free(c->m);
    free(c->st);
}

static xai_report_input credit_input(const credit *c)
{
    xai_report_input in = xai_report_input_default();
    in.audit = c->r;
    in.data = c->ds;
    in.model = c->m;
    in.model_path = CREDIT_MODEL;
    in.data_path = CREDIT_DATA;
    in.command_line = "xai audit (test)";
    in.seed = 5;
    in.n_threads = 2;
    in.date = DATE;
    return in;
}

/* The stored attributions are what xai_explain_rows gives with the
 * resolved options of each method. */
static void stored_phi_matches_explain(void **state)
{
    (void)state;
    credit c;
    credit_run(&c);
    size_t D = c.r->n_features;
    float *phi = malloc(N_ROWS * D * sizeof *phi);
    assert_non_null(phi);
    for (size_t m = 0; m < c.r->n_methods; m++) {
        assert_int_equal(xai_explain_rows(c.m, &c.r->methods[m].options, &c.ctx,
                                          xai_dataset_row(c.ds, 0), N_ROWS, 0, phi, NULL, 1),
                         XAI_OK);
        for (size_t i = 0; i < N_ROWS * D; i++)
            if (phi[i] != c.r->phi[m * N_ROWS * D + i])
                fail_msg("%s: phi[%zu] %g != stored %g", c.r->methods[m].name, i, phi[i],
                         c.r->phi[m * N_ROWS * D + i]);
    }
    free(phi);
    credit_free(&c);
}

static void credit_report_content(void **state)
{
    (void)state;
    credit c;
    credit_run(&c);
    char dir[64], pdf[128];
    tmp_dir(dir, sizeof dir, "xai_report_test");
    snprintf(pdf, sizeof pdf, "%s/report.pdf", dir);
    xai_report_input in = credit_input(&c);
    assert_int_equal(xai_report_write_audit(&in, pdf), XAI_OK);
    pdf_assert_valid(pdf);
    check_pages(pdf, dir);
    assert_int_equal(dir_entries(dir), 1); /* the report only: no temporary file */
    char *t = pdf_text(pdf);
    for (size_t k = 0; k < N_HEADINGS; k++)
        must_contain(t, headings[k]);
    char line[256];
    snprintf(line, sizeof line, "Use %s.", c.r->methods[c.r->rec_method].name);
    must_contain(t, line);
    must_contain(t, "The first 5 of the 8 explained rows");
    must_contain(t, "Row 4");
    must_contain(t, "2023-11-14"); /* the fixed date */
    must_contain(t, "libharu (libhpdf) " HPDF_VERSION_TEXT); /* the header's version */
    /* SHA-256 of both files from sha256sum */
    char *sum;
    assert_int_equal(sh_run(&sum, "sha256sum %s %s | cut -c1-64", CREDIT_MODEL, CREDIT_DATA), 0);
    sum[64] = 0;
    must_contain(t, sum);
    must_contain(t, sum + 65);
    free(sum);
    /* every method's 15 largest groups by mean |group attribution| appear */
    size_t G = xai_dataset_group_count(c.ds), D = c.r->n_features;
    const uint32_t *grp = xai_dataset_feature_groups(c.ds);
    double *imp = malloc(G * sizeof *imp), *row = malloc(G * sizeof *row);
    assert_non_null(imp);
    assert_non_null(row);
    for (size_t m = 0; m < c.r->n_methods; m++) {
        memset(imp, 0, G * sizeof *imp);
        for (size_t i = 0; i < N_ROWS; i++) {
            memset(row, 0, G * sizeof *row);
            for (size_t j = 0; j < D; j++)
                row[grp[j]] += c.r->phi[(m * N_ROWS + i) * D + j];
            for (size_t g = 0; g < G; g++)
                imp[g] += fabs(row[g]);
        }
        for (int k = 0; k < 15; k++) {
            size_t best = 0;
            for (size_t g = 1; g < G; g++)
                if (imp[g] > imp[best])
                    best = g;
            must_contain(t, xai_dataset_group_name(c.ds, best));
            imp[best] = -1;
        }
    }
    free(imp), free(row), free(t);
    rm_tree(dir);
    credit_free(&c);
}

/* A path under a regular file cannot be created even by root; a failure
 * while building (a missing font) leaves an existing file untouched. */
static void unwritable_and_midway(void **state)
{
    (void)state;
    credit c;
    credit_run(&c);
    char dir[64], file[128], bad[160], keep[128];
    tmp_dir(dir, sizeof dir, "xai_report_test");
    snprintf(file, sizeof file, "%s/plain", dir);
    snprintf(bad, sizeof bad, "%s/report.pdf", file);
    snprintf(keep, sizeof keep, "%s/keep.pdf", dir);
    file_write(file, "");
    file_write(keep, "old");
    xai_report_input in = credit_input(&c);
    assert_int_equal(xai_report_write_audit(&in, bad), XAI_ERR_IO);
    must_contain(xai_last_error(), bad);
    must_contain(xai_last_error(), "Not a directory");
    in.font_dir = "/nonexistent-fonts";
    assert_int_not_equal(xai_report_write_audit(&in, keep), XAI_OK);
    must_contain(xai_last_error(), "keep.pdf");
    assert_int_equal(dir_entries(dir), 2); /* plain and keep.pdf only */
    char *got = file_read(keep, NULL);
    assert_non_null(got);
    assert_string_equal(got, "old");
    free(got);
    /* the CLI: exit 1 with the path in the message */
    static cmd_result r;
    assert_int_equal(cmd_run(&r, "audit --model " CREDIT_MODEL " --data " CREDIT_DATA
                             " --label credit-risk --rows 0:4 --methods gradient "
                             "--sens-points 0 --samples 50 --out %s", bad), 1);
    must_contain(r.err, bad);
    assert_int_equal(dir_entries(dir), 2);
    rm_tree(dir);
    credit_free(&c);
}

/* ---- the CLI ------------------------------------------------------------- */

#define CREDIT_CLI "audit --model " CREDIT_MODEL " --data " CREDIT_DATA \
    " --label credit-risk --groups auto --rows 0:8 --methods gradient,c-lime,kernelshap " \
    "--sens-points 1 --samples 200 --seed 3 --threads 2"

/* Dates and the run time removed: everything else must be identical. */
static char *stable_text(const char *pdf)
{
    char *t;
    assert_int_equal(sh_run(&t, "pdftotext -layout -enc UTF-8 '%s' - 2>/dev/null | grep -v 'run time' "
                            "| sed -E 's/[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2} UTC//g'",
                            pdf), 0);
    return t;
}

static void cli_reproducible(void **state)
{
    (void)state;
    char dir[64], a[128], j[128], b[128];
    tmp_dir(dir, sizeof dir, "xai_report_test");
    snprintf(a, sizeof a, "%s/a.pdf", dir);
    snprintf(j, sizeof j, "%s/a.json", dir);
    snprintf(b, sizeof b, "%s/b.pdf", dir);
    static cmd_result r;
    /* the same command twice (the command line is in the report) */
    assert_int_equal(cmd_run(&r, CREDIT_CLI " --out %s --json %s", a, j), 0);
    must_contain(r.out, a);
    pdf_assert_valid(a);
    char *ta = stable_text(a);
    assert_int_equal(cmd_run(&r, CREDIT_CLI " --out %s --json %s", a, j), 0);
    char *tb = stable_text(a);
    must_contain(ta, "Reproducibility"); /* sanity: not everything was filtered */
    must_contain(ta, "--seed 3");        /* the command line */
    if (strcmp(ta, tb) != 0)
        fail_msg("two runs with the same seed differ");
    free(ta), free(tb);
    assert_int_equal(access(j, F_OK), 0);
    /* the PDF alone, without --json */
    assert_int_equal(cmd_run(&r, CREDIT_CLI " --out %s", b), 0);
    pdf_assert_valid(b);
    rm_tree(dir);
}

static void cli_image_report(void **state)
{
    (void)state;
    char dir[64], pdf[128];
    tmp_dir(dir, sizeof dir, "xai_report_test");
    snprintf(pdf, sizeof pdf, "%s/digits.pdf", dir);
    static cmd_result r;
    assert_int_equal(cmd_run(&r, "audit --model tests/fixtures/models/cnn.onnx --data "
                             "tests/fixtures/data/digits_head.csv --label digit "
                             "--image-shape 1,8,8 --scale 16 --rows 0:3 --methods "
                             "gradient,occlusion,integrated-gradients --sens-points 1 "
                             "--samples 100 --instances 2 --out %s", pdf), 0);
    pdf_assert_valid(pdf);
    check_pages(pdf, dir);
    char *t = pdf_text(pdf);
    for (size_t k = 0; k < N_HEADINGS; k++)
        must_contain(t, headings[k]);
    must_contain(t, "Deletion and insertion curves");
    must_contain(t, "The first 2 of the 3 explained rows");
    must_contain(t, "integrated-gradients");
    free(t);
    rm_tree(dir);
}

/* Feature names in UTF-8: Latin with accents renders and extracts; a
 * script the font lacks (CJK) does not fail the report. */
static void cli_unicode_names(void **state)
{
    (void)state;
    char dir[64], csv[128], pdf[128];
    tmp_dir(dir, sizeof dir, "xai_report_test");
    snprintf(csv, sizeof csv, "%s/names.csv", dir);
    snprintf(pdf, sizeof pdf, "%s/names.pdf", dir);
    FILE *f = fopen(csv, "w");
    assert_non_null(f);
    fputs("Größe,crédit,信用,age,income\n", f);
    for (int i = 0; i < 12; i++)
        fprintf(f, "%g,%g,%g,%g,%g\n", sin(i + 1.0), cos(2.0 * i), 0.1 * i - 0.5,
                (i * 7 % 5) - 2.0, 0.3 * sin(3.0 * i));
    fclose(f);
    static cmd_result r;
    assert_int_equal(cmd_run(&r, "audit --model tests/fixtures/models/linear.onnx --data %s "
                             "--methods gradient,c-lime --sens-points 1 --samples 100 "
                             "--out %s", csv, pdf), 0);
    pdf_assert_valid(pdf);
    check_pages(pdf, dir);
    char *t = pdf_text(pdf);
    must_contain(t, "Größe");
    must_contain(t, "crédit");
    must_contain(t, "income");
    must_contain(t, "no label column"); /* model quality unknown, said plainly */
    free(t);
    rm_tree(dir);
}

int main(int argc, char **argv)
{
    (void)argc;
    cmd_init(argv[0]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stored_phi_matches_explain),
        cmocka_unit_test(credit_report_content),
        cmocka_unit_test(unwritable_and_midway),
        cmocka_unit_test(cli_reproducible),
        cmocka_unit_test(cli_image_report),
        cmocka_unit_test(cli_unicode_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
