/* core/hash.c: SHA-256 of a file or a directory (libcrypto EVP adaptor). */
#include <xai/hash.h>

#include <dirent.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "error.h"

static xai_status hash_stream(EVP_MD_CTX *ctx, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return xai_fail(XAI_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    unsigned char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        EVP_DigestUpdate(ctx, buf, n);
    int bad = ferror(f);
    fclose(f);
    if (bad)
        return xai_fail(XAI_ERR_IO, "%s: read error", path);
    return XAI_OK;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static xai_status hash_dir(EVP_MD_CTX *ctx, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return xai_fail(XAI_ERR_IO, "%s: cannot open directory: %s", dir, strerror(errno));
    char **names = NULL;
    size_t n = 0, cap = 0;
    xai_status s = XAI_OK;
    struct dirent *e;
    while ((e = readdir(d)) && s == XAI_OK) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            char **p = realloc(names, (cap = cap ? 2 * cap : 64) * sizeof *p);
            if (!p) {
                s = xai_fail(XAI_ERR_NOMEM, "out of memory");
                break;
            }
            names = p;
        }
        if (!(names[n] = strdup(e->d_name)))
            s = xai_fail(XAI_ERR_NOMEM, "out of memory");
        else
            n++;
    }
    closedir(d);
    if (s == XAI_OK)
        qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n && s == XAI_OK; i++) {
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        EVP_DigestUpdate(ctx, names[i], strlen(names[i]) + 1);
        s = hash_stream(ctx, path);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return s;
}

xai_status xai_sha256_file(const char *path, char hex[65])
{
    hex[0] = '\0';
    struct stat st;
    if (stat(path, &st) != 0)
        return xai_fail(XAI_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
        EVP_MD_CTX_free(ctx);
        return xai_fail(XAI_ERR_INTERNAL, "cannot initialise SHA-256");
    }
    xai_status s = S_ISDIR(st.st_mode) ? hash_dir(ctx, path) : hash_stream(ctx, path);
    unsigned char md[32];
    unsigned int len = 0;
    if (s == XAI_OK && !EVP_DigestFinal_ex(ctx, md, &len))
        s = xai_fail(XAI_ERR_INTERNAL, "SHA-256 failed");
    EVP_MD_CTX_free(ctx);
    if (s != XAI_OK)
        return s;
    for (unsigned i = 0; i < len; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    return XAI_OK;
}
