/* core/outfile.c: temporary file + rename (see xai/outfile.h). */
#include <xai/outfile.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"

struct xai_outfile {
    char *path, *tmp;
    FILE *f;
};

xai_status xai_outfile_open(const char *path, xai_outfile **out)
{
    *out = NULL;
    size_t n = strlen(path);
    if (n == 0 || path[n - 1] == '/')
        return xai_fail(XAI_ERR_INVALID, "cannot write '%s': not a file name", path);
    xai_outfile *o = calloc(1, sizeof *o);
    if (!o || !(o->path = strdup(path)) || !(o->tmp = malloc(n + 16))) {
        if (o)
            free(o->path);
        free(o);
        return xai_fail(XAI_ERR_NOMEM, "cannot write '%s': out of memory", path);
    }
    /* the temporary name keeps the directory, so rename never crosses devices */
    snprintf(o->tmp, n + 16, "%s.tmp-XXXXXX", path);
    int fd = mkstemp(o->tmp);
    if (fd < 0 || !(o->f = fdopen(fd, "w"))) {
        int e = errno;
        if (fd >= 0) {
            close(fd);
            unlink(o->tmp);
        }
        free(o->tmp);
        free(o->path);
        free(o);
        return xai_fail(XAI_ERR_IO, "cannot write '%s': cannot create a temporary file in its directory: %s",
                        path, strerror(e));
    }
    *out = o;
    return XAI_OK;
}

FILE *xai_outfile_stream(xai_outfile *f) { return f->f; }

static void release(xai_outfile *o)
{
    free(o->tmp);
    free(o->path);
    free(o);
}

void xai_outfile_abort(xai_outfile *o)
{
    if (!o)
        return;
    fclose(o->f);
    unlink(o->tmp);
    release(o);
}

/* The process umask, read without changing it: umask() sets it too, and
 * the umask is process-wide, so another thread could see it changed. */
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

xai_status xai_outfile_commit(xai_outfile *o)
{
    mode_t mask = current_umask();
    const char *step = NULL;
    int e = 0;
    if (fflush(o->f) != 0 || ferror(o->f))
        step = "writing", e = errno;
    else if (fchmod(fileno(o->f), 0666 & ~mask) != 0)
        step = "setting permissions", e = errno;
    else if (fsync(fileno(o->f)) != 0)
        step = "flushing", e = errno;
    if (fclose(o->f) != 0 && !step)
        step = "closing", e = errno;
    if (!step && rename(o->tmp, o->path) != 0)
        step = "renaming the temporary file", e = errno;
    if (step) {
        unlink(o->tmp);
        xai_status s = xai_fail(XAI_ERR_IO, "cannot write '%s': %s failed: %s", o->path,
                                step, e ? strerror(e) : "unknown error");
        release(o);
        return s;
    }
    release(o);
    return XAI_OK;
}

xai_status xai_outfile_write_all(const char *path, const void *data, size_t len)
{
    xai_outfile *o;
    XAI_TRY(xai_outfile_open(path, &o));
    if (len && fwrite(data, 1, len, o->f) != len) {
        int e = errno;
        xai_outfile_abort(o);
        return xai_fail(XAI_ERR_IO, "cannot write '%s': %s", path, strerror(e));
    }
    return xai_outfile_commit(o);
}
