/* tests/test_pdf_errors.c: failures give clear messages and leave nothing
 * behind; bad arguments are refused without spoiling the document. */
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
#include "support/pdf_tools.h"
#include "support/shell.h"

/* The names in dir, one per line. */
static void assert_listing(const char *dir, const char *expected)
{
    char *out;
    assert_int_equal(sh_run(&out, "ls -A '%s'", dir), 0);
    if (strcmp(out, expected) != 0)
        fprintf(stderr, "listing of %s: [%s], expected [%s]\n", dir, out, expected);
    assert_string_equal(out, expected);
    free(out);
}

static xai_pdf *small_doc(void)
{
    xai_pdf *d = pdf_new_doc("Errors", 0);
    assert_int_equal(xai_pdf_add_heading(d, 1, "Section"), XAI_OK);
    assert_int_equal(xai_pdf_add_paragraph(d, "Some text."), XAI_OK);
    return d;
}

/* ---- saving ---------------------------------------------------------------- */

/* A directory that cannot be created in (a path through a regular file: this
 * fails even for root, unlike chmod 555). */
static void save_under_regular_file(void **state)
{
    (void)state;
    char dir[64], file[96], path[160];
    tmp_dir(dir, sizeof dir, "xai_pdf_err");
    snprintf(file, sizeof file, "%s/xx", dir);
    snprintf(path, sizeof path, "%s/report.pdf", file);
    file_write(file, "not a directory");
    xai_pdf *d = small_doc();
    assert_int_equal(xai_pdf_save(d, path), XAI_ERR_IO);
    assert_non_null(strstr(xai_last_error(), path));
    assert_non_null(strstr(xai_last_error(), "temporary"));
    /* a later save to a good path still works */
    char good[160];
    snprintf(good, sizeof good, "%s/good.pdf", dir);
    assert_int_equal(xai_pdf_save(d, good), XAI_OK);
    xai_pdf_free(d);
    pdf_assert_valid(good);
    unlink(good);
    assert_listing(dir, "xx\n");
    char *out = file_read(file, NULL);
    assert_non_null(out);
    assert_string_equal(out, "not a directory");
    free(out);
    rm_tree(dir);
}

/* The destination is a directory: refused (xai replaces regular files
 * only), and no temporary file is left. */
static void failed_rename_leaves_nothing(void **state)
{
    (void)state;
    char dir[64], sub[96], keep[128];
    tmp_dir(dir, sizeof dir, "xai_pdf_err");
    snprintf(sub, sizeof sub, "%s/sub", dir);
    snprintf(keep, sizeof keep, "%s/keep", sub);
    assert_int_equal(mkdir(sub, 0755), 0);
    file_write(keep, "x");
    xai_pdf *d = small_doc();
    assert_int_equal(xai_pdf_save(d, sub), XAI_ERR_INVALID);
    assert_non_null(strstr(xai_last_error(), sub));
    assert_non_null(strstr(xai_last_error(), "is a directory"));
    xai_pdf_free(d);
    assert_listing(dir, "sub\n");
    assert_listing(sub, "keep\n");
    rm_tree(dir);
}

static void save_into_proc_fails(void **state)
{
    (void)state;
    xai_pdf *d = small_doc();
    assert_int_equal(xai_pdf_save(d, "/proc/xai_report.pdf"), XAI_ERR_IO);
    assert_non_null(strstr(xai_last_error(), "/proc/xai_report.pdf"));
    xai_pdf_free(d);
    assert_int_equal(access("/proc/xai_report.pdf", F_OK), -1);
}

/* An existing report is replaced whole by a successful save. */
static void save_replaces_existing(void **state)
{
    (void)state;
    char dir[64], path[96];
    tmp_dir(dir, sizeof dir, "xai_pdf_err");
    snprintf(path, sizeof path, "%s/report.pdf", dir);
    file_write(path, "old contents");
    xai_pdf *d = small_doc();
    assert_int_equal(xai_pdf_save(d, path), XAI_OK);
    xai_pdf_free(d);
    pdf_assert_valid(path);
    assert_listing(dir, "report.pdf\n");
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    mode_t mask = umask(0); /* the test is single-threaded */
    umask(mask);
    assert_int_equal(st.st_mode & 0777, 0666 & ~mask); /* not mkstemp's 0600 */
    rm_tree(dir);
}

