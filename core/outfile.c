/* core/outfile.c: temporary file + rename (see xai/outfile.h). */
#include <xai/outfile.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"

struct xai_outfile {
    char *path, *tmp; /* tmp NULL: a wrapped stream */
    FILE *f;
    int slot;         /* index in pending[], -1 if not registered */
};

/* Temporary names not yet committed, for xai_outfile_remove_pending (a
 * signal handler): lock-free atomic pointers, claimed with a CAS. */
#define PENDING_MAX 64
static char *_Atomic pending[PENDING_MAX];

static int pending_add(char *tmp)
{
    for (int k = 0; k < PENDING_MAX; k++) {
        char *expect = NULL;
        if (atomic_compare_exchange_strong(&pending[k], &expect, tmp))
            return k;
    }
    return -1; /* full: still works, only not cleaned on a signal */
}

static void pending_drop(int slot)
{
    if (slot >= 0)
        atomic_store(&pending[slot], NULL);
}

void xai_outfile_remove_pending(void)
{
    for (int k = 0; k < PENDING_MAX; k++) {
        char *t = atomic_load(&pending[k]);
        if (t)
            unlink(t);
    }
}

xai_status xai_outfile_check(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0 || S_ISREG(st.st_mode))
        return XAI_OK; /* a missing directory is reported when writing */
    const char *what = S_ISDIR(st.st_mode)    ? "is a directory"
                       : S_ISLNK(st.st_mode)  ? "is a symbolic link (xai does not write "
                                                "through links; name its target)"
                       : S_ISCHR(st.st_mode)  ? "is not a regular file (a character device)"
                       : S_ISBLK(st.st_mode)  ? "is not a regular file (a block device)"
                       : S_ISFIFO(st.st_mode) ? "is not a regular file (a FIFO)"
                       : S_ISSOCK(st.st_mode) ? "is not a regular file (a socket)"
                                              : "is not a regular file";
    return xai_fail(XAI_ERR_INVALID, "cannot write '%s': it %s", path, what);
}

static void release(xai_outfile *o)
{
    free(o->tmp);
    free(o->path);
    free(o);
}

xai_status xai_outfile_open(const char *path, xai_outfile **out)
{
    *out = NULL;
    size_t n = strlen(path);
    if (n == 0 || path[n - 1] == '/')
        return xai_fail(XAI_ERR_INVALID, "cannot write '%s': not a file name", path);
    XAI_TRY(xai_outfile_check(path));
    xai_outfile *o = calloc(1, sizeof *o);
    if (!o || !(o->path = strdup(path)) || !(o->tmp = malloc(n + 16))) {
        if (o)
            free(o->path);
        free(o);
        return xai_fail(XAI_ERR_NOMEM, "cannot write '%s': out of memory", path);
    }
    /* the temporary name keeps the directory, so rename never crosses
     * devices; registered before it exists so a signal cannot miss it */
    snprintf(o->tmp, n + 16, "%s.tmp-XXXXXX", path);
    o->slot = pending_add(o->tmp);
    int fd = mkstemp(o->tmp);
    if (fd < 0 || !(o->f = fdopen(fd, "w"))) {
        int e = errno;
        if (fd >= 0) {
            close(fd);
            unlink(o->tmp);
        }
        pending_drop(o->slot);
        release(o);
        return xai_fail(XAI_ERR_IO, "cannot write '%s': cannot create a temporary file in its directory: %s",
                        path, strerror(e));
    }
    *out = o;
    return XAI_OK;
}

xai_status xai_outfile_wrap(FILE *stream, const char *name, xai_outfile **out)
{
    *out = NULL;
    xai_outfile *o = calloc(1, sizeof *o);
    if (!o || !(o->path = strdup(name ? name : "-"))) {
        free(o);
        return xai_fail(XAI_ERR_NOMEM, "cannot write '%s': out of memory", name);
    }
    o->f = stream;
    o->slot = -1;
    *out = o;
    return XAI_OK;
}

FILE *xai_outfile_stream(xai_outfile *f) { return f->f; }

const char *xai_outfile_path(const xai_outfile *f) { return f->path; }

static void remove_tmp(xai_outfile *o)
{
    unlink(o->tmp);
    pending_drop(o->slot);
    o->slot = -1;
}

void xai_outfile_abort(xai_outfile *o)
{
    if (!o)
        return;
    if (o->tmp) {
        fclose(o->f);
        remove_tmp(o);
    }
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

/* Flushes, sets permissions, syncs and closes o's stream (a wrapped stream
 * is only flushed).  On failure removes the temporary file and fails. */
static xai_status finish(xai_outfile *o, mode_t mask)
{
    const char *step = NULL;
    int e = 0;
    if (fflush(o->f) != 0 || ferror(o->f))
        step = "writing", e = errno;
    else if (o->tmp && fchmod(fileno(o->f), 0666 & ~mask) != 0)
        step = "setting permissions", e = errno;
    else if (o->tmp && fsync(fileno(o->f)) != 0)
        step = "flushing", e = errno;
    if (o->tmp && fclose(o->f) != 0 && !step)
        step = "closing", e = errno;
    o->f = NULL;
    if (!step)
        return XAI_OK;
    if (o->tmp)
        remove_tmp(o);
    return xai_fail(XAI_ERR_IO, "cannot write '%s': %s failed: %s", o->path, step,
                    e ? strerror(e) : "unknown error");
}

xai_status xai_outfile_commit(xai_outfile *o)
{
    return xai_outfile_commit_all(&o, 1);
}

xai_status xai_outfile_commit_all(xai_outfile **fs, size_t n)
{
    mode_t mask = current_umask();
    xai_status s = XAI_OK;
    size_t k, done = 0;
    for (k = 0; k < n; k++)
        if (fs[k] && s == XAI_OK)
            s = finish(fs[k], mask);
        else if (fs[k] && fs[k]->tmp) {
            fclose(fs[k]->f);
            fs[k]->f = NULL;
        }
    for (k = 0; k < n && s == XAI_OK; k++, done = k) {
        xai_outfile *o = fs[k];
        if (!o || !o->tmp)
            continue;
        if ((s = xai_outfile_check(o->path)) != XAI_OK)
            break; /* something else took the name meanwhile */
        if (rename(o->tmp, o->path) != 0) {
            int e = errno;
            s = xai_fail(XAI_ERR_IO, "cannot write '%s': renaming the temporary file "
                         "failed: %s", o->path, strerror(e));
            break;
        }
        pending_drop(o->slot);
        o->slot = -1;
    }
    for (k = 0; k < n; k++) {
        xai_outfile *o = fs[k];
        if (!o)
            continue;
        if (s != XAI_OK && o->tmp) {
            if (k < done)
                unlink(o->path); /* all or none: undo the renames before */
            else
                remove_tmp(o);
        }
        release(o);
        fs[k] = NULL;
    }
    return s;
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
