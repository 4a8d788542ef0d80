/* tests/test_stream.c: streamed input (issue 13).  `xai explain` and
 * `xai predict` read a CSV file in chunks of --chunk-rows rows; the files
 * they write must equal, byte for byte, those of the whole-data path
 * (--chunk-rows 0, the path every other test checks against references),
 * for chunk sizes that cut the rows anywhere.  The streamed column
 * statistics are checked against a two-pass long-double computation of
 * the loaded data, and the library's stream against a whole load.  Errors
 * (a bad cell in a late row, header-only and empty files, --rows beyond
 * the data, stale --stats) leave no output file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <math.h>

#include <xai/xai.h>

#include "support/run_cmd.h"
#include "support/shell.h"

#define MODEL "examples/credit/model.onnx"
#define DATA "tests/fixtures/data/german_head.csv" /* 20 rows */
#define OPTS " --model " MODEL " --label credit-risk --groups auto"

static char dir[64];

static void same_files(const char *a, const char *b)
{
    size_t la, lb;
    char *x = file_read(a, &la), *y = file_read(b, &lb);
    if (!x || !y)
        fail_msg("missing output: %s %s", x ? "" : a, y ? "" : b);
    if (la != lb || memcmp(x, y, la) != 0)
        fail_msg("%s and %s differ", a, b);
    free(x), free(y);
}

