/* tests/support/shell.c: see shell.h. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "shell.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Reads the stream to its end into a malloc'ed string. */
static char *read_all(FILE *f, size_t *len)
{
    size_t cap = 1 << 16, n = 0, got;
    char *buf = malloc(cap);
    assert_non_null(buf);
    while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n < 4096) {
            cap *= 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
    }
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

int sh_run(char **out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    assert_true(n >= 0);
    char *cmd = malloc((size_t)n + 1);
    assert_non_null(cmd);
    va_start(ap, fmt);
    vsnprintf(cmd, (size_t)n + 1, fmt, ap);
    va_end(ap);
    FILE *p = popen(cmd, "r");
    free(cmd);
    assert_non_null(p);
    char *buf = read_all(p, NULL);
    int st = pclose(p);
    if (out)
        *out = buf;
    else
        free(buf);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

void sh_json_check(const char *path, const char *checks)
{
    char *out;
    if (sh_run(&out, "/usr/bin/python3 -c 'import json,sys\n"
                     "d=json.load(open(sys.argv[1]))\n%s' %s 2>&1", checks, path) != 0)
        fail_msg("JSON check failed on %s: %s", path, out);
    free(out);
}

/* "/tmp/NAME_XXXXXX" into buf; fails when it does not fit. */
static void tmp_template(char *buf, size_t size, const char *name)
{
    int n = snprintf(buf, size, "/tmp/%s_XXXXXX", name);
    assert_true(n > 0 && (size_t)n < size);
}

void tmp_dir(char *dir, size_t size, const char *name)
{
    tmp_template(dir, size, name);
    assert_non_null(mkdtemp(dir));
}

void tmp_file(char *path, size_t size, const char *name)
{
    tmp_template(path, size, name);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
}

void rm_tree(const char *dir) { assert_int_equal(sh_run(NULL, "rm -rf '%s'", dir), 0); }

int dir_entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

char *file_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = read_all(f, len);
    fclose(f);
    return buf;
}

void file_write(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    size_t n = strlen(text);
    assert_int_equal(fwrite(text, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}
