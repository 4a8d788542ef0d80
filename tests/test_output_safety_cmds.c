/* tests/test_output_safety_cmds.c: issue 14 items 1-4 for the commands added
 * after it (backdoor, counterfactual, stability, lipschitz): every output
 * checked before the work (non-regular files, symlinks, inputs, other
 * outputs, extensions unless --force), --png DIR created only with its first
 * file, nothing left behind by a failed run.  FIFOs and links are made here,
 * never system ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "support/run_cmd.h"
#include "support/shell.h"

#define MODEL "examples/credit/model.onnx"
#define HEAD "tests/fixtures/data/german_head.csv"
#define TRAIN "examples/credit/data/train.csv"
#define CF "counterfactual --model " MODEL " --train " TRAIN " --label credit-risk " \
           "--groups auto --method nn --k 100"
#define BD "backdoor --model examples/backdoor/model_backdoored.onnx --data " \
           "examples/backdoor/data/clean.csv --label digit --image-shape 1,8,8 " \
           "--scale 16 --steps 2 --noise-samples 2 --sources 1 --seed 1"

static char dir[64], data[128], fifo[128], link_[128], model[128];
static cmd_result r;

static char *in_dir(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", dir, name);
    return buf;
}

/* the data file survives byte for byte; only the inputs made in setup are
 * in dir */
static void inputs_intact(const char *before, size_t n0)
{
    size_t n1;
    char *after = file_read(data, &n1);
    assert_int_equal(n0, n1);
    assert_memory_equal(before, after, n0);
    free(after);
    assert_int_equal(dir_entries(dir), 5);
}

/* an output that is an input, whatever the spelling, or another output */
static void outputs_never_overwrite_inputs(void **state)
{
    (void)state;
    size_t n0;
    char *before = file_read(data, &n0);
    char hard[128];
    in_dir(hard, sizeof hard, "hard.csv");
    assert_int_equal(link(data, hard), 0);
    assert_int_equal(cmd_run(&r, CF " --data %s --out %s", data, data), 2);
    assert_non_null(strstr(r.err, "is the input"));
    assert_null(strstr(r.err, "rows,"));
    if (cmd_run(&r, CF " --data %s --out %s/./hard.csv", data, dir) != 2)
        fail_msg("%s", r.err);
    assert_int_equal(cmd_run(&r, "counterfactual --model " MODEL " --data " HEAD
                             " --train %s --label credit-risk --out %s", data, hard), 2);
    assert_int_equal(cmd_run(&r, CF " --data " HEAD " --alt-models %s --out %s/c.csv "
                             "--json %s --force", model, dir, model), 2);
    assert_non_null(strstr(r.err, "destroy the input"));
    assert_int_equal(cmd_run(&r, CF " --data " HEAD " --out %s/c.csv --json %s/c.csv "
                             "--force", dir, dir), 2);
    assert_non_null(strstr(r.err, "are the same file"));
    assert_int_equal(cmd_run(&r, "stability --model " MODEL " --data " HEAD " --train "
                             TRAIN " --label credit-risk --original %s --out %s", data,
                             hard), 2);
    assert_non_null(strstr(r.err, "is the input"));
    assert_int_equal(cmd_run(&r, "lipschitz --model " MODEL " --data %s --label "
                             "credit-risk --radius 0.1 --out %s", data, hard), 2);
    assert_non_null(strstr(r.err, "is the input"));
    assert_int_equal(cmd_run(&r, "lipschitz --model " MODEL " --data " HEAD " --label "
                             "credit-risk --train %s --radius 0.1 --out %s", data, data), 2);
    assert_int_equal(cmd_run(&r, BD " --denoiser %s --out %s --force", model, model), 2);
    assert_non_null(strstr(r.err, "destroy the input"));
    assert_int_equal(cmd_run(&r, BD " --json %s/b.json --out %s/b.json --force", dir,
                             dir), 2);
    assert_non_null(strstr(r.err, "are the same file"));
    unlink(hard);
    inputs_intact(before, n0);
    free(before);
}