static void run_ok(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void run_ok(const char *fmt, ...)
{
    char args[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    cmd_result r;
    if (cmd_run(&r, "%s", args) != 0)
        fail_msg("xai %s: exit %d: %s", args, r.exit_code, r.err);
}

/* explain: kernelshap (mean baseline), c-lime (std noise), gradient; CSV
 * and JSON; chunk sizes 1, 3, 7 and one larger than the data. */
static void explain_stream_equals_whole(void **state)
{
    (void)state;
    const char *fmts[] = {"csv", "json"};
    for (int f = 0; f < 2; f++) {
        char ref[128], got[128];
        snprintf(ref, sizeof ref, "%s/whole.%s", dir, fmts[f]);
        const char *common = "explain" OPTS " --data " DATA " --rows 2:19 --seed 3 "
                             "--method kernelshap,c-lime,gradient --samples 200 "
                             "--threads 2 --no-timing";
        run_ok("%s --chunk-rows 0 --out %s", common, ref);
        int sizes[] = {1, 3, 7, 4096};
        for (int k = 0; k < 4; k++) {
            snprintf(got, sizeof got, "%s/c%d.%s", dir, sizes[k], fmts[f]);
            run_ok("%s --chunk-rows %d --threads %d --out %s", common, sizes[k],
                   1 + k % 2, got);
            same_files(ref, got);
        }
        /* --stats FILE from `xai stats` instead of the first pass */
        char st[128];
        snprintf(st, sizeof st, "%s/stats.csv", dir);
        run_ok("stats --data " DATA " --label credit-risk --groups auto --chunk-rows 6 "
               "--out %s --force", st);
        snprintf(got, sizeof got, "%s/st.%s", dir, fmts[f]);
        run_ok("%s --chunk-rows 5 --stats %s --out %s", common, st, got);
        same_files(ref, got);
    }
}

/* A tree model reads missing cells as NaN: the streamed column statistics
 * (first pass or `xai stats --allow-missing`) run over the values present,
 * as the whole-data path does, so the mean baseline and the output agree to
 * the byte.  (A NaN mean would make every masked input missing.) */
#define TREE_MISSING " --model tests/fixtures/trees/xgb_missing.json " \
                     "--data tests/fixtures/trees/xgb_missing_input.csv"
static void missing_values_stream_equals_whole(void **state)
{
    (void)state;
    char ref[128], got[128], st[128];
    snprintf(ref, sizeof ref, "%s/tm_whole.csv", dir);
    snprintf(st, sizeof st, "%s/tm_stats.csv", dir);
    const char *common = "explain" TREE_MISSING " --method kernelshap --baseline mean "
                         "--seed 5 --no-timing";
    run_ok("%s --chunk-rows 0 --out %s", common, ref);
    snprintf(got, sizeof got, "%s/tm_c2.csv", dir);
    run_ok("%s --chunk-rows 2 --out %s", common, got);
    same_files(ref, got);
    run_ok("stats --data tests/fixtures/trees/xgb_missing_input.csv --allow-missing "
           "--out %s", st);
    snprintf(got, sizeof got, "%s/tm_st.csv", dir);
    run_ok("%s --chunk-rows 3 --stats %s --out %s", common, st, got);
    same_files(ref, got);
    cmd_result r;
    assert_int_equal(cmd_run(&r, "stats --data tests/fixtures/trees/xgb_missing_input.csv "
                             "--out %s/tm_refused.csv", dir), 1);
    assert_non_null(strstr(r.err, "empty cell"));
}

static void predict_stream_equals_whole(void **state)
{
    (void)state;
    char ref[128], got[128];
    snprintf(ref, sizeof ref, "%s/p_whole.csv", dir);
    run_ok("predict" OPTS " --data " DATA " --chunk-rows 0 --out %s", ref);
    for (int c = 1; c <= 8; c += 7) {
        snprintf(got, sizeof got, "%s/p%d.csv", dir, c);
        run_ok("predict" OPTS " --data " DATA " --chunk-rows %d --out %s", c, got);
        same_files(ref, got);
    }
    /* --rows within a streamed file */
    snprintf(ref, sizeof ref, "%s/pr_whole.csv", dir);
    snprintf(got, sizeof got, "%s/pr.csv", dir);
    run_ok("predict" OPTS " --data " DATA " --rows 5:17 --chunk-rows 0 --out %s", ref);
    run_ok("predict" OPTS " --data " DATA " --rows 5:17 --chunk-rows 4 --out %s", got);
    same_files(ref, got);
    /* standard input is streamed too; a bad cell there names the row
     * (sh_run: cmd_run gives the command /dev/null as its input) */
    snprintf(got, sizeof got, "%s/pr_stdin.csv", dir);
    char *err = NULL, bad[128];
    if (sh_run(&err, "%s predict" OPTS " --data - --rows 5:17 --chunk-rows 3 --out %s "
               "< " DATA " 2>&1", cmd_xai(), got) != 0)
        fail_msg("predict --data -: %s", err);
    free(err);
    same_files(ref, got);
    snprintf(bad, sizeof bad, "%s/stdin_bad.csv", dir);
    sh_run(NULL, "awk -F, 'BEGIN{OFS=\",\"} NR==12{$4=\"?\"} {print}' " DATA " > %s", bad);
    unlink(got);
    assert_int_equal(sh_run(&err, "%s predict" OPTS " --data - --chunk-rows 3 --out %s "
                            "< %s 2>&1", cmd_xai(), got, bad), 1);
    if (!strstr(err, "standard input:12:4:") || !strstr(err, "(row 10)"))
        fail_msg("the message does not name the place and row: %s", err);
    free(err);
    assert_null(file_read(got, NULL));
    assert_int_equal(sh_run(&err, "%s predict --model " MODEL " --data - --chunk-rows 3 "
                            "--out %s < " DATA " 2>&1", cmd_xai(), got), 1);
    if (!strstr(err, "standard input has 62 features but the model"))
        fail_msg("no width mismatch message: %s", err);
    free(err);
    assert_null(file_read(got, NULL));
}

/* xai stats: each column's mean and population std of the loaded data,
 * recomputed here in long double (two passes) */
static void stats_match_direct_sums(void **state)
{
    (void)state;
    char st[128];
    snprintf(st, sizeof st, "%s/direct_stats.csv", dir);
    run_ok("stats --data " DATA " --label credit-risk --chunk-rows 3 --out %s", st);
    xai_csv_options o = xai_csv_options_default();
    o.label = "credit-risk";
    xai_dataset *d;
    assert_int_equal(xai_dataset_load_csv(DATA, &o, &d), XAI_OK);
    size_t R = xai_dataset_rows(d), D = xai_dataset_features(d);
    char *text = file_read(st, NULL), *line = strchr(text, '\n') + 1;
    assert_true(strncmp(text, "feature,rows,mean,std,min,max\n", 30) == 0);
    for (size_t j = 0; j < D; j++) {
        long double s = 0, ss = 0, mn = INFINITY, mx = -INFINITY;
        for (size_t i = 0; i < R; i++) {
            long double v = xai_dataset_row(d, i)[j];
            s += v, mn = v < mn ? v : mn, mx = v > mx ? v : mx;
        }
        long double mean = s / R;
        for (size_t i = 0; i < R; i++) {
            long double e = xai_dataset_row(d, i)[j] - mean;
            ss += e * e;
        }
        size_t n = strlen(xai_dataset_feature_name(d, j));
        assert_memory_equal(line, xai_dataset_feature_name(d, j), n);
        char *p = line + n + 1;
        double rows = strtod(p, &p), m = strtod(p + 1, &p), sd = strtod(p + 1, &p),
               lo = strtod(p + 1, &p), hi = strtod(p + 1, &p);
        assert_true(rows == (double)R);
        if (fabsl(m - mean) > 1e-12L * (1 + fabsl(mean)) ||
            fabsl(sd - sqrtl(ss / R)) > 1e-12L * (1 + sqrtl(ss / R)) || lo != mn || hi != mx)
            fail_msg("column %zu: %.17g %.17g %g %g, direct %.17Lg %.17Lg", j, m, sd, lo,
                     hi, mean, sqrtl(ss / R));
        line = strchr(line, '\n') + 1;
    }
    assert_int_equal(*line, 0);
    free(text);
    xai_dataset_free(d);
}

/* the library stream: chunks in order, the rows of a whole load; keep()
 * leaves a bad cell outside the kept rows unread */
typedef struct seen {
    const xai_dataset *whole;
    size_t next, chunks;
} seen;

static xai_status check_chunk(void *user, const xai_dataset *c, size_t first)
{
    seen *s = user;
    size_t D = xai_dataset_features(c);
    assert_int_equal(first, s->next);
    assert_true(xai_dataset_rows(c) >= 1 && xai_dataset_rows(c) <= 3);
    assert_int_equal(D, xai_dataset_features(s->whole));
    assert_null(xai_dataset_stats(c, 0));
    for (size_t i = 0; i < xai_dataset_rows(c); i++)
        if (first + i != 18) /* the row keep() skips */
            assert_memory_equal(xai_dataset_row(c, i), xai_dataset_row(s->whole, first + i),
                                D * sizeof(float));
    s->next += xai_dataset_rows(c);
    s->chunks++;
    return XAI_OK;
}

static int skip_row_18(void *user, size_t row)
{
    (void)user;
    return row != 18;
}

static void library_stream(void **state)
{
    (void)state;
    xai_csv_options o = xai_csv_options_default();
    o.label = "credit-risk";
    xai_dataset *whole;
    assert_int_equal(xai_dataset_load_csv(DATA, &o, &whole), XAI_OK);
    seen s = {whole, 0, 0};
    xai_csv_stream st = {3, NULL, check_chunk, &s};
    size_t rows;
    assert_int_equal(xai_dataset_stream_csv(NULL, DATA, &o, &st, &rows), XAI_OK);
    assert_int_equal(rows, 20);
    assert_int_equal(s.chunks, 7);
    /* row 18 (line 20) spoiled: an error unless keep() skips it */
    char bad[128];
    snprintf(bad, sizeof bad, "%s/lib_bad.csv", dir);
    sh_run(NULL, "awk -F, 'BEGIN{OFS=\",\"} NR==20{$5=\"x\"} {print}' " DATA " > %s", bad);
    s = (seen){whole, 0, 0};
    assert_int_equal(xai_dataset_stream_csv(NULL, bad, &o, &st, &rows), XAI_ERR_PARSE);
    assert_non_null(strstr(xai_last_error(), ":20:5:"));
    s = (seen){whole, 0, 0};
    st.keep = skip_row_18;
    assert_int_equal(xai_dataset_stream_csv(NULL, bad, &o, &st, &rows), XAI_OK);
    /* the two-pass statistics equal a whole load's to the bit */
    xai_column_stats *cs;
    size_t D;
    assert_int_equal(xai_dataset_csv_stats(DATA, &o, 4, &cs, &D, &rows), XAI_OK);
    for (size_t j = 0; j < D; j++)
        assert_memory_equal(&cs[j], xai_dataset_stats(whole, j), sizeof *cs);
    free(cs);
    xai_dataset_free(whole);
}

/* Every failure: exit status, a message naming the place, no file. */
static void errors_leave_nothing(void **state)
{
    (void)state;
    char sub[128], bad[160], hdr[160], empty[160], out[200], st[160];
    snprintf(sub, sizeof sub, "%s/err", dir);
    sh_run(NULL, "mkdir -p %s", sub);
    snprintf(bad, sizeof bad, "%s/late_bad.csv", dir);
    snprintf(hdr, sizeof hdr, "%s/header.csv", dir);
    snprintf(empty, sizeof empty, "%s/empty.csv", dir);
    snprintf(st, sizeof st, "%s/other_stats.csv", dir);
    /* the bad cell is in line 21 (row 19, the last), far past chunk 2 */
    sh_run(NULL, "awk -F, 'BEGIN{OFS=\",\"} NR==21{$2=\"oops\"} {print}' " DATA " > %s", bad);
    sh_run(NULL, "head -1 " DATA " > %s && : > %s", hdr, empty);
    cmd_result r;
    const char *cmds[] = {"explain --method kernelshap --samples 100", "predict"};
    for (int c = 0; c < 2; c++) {
        snprintf(out, sizeof out, "%s/o.csv", sub);
        assert_int_equal(cmd_run(&r, "%s" OPTS " --data %s --chunk-rows 2 --out %s",
                                 cmds[c], bad, out), 1);
        assert_non_null(strstr(r.err, "late_bad.csv:21:2:"));
        assert_non_null(strstr(r.err, "'oops' is not a number (row 19)"));
        assert_int_equal(cmd_run(&r, "%s" OPTS " --data %s --chunk-rows 2 --out %s",
                                 cmds[c], hdr, out), 1);
        assert_non_null(strstr(r.err, "header only"));
        assert_int_equal(cmd_run(&r, "%s" OPTS " --data %s --chunk-rows 2 --out %s",
                                 cmds[c], empty, out), 1);
        assert_non_null(strstr(r.err, "empty file"));
        assert_int_equal(dir_entries(sub), 0);
    }
    /* a short file (fewer rows than a chunk) works; rows beyond it do not */
    char one[160];
    snprintf(one, sizeof one, "%s/one.csv", dir);
    sh_run(NULL, "head -2 " DATA " > %s", one);
    snprintf(out, sizeof out, "%s/one_out.csv", sub);
    run_ok("predict" OPTS " --data %s --chunk-rows 5 --out %s", one, out);
    char *t = file_read(out, NULL);
    assert_non_null(t);
    assert_true(strncmp(t, "out0,pred\n", 10) == 0 && strchr(t + 10, '\n')[1] == 0);
    free(t);
    unlink(out);
    assert_int_equal(cmd_run(&r, "predict" OPTS " --data %s --rows 0:3 --chunk-rows 5 "
                             "--out %s", one, out), 2);
    assert_non_null(strstr(r.err, "beyond the 1 rows"));
    /* --stats of another file (a row count that is not the data's) */
    run_ok("stats --data %s --label credit-risk --groups auto --out %s", one, st);
    assert_int_equal(cmd_run(&r, "explain" OPTS " --data " DATA " --method gradient "
                             "--stats %s --out %s", st, out), 1);
    assert_non_null(strstr(r.err, "describes 1 rows"));
    assert_int_equal(dir_entries(sub), 0);
}

int main(int argc, char **argv)
{
    (void)argc;
    cmd_init(argv[0]);
    tmp_dir(dir, sizeof dir, "xai_stream");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(library_stream),
        cmocka_unit_test(stats_match_direct_sums),
        cmocka_unit_test(explain_stream_equals_whole),
        cmocka_unit_test(predict_stream_equals_whole),
        cmocka_unit_test(missing_values_stream_equals_whole),
        cmocka_unit_test(errors_leave_nothing),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    rm_tree(dir);
    return rc;
}
