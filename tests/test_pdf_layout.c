/* tests/test_pdf_layout.c: a multi-page document with every block type,
 * checked with independent tools: qpdf --check (validity), pdfinfo (pages,
 * info), pdftotext (text and word positions) and pdftoppm (rendering). */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "reports/pdf.h"
#include "reports/pdf_layout.h" /* PDF_PAGE_H, PDF_BOTTOM */
#include "support/pdf_tools.h"
#include "support/pnm.h"
#include "support/shell.h"

#define DATE 1700000000 /* 2023-11-14 22:13 UTC */
#define TABLE_ROWS 60

/* ---- helpers ------------------------------------------------------------- */

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* One word box from `pdftotext -bbox`. */
typedef struct word {
    double x0, y0, x1, y1;
    char text[128];
    int page;
} word;

/* Parses pdftotext -bbox output into words (page numbers from 1). */
static size_t parse_bbox(const char *html, word **out)
{
    size_t cap = 1024, n = 0;
    word *w = malloc(cap * sizeof *w);
    assert_non_null(w);
    int page = 0;
    for (const char *p = html; *p; p++) {
        if (strncmp(p, "<page ", 6) == 0) {
            page++;
            continue;
        }
        if (strncmp(p, "<word ", 6) != 0)
            continue;
        word x = {0};
        x.page = page;
        assert_int_equal(sscanf(p, "<word xMin=\"%lf\" yMin=\"%lf\" xMax=\"%lf\" yMax=\"%lf\">",
                                &x.x0, &x.y0, &x.x1, &x.y1), 4);
        const char *s = strchr(p, '>') + 1, *e = strstr(s, "</word>");
        size_t len = (size_t)(e - s) < sizeof x.text - 1 ? (size_t)(e - s) : sizeof x.text - 1;
        memcpy(x.text, s, len);
        x.text[len] = '\0';
        if (n == cap) {
            cap *= 2;
            w = realloc(w, cap * sizeof *w);
            assert_non_null(w);
        }
        w[n++] = x;
        p = e;
    }
    *out = w;
    return n;
}

static const word *find_word(const word *w, size_t n, const char *text)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(w[i].text, text) == 0)
            return &w[i];
    return NULL;
}

/* ---- the sample document -------------------------------------------------- */

static const char *bar_labels[] = {"Größe", "crédit", "信用 score", "duration",
                                   "age", "savings", "housing", "job",
                                   "purpose", "installment_rate", "residence",
                                   "telephone"};
static const double bar_values[] = {0.42, -0.31, 0.05, -0.27, 0.18, 0.021,
                                    -0.09, 0.012, -0.15, 0.07, -0.004, 0.0011};
#define N_BARS (sizeof bar_values / sizeof *bar_values)
#define TOP_K 8

static const char *methods[] = {"LIME", "KernelSHAP", "Occlusion", "C-LIME", "SmoothGrad"};

