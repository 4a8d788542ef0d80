/* tests/test_outfile.c: output files appear whole or not at all. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
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
    /* the target becomes a directory after open: the rename is refused and
     * the temporary goes */
    snprintf(path, sizeof path, "%s/isdir", dir);
    assert_int_equal(xai_outfile_open(path, &o), XAI_OK);
    assert_int_equal(mkdir(path, 0700), 0);
    assert_int_equal(xai_outfile_commit(o), XAI_ERR_INVALID);
    assert_non_null(strstr(xai_last_error(), "is a directory"));
    assert_int_equal(dir_entries(dir), 2); /* plain and isdir only */
    rmdir(path);
    unlink(file);
    assert_int_equal(xai_outfile_open("", &o), XAI_ERR_INVALID);
}

/* Item 1 of issue 14: what is at the path and not a regular file survives
 * (private FIFO, device node and symlink made here; never system ones). */
static void refuses_non_regular_targets(void **state)
{
    (void)state;
    char fifo[128], dev[128], link[128], target[128], sub[128];
    snprintf(fifo, sizeof fifo, "%s/fifo", dir);
    snprintf(dev, sizeof dev, "%s/null", dir);
    snprintf(link, sizeof link, "%s/link.csv", dir);
    snprintf(target, sizeof target, "%s/target.csv", dir);
    snprintf(sub, sizeof sub, "%s/sub", dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    int have_dev = mknod(dev, S_IFCHR | 0600, makedev(1, 3)) == 0; /* root only */
    file_write(target, "keep\n");
    assert_int_equal(symlink("target.csv", link), 0);
    assert_int_equal(mkdir(sub, 0700), 0);
    struct { const char *path, *msg; } cases[] = {
        {fifo, "is not a regular file (a FIFO)"},
        {dev, "is not a regular file (a character device)"},
        {link, "is a symbolic link"},
        {sub, "is a directory"},
    };
    for (size_t k = 0; k < 4; k++) {
        if (k == 1 && !have_dev)
            continue;
        xai_outfile *o = (xai_outfile *)1;
        assert_int_equal(xai_outfile_open(cases[k].path, &o), XAI_ERR_INVALID);
        assert_null(o);
        assert_non_null(strstr(xai_last_error(), cases[k].msg));
        assert_non_null(strstr(xai_last_error(), cases[k].path));
        assert_int_equal(xai_outfile_write_all(cases[k].path, "x", 1), XAI_ERR_INVALID);
    }
    struct stat st;
    assert_int_equal(lstat(fifo, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
    if (have_dev) {
        assert_int_equal(lstat(dev, &st), 0);
        assert_true(S_ISCHR(st.st_mode));
    }
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    char *t = file_read(target, NULL);
    assert_string_equal(t, "keep\n");
    free(t);
    assert_int_equal(xai_outfile_check(target), XAI_OK);
    assert_int_equal(dir_entries(dir), 4 + have_dev); /* no temporary left */
    unlink(fifo), unlink(dev), unlink(link), unlink(target), rmdir(sub);
}

/* Item 3: the signal handler's call removes every pending temporary. */
static void remove_pending_unlinks_temporaries(void **state)
{
    (void)state;
    char a[128], b[128];
    snprintf(a, sizeof a, "%s/a.csv", dir);
    snprintf(b, sizeof b, "%s/b.pdf", dir);
    xai_outfile *oa, *ob;
    assert_int_equal(xai_outfile_open(a, &oa), XAI_OK);
    assert_int_equal(xai_outfile_open(b, &ob), XAI_OK);
    assert_int_equal(dir_entries(dir), 2);
    xai_outfile_remove_pending();
    assert_int_equal(dir_entries(dir), 0);
    xai_outfile_abort(oa);
    /* a committed file is no longer pending */
    assert_int_equal(xai_outfile_commit(ob), XAI_ERR_IO); /* its temp is gone */
    assert_int_equal(xai_outfile_write_all(a, "1\n", 2), XAI_OK);
    xai_outfile_remove_pending();
    assert_int_equal(dir_entries(dir), 1);
    unlink(a);
}

/* Item 4: several outputs appear together or not at all. */
static void commit_all_is_all_or_none(void **state)
{
    (void)state;
    char a[128], b[128];
    snprintf(a, sizeof a, "%s/r.json", dir);
    snprintf(b, sizeof b, "%s/r.pdf", dir);
    xai_outfile *o[2];
    assert_int_equal(xai_outfile_open(a, &o[0]), XAI_OK);
    assert_int_equal(xai_outfile_open(b, &o[1]), XAI_OK);
    fputs("{}", xai_outfile_stream(o[0]));
    fputs("%PDF", xai_outfile_stream(o[1]));
    assert_int_equal(mkdir(b, 0700), 0); /* the second rename must fail */
    assert_int_equal(xai_outfile_commit_all(o, 2), XAI_ERR_INVALID);
    assert_int_equal(access(a, F_OK), -1);
    assert_int_equal(dir_entries(dir), 1); /* only the directory */
    rmdir(b);
    assert_int_equal(xai_outfile_open(a, &o[0]), XAI_OK);
    assert_int_equal(xai_outfile_open(b, &o[1]), XAI_OK);
    fputs("{}", xai_outfile_stream(o[0]));
    assert_int_equal(xai_outfile_commit_all(o, 2), XAI_OK);
    assert_null(o[0]);
    assert_int_equal(dir_entries(dir), 2);
    unlink(a), unlink(b);
}

/* `--out -`: a wrapped stream is written through and left open. */
static void wrapped_stream(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/w.txt", dir);
    FILE *f = fopen(path, "w");
    xai_outfile *o;
    assert_int_equal(xai_outfile_wrap(f, "-", &o), XAI_OK);
    assert_string_equal(xai_outfile_path(o), "-");
    fputs("hello", xai_outfile_stream(o));
    assert_int_equal(xai_outfile_commit(o), XAI_OK);
    fputs("!", f); /* still open */
    fclose(f);
    char *t = file_read(path, NULL);
    assert_string_equal(t, "hello!");
    free(t);
    unlink(path);
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
        cmocka_unit_test(refuses_non_regular_targets),
        cmocka_unit_test(remove_pending_unlinks_temporaries),
        cmocka_unit_test(commit_all_is_all_or_none),
        cmocka_unit_test(wrapped_stream),
    };
    return cmocka_run_group_tests_name("outfile", tests, setup, teardown);
}
