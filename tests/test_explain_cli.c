/* tests/test_explain_cli.c: `xai explain` end to end on the credit example
 * (ONNX MLP, one-hot groups): file format, identical files for any
 * --threads, usage and runtime errors, no file left behind on failure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "support/run_cmd.h"
#include "support/shell.h"

#define MODEL "examples/credit/model.onnx"
#define DATA "tests/fixtures/data/german_head.csv"
#define COMMON "explain --model " MODEL " --data " DATA " --label credit-risk --groups auto"

static char dir[64];

static void csv_format_and_threads(void **state)
{
    (void)state;
    cmd_result r;
    char *a, *b;
    size_t la, lb;
    for (int t = 1; t <= 2; t++)
        if (cmd_run(&r, COMMON " --rows 2:9 --method kernelshap,lime,ig,occlusion,"
                        "smoothgrad,c-lime --seed 4 --threads %d --out %s/t%d.csv",
                    t, dir, t) != 0)
            fail_msg("exit %d: %s", r.exit_code, r.err);
    char p1[128], p2[128];
    snprintf(p1, sizeof p1, "%s/t1.csv", dir);
    snprintf(p2, sizeof p2, "%s/t2.csv", dir);
    a = file_read(p1, &la);
    b = file_read(p2, &lb);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(la, lb);
    assert_memory_equal(a, b, la);
    assert_true(strncmp(a, "row,method,target,checking-account_1,checking-account_2,", 56) == 0);
    int lines = 0;
    for (char *p = a; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 1 + 7 * 6);
    assert_non_null(strstr(a, "\n2,kernelshap,0,"));
    assert_non_null(strstr(a, "\n8,c-lime,0,"));
    free(a), free(b);

    /* JSON with --no-timing is byte-identical too, and carries defaults */
    for (int t = 1; t <= 2; t++)
        if (cmd_run(&r, COMMON " --rows 0:4 --method kernelshap,ig --no-timing "
                        "--threads %d --out %s/t%d.json", t, dir, t) != 0)
            fail_msg("exit %d: %s", r.exit_code, r.err);
    snprintf(p1, sizeof p1, "%s/t1.json", dir);
    snprintf(p2, sizeof p2, "%s/t2.json", dir);
    a = file_read(p1, &la);
    b = file_read(p2, &lb);
    assert_int_equal(la, lb);
    assert_memory_equal(a, b, la);
    assert_non_null(strstr(a, "\"samples\": 2088")); /* 2 * 20 groups + 2048 */
    assert_non_null(strstr(a, "\"completeness_gap\""));
    assert_non_null(strstr(a, "\"ig_rule\": \"gauss-legendre\""));
    free(a), free(b);
}

static void errors(void **state)
{
    (void)state;
    cmd_result r;
    assert_int_equal(cmd_run(&r, COMMON " --method nosuch --out %s/e.csv", dir), 2);
    assert_non_null(strstr(r.err, "unknown method 'nosuch'"));
    assert_int_equal(cmd_run(&r, COMMON " --method lime --samples 0 --out %s/e.csv", dir), 2);
    assert_non_null(strstr(r.err, "--samples"));
    assert_int_equal(cmd_run(&r, COMMON " --method lime --out %s/e.txt", dir), 2);
    assert_int_equal(cmd_run(&r, COMMON " --method lime --rows 5:99 --out %s/e.csv", dir), 2);
    assert_int_equal(cmd_run(&r, COMMON " --method lime --target 3 --out %s/e.csv", dir), 1);
    assert_non_null(strstr(r.err, "target 3 out of range"));
    assert_int_equal(cmd_run(&r, COMMON " --method custom --neighbourhood masks "
                                 "--loss gradient --out %s/e.csv", dir), 1);
    assert_non_null(strstr(r.err, "no gradients to match"));
    char p[128];
    snprintf(p, sizeof p, "%s/e.csv", dir);
    assert_int_equal(access(p, F_OK), -1); /* nothing left behind */
    assert_int_equal(cmd_run(&r, "help explain"), 0);
    assert_non_null(strstr(r.out, "integrated-gradients"));
    /* custom: gaussian neighbourhood + function loss = c-lime */
    assert_int_equal(cmd_run(&r, COMMON " --rows 0:3 --method custom --neighbourhood "
                                 "gaussian:0.1 --loss function --out %s/c.csv", dir), 0);
    assert_int_equal(cmd_run(&r, COMMON " --rows 0:3 --method c-lime --out %s/l.csv",
                             dir), 0);
    char pc[128], pl[128];
    snprintf(pc, sizeof pc, "%s/c.csv", dir);
    snprintf(pl, sizeof pl, "%s/l.csv", dir);
    char *c = file_read(pc, NULL), *l = file_read(pl, NULL);
    /* same numbers, only the method column differs */
    char *cc = strstr(c, "\n0,custom,"), *lll = strstr(l, "\n0,c-lime,");
    assert_non_null(cc);
    assert_non_null(lll);
    cc += strlen("\n0,custom,");
    lll += strlen("\n0,c-lime,");
    size_t n = strcspn(cc, "\n");
    assert_int_equal(n, strcspn(lll, "\n"));
    assert_memory_equal(cc, lll, n);
    free(c), free(l);
}

int main(int argc, char **argv)
{
    (void)argc;
    cmd_init(argv[0]);
    tmp_dir(dir, sizeof dir, "xai_explain_cli");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(csv_format_and_threads),
        cmocka_unit_test(errors),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    rm_tree(dir);
    return rc;
}