static void add_everything(xai_pdf *doc)
{
    assert_int_equal(xai_pdf_add_heading(doc, 1, "Summary"), XAI_OK);
    assert_int_equal(
        xai_pdf_add_paragraph(
            doc, "This report audits a credit-scoring model on 1000 applicants. The "
                 "recommended explanation method for the Gaussian neighbourhood is "
                 "KernelSHAP: it has the lowest local loss and agrees with the "
                 "gradient-based methods on the most important features, Größe and "
                 "crédit. A name in a script the font lacks, 信用, still appears.\n"
                 "Second line after a forced break, followed by a very long word: "
                 "Rechtsschutzversicherungsgesellschaftenbeitragsrückerstattungsverfahren"
                 "sbeschleunigungsgesetzesnovelle."),
        XAI_OK);
    assert_int_equal(xai_pdf_add_heading(doc, 2, "Global importance"), XAI_OK);
    xai_pdf_bar_chart bar = {N_BARS, bar_labels, bar_values, TOP_K, 1,
                             "Mean attribution per feature (KernelSHAP)", "attribution",
                             NULL, NULL};
    assert_int_equal(xai_pdf_add_bar_chart(doc, &bar), XAI_OK);

    assert_int_equal(xai_pdf_add_heading(doc, 2, "Method agreement"), XAI_OK);
    double corr[25];
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 5; j++)
            corr[i * 5 + j] = i == j ? 1.0 : cos(0.9 * (i + 1) * (j + 1)) * 0.8;
    xai_pdf_heatmap hm = {5, 5, corr, methods, methods, XAI_PDF_CMAP_DIVERGING, -1, 1, 1,
                          "Rank correlation of attributions", "Spearman rho", 330};
    assert_int_equal(xai_pdf_add_heatmap(doc, &hm), XAI_OK);

    /* methods x neighbourhoods loss table, shaded by value */
    const char *hdr[] = {"Method", "Binary masks", "Gaussian σ=0.1", "Gaussian σ=1", "Path"};
    const char *cells[5 * 5];
    char buf[5 * 5][32];
    xai_pdf_rgb fill[5 * 5];
    for (int r = 0; r < 5; r++)
        for (int c = 0; c < 5; c++) {
            if (c == 0) {
                cells[r * 5] = methods[r];
                fill[r * 5].r = -1;
                continue;
            }
            double loss = 0.05 + 0.04 * ((r * 7 + c * 3) % 10);
            snprintf(buf[r * 5 + c], 32, "%.3f", loss);
            cells[r * 5 + c] = buf[r * 5 + c];
            xai_pdf_rgb col = xai_pdf_cmap_color(XAI_PDF_CMAP_SEQUENTIAL, 1 - loss / 0.45);
            fill[r * 5 + c] = col;
        }
    xai_pdf_table lt = {5, 5, hdr, cells, NULL, fill,
                        "Local loss (lower is better) of each method on each neighbourhood."};
    assert_int_equal(xai_pdf_add_table(doc, &lt), XAI_OK);

    assert_int_equal(xai_pdf_new_page(doc), XAI_OK);
    assert_int_equal(xai_pdf_new_page(doc), XAI_OK); /* no-op: the page is empty */
    assert_int_equal(xai_pdf_add_heading(doc, 1, "Faithfulness"), XAI_OK);
    double k[11], del[3][11];
    for (int i = 0; i <= 10; i++) {
        k[i] = i * 10;
        for (int s = 0; s < 3; s++)
            del[s][i] = exp(-i * (0.15 + 0.12 * s));
    }
    del[2][5] = NAN; /* a gap in one series */
    xai_pdf_series series[3] = {{"KernelSHAP", 11, k, del[0]},
                                {"LIME", 11, k, del[1]},
                                {"Gradient × Input", 11, k, del[2]}};
    xai_pdf_line_chart lc = {3, series, "Deletion curves", "% of features removed",
                             "P(good credit)", 0, 1};
    assert_int_equal(xai_pdf_add_line_chart(doc, &lc), XAI_OK);

    enum { H = 28, W = 28 };
    static float img[3 * H * W];
    static double ov[H * W], ov_small[7 * 7];
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            double r2 = (x - 14.0) * (x - 14.0) + (y - 12.0) * (y - 12.0);
            img[y * W + x] = (float)(0.2 + 0.7 * exp(-r2 / 60));
            img[H * W + y * W + x] = (float)(0.3 + 0.5 * x / W);
            img[2 * H * W + y * W + x] = (float)(0.8 - 0.6 * y / H);
            ov[y * W + x] = sin(x / 4.0) * cos(y / 5.0);
        }
    for (int i = 0; i < 49; i++)
        ov_small[i] = (i % 7) * (i / 7) / 36.0;
    xai_pdf_image tiles[4] = {
        {3, H, W, img, NULL, 0, 0, XAI_PDF_CMAP_AUTO, "input"},
        {3, H, W, img, ov, 0, 0, XAI_PDF_CMAP_AUTO, "Integrated Gradients"},
        {1, H, W, img, ov_small, 7, 7, XAI_PDF_CMAP_SEQUENTIAL, "Grad-CAM++"},
        {0, H, W, NULL, ov, 0, 0, XAI_PDF_CMAP_DIVERGING, "map only"},
    };
    assert_int_equal(xai_pdf_add_image_grid(doc, tiles, 4, "Explanations of image 17"),
                     XAI_OK);
    assert_int_equal(xai_pdf_add_code(doc, "xai audit --model credit.onnx --data german.csv "
                                           "--seed 42 --out report.pdf\nthreads: 2"),
                     XAI_OK);

    /* a table long enough to continue on the next page */
    assert_int_equal(xai_pdf_add_heading(doc, 1, "Feature table"), XAI_OK);
    static char names[TABLE_ROWS][32], vals[TABLE_ROWS][32], ranks[TABLE_ROWS][16];
    static const char *tc[TABLE_ROWS * 4];
    for (int r = 0; r < TABLE_ROWS; r++) {
        snprintf(names[r], 32, "row-%03d", r + 1);
        snprintf(vals[r], 32, "%.4f", pow(-1, r) * 1000.0 / (r + 1));
        snprintf(ranks[r], 16, "%d", r + 1);
        tc[r * 4] = names[r];
        tc[r * 4 + 1] = vals[r];
        tc[r * 4 + 2] = ranks[r];
        tc[r * 4 + 3] = r == 3 ? "Größe crédit 信用" : "";
    }
    const char *th[] = {"Feature name", "Mean attribution", "Rank", "Note"};
    xai_pdf_table big = {TABLE_ROWS, 4, th, tc, NULL, NULL, NULL};
    assert_int_equal(xai_pdf_add_table(doc, &big), XAI_OK);
}

