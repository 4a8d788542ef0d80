/* tests/test_pdf_units.c: the layout helpers against independent checks:
 * word wrap (width bound, greedy maximality, no text lost), axis ticks,
 * colour maps and number formatting. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <xai/rng.h>
#include "reports/pdf_layout.h"
#include "support/pdf_tools.h"

/* Words of text (split at spaces and newlines) joined by single spaces. */
static void words_of(const char *text, char *out)
{
    int in = 0;
    *out = '\0';
    for (const char *p = text; *p; p++) {
        int sp = *p == ' ' || *p == '\n';
        if (!sp) {
            if (!in && *out)
                strcat(out, " ");
            strncat(out, p, 1);
        }
        in = !sp;
    }
}

static void wrap_is_greedy_and_complete(void **state)
{
    (void)state;
    xai_pdf *d = pdf_new_doc("units", 0);
    const char *text = "Größe and crédit are the two features with the largest mean "
                       "absolute attribution; the 信用 score comes third.\nA forced break "
                       "then  double  spaces and a last line";
    xai_rng rng;
    xai_rng_init(&rng, 7, 0);
    for (int trial = 0; trial < 30; trial++) {
        double width = 60 + 300 * xai_rng_uniform(&rng), space;
        xai_pdf_lines l;
        assert_int_equal(xai_pdf_wrap(d, XAI_FONT_REGULAR, 9.5, text, width, &l), XAI_OK);
        assert_int_equal(xai_pdf_span_width(d, XAI_FONT_REGULAR, 9.5, " ", 1, &space), XAI_OK);
        char joined[1024] = "", expect[1024];
        for (size_t i = 0; i < l.n; i++) {
            double w;
            const char *s = text + l.off[i];
            assert_int_equal(xai_pdf_span_width(d, XAI_FONT_REGULAR, 9.5, s, l.len[i], &w),
                             XAI_OK);
            assert_true(w <= width + 1e-9);
            /* greedy: the next line's first word would not have fitted */
            if (i + 1 < l.n && text[l.off[i] + l.len[i]] != '\n' &&
                memchr(s, '\n', l.off[i + 1] - l.off[i]) == NULL) {
                const char *nx = text + l.off[i + 1];
                size_t nw = strcspn(nx, " \n");
                double ww, gap = (double)(l.off[i + 1] - l.off[i] - l.len[i]) * space;
                assert_int_equal(xai_pdf_span_width(d, XAI_FONT_REGULAR, 9.5, nx, nw, &ww),
                                 XAI_OK);
                assert_true(w + gap + ww > width);
            }
            if (*joined)
                strcat(joined, " ");
            strncat(joined, s, l.len[i]);
        }
        char norm[1024];
        words_of(joined, norm);
        words_of(text, expect);
        assert_string_equal(norm, expect);
        xai_pdf_lines_free(&l);
    }
    xai_pdf_free(d);
}

/* A word wider than the line is cut between characters (never inside a
 * UTF-8 sequence) and nothing is lost. */
static void long_word_is_broken(void **state)
{
    (void)state;
    xai_pdf *d = pdf_new_doc("units", 0);
    char word[600] = "";
    for (int i = 0; i < 100; i++)
        strcat(word, i % 3 ? "ab" : "ö");
    xai_pdf_lines l;
    assert_int_equal(xai_pdf_wrap(d, XAI_FONT_REGULAR, 10, word, 50, &l), XAI_OK);
    assert_true(l.n > 3);
    size_t total = 0;
    for (size_t i = 0; i < l.n; i++) {
        double w;
        assert_int_equal(xai_pdf_span_width(d, XAI_FONT_REGULAR, 10, word + l.off[i],
                                            l.len[i], &w), XAI_OK);
        assert_true(w <= 50);
        assert_int_equal(l.off[i], total); /* contiguous pieces */
        assert_true(((unsigned char)word[l.off[i]] & 0xC0) != 0x80);
        total += l.len[i];
    }
    assert_int_equal(total, strlen(word));
    xai_pdf_lines_free(&l);
    xai_pdf_free(d);
}