/* a FIFO or a symbolic link at an output path survives, refused before the
 * work starts */
static void non_regular_outputs_survive(void **state)
{
    (void)state;
    size_t n0;
    char *before = file_read(data, &n0);
    const char *paths[] = {fifo, link_};
    const char *what[] = {"a FIFO", "is a symbolic link"};
    for (int k = 0; k < 2; k++) {
        assert_int_equal(cmd_run(&r, BD " --out %s --force", paths[k]), 1);
        assert_non_null(strstr(r.err, what[k]));
        assert_null(strstr(r.err, "images of")); /* printed when the scan starts */
        assert_int_equal(cmd_run(&r, BD " --json %s --force", paths[k]), 1);
        assert_int_equal(cmd_run(&r, CF " --data " HEAD " --out %s/c.csv --json %s "
                                 "--force", dir, paths[k]), 1);
        assert_non_null(strstr(r.err, what[k]));
        assert_int_equal(cmd_run(&r, "stability --model " MODEL " --data " HEAD
                                 " --train " TRAIN " --label credit-risk --out %s --force",
                                 paths[k]), 1);
        assert_int_equal(cmd_run(&r, "lipschitz --model " MODEL " --data " HEAD
                                 " --label credit-risk --radius 0.1 --out %s --force",
                                 paths[k]), 1);
        assert_non_null(strstr(r.err, what[k]));
    }
    struct stat st;
    assert_int_equal(lstat(fifo, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
    assert_int_equal(lstat(link_, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    inputs_intact(before, n0);
    free(before);
}

/* an extension naming another format is refused unless --force */
static void extension_must_match_format(void **state)
{
    (void)state;
    char p[128];
    assert_int_equal(cmd_run(&r, BD " --json %s/x.pdf", dir), 2);
    assert_non_null(strstr(r.err, "has the extension .pdf but --json is JSON; use --force"));
    assert_int_equal(cmd_run(&r, BD " --out %s/x.json", dir), 2);
    assert_int_equal(cmd_run(&r, CF " --data " HEAD " --out %s/c.json", dir), 2);
    assert_non_null(strstr(r.err, "--out is CSV"));
    assert_int_equal(cmd_run(&r, CF " --data " HEAD " --out %s/c.csv --json %s/c.pdf",
                             dir, dir), 2);
    assert_int_equal(cmd_run(&r, "stability --model " MODEL " --data " HEAD " --train "
                             TRAIN " --label credit-risk --out %s/s.pdf", dir), 2);
    assert_int_equal(cmd_run(&r, "lipschitz --model " MODEL " --data " HEAD " --label "
                             "credit-risk --radius 0.1 --out %s/l.json", dir), 2);
    assert_int_equal(dir_entries(dir), 5);
    /* forced: written, and the content is what the option says */
    assert_int_equal(cmd_run(&r, BD " --json %s/x.pdf --force", dir), 0);
    char *t = file_read(in_dir(p, sizeof p, "x.pdf"), NULL);
    assert_true(t[0] == '{');
    free(t);
    unlink(p);
    assert_int_equal(cmd_run(&r, "lipschitz --model " MODEL " --data " HEAD " --label "
                             "credit-risk --radius 0.1 --samples 10 --out %s/l.json --force",
                             dir), 0);
    t = file_read(in_dir(p, sizeof p, "l.json"), NULL);
    assert_memory_equal(t, "row,lower", 9);
    free(t);
    unlink(p);
    assert_int_equal(dir_entries(dir), 5);
}

/* outputs checked before the work; --png DIR made with its first file only;
 * a run failing after the check leaves nothing */
static void nothing_left_behind(void **state)
{
    (void)state;
    char p[128];
    assert_int_equal(cmd_run(&r, BD " --json %s/b.json --out %s/no/such/b.pdf", dir, dir),
                     1);
    assert_non_null(strstr(r.err, "does not exist"));
    assert_null(strstr(r.err, "images of"));
    assert_int_equal(cmd_run(&r, BD " --png %s", data), 1);
    assert_non_null(strstr(r.err, "is not a directory"));
    /* the model does not take these images: fails after the check */
    assert_int_equal(cmd_run(&r, "backdoor --model " MODEL " --data "
                             "examples/backdoor/data/clean.csv --label digit --image-shape "
                             "1,8,8 --json %s/b.json --png %s/png/deep --out %s/b.pdf", dir,
                             dir, dir), 1);
    assert_int_equal(dir_entries(dir), 5);
    assert_int_equal(cmd_run(&r, CF " --data %s --out %s/c.csv --json %s/c.json --rows 50:60",
                             data, dir, dir), 2);
    assert_int_equal(dir_entries(dir), 5);
    /* an image that cannot be written (a directory holds its name) fails the
     * run after the JSON and the PDF are complete: none of them is kept */
    assert_int_equal(sh_run(NULL, "mkdir -p %s/pngx/class3_perturbed.png", dir), 0);
    assert_int_equal(cmd_run(&r, BD " --target 3 --json %s/b.json --png %s/pngx --out "
                             "%s/b.pdf", dir, dir, dir), 1);
    assert_non_null(strstr(r.err, "class3_perturbed.png"));
    assert_int_equal(dir_entries(in_dir(p, sizeof p, "pngx")), 1);
    assert_int_equal(dir_entries(dir), 6);
    assert_int_equal(sh_run(NULL, "rm -r %s/pngx", dir), 0);
    /* a good run writes every output, the --png directory with its parents */
    assert_int_equal(cmd_run(&r, BD " --target 3 --json %s/b.json --png %s/png/deep --out "
                             "%s/b.pdf", dir, dir, dir), 0);
    assert_int_equal(dir_entries(in_dir(p, sizeof p, "png/deep")), 3);
    assert_int_equal(dir_entries(dir), 8);
    assert_int_equal(sh_run(NULL, "cd %s && rm -r png b.json b.pdf", dir), 0);
    assert_int_equal(cmd_run(&r, CF " --data %s --out %s/c.csv --json %s/c.json", data,
                             dir, dir), 0);
    assert_int_equal(dir_entries(dir), 7);
    assert_int_equal(sh_run(NULL, "cd %s && rm c.csv c.json", dir), 0);
}

/* -h prints the usage of every command */
static void short_help(void **state)
{
    (void)state;
    const char *cmds[] = {"backdoor", "counterfactual", "stability", "lipschitz"};
    for (int k = 0; k < 4; k++) {
        assert_int_equal(cmd_run(&r, "%s -h", cmds[k]), 0);
        assert_non_null(strstr(r.out, "usage: xai"));
        assert_non_null(strstr(r.out, "--force"));
    }
}

static int setup(void **state)
{
    (void)state;
    tmp_dir(dir, sizeof dir, "xai_outsafe2");
    in_dir(data, sizeof data, "data.csv");
    in_dir(fifo, sizeof fifo, "fifo");
    in_dir(link_, sizeof link_, "link.csv");
    in_dir(model, sizeof model, "m.onnx");
    return sh_run(NULL, "cp " HEAD " %s && cp " MODEL " %s && cd %s && mkfifo fifo && "
                  "echo keep > t.csv && ln -s t.csv link.csv", data, model, dir);
}

static int teardown(void **state)
{
    (void)state;
    rm_tree(dir);
    return 0;
}

int main(int argc, char **argv)
{
    (void)argc;
    cmd_init(argv[0]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(outputs_never_overwrite_inputs),
        cmocka_unit_test(non_regular_outputs_survive),
        cmocka_unit_test(extension_must_match_format),
        cmocka_unit_test(nothing_left_behind),
        cmocka_unit_test(short_help),
    };
    return cmocka_run_group_tests_name("output safety of the newer commands", tests, setup,
                                       teardown);
}