static xai_pdf *new_doc(void) { return pdf_new_doc("Audit of credit.onnx — Größe", DATE); }

/* ---- tests ---------------------------------------------------------------- */

static char g_dir[64], g_pdf[128];
static size_t g_pages;

/* The words of the sample document (pdftotext -bbox). */
static size_t sample_words(word **out)
{
    char *html;
    assert_int_equal(sh_run(&html, "pdftotext -bbox -enc UTF-8 '%s' - 2>/dev/null", g_pdf), 0);
    size_t n = parse_bbox(html, out);
    free(html);
    return n;
}

static int setup(void **state)
{
    (void)state;
    tmp_dir(g_dir, sizeof g_dir, "xai_pdf_test");
    snprintf(g_pdf, sizeof g_pdf, "%s/sample.pdf", g_dir);
    xai_pdf *doc = new_doc();
    add_everything(doc);
    g_pages = xai_pdf_page_count(doc);
    if (xai_pdf_save(doc, g_pdf) != XAI_OK)
        fprintf(stderr, "save: %s\n", xai_last_error());
    xai_pdf_free(doc);
    const char *keep = getenv("XAI_PDF_SAMPLE"); /* for looking at it by hand */
    if (keep)
        sh_run(NULL, "cp '%s' '%s'", g_pdf, keep);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rm_tree(g_dir);
    return 0;
}

static void qpdf_check_passes(void **state)
{
    (void)state;
    char *out;
    int st = sh_run(&out, "qpdf --check '%s' 2>&1", g_pdf);
    if (st != 0)
        fprintf(stderr, "%s\n", out);
    assert_int_equal(st, 0);
    assert_non_null(strstr(out, "No syntax or stream encoding errors"));
    free(out);
}