static void empty_document_saves(void **state)
{
    (void)state;
    char dir[64], path[96];
    tmp_dir(dir, sizeof dir, "xai_pdf_err");
    snprintf(path, sizeof path, "%s/empty.pdf", dir);
    xai_pdf_options o = xai_pdf_options_default();
    o.title = "Empty";
    xai_pdf *d;
    assert_int_equal(xai_pdf_new(&o, &d), XAI_OK);
    assert_int_equal(xai_pdf_add_heading(d, 1, "Only a heading"), XAI_OK);
    assert_int_equal(xai_pdf_save(d, path), XAI_OK);
    assert_int_equal(xai_pdf_page_count(d), 1);
    /* no content after a save */
    assert_int_equal(xai_pdf_add_paragraph(d, "late"), XAI_ERR_INVALID);
    assert_non_null(strstr(xai_last_error(), "after the document was saved"));
    xai_pdf_free(d);
    pdf_assert_valid(path);
    char *txt = pdf_text(path);
    assert_non_null(strstr(txt, "Only a heading"));
    assert_non_null(strstr(txt, "page 1 of 1"));
    free(txt);
    rm_tree(dir);
}

/* ---- fonts ----------------------------------------------------------------- */

static void missing_font_named(void **state)
{
    (void)state;
    char dir[64];
    tmp_dir(dir, sizeof dir, "xai_pdf_err");
    xai_pdf_options o = xai_pdf_options_default();
    o.title = "t";
    o.font_dir = dir;
    xai_pdf *d = (xai_pdf *)&o; /* must be reset to NULL */
    assert_int_equal(xai_pdf_new(&o, &d), XAI_ERR_IO);
    assert_null(d);
    assert_non_null(strstr(xai_last_error(), dir));
    assert_non_null(strstr(xai_last_error(), "DejaVuSans.ttf"));
    rm_tree(dir);
}

/* A corrupt font goes through libharu's error path: an error, not a crash. */
static void corrupt_font_is_an_error(void **state)
{
    (void)state;
    char dir[64], path[128];
    tmp_dir(dir, sizeof dir, "xai_pdf_err");
    snprintf(path, sizeof path, "%s/DejaVuSans.ttf", dir);
    char junk[4096];
    for (size_t i = 0; i < sizeof junk - 1; i++)
        junk[i] = (char)('A' + i % 23);
    junk[sizeof junk - 1] = '\0';
    file_write(path, junk);
    xai_pdf_options o = xai_pdf_options_default();
    o.title = "t";
    o.font_dir = dir;
    xai_pdf *d;
    xai_status s = xai_pdf_new(&o, &d);
    assert_int_not_equal(s, XAI_OK);
    assert_null(d);
    assert_non_null(strstr(xai_last_error(), path));
    assert_non_null(strstr(xai_last_error(), "libharu error"));
    rm_tree(dir);
}

/* ---- arguments --------------------------------------------------------------- */

