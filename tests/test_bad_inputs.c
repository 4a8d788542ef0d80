/* tests/test_bad_inputs.c: runs every line of tests/bad_inputs.txt (the
 * table of refused inputs, issue 14) and checks the exit code, that the
 * message contains the fragment, that no output file was left behind and
 * that no result printed "nan".  The inputs it names are made here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "support/onnx_build.h"
#include "support/run_cmd.h"
#include "support/shell.h"

#define CREDIT "--model examples/credit/model.onnx --data " \
               "tests/fixtures/data/german_head.csv --label credit-risk --groups auto"

static char dir[64];

/* Replaces every @D@ and @CREDIT@ of in (into out). */
static void expand(const char *in, char *out, size_t n)
{
    size_t o = 0;
    while (*in && o + 1 < n) {
        const char *rep = NULL;
        size_t skip = 0;
        if (strncmp(in, "@D@", 3) == 0)
            rep = dir, skip = 3;
        else if (strncmp(in, "@CREDIT@", 8) == 0)
            rep = CREDIT, skip = 8;
        if (rep) {
            o += (size_t)snprintf(out + o, n - o, "%s", rep);
            in += skip;
        } else {
            out[o++] = *in++;
        }
    }
    out[o < n ? o : n - 1] = '\0';
}

static void make_inputs(void)
{
    char p[256];
    /* y = 1 / x: Div(ones, x) */
    ob_model *m = ob_new(13);
    ob_input(m, "x", 2, (int64_t[]){1, 2});
    ob_output(m, "y", 2, (int64_t[]){1, 2});
    ob_init_f(m, "one", 1, (int64_t[]){2}, (float[]){1, 1});
    ob_add(m, "Div", "div", "one,x", "y");
    snprintf(p, sizeof p, "%s/recip.onnx", dir);
    ob_write(m, p);
    ob_free(m);
    /* x[N,6] -> Reshape [-1,2,3] */
    m = ob_new(13);
    ob_input(m, "x", 2, (int64_t[]){1, 6});
    ob_output(m, "y", 0, NULL);
    ob_init_i(m, "shape", 1, (int64_t[]){3}, (int64_t[]){-1, 2, 3});
    ob_add(m, "Reshape", "r", "x,shape", "y");
    snprintf(p, sizeof p, "%s/rank3.onnx", dir);
    ob_write(m, p);
    ob_free(m);
    /* x[N,4] -> Pad to [N, 4 + P]: a tiny file planning P floats per row */
    const int64_t pads[2] = {1000000, 600000000};
    const char *pad_names[2] = {"pad4m.onnx", "pad2g.onnx"};
    for (int k = 0; k < 2; k++) {
        m = ob_new(13);
        ob_input(m, "x", 2, (int64_t[]){1, 4});
        ob_output(m, "y", 0, NULL);
        ob_init_i(m, "pads", 1, (int64_t[]){4}, (int64_t[]){0, 0, 0, pads[k]});
        ob_add(m, "Pad", "pad", "x,pads", "y");
        snprintf(p, sizeof p, "%s/%s", dir, pad_names[k]);
        ob_write(m, p);
        ob_free(m);
    }
    snprintf(p, sizeof p, "%s/two.csv", dir);
    file_write(p, "a,b\n1,2\n3,4\n0,5\n");
    snprintf(p, sizeof p, "%s/six.csv", dir);
    file_write(p, "a,b,c,d,e,f\n1,2,3,4,5,6\n");
    snprintf(p, sizeof p, "%s/nul.csv", dir);
    FILE *f = fopen(p, "wb");
    fwrite("a,b\n1,2\n1\0junk,2\n", 1, 17, f);
    fclose(f);
    assert_int_equal(sh_run(NULL, "head -2 tests/fixtures/data/german_head.csv > %s/one.csv "
                            "&& cd %s && mkfifo fifo && mkdir dir out && ln -s two.csv "
                            "link.csv", dir, dir), 0);
}

static void every_refusal_in_the_table(void **state)
{
    (void)state;
    FILE *f = fopen("tests/bad_inputs.txt", "r");
    assert_non_null(f);
    char line[2048], args[4096], frag[1024];
    static cmd_result r;
    int n = 0, bad = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        char *p1 = strstr(line, " | "), *p2 = p1 ? strstr(p1 + 3, " | ") : NULL;
        assert_non_null(p2);
        *p1 = *p2 = '\0';
        int want = atoi(line);
        expand(p1 + 3, frag, sizeof frag);
        expand(p2 + 3, args, sizeof args);
        int got = cmd_run(&r, "%s", args);
        char outdir[128];
        snprintf(outdir, sizeof outdir, "%s/out", dir);
        int left = dir_entries(outdir);
        if (got != want || !strstr(r.err, frag) || left || strstr(r.out, "nan")) {
            fprintf(stderr, "bad_inputs.txt: xai %s\n  want exit %d with '%s'\n  got exit "
                    "%d, %d file(s) left:\n%s%s\n", args, want, frag, got, left, r.out,
                    r.err);
            bad++;
            sh_run(NULL, "rm -rf %s && mkdir %s", outdir, outdir);
        }
        n++;
    }
    fclose(f);
    fprintf(stderr, "%d refusals checked\n", n);
    assert_true(n >= 30);
    assert_int_equal(bad, 0);
}

static int setup(void **state)
{
    (void)state;
    tmp_dir(dir, sizeof dir, "xai_bad");
    make_inputs();
    return 0;
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
        cmocka_unit_test(every_refusal_in_the_table),
    };
    return cmocka_run_group_tests_name("bad inputs", tests, setup, teardown);
}