static void info_and_page_count(void **state)
{
    (void)state;
    char *out;
    assert_int_equal(sh_run(&out, "pdfinfo '%s'", g_pdf), 0);
    size_t pages = 0;
    const char *p = strstr(out, "Pages:");
    assert_non_null(p);
    sscanf(p, "Pages: %zu", &pages);
    assert_true(pages >= 3); /* the long table alone needs more than a page */
    assert_int_equal(pages, g_pages);
    char creator[64];
    snprintf(creator, sizeof creator, "xai %s", xai_version());
    assert_non_null(strstr(out, creator));
    assert_non_null(strstr(out, "Audit of credit.onnx — Größe"));
    assert_non_null(strstr(out, "CreationDate:"));
    free(out);
}

static void text_comes_back(void **state)
{
    (void)state;
    char *txt = pdf_text(g_pdf);
    const char *must[] = {"Summary", "Global importance", "Method agreement",
                          "Faithfulness", "Feature table", "Größe", "crédit",
                          "KernelSHAP", "Binary masks", "Gaussian σ=0.1", "row-001",
                          "row-060", "Deletion curves", "Gradient × Input",
                          "Explanations of image 17", "Grad-CAM++", "--seed 42",
                          "2023-11-14", "page 1 of", "4 others (sum)",
                          "Rechtsschutzversicherungs"};
    for (size_t i = 0; i < sizeof must / sizeof *must; i++) {
        if (!strstr(txt, must[i]))
            fprintf(stderr, "missing: %s\n", must[i]);
        assert_non_null(strstr(txt, must[i]));
    }
    char last[64];
    snprintf(last, sizeof last, "page %zu of %zu", g_pages, g_pages);
    assert_non_null(strstr(txt, last));
    /* one footer per page, one header (title) per page */
    assert_int_equal(count(txt, "page "), g_pages);
    assert_int_equal(count(txt, "Audit of credit.onnx"), g_pages);
    /* the 4 smallest |value| bars are folded into "others" */
    assert_null(strstr(txt, "telephone"));
    assert_null(strstr(txt, "residence"));
    free(txt);
}

/* The long table's header row repeats on each page the table reaches. */
static void table_header_repeats(void **state)
{
    (void)state;
    word *w;
    size_t n = sample_words(&w);
    int first = 0, last = 0, header_pages = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(w[i].text, "row-001") == 0)
            first = w[i].page;
        if (strcmp(w[i].text, "row-060") == 0)
            last = w[i].page;
    }
    assert_true(first > 0 && last > first);
    for (int p = first; p <= last; p++)
        for (size_t i = 0; i < n; i++)
            if (w[i].page == p && strcmp(w[i].text, "Rank") == 0) {
                header_pages++;
                break;
            }
    assert_int_equal(header_pages, last - first + 1);
    free(w);
}

/* Numeric columns align right (common right edge), text columns left; no
 * word leaves the page's text area. */
static void table_alignment(void **state)
{
    (void)state;
    word *w;
    size_t n = sample_words(&w);
    double name_x0 = -1, val_x1 = -1, val_x0_min = 1e9, val_x0_max = -1;
    int rows = 0;
    for (size_t i = 0; i < n; i++) {
        assert_true(w[i].x0 >= 56 - 1 && w[i].x1 <= 595.276 - 56 + 1);
        if (strncmp(w[i].text, "row-0", 5) != 0)
            continue;
        rows++;
        if (name_x0 < 0)
            name_x0 = w[i].x0;
        assert_true(fabs(w[i].x0 - name_x0) < 0.5);
        /* the value is the next word on the same line */
        const word *v = &w[i + 1];
        assert_true(fabs(v->y0 - w[i].y0) < 1);
        if (val_x1 < 0)
            val_x1 = v->x1;
        assert_true(fabs(v->x1 - val_x1) < 0.5);
        val_x0_min = fmin(val_x0_min, v->x0);
        val_x0_max = fmax(val_x0_max, v->x0);
    }
    assert_int_equal(rows, TABLE_ROWS);
    /* "1000.0000" and "-16.6667" differ in width, so left edges differ */
    assert_true(val_x0_max - val_x0_min > 5);
    free(w);
}

/* An explicit page break: "Faithfulness" opens a page (right under the
 * header), and the table before it ends the previous one. */
