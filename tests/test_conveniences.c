/* tests/test_conveniences.c: issue 14 items 11, 15, 17-20: --out - and
 * --data -, predict --rows, explain --target all, audit --target K,
 * --background FILE, -h everywhere, a UTF-8 byte-order mark, JSON that is
 * always valid UTF-8 and never truncated, byte-identical reports with
 * --date and --no-timing, the duplicate-column check on 100,000 columns. */
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
#define DATA "tests/fixtures/data/german_head.csv"
#define CREDIT "--model " MODEL " --data " DATA " --label credit-risk --groups auto"
/* the 3-class softmax MLP on 8 features, data written by setup (%s: dir) */
#define SOFT "--model tests/fixtures/models/mlp_softmax.onnx --data %s/soft.csv"

static char dir[64];
static cmd_result r;

static char *slurp(const char *name)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    char *t = file_read(p, NULL);
    assert_non_null(t);
    return t;
}

/* Item 19: `--out -` is the file's bytes on stdout; `--data -` reads stdin. */
static void stdout_and_stdin(void **state)
{
    (void)state;
    assert_int_equal(cmd_run(&r, "predict " CREDIT " --out %s/p.csv", dir), 0);
    char *file = slurp("p.csv");
    assert_int_equal(cmd_run(&r, "predict " CREDIT " --out -"), 0);
    assert_string_equal(r.out, file);
    char *got; /* cmd_run reads stdin from /dev/null: through the shell */
    assert_int_equal(sh_run(&got, "%s predict --model " MODEL " --data - --label "
                            "credit-risk --groups auto --out - < " DATA, cmd_xai()), 0);
    assert_string_equal(got, file);
    free(got);
    free(file);
    assert_int_equal(cmd_run(&r, "explain " CREDIT " --method gradient --rows 0:3 "
                             "--no-timing --out %s/e.json", dir), 0);
    file = slurp("e.json");
    assert_int_equal(cmd_run(&r, "explain " CREDIT " --method gradient --rows 0:3 "
                             "--no-timing --format json --out -"), 0);
    assert_string_equal(r.out, file);
    free(file);
    assert_int_equal(sh_run(&got, "%s explain --model " MODEL " --data - --label "
                            "credit-risk --method gradient --rows 0:2 --out - < " DATA,
                            cmd_xai()), 0);
    assert_non_null(strstr(got, "row,method,target,checking-account_1,"));
    free(got);
}

/* Item 20: predict --rows A:B is lines A..B-1 of the whole prediction. */
static void predict_rows(void **state)
{
    (void)state;
    assert_int_equal(cmd_run(&r, "predict " CREDIT " --out -"), 0);
    char all[sizeof r.out];
    memcpy(all, r.out, sizeof all);
    assert_int_equal(cmd_run(&r, "predict " CREDIT " --rows 3:6 --out -"), 0);
    /* header + rows 3, 4, 5 of the full output */
    char want[8192] = "", *save, *copy = strdup(all);
    int k = 0;
    for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save), k++)
        if (k == 0 || (k >= 4 && k <= 6))
            strcat(strcat(want, l), "\n");
    free(copy);
    assert_string_equal(r.out, want);
    assert_int_equal(cmd_run(&r, "predict " CREDIT " --rows 5:99 --out -"), 2);
}

/* Item 20: --target all has one line per class; each equals --target K. */
static void explain_target_all(void **state)
{
    (void)state;
    assert_int_equal(cmd_run(&r, "explain " SOFT " --method gradient,kernelshap "
                             "--rows 1:3 --target all --out -", dir), 0);
    char all[sizeof r.out];
    memcpy(all, r.out, sizeof all);
    for (int t = 0; t < 3; t++) {
        assert_int_equal(cmd_run(&r, "explain " SOFT " --method gradient,kernelshap "
                                 "--rows 1:3 --target %d --out -", dir, t), 0);
        char *save, *copy = strdup(r.out);
        int lines = 0;
        for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
            assert_non_null(strstr(all, l)); /* every line of --target t */
            lines++;
        }
        free(copy);
        assert_int_equal(lines, 1 + 2 * 2);
    }
    int n = 0;
    for (char *p = all; (p = strchr(p, '\n')); p++)
        n++;
    assert_int_equal(n, 1 + 2 * 2 * 3); /* header, rows x methods x targets */
}

/* Item 20: audit --target K audits output K: the three outputs of the
 * softmax model have mean outputs summing to 1. */
