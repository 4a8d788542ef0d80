/* tests/support/pdf_tools.c: see pdf_tools.h. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "pdf_tools.h"

#include <stdlib.h>

#include "shell.h"

xai_pdf *pdf_new_doc(const char *title, int64_t date)
{
    xai_pdf_options o = xai_pdf_options_default();
    o.title = title;
    o.date = date;
    xai_pdf *d = NULL;
    assert_int_equal(xai_pdf_new(&o, &d), XAI_OK);
    return d;
}

void pdf_assert_valid(const char *path)
{
    char *out;
    if (sh_run(&out, "qpdf --check '%s' 2>&1", path) != 0)
        fail_msg("qpdf --check failed on %s: %s", path, out);
    free(out);
}

char *pdf_text(const char *path)
{
    char *t;
    /* poppler must read the file silently (issue 14: the ToUnicode CMap) */
    assert_int_equal(sh_run(&t, "pdftotext -enc UTF-8 '%s' /dev/null 2>&1", path), 0);
    if (t[0])
        fail_msg("pdftotext warns on %s: %s", path, t);
    free(t);
    assert_int_equal(sh_run(&t, "pdftotext -enc UTF-8 '%s' - 2>/dev/null", path), 0);
    return t;
}
