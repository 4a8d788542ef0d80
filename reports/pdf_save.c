/* reports/pdf_save.c: writes a document atomically (temporary file, rename). */
#include "pdf_layout.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"

/* The process umask, read without changing it (umask() is process-global). */
static mode_t current_umask(void)
{
    mode_t mask = 022;
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return mask;
    char line[256];
    while (fgets(line, sizeof line, f)) {
        unsigned m;
        if (sscanf(line, "Umask: %o", &m) == 1) {
            mask = (mode_t)(m & 0777);
            break;
        }
    }
    fclose(f);
    return mask;
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Writes data to a fresh temporary file next to path and renames it over
 * path; on failure removes the temporary file. */
static xai_status write_atomically(const char *path, const unsigned char *data, size_t len)
{
    const char *slash = strrchr(path, '/');
    size_t dir_len = slash ? (size_t)(slash - path) : 0;
    const char *base = slash ? slash + 1 : path;
    if (!*base)
        return xai_fail(XAI_ERR_INVALID, "cannot write report '%s': the path names a directory",
                        path);
    size_t n = strlen(path) + 16;
    char *tmp = malloc(n);
    if (!tmp)
        return xai_fail(XAI_ERR_NOMEM, "cannot write report '%s': out of memory", path);
    if (slash)
        snprintf(tmp, n, "%.*s/.%s.XXXXXX", (int)dir_len, path, base);
    else
        snprintf(tmp, n, ".%s.XXXXXX", base);
    if (slash && dir_len == 0) /* "/name": the root directory */
        snprintf(tmp, n, "/.%s.XXXXXX", base);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        return xai_fail(XAI_ERR_IO,
                        "cannot write report '%s': cannot create a temporary file in its "
                        "directory: %s", path, strerror(e));
    }
    const char *step = "writing";
    int ok = fchmod(fd, 0666 & ~current_umask()) == 0 || (step = "setting permissions", 0);
    if (ok && write_all(fd, data, len) != 0)
        ok = 0, step = "writing";
    if (ok && fsync(fd) != 0)
        ok = 0, step = "flushing";
    int e = errno;
    if (close(fd) != 0 && ok)
        ok = 0, step = "closing", e = errno;
    if (ok && rename(tmp, path) != 0)
        ok = 0, step = "renaming the temporary file to it", e = errno;
    if (!ok) {
        unlink(tmp);
        free(tmp);
        return xai_fail(XAI_ERR_IO, "cannot write report '%s': %s failed: %s", path, step,
                        strerror(e));
    }
    free(tmp);
    return XAI_OK;
}

/* Re-fails with the path in front of the current message. */
static xai_status fail_with_path(xai_status s, const char *path)
{
    char msg[768];
    snprintf(msg, sizeof msg, "%s", xai_last_error());
    return xai_fail(s, "cannot write report '%s': %s", path, msg);
}

xai_status xai_pdf_save(xai_pdf *d, const char *path)
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
    return write_atomically(path, d->bytes, d->n_bytes);
}