static void audit_target(void **state)
{
    (void)state;
    for (int t = 0; t < 3; t++)
        assert_int_equal(cmd_run(&r, "audit " SOFT " --rows 0:4 --methods gradient "
                                 "--sens-points 0 --samples 20 --target %d --json "
                                 "%s/a%d.json", dir, t, dir, t), 0);
    char checks[512];
    snprintf(checks, sizeof checks,
             "e=[json.load(open(\"%s/a%%d.json\" %% t)) for t in (1, 2)]\n"
             "s=d[\"rows\"][\"mean_output\"]+sum(x[\"rows\"][\"mean_output\"] for x in e)\n"
             "assert abs(s-1)<1e-5, s", dir);
    char p[128];
    snprintf(p, sizeof p, "%s/a0.json", dir);
    sh_json_check(p, checks);
    assert_int_equal(cmd_run(&r, "audit " SOFT " --rows 0:4 --target 3 --json %s/a.json",
                             dir, dir), 1);
    assert_non_null(strstr(r.err, "target 3 out of range"));
}

/* Item 20: --background FILE holding one row equals --baseline row:I. */
static void background_file(void **state)
{
    (void)state;
    assert_int_equal(sh_run(NULL, "(head -1 " DATA "; sed -n 5p " DATA ") > %s/bg.csv",
                            dir), 0);
    assert_int_equal(cmd_run(&r, "explain " CREDIT " --method kernelshap,ig --rows 0:3 "
                             "--baseline row:3 --out -"), 0);
    char want[sizeof r.out];
    memcpy(want, r.out, sizeof want);
    assert_int_equal(cmd_run(&r, "explain " CREDIT " --method kernelshap,ig --rows 0:3 "
                             "--background %s/bg.csv --out -", dir), 0);
    assert_string_equal(r.out, want);
    assert_int_equal(cmd_run(&r, "explain " CREDIT " --method ig --background %s/bg.csv "
                             "--baseline zero --out -", dir), 2);
}

/* Item 17: -h works for every command. */
static void short_help(void **state)
{
    (void)state;
    const char *cmds[] = {"predict", "explain", "audit"};
    for (int k = 0; k < 3; k++) {
        assert_int_equal(cmd_run(&r, "%s -h", cmds[k]), 0);
        char want[64];
        snprintf(want, sizeof want, "usage: xai %s", cmds[k]);
        assert_memory_equal(r.out, want, strlen(want));
    }
}

