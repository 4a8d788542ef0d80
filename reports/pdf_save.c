/* reports/pdf_save.c: writes a document atomically (temporary file, rename). */
#include "pdf_layout.h"

#include <stdio.h>
#include <string.h>

#include <xai/outfile.h>

#include "core/error.h"

/* Re-fails with the path in front of the current message. */
static xai_status fail_with_path(xai_status s, const char *path)
{
    char msg[768];
    snprintf(msg, sizeof msg, "%s", xai_last_error());
    return xai_fail(s, "cannot write report '%s': %s", path, msg);
}

static xai_status finish(xai_pdf *d, const char *path)
{
    if (!d || !path || !*path)
        return xai_fail(XAI_ERR_INVALID, "PDF: save needs a document and a path");
    xai_status s = XAI_OK;
    if (d->closed == 2)
        return xai_fail(XAI_ERR_INVALID, "cannot write report '%s': an earlier save "
                        "failed to finish the document", path);
    if (!d->closed) {
        d->closed = 1;
        if (xai_canvas_page_count(d->canvas) == 0 || d->pending)
            s = xai_pdf_reserve(d, 0); /* a first page; a last heading */
        if (s == XAI_OK)
            s = xai_pdf_draw_footers(d);
        if (s != XAI_OK)
            d->closed = 2;
    }
    /* serialise once: libharu cannot write the same document twice */
    if (s == XAI_OK && !d->bytes)
        s = xai_canvas_serialize(d->canvas, &d->bytes, &d->n_bytes);
    if (s != XAI_OK)
        return fail_with_path(s, path);
    return XAI_OK;
}

xai_status xai_pdf_save(xai_pdf *d, const char *path)
{
    XAI_TRY(finish(d, path));
    return xai_outfile_write_all(path, d->bytes, d->n_bytes);
}

xai_status xai_pdf_save_to(xai_pdf *d, xai_outfile *out)
{
    const char *path = xai_outfile_path(out);
    XAI_TRY(finish(d, path));
    if (d->n_bytes && fwrite(d->bytes, 1, d->n_bytes, xai_outfile_stream(out)) != d->n_bytes)
        return xai_fail(XAI_ERR_IO, "cannot write report '%s': write failed", path);
    return XAI_OK;
}