static void ticks_are_nice(void **state)
{
    (void)state;
    xai_rng rng;
    xai_rng_init(&rng, 11, 0);
    for (int trial = 0; trial < 2000; trial++) {
        double scale = pow(10, 12 * xai_rng_uniform(&rng) - 6);
        double a = (xai_rng_uniform(&rng) - 0.5) * scale, b = a + xai_rng_uniform(&rng) * scale;
        size_t max = 3 + (size_t)xai_rng_below(&rng, 6);
        double lo = a, hi = b, t[8];
        size_t n = xai_pdf_nice_ticks(&lo, &hi, max, t);
        assert_true(n >= 2 && n <= max);
        assert_true(lo <= a && hi >= b);
        assert_true(t[0] == lo);
        double step = t[1] - t[0];
        for (size_t i = 1; i < n; i++)
            assert_true(fabs(t[i] - t[i - 1] - step) <= 1e-9 * step * (1 + fabs(t[i]) / step));
        double m = step / pow(10, floor(log10(step) + 1e-12));
        assert_true(fabs(m - 1) < 1e-6 || fabs(m - 2) < 1e-6 || fabs(m - 2.5) < 1e-6 ||
                    fabs(m - 5) < 1e-6);
    }
    double lo = 3, hi = 3, t[8]; /* a flat range opens up */
    size_t n = xai_pdf_nice_ticks(&lo, &hi, 5, t);
    assert_true(n >= 2 && lo < 3 && hi > 3);
}

static double luminance(xai_pdf_rgb c) { return 0.2126 * c.r + 0.7152 * c.g + 0.0722 * c.b; }

static void colour_maps(void **state)
{
    (void)state;
    /* viridis: lightness rises monotonically from dark purple to yellow */
    double prev = -1;
    for (int i = 0; i <= 100; i++) {
        xai_pdf_rgb c = xai_pdf_cmap_color(XAI_PDF_CMAP_SEQUENTIAL, i / 100.0);
        assert_true(luminance(c) > prev);
        prev = luminance(c);
    }
    xai_pdf_rgb lo = xai_pdf_cmap_color(XAI_PDF_CMAP_SEQUENTIAL, 0);
    xai_pdf_rgb hi = xai_pdf_cmap_color(XAI_PDF_CMAP_SEQUENTIAL, 1);
    assert_true(lo.b > lo.g && hi.r > hi.b && hi.g > hi.b);
    /* diverging: white centre, blue below, red above, lightness falling away
     * from the centre on both sides */
    xai_pdf_rgb mid = xai_pdf_cmap_color(XAI_PDF_CMAP_DIVERGING, 0.5);
    assert_true(mid.r > 0.95 && mid.g > 0.95 && mid.b > 0.95);
    for (int i = 1; i <= 50; i++) {
        xai_pdf_rgb neg = xai_pdf_cmap_color(XAI_PDF_CMAP_DIVERGING, 0.5 - i / 100.0);
        xai_pdf_rgb pos = xai_pdf_cmap_color(XAI_PDF_CMAP_DIVERGING, 0.5 + i / 100.0);
        assert_true(neg.b > neg.r && pos.r > pos.b);
        xai_pdf_rgb neg_in = xai_pdf_cmap_color(XAI_PDF_CMAP_DIVERGING, 0.5 - (i - 1) / 100.0);
        assert_true(luminance(neg) < luminance(neg_in));
    }
    xai_pdf_rgb nan = xai_pdf_cmap_color(XAI_PDF_CMAP_DIVERGING, NAN);
    assert_true(fabs(nan.r - nan.g) < 1e-6 && fabs(nan.g - nan.b) < 1e-6);
    /* out of range clamps */
    xai_pdf_rgb over = xai_pdf_cmap_color(XAI_PDF_CMAP_SEQUENTIAL, 7);
    assert_true(over.r == hi.r && over.g == hi.g && over.b == hi.b);
}

/* Formatted numbers read back within three significant digits. */
static void numbers_round_trip(void **state)
{
    (void)state;
    xai_rng rng;
    xai_rng_init(&rng, 5, 0);
    char buf[32];
    for (int i = 0; i < 5000; i++) {
        double v = (xai_rng_uniform(&rng) - 0.5) * pow(10, 16 * xai_rng_uniform(&rng) - 8);
        xai_pdf_format_number(v, buf, sizeof buf);
        double back = strtod(buf, NULL);
        assert_true(fabs(back - v) <= 0.0051 * fabs(v));
        assert_true(strlen(buf) <= 10);
    }
    xai_pdf_format_number(-0.0, buf, sizeof buf);
    assert_string_equal(buf, "0");
    xai_pdf_format_number(-1e-7 * 0, buf, sizeof buf);
    assert_string_equal(buf, "0");
    xai_pdf_format_number(0.5, buf, sizeof buf);
    assert_string_equal(buf, "0.5");
    xai_pdf_format_number(NAN, buf, sizeof buf);
    assert_string_equal(buf, "n/a");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(wrap_is_greedy_and_complete),
        cmocka_unit_test(long_word_is_broken),
        cmocka_unit_test(ticks_are_nice),
        cmocka_unit_test(colour_maps),
        cmocka_unit_test(numbers_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