static void bad_arguments_refused(void **state)
{
    (void)state;
    xai_pdf *d = small_doc();
    assert_int_equal(xai_pdf_add_heading(d, 3, "x"), XAI_ERR_INVALID);
    assert_int_equal(xai_pdf_add_paragraph(d, NULL), XAI_ERR_INVALID);

    const char *labels[] = {"a", "Größe", "c"};
    double vals[] = {1, NAN, 2};
    xai_pdf_bar_chart bar = {3, labels, vals, 0, 0, NULL, NULL, NULL, NULL};
    assert_int_equal(xai_pdf_add_bar_chart(d, &bar), XAI_ERR_NUMERIC);
    assert_non_null(strstr(xai_last_error(), "Größe"));

    xai_pdf_table t = {1, 0, NULL, NULL, NULL, NULL, NULL};
    assert_int_equal(xai_pdf_add_table(d, &t), XAI_ERR_INVALID);
    const char *cells[] = {"1", "2"};
    xai_pdf_rgb fill[] = {{0.5f, 0.5f, 0.5f}, {2.0f, 0, 0}};
    xai_pdf_table t2 = {1, 2, NULL, cells, NULL, fill, NULL};
    assert_int_equal(xai_pdf_add_table(d, &t2), XAI_ERR_INVALID);
    assert_non_null(strstr(xai_last_error(), "column 2"));

    float px[2 * 4 * 4] = {0};
    xai_pdf_image im = {2, 4, 4, px, NULL, 0, 0, XAI_PDF_CMAP_AUTO, NULL};
    assert_int_equal(xai_pdf_add_image_grid(d, &im, 1, NULL), XAI_ERR_SHAPE);
    xai_pdf_image none = {1, 4, 4, NULL, NULL, 0, 0, XAI_PDF_CMAP_AUTO, NULL};
    assert_int_equal(xai_pdf_add_image_grid(d, &none, 1, NULL), XAI_ERR_INVALID);

    xai_pdf_heatmap hm = {0};
    assert_int_equal(xai_pdf_add_heatmap(d, &hm), XAI_ERR_INVALID);
    xai_pdf_line_chart lc = {0};
    assert_int_equal(xai_pdf_add_line_chart(d, &lc), XAI_ERR_INVALID);

    /* 200 bars cannot fit a page; top_k can */
    const char *many_l[200];
    double many_v[200];
    for (int i = 0; i < 200; i++)
        many_l[i] = "feature", many_v[i] = i - 100;
    xai_pdf_bar_chart many = {200, many_l, many_v, 0, 0, NULL, NULL, NULL, NULL};
    assert_int_equal(xai_pdf_add_bar_chart(d, &many), XAI_ERR_INVALID);
    assert_non_null(strstr(xai_last_error(), "top_k"));
    many.top_k = 20;
    many.others = 1;
    assert_int_equal(xai_pdf_add_bar_chart(d, &many), XAI_OK);

    xai_pdf_options o = xai_pdf_options_default();
    xai_pdf *d2;
    assert_int_equal(xai_pdf_new(&o, &d2), XAI_ERR_INVALID); /* no title */

    /* argument errors do not spoil the document */
    char dir[64], path[96];
    tmp_dir(dir, sizeof dir, "xai_pdf_err");
    snprintf(path, sizeof path, "%s/ok.pdf", dir);
    assert_int_equal(xai_pdf_add_paragraph(d, "still fine"), XAI_OK);
    assert_int_equal(xai_pdf_save(d, path), XAI_OK);
    xai_pdf_free(d);
    pdf_assert_valid(path);
    rm_tree(dir);
}

/* Invalid UTF-8, control characters and characters beyond the BMP render as
 * replacements without failing; a large matrix becomes one image. */
static void awkward_input_renders(void **state)
{
    (void)state;
    char dir[64], path[96];
    tmp_dir(dir, sizeof dir, "xai_pdf_err");
    snprintf(path, sizeof path, "%s/odd.pdf", dir);
    xai_pdf *d = small_doc();
    assert_int_equal(xai_pdf_add_paragraph(d, "bad \xff\xfe bytes, tab\there, emoji \xF0\x9F\x98\x80, "
                                              "truncated \xE4\xBF"), XAI_OK);
    assert_int_equal(xai_pdf_add_code(d, ""), XAI_OK);
    enum { N = 120 };
    static double big[N * N];
    for (int i = 0; i < N * N; i++)
        big[i] = (i % N) * (i / N) == 0 ? NAN : sin(i * 0.01);
    xai_pdf_heatmap hm = {N, N, big, NULL, NULL, XAI_PDF_CMAP_AUTO, 0, 0, 0, "big", NULL, 0};
    assert_int_equal(xai_pdf_add_heatmap(d, &hm), XAI_OK);
    double x[2] = {1, 1}, y[2] = {NAN, INFINITY};
    xai_pdf_series s = {"flat", 2, x, y};
    xai_pdf_line_chart lc = {1, &s, NULL, NULL, NULL, 0, 0};
    assert_int_equal(xai_pdf_add_line_chart(d, &lc), XAI_OK);
    assert_int_equal(xai_pdf_save(d, path), XAI_OK);
    xai_pdf_free(d);
    pdf_assert_valid(path);
    char *txt = pdf_text(path);
    assert_non_null(strstr(txt, "bytes, tab here"));
    assert_non_null(strstr(txt, "\xEF\xBF\xBD")); /* U+FFFD */
    free(txt);
    rm_tree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(save_under_regular_file),
        cmocka_unit_test(failed_rename_leaves_nothing),
        cmocka_unit_test(save_into_proc_fails),
        cmocka_unit_test(save_replaces_existing),
        cmocka_unit_test(empty_document_saves),
        cmocka_unit_test(missing_font_named),
        cmocka_unit_test(corrupt_font_is_an_error),
        cmocka_unit_test(bad_arguments_refused),
        cmocka_unit_test(awkward_input_renders),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