/* Item 17: options no chosen method uses, or CSV options on PNG data. */
static void options_never_ignored(void **state)
{
    (void)state;
    assert_int_equal(cmd_run(&r, "explain " CREDIT " --method gradient --sigma 0.3 "
                             "--out -"), 2);
    assert_non_null(strstr(r.err, "--sigma: none of the methods adds noise"));
    assert_int_equal(cmd_run(&r, "explain " CREDIT " --method lime --loss gradient "
                             "--out -"), 2);
    assert_non_null(strstr(r.err, "apply to --method custom only"));
    assert_int_equal(cmd_run(&r, "explain " CREDIT " --method custom --out -"), 2);
    assert_non_null(strstr(r.err, "needs at least one of --neighbourhood"));
    assert_int_equal(cmd_run(&r, "explain " CREDIT " --method ig --kernel-width 2 "
                             "--out -"), 2);
    assert_int_equal(cmd_run(&r, "explain " CREDIT " --method lime --patch 2 --out -"), 2);
    assert_int_equal(cmd_run(&r, "predict --model tests/fixtures/models/cnn.onnx --data "
                             "examples/digits/png --label digit --out -"), 2);
    assert_non_null(strstr(r.err, "--label applies to CSV data"));
    assert_int_equal(cmd_run(&r, "explain --model tests/fixtures/models/cnn.onnx --data "
                             "examples/digits/png --groups auto --method gradient "
                             "--out -"), 2);
    /* custom's exp:W no longer changes lime's kernel width */
    assert_int_equal(cmd_run(&r, "explain " CREDIT " --method lime --rows 0:2 --seed 3 "
                             "--out -"), 0);
    char want[sizeof r.out];
    memcpy(want, r.out, sizeof want);
    assert_int_equal(cmd_run(&r, "explain " CREDIT " --method lime,custom --rows 0:2 "
                             "--seed 3 --neighbourhood masks --kernel exp:0.3 --out -"), 0);
    char *save;
    for (char *l = strtok_r(want, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
        assert_non_null(strstr(r.out, l));
}

/* Item 11: a UTF-8 byte-order mark before the header is not part of the
 * first name. */
static void bom_is_stripped(void **state)
{
    (void)state;
    char p[128];
    snprintf(p, sizeof p, "%s/bom.csv", dir);
    assert_int_equal(sh_run(NULL, "(printf '\\357\\273\\277'; cat " DATA ") > %s", p), 0);
    assert_int_equal(cmd_run(&r, "explain --model " MODEL " --data %s --label credit-risk "
                             "--method gradient --rows 0:1 --out -", p), 0);
    assert_non_null(strstr(r.out, "row,method,target,checking-account_1,"));
    assert_null(strstr(r.out, "\357\273\277"));
    /* the label as the first column, after the mark */
    assert_int_equal(sh_run(NULL, "(printf '\\357\\273\\277'; awk -F, -v OFS=, "
                            "'{l=$NF; NF--; print l,$0}' " DATA ") > %s", p), 0);
    assert_int_equal(cmd_run(&r, "predict --model " MODEL " --data %s --label credit-risk "
                             "--out -", p), 0);
}

/* Item 15: invalid UTF-8 in names becomes U+FFFD; long paths are whole. */
static void json_valid_utf8_untruncated(void **state)
{
    (void)state;
    char p[128], j[128];
    snprintf(p, sizeof p, "%s/latin1.csv", dir);
    snprintf(j, sizeof j, "%s/l.json", dir);
    file_write(p, "caf\351,b,c,d,e\n1,2,3,4,5\n3,4,5,6,7\n");
    assert_int_equal(cmd_run(&r, "explain --model tests/fixtures/models/linear.onnx "
                             "--data %s --method gradient --out %s", p, j), 0);
    sh_json_check(j, "open(sys.argv[1], encoding=\"utf-8\", errors=\"strict\").read()\n"
                     "assert d[\"features\"][0] == \"caf\\ufffd\", d[\"features\"]");
    /* a model path of ~1,400 characters survives in the audit JSON */
    char deep[2048];
    int n = snprintf(deep, sizeof deep, "%s", dir);
    for (int k = 0; k < 7; k++)
        n += snprintf(deep + n, sizeof deep - (size_t)n, "/%0200d", k);
    assert_int_equal(sh_run(NULL, "mkdir -p %s && cp " MODEL " %s/m.onnx", deep, deep), 0);
    assert_int_equal(cmd_run(&r, "audit --model %s/m.onnx --data " DATA " --label "
                             "credit-risk --rows 0:3 --methods gradient --sens-points 0 "
                             "--samples 20 --json %s", deep, j), 0);
    char checks[2600];
    snprintf(checks, sizeof checks, "assert d[\"input\"][\"model\"] == \"%s/m.onnx\"", deep);
    sh_json_check(j, checks);
}

/* Item 18: --date and --no-timing give byte-identical reports. */
static void reports_byte_identical(void **state)
{
    (void)state;
    /* the same command twice (the report quotes it, output path included) */
    for (int k = 0; k < 2; k++) {
        assert_int_equal(cmd_run(&r, "audit " CREDIT " --rows 0:3 --methods gradient "
                                 "--sens-points 0 --samples 20 --date 86400 --no-timing "
                                 "--out %s/r.pdf", dir), 0);
        assert_int_equal(sh_run(NULL, "mv %s/r.pdf %s/r%d.pdf", dir, dir, k), 0);
    }
    assert_int_equal(sh_run(NULL, "cmp -s %s/r0.pdf %s/r1.pdf", dir, dir), 0);
}

/* Item 14: duplicate names among 100,000 columns are found (by hash). */
static void many_columns_duplicate(void **state)
{
    (void)state;
    char p[128];
    snprintf(p, sizeof p, "%s/wide.csv", dir);
    FILE *f = fopen(p, "w");
    for (int k = 0; k < 100000; k++)
        fprintf(f, "c%d,", k);
    fprintf(f, "c77777\n");
    for (int k = 0; k < 100000; k++)
        fputs("1,", f);
    fputs("1\n", f);
    fclose(f);
    assert_int_equal(cmd_run(&r, "predict --model " MODEL " --data %s --out -", p), 1);
    assert_non_null(strstr(r.err, ":1:100001: duplicate column name 'c77777' (also "
                                  "column 77778)"));
}

static int setup(void **state)
{
    (void)state;
    tmp_dir(dir, sizeof dir, "xai_conv");
    char p[128];
    snprintf(p, sizeof p, "%s/soft.csv", dir);
    FILE *f = fopen(p, "w");
    fputs("a,b,c,d,e,f,g,h\n", f);
    for (int i = 0; i < 6; i++)
        for (int j = 0; j < 8; j++)
            fprintf(f, "%.3f%c", ((i * 8 + j) * 37 % 23 - 11) / 7.0, j == 7 ? '\n' : ',');
    fclose(f);
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
        cmocka_unit_test(stdout_and_stdin),
        cmocka_unit_test(predict_rows),
        cmocka_unit_test(explain_target_all),
        cmocka_unit_test(audit_target),
        cmocka_unit_test(background_file),
        cmocka_unit_test(short_help),
        cmocka_unit_test(options_never_ignored),
        cmocka_unit_test(bom_is_stripped),
        cmocka_unit_test(json_valid_utf8_untruncated),
        cmocka_unit_test(reports_byte_identical),
        cmocka_unit_test(many_columns_duplicate),
    };
    return cmocka_run_group_tests_name("conveniences", tests, setup, teardown);
}
