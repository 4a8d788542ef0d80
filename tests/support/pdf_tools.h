/* tests/support/pdf_tools.h: PDF documents for tests and checks of written
 * files with independent tools (qpdf, pdftotext). */
#ifndef XAI_TESTS_PDF_TOOLS_H
#define XAI_TESTS_PDF_TOOLS_H

#include <stdint.h>

#include "reports/pdf.h"

/* A new empty document with the given title and date (seconds since 1970). */
xai_pdf *pdf_new_doc(const char *title, int64_t date);

/* qpdf --check passes on path; otherwise fails the test with its output. */
void pdf_assert_valid(const char *path);

/* The text of the PDF from pdftotext (UTF-8), malloc'ed; caller frees. */
char *pdf_text(const char *path);

#endif
