/* tests/test_outfile.c: output files appear whole or not at all. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <xai/xai.h>

#include "support/shell.h"

static char dir[64];

static void commit_writes_whole_file(void **state)
{
    (void)state;
    char path[128], buf[64] = {0};
    snprintf(path, sizeof path, "%s/a.csv", dir);
    xai_outfile *o;
    assert_int_equal(xai_outfile_open(path, &o), XAI_OK);
    fputs("x,y\n1,2\n", xai_outfile_stream(o));
    assert_int_equal(access(path, F_OK), -1); /* not there before commit */
    assert_int_equal(xai_outfile_commit(o), XAI_OK);
    FILE *f = fopen(path, "r");
    assert_int_equal(fread(buf, 1, sizeof buf - 1, f), 8);
    fclose(f);
    assert_string_equal(buf, "x,y\n1,2\n");
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    mode_t mask = umask(022);
    umask(mask);
    assert_int_equal(st.st_mode & 0777, 0666 & ~mask);
    assert_int_equal(dir_entries(dir), 1);
    unlink(path);
}

static void abort_leaves_nothing(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/b.json", dir);
    xai_outfile *o;
    assert_int_equal(xai_outfile_open(path, &o), XAI_OK);
    fputs("{", xai_outfile_stream(o));
    xai_outfile_abort(o);
    xai_outfile_abort(NULL);
    assert_int_equal(dir_entries(dir), 0);
}

static void failures_name_the_path(void **state)
{
    (void)state;
    char path[160], file[128];
    xai_outfile *o;
    /* a directory that cannot exist: under a regular file (root ignores modes) */
    snprintf(file, sizeof file, "%s/plain", dir);
    FILE *f = fopen(file, "w");
    fclose(f);
    snprintf(path, sizeof path, "%s/sub/c.pdf", file);
    assert_int_equal(xai_outfile_open(path, &o), XAI_ERR_IO);
    assert_null(o);
    char want[512];
    snprintf(want, sizeof want,
             "cannot write '%s': cannot create a temporary file in its directory: Not a directory",
             path);
    assert_string_equal(xai_last_error(), want);
    /* the rename fails when the target is a directory: the temporary goes */
    snprintf(path, sizeof path, "%s/isdir", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    assert_int_equal(xai_outfile_write_all(path, "abc", 3), XAI_ERR_IO);
    assert_non_null(strstr(xai_last_error(), "renaming the temporary file failed"));
    assert_int_equal(dir_entries(dir), 2); /* plain and isdir only */
    rmdir(path);
    unlink(file);
    assert_int_equal(xai_outfile_open("", &o), XAI_ERR_INVALID);
}

static int setup(void **state)
{
    (void)state;
    tmp_dir(dir, sizeof dir, "xai_outfile");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(commit_writes_whole_file),
        cmocka_unit_test(abort_leaves_nothing),
        cmocka_unit_test(failures_name_the_path),
    };
    return cmocka_run_group_tests_name("outfile", tests, setup, teardown);
}