static void page_break_honoured(void **state)
{
    (void)state;
    word *w;
    size_t n = sample_words(&w);
    const word *f = find_word(w, n, "Faithfulness"), *l = find_word(w, n, "Local");
    assert_non_null(f);
    assert_non_null(l);
    assert_int_equal(f->page, l->page + 1);
    for (size_t i = 0; i < n; i++) /* nothing between header and heading */
        if (w[i].page == f->page && w[i].y0 > 60)
            assert_true(w[i].y0 >= f->y0 - 0.5);
    free(w);
}

/* Bars are ordered by |value|, largest on top, as an independent sort says. */
static void bars_sorted_by_magnitude(void **state)
{
    (void)state;
    word *w;
    size_t n = sample_words(&w);
    size_t order[N_BARS];
    for (size_t i = 0; i < N_BARS; i++)
        order[i] = i;
    for (size_t i = 0; i < N_BARS; i++) /* selection sort by |v| descending */
        for (size_t j = i + 1; j < N_BARS; j++)
            if (fabs(bar_values[order[j]]) > fabs(bar_values[order[i]])) {
                size_t t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
    double prev_y = -1;
    for (size_t r = 0; r < TOP_K; r++) {
        char first[64];
        sscanf(bar_labels[order[r]], "%63s", first); /* first word of the label */
        const word *l = find_word(w, n, first);
        assert_non_null(l);
        assert_true(l->y0 > prev_y); /* further down the page */
        prev_y = l->y0;
    }
    const word *o = find_word(w, n, "others");
    assert_non_null(o);
    assert_true(o->y0 > prev_y);
    free(w);
}

/* Every page renders and none is blank. */
static void pages_render_not_blank(void **state)
{
    (void)state;
    assert_int_equal(
        sh_run(NULL, "pdftoppm -r 30 -gray '%s' '%s/pg' 2>/dev/null", g_pdf, g_dir), 0);
    for (size_t p = 1; p <= g_pages; p++) {
        char path[256];
        /* pdftoppm zero-pads the page number to the width of the last one */
        snprintf(path, sizeof path, "%s/pg-%0*zu.pgm", g_dir, g_pages >= 10 ? 2 : 1, p);
        unsigned char *px;
        size_t w, n = pgm_read(path, &px, &w), dark = 0;
        assert_true(n > 64 * w);
        /* count only the body: header and footer alone do not make a page */
        for (size_t i = 32 * w; i < n - 32 * w; i++)
            dark += px[i] < 200;
        free(px);
        assert_true(dark > 200);
    }
    char extra[256];
    snprintf(extra, sizeof extra, "%s/pg-%zu.pgm", g_dir, g_pages + 1);
    assert_int_equal(access(extra, F_OK), -1);
}

/* Page 1 holds the bar chart (red and blue bars) and the heatmap: strongly
 * coloured pixels of both hues appear. */
static void charts_have_colour(void **state)
{
    (void)state;
    assert_int_equal(sh_run(NULL, "pdftoppm -r 30 -f 1 -l 1 '%s' '%s/col' 2>/dev/null", g_pdf,
                            g_dir), 0);
    char path[256];
    snprintf(path, sizeof path, "%s/col-%0*d.ppm", g_dir, g_pages >= 10 ? 2 : 1, 1);
    unsigned char *px;
    size_t n = ppm_read(path, &px), red = 0, blue = 0;
    for (size_t i = 0; i < n; i++) {
        int r = px[3 * i], b = px[3 * i + 2];
        red += r > b + 80;
        blue += b > r + 80;
    }
    free(px);
    assert_true(red > 50);
    assert_true(blue > 50);
}

/* Same content and date: byte-identical files. */
static void deterministic_output(void **state)
{
    (void)state;
    char again[160];
    snprintf(again, sizeof again, "%s/again.pdf", g_dir);
    xai_pdf *doc = new_doc();
    add_everything(doc);
    assert_int_equal(xai_pdf_save(doc, again), XAI_OK);
    xai_pdf_free(doc);
    assert_int_equal(sh_run(NULL, "cmp -s '%s' '%s'", g_pdf, again), 0);
    unlink(again);
}

/* A long table of tall (wrapped, 5-9 line) rows: no table text is drawn
 * below the bottom margin; the page break must account for each row's
 * height (words from pdftotext -bbox, y measured from the top). */
static void tall_rows_stay_above_margin(void **state)
{
    (void)state;
    enum { ROWS = 40 };
    static char name[ROWS][16], body[ROWS][512];
    static const char *cells[ROWS * 2];
    for (int r = 0; r < ROWS; r++) {
        snprintf(name[r], sizeof name[r], "tall%02d", r);
        body[r][0] = 0;
        for (int k = 0; k < 60 + 25 * (r % 3); k++)
            strcat(body[r], "lorem ");
        cells[r * 2] = name[r];
        cells[r * 2 + 1] = body[r];
    }
    const char *hdr[] = {"Row", "Text"};
    xai_pdf *doc = new_doc();
    xai_pdf_table t = {ROWS, 2, hdr, cells, NULL, NULL, NULL};
    assert_int_equal(xai_pdf_add_table(doc, &t), XAI_OK);
    char path[160];
    snprintf(path, sizeof path, "%s/tall.pdf", g_dir);
    assert_int_equal(xai_pdf_save(doc, path), XAI_OK);
    xai_pdf_free(doc);
    char *html;
    assert_int_equal(sh_run(&html, "pdftotext -bbox -enc UTF-8 '%s' - 2>/dev/null", path), 0);
    word *w;
    size_t n = parse_bbox(html, &w), seen = 0;
    free(html);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(w[i].text, "lorem") != 0 && strncmp(w[i].text, "tall", 4) != 0)
            continue;
        seen++;
        if (w[i].y1 > PDF_PAGE_H - PDF_BOTTOM + 0.5)
            fail_msg("'%s' on page %d ends at %.1f pt from the top, below the "
                     "bottom margin (%.1f)", w[i].text, w[i].page, w[i].y1,
                     PDF_PAGE_H - PDF_BOTTOM);
    }
    assert_true(seen > ROWS * 60);
    free(w);
    unlink(path);
}

