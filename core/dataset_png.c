/* core/dataset_png.c: a dataset of images from one PNG or a directory. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>
#include <sys/stat.h>

#include "dataset_impl.h"
#include "error.h"
#include "png_io.h"

static int ends_with_png(const char *name)
{
    size_t n = strlen(name);
    return n > 4 && strcasecmp(name + n - 4, ".png") == 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted list of *.png paths in dir (malloc'ed strings). */
static xai_status list_pngs(const char *dir, char ***out, size_t *count)
{
    DIR *d = opendir(dir);
    if (!d)
        return xai_fail(XAI_ERR_IO, "%s: cannot open directory: %s", dir, strerror(errno));
    char **paths = NULL;
    size_t n = 0, cap = 0;
    xai_status s = XAI_OK;
    struct dirent *e;
    while (s == XAI_OK && (e = readdir(d))) {
        if (!ends_with_png(e->d_name))
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            char **p = realloc(paths, cap * sizeof *p);
            if (!p) {
                s = xai_fail(XAI_ERR_NOMEM, "out of memory");
                break;
            }
            paths = p;
        }
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        if (!(paths[n] = malloc(len))) {
            s = xai_fail(XAI_ERR_NOMEM, "out of memory");
            break;
        }
        snprintf(paths[n++], len, "%s/%s", dir, e->d_name);
    }
    closedir(d);
    if (s == XAI_OK && n == 0)
        s = xai_fail(XAI_ERR_INVALID, "%s: no .png files in the directory", dir);
    if (s != XAI_OK) {
        for (size_t i = 0; i < n; i++)
            free(paths[i]);
        free(paths);
        return s;
    }
    qsort(paths, n, sizeof *paths, cmp_str);
    *out = paths;
    *count = n;
    return XAI_OK;
}

static xai_status load_all(xai_dataset *ds, char **paths, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t c, h, w;
        float *chw;
        XAI_TRY(xai_png_read(paths[i], &c, &h, &w, &chw));
        if (i == 0) {
            xai_status s = xai_dataset_reserve(ds, n, (size_t)c * h * w);
            if (s == XAI_OK)
                s = xai_dataset_name_pixels(ds, c, h, w);
            if (s != XAI_OK) {
                free(chw);
                return s;
            }
        } else if (c != ds->image_c || h != ds->image_h || w != ds->image_w) {
            free(chw);
            return xai_fail(XAI_ERR_SHAPE,
                            "%s: image is %ux%u with %u channels, but %s is %ux%u with %u",
                            paths[i], w, h, c, paths[0], ds->image_w, ds->image_h,
                            ds->image_c);
        }
        memcpy(ds->values + i * ds->features, chw, ds->features * sizeof *chw);
        free(chw);
    }
    XAI_TRY(xai_dataset_identity_groups(ds));
    return xai_dataset_compute_stats(ds);
}

xai_status xai_dataset_load_png(const char *path, xai_dataset **out)
{
    *out = NULL;
    struct stat st;
    if (stat(path, &st) != 0)
        return xai_fail(XAI_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    char **paths = NULL;
    size_t n = 0;
    char *single = NULL;
    if (S_ISDIR(st.st_mode)) {
        XAI_TRY(list_pngs(path, &paths, &n));
    } else {
        if (!(single = strdup(path)))
            return xai_fail(XAI_ERR_NOMEM, "out of memory");
        paths = &single;
        n = 1;
    }
    xai_dataset *ds = xai_dataset_alloc(path);
    xai_status s = ds ? load_all(ds, paths, n) : xai_fail(XAI_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        free(paths[i]);
    if (paths != &single)
        free(paths);
    if (s != XAI_OK) {
        xai_dataset_free(ds);
        return s;
    }
    *out = ds;
    return XAI_OK;
}
