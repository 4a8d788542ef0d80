/* tests/test_output_safety.c: issue 14 items 1-4 end to end: xai never
 * replaces a non-regular file (private FIFO, device node and symlink made
 * here, never system ones), never overwrites an input, refuses an extension
 * naming another format unless --force, checks outputs before the work,
 * creates --png directories only with their first file, and leaves no
 * temporary file after SIGINT/SIGTERM. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "support/run_cmd.h"
#include "support/shell.h"

#define MODEL "examples/credit/model.onnx"
#define DATA "tests/fixtures/data/german_head.csv"
#define DARGS "--model " MODEL " --data " DATA " --label credit-risk --groups auto"
#define AUDIT "audit " DARGS " --rows 0:3 --methods gradient --sens-points 0 --samples 20"

static char dir[64];
static cmd_result r;

static void path_in(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", dir, name);
}

/* Item 1: a FIFO, a character device and a symlink at --out survive. */
static void non_regular_outputs_survive(void **state)
{
    (void)state;
    char fifo[128], dev[128], link[128], target[128];
    path_in(fifo, sizeof fifo, "p.csv");
    path_in(dev, sizeof dev, "null.csv");
    path_in(link, sizeof link, "l.csv");
    path_in(target, sizeof target, "t.csv");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    int have_dev = mknod(dev, S_IFCHR | 0600, makedev(1, 3)) == 0;
    file_write(target, "keep\n");
    assert_int_equal(symlink("t.csv", link), 0);
    const char *paths[] = {fifo, dev, link};
    const char *what[] = {"a FIFO", "a character device", "is a symbolic link"};
    for (int k = 0; k < 3; k++) {
        if (k == 1 && !have_dev)
            continue;
        assert_int_equal(cmd_run(&r, "predict " DARGS " --out %s", paths[k]), 1);
        assert_non_null(strstr(r.err, what[k]));
        assert_int_equal(cmd_run(&r, "explain " DARGS " --method gradient --out %s",
                                 paths[k]), 1);
        assert_non_null(strstr(r.err, paths[k]));
    }
    struct stat st;
    assert_int_equal(lstat(fifo, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
    if (have_dev) {
        assert_int_equal(lstat(dev, &st), 0);
        assert_true(S_ISCHR(st.st_mode));
        assert_int_equal(cmd_run(&r, AUDIT " --out %s --force", dev), 1);
        assert_int_equal(lstat(dev, &st), 0);
        assert_true(S_ISCHR(st.st_mode));
    }
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    char *t = file_read(target, NULL);
    assert_string_equal(t, "keep\n");
    free(t);
    assert_int_equal(dir_entries(dir), 3 + have_dev);
    unlink(fifo), unlink(dev), unlink(link), unlink(target);
}

/* Item 2: an output that is an input (same inode, any spelling) or another
 * output is refused and nothing changes. */
static void outputs_never_overwrite_inputs(void **state)
{
    (void)state;
    char in[128], hard[128], model[128];
    path_in(in, sizeof in, "in.csv");
    path_in(hard, sizeof hard, "hard.csv");
    path_in(model, sizeof model, "m.json");
    assert_int_equal(sh_run(NULL, "cp %s %s && ln %s %s && cp %s %s", DATA, in, in,
                            hard, MODEL, model), 0);
    size_t n0, n1;
    char *before = file_read(in, &n0);
    assert_int_equal(cmd_run(&r, "predict --model " MODEL " --data %s --label credit-risk "
                             "--out %s", in, in), 2);
    assert_non_null(strstr(r.err, "is the input"));
    assert_int_equal(cmd_run(&r, "predict --model " MODEL " --data %s/./in.csv --label "
                             "credit-risk --out %s", dir, hard), 2);
    assert_int_equal(cmd_run(&r, "explain --model %s --data " DATA " --label credit-risk "
                             "--method gradient --out %s", model, model), 2);
    assert_non_null(strstr(r.err, "destroy the input"));
    /* the audit's two outputs are one file */
    assert_int_equal(cmd_run(&r, AUDIT " --json %s/r.pdf --out %s/r.pdf --force", dir,
                             dir), 2);
    assert_non_null(strstr(r.err, "are the same file"));
    char *after = file_read(in, &n1);
    assert_int_equal(n0, n1);
    assert_memory_equal(before, after, n0);
    free(before), free(after);
    assert_int_equal(dir_entries(dir), 3);
    unlink(in), unlink(hard), unlink(model);
}

/* Item 2: a report path whose extension says another format. */
static void extension_must_match_format(void **state)
{
    (void)state;
    assert_int_equal(cmd_run(&r, AUDIT " --out %s/x.csv", dir), 2);
    assert_non_null(strstr(r.err, "has the extension .csv but --out is a PDF report; "
                               "use --force"));
    assert_int_equal(cmd_run(&r, AUDIT " --json %s/x.pdf", dir), 2);
    assert_int_equal(cmd_run(&r, "predict " DARGS " --out %s/p.json", dir), 2);
    assert_int_equal(cmd_run(&r, "explain " DARGS " --method gradient --format json "
                             "--out %s/e.csv", dir), 2);
    assert_int_equal(dir_entries(dir), 0);
    assert_int_equal(cmd_run(&r, "predict " DARGS " --out %s/p.json --force", dir), 0);
    assert_int_equal(cmd_run(&r, AUDIT " --out %s/x.csv --force", dir), 0);
    char p[128];
    path_in(p, sizeof p, "x.csv");
    char *pdf = file_read(p, NULL);
    assert_memory_equal(pdf, "%PDF", 4);
    free(pdf);
    unlink(p);
    path_in(p, sizeof p, "p.json");
    unlink(p);
}

/* Items 3-4: outputs are checked before the work; --png DIR is created with
 * its first file only. */
static void outputs_checked_before_work(void **state)
{
    (void)state;
    /* the audit prints "xai audit: N rows ..." when the work starts */
    assert_int_equal(cmd_run(&r, AUDIT " --json %s/x.json --out %s/no/such/r.pdf", dir,
                             dir), 1);
    assert_non_null(strstr(r.err, "does not exist"));
    assert_null(strstr(r.err, "rows ("));
    assert_int_equal(dir_entries(dir), 0);
    /* a run failing after the check (model and data disagree) creates no
     * --png directory */
    assert_int_equal(cmd_run(&r, "explain --model tests/fixtures/models/cnn.onnx --data "
                             "examples/digits/png --method gradient --out %s/e.csv "
                             "--png %s/png/deep --rows 0:1 --samples 1", dir, dir), 0);
    assert_int_equal(dir_entries(dir), 2); /* e.csv, png/ */
    assert_int_equal(sh_run(NULL, "rm -rf %s/png %s/e.csv", dir, dir), 0);
    assert_int_equal(cmd_run(&r, "explain --model " MODEL " --data examples/digits/png "
                             "--method gradient --out %s/e.csv --png %s/png", dir, dir), 1);
    assert_int_equal(dir_entries(dir), 0);
    char f[128];
    path_in(f, sizeof f, "file");
    file_write(f, "x");
    assert_int_equal(cmd_run(&r, "explain --model tests/fixtures/models/cnn.onnx --data "
                             "examples/digits/png --method gradient --out %s/e.csv "
                             "--png %s", dir, f), 1);
    assert_non_null(strstr(r.err, "is not a directory"));
    unlink(f);
}

static int has_temporary(const char *d)
{
    DIR *dd = opendir(d);
    struct dirent *e;
    int found = 0;
    while (dd && (e = readdir(dd)))
        found |= strstr(e->d_name, ".tmp-") != NULL;
    if (dd)
        closedir(dd);
    return found;
}

/* Item 3: SIGINT / SIGTERM while the output is pending removes the
 * temporary file; the process still dies of the signal. */
static void signals_remove_temporaries(void **state)
{
    (void)state;
    char out[128];
    path_in(out, sizeof out, "slow.csv");
    const int sigs[] = {SIGINT, SIGTERM};
    for (int k = 0; k < 2; k++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            execl(cmd_xai(), "xai", "explain", "--model", MODEL, "--data",
                  "examples/credit/data/test.csv", "--label", "credit-risk", "--method",
                  "c-lime", "--samples", "200000", "--threads", "1", "--out", out,
                  (char *)NULL);
            _exit(127);
        }
        /* wait (no time limit decides the result) until the temporary exists */
        struct timespec ts = {0, 10 * 1000 * 1000};
        int status;
        while (!has_temporary(dir) && waitpid(pid, &status, WNOHANG) == 0)
            nanosleep(&ts, NULL);
        assert_true(has_temporary(dir));
        kill(pid, sigs[k]);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status));
        assert_int_equal(WTERMSIG(status), sigs[k]);
        assert_int_equal(dir_entries(dir), 0);
    }
}

static int setup(void **state)
{
    (void)state;
    tmp_dir(dir, sizeof dir, "xai_outsafe");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rm_tree(dir);
    return 0;
}

/* Each test starts from an empty directory (a failure leaves no cascade). */
static int empty_dir(void **state)
{
    (void)state;
    sh_run(NULL, "find %s -mindepth 1 -delete", dir);
    return 0;
}

int main(int argc, char **argv)
{
    (void)argc;
    cmd_init(argv[0]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(non_regular_outputs_survive, empty_dir),
        cmocka_unit_test_setup(outputs_never_overwrite_inputs, empty_dir),
        cmocka_unit_test_setup(extension_must_match_format, empty_dir),
        cmocka_unit_test_setup(outputs_checked_before_work, empty_dir),
        cmocka_unit_test_setup(signals_remove_temporaries, empty_dir),
    };
    return cmocka_run_group_tests_name("output safety", tests, setup, teardown);
}