/* A row whose cells are all empty is as tall as a one-line row: a long
 * table of empty rows takes as many pages as the same table of "x" rows. */
static void empty_rows_are_one_line_tall(void **state)
{
    (void)state;
    enum { ROWS = 150 };
    static const char *empty[ROWS * 2], *xs[ROWS * 2];
    for (int i = 0; i < ROWS * 2; i++)
        empty[i] = i % 2 ? "" : NULL, xs[i] = "x";
    const char *hdr[] = {"A", "B"};
    size_t pages[2];
    for (int k = 0; k < 2; k++) {
        xai_pdf *doc = new_doc();
        xai_pdf_table t = {ROWS, 2, hdr, k ? xs : empty, NULL, NULL, NULL};
        assert_int_equal(xai_pdf_add_table(doc, &t), XAI_OK);
        pages[k] = xai_pdf_page_count(doc);
        xai_pdf_free(doc);
    }
    assert_true(pages[1] >= 3);
    assert_int_equal(pages[0], pages[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(qpdf_check_passes),
        cmocka_unit_test(info_and_page_count),
        cmocka_unit_test(text_comes_back),
        cmocka_unit_test(table_header_repeats),
        cmocka_unit_test(table_alignment),
        cmocka_unit_test(bars_sorted_by_magnitude),
        cmocka_unit_test(page_break_honoured),
        cmocka_unit_test(pages_render_not_blank),
        cmocka_unit_test(charts_have_colour),
        cmocka_unit_test(deterministic_output),
        cmocka_unit_test(tall_rows_stay_above_margin),
        cmocka_unit_test(empty_rows_are_one_line_tall),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
