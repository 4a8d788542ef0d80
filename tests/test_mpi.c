/* tests/test_mpi.c: `mpirun -n P xai explain|predict` (issue 13).  With 1,
 * 2 and 3 ranks (--oversubscribe: this machine may have fewer cores) the
 * files must equal, byte for byte, those of one process (itself checked
 * against the whole-data path by test_stream and against references by
 * the other tests), with blocks that are uneven, fewer rows than ranks and
 * a rank with no rows; a bad cell in rank 2's block fails the job with a
 * message naming the rank, the file and the place, and no file; a model
 * that crashes the process (SIGSEGV, abort) on rank 2, on rank 0 or in one
 * process fails the job and leaves no file, not even a temporary one.
 * `xai audit` on 2 and 3 ranks writes the JSON of one process but for the run
 * times, and a PDF whose text (as sorted lines) differs only in the command
 * line and the appendix line that gives the rank count.  Skipped,
 * with a notice, when xai was built without MPI or mpirun is missing. */
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

#ifndef XAI_MPI_BUILD
#define XAI_MPI_BUILD 0
#endif

#define MODEL "examples/credit/model.onnx"
#define DATA "tests/fixtures/data/german_head.csv" /* 20 rows */
#define OPTS " --model " MODEL " --data " DATA " --label credit-risk --groups auto"
/* as root OpenMPI wants both variables; ASan's leak check would flag
 * OpenMPI's own allocations at exit, and its SIGSEGV report would end a
 * crashing rank with exit code 1 rather than the signal (crash_on_a_rank).
 * After a rank crashes mpirun sends the others SIGTERM, then SIGKILL after
 * odls_base_sigkill_timeout seconds (default 1): on a loaded machine a rank
 * may not be scheduled within 1 s to run its cleanup handler (seen once:
 * a temporary file left), so the tests, which check that handler, allow 10 */
#define MPIRUN "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 " \
               "OMPI_MCA_odls_base_sigkill_timeout=10 " \
               "ASAN_OPTIONS=detect_leaks=0:handle_segv=0 mpirun --oversubscribe -n %d %s "

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

/* xai ARGS on P ranks (P = 0: one process without mpirun) */
static int ranks(int P, char *err, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int ranks(int P, char *err, size_t cap, const char *fmt, ...)
{
    char args[2048], cmd[2600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    if (P == 0)
        snprintf(cmd, sizeof cmd, "%s %s 2>&1", cmd_xai(), args);
    else
        snprintf(cmd, sizeof cmd, MPIRUN "%s 2>&1", P, cmd_xai(), args);
    char *out = NULL;
    int rc = sh_run(&out, "%s", cmd);
    if (err)
        snprintf(err, cap, "%s", out ? out : "");
    if (rc != 0 && !err)
        fail_msg("%s: exit %d: %s", cmd, rc, out ? out : "");
    free(out);
    return rc;
}

static void predict_any_ranks(void **state)
{
    (void)state;
    char ref[128], got[128];
    snprintf(ref, sizeof ref, "%s/p.csv", dir);
    ranks(0, NULL, 0, "predict" OPTS " --chunk-rows 4 --out %s", ref);
    for (int P = 1; P <= 3; P++) {
        snprintf(got, sizeof got, "%s/p%d.csv", dir, P);
        ranks(P, NULL, 0, "predict" OPTS " --chunk-rows 4 --out %s", got);
        same_files(ref, got);
    }
}

/* chunks of 4 rows of 1:20: 3 + 4 x 4 rows, blocks of 1 or 2 on 3 ranks;
 * --rows 5:7 gives 2 rows to 3 ranks (rank 0 has none) */
static void explain_any_ranks(void **state)
{
    (void)state;
    const char *common = "explain" OPTS " --method kernelshap,c-lime,gradient "
                         "--samples 200 --seed 9 --threads 1 --no-timing";
    char ref[128], got[128];
    const char *rows[] = {"1:20", "5:7"};
    for (int k = 0; k < 2; k++) {
        snprintf(ref, sizeof ref, "%s/e%d.json", dir, k);
        ranks(0, NULL, 0, "%s --rows %s --chunk-rows 4 --out %s", common, rows[k], ref);
        for (int P = 2; P <= 3; P++) {
            snprintf(got, sizeof got, "%s/e%d_%d.json", dir, k, P);
            ranks(P, NULL, 0, "%s --rows %s --chunk-rows %d --out %s", common, rows[k],
                  k ? 4 : 3 + P, got);
            same_files(ref, got);
        }
    }
    /* CSV, and the whole-data path (--chunk-rows 0) sharded the same way */
    snprintf(ref, sizeof ref, "%s/e.csv", dir);
    snprintf(got, sizeof got, "%s/e3.csv", dir);
    ranks(0, NULL, 0, "%s --rows 0:20 --out %s", common, ref);
    ranks(3, NULL, 0, "%s --rows 0:20 --chunk-rows 0 --out %s", common, got);
    same_files(ref, got);
}

/* line 16 is row 14; the chunk of rows 8..15 splits 2, 3, 3 over 3 ranks:
 * rank 2 holds rows 13..15 */
static void bad_row_on_rank_2(void **state)
{
    (void)state;
    char bad[128], sub[128], out[160], err[8192];
    snprintf(bad, sizeof bad, "%s/bad.csv", dir);
    snprintf(sub, sizeof sub, "%s/none", dir);
    sh_run(NULL, "mkdir -p %s && awk -F, 'BEGIN{OFS=\",\"} NR==16{$7=\"bad\"} {print}' "
           DATA " > %s", sub, bad);
    snprintf(out, sizeof out, "%s/o.csv", sub);
    int rc = ranks(3, err, sizeof err, "predict --model " MODEL " --data %s --label "
                   "credit-risk --chunk-rows 8 --out %s", bad, out);
    if (rc == 0)
        fail_msg("a bad row succeeded: %s", err);
    if (!strstr(err, "xai predict: error: rank 2: ") || !strstr(err, "bad.csv:16:7:") ||
        !strstr(err, "'bad' is not a number (row 14)"))
        fail_msg("the message does not name rank 2, the file and the place: %s", err);
    assert_int_equal(dir_entries(sub), 0);
    /* standard input reaches rank 0 only: refused */
    rc = ranks(2, err, sizeof err, "predict --model " MODEL " --data - --label "
               "credit-risk --out %s < " DATA, out);
    if (rc == 0 || !strstr(err, "reaches rank 0 only"))
        fail_msg("--data - on 2 ranks: exit %d: %s", rc, err);
    assert_int_equal(dir_entries(sub), 0);
}

/* ---- a rank that crashes ------------------------------------------------
 * tests/plugins/crashing.c (y = x0 + 2 x1 + 3 x2) raises SIGSEGV on a row
 * whose first feature is 12345 and calls abort() on -12345.  12 rows in
 * chunks of 6: each chunk splits 2, 2, 2 over 3 ranks, so row 10 is rank
 * 2's and row 6 rank 0's, both in the second chunk, after the first chunk's
 * rows went to the temporary output file.  The job must exit non-zero,
 * name the rank, the rows and the file (the crashed rank's signal handler
 * prints "xai CMD: rank R: crashed computing rows A..B of FILE"), mpirun
 * the rank and the signal, and leave nothing in the output directory. */

static char crash_so[128];

/* dir/NAME.csv: columns a,b,c,y; row `at` (or none: -1) has a = marker */
static void crash_data(const char *name, int at, const char *marker, char *path, size_t cap)
{
    char text[1024] = "a,b,c,y\n", line[64];
    for (int i = 0; i < 12; i++) {
        char a[16];
        snprintf(a, sizeof a, "%g", i * 0.5);
        snprintf(line, sizeof line, "%s,%d,%g,%d\n", i == at ? marker : a, i % 3,
                 (i * 7) % 5 * 0.25, i % 2);
        strcat(text, line);
    }
    snprintf(path, cap, "%s/%s.csv", dir, name);
    file_write(path, text);
}

/* xai CMD on P ranks (0: one process) over data into an empty directory:
 * fails, stderr says "WHO crashed computing rows ROWS of DATA" and holds
 * want2, and the directory stays empty */
static void crashes(int P, const char *cmd, const char *data, const char *who,
                    const char *rows, const char *want2)
{
    static int k;
    char sub[128], err[8192], want1[256];
    snprintf(want1, sizeof want1, "%scrashed computing rows %s of %s\n", who, rows, data);
    snprintf(sub, sizeof sub, "%s/crash%d", dir, k++);
    sh_run(NULL, "mkdir -p %s", sub);
    int rc = ranks(P, err, sizeof err, "%s --model plugin:%s --data %s --label y "
                   "--chunk-rows 6 --out %s/o.csv", cmd, crash_so, data, sub);
    if (rc == 0)
        fail_msg("%d ranks, %s: a crash succeeded: %s", P, cmd, err);
    if (!strstr(err, want1) || (want2 && !strstr(err, want2)))
        fail_msg("%d ranks, %s: stderr lacks '%s' '%s': %s", P, cmd, want1, want2, err);
    int n = dir_entries(sub);
    if (n != 0) {
        char *ls = NULL;
        sh_run(&ls, "ls -a %s", sub);
        fail_msg("%d ranks, %s: %d files left: %s", P, cmd, n, ls);
    }
}

static void crash_on_a_rank(void **state)
{
    (void)state;
    char *out = NULL, data[128];
    snprintf(crash_so, sizeof crash_so, "%s/crashing.so", dir);
    if (sh_run(&out, "cc -shared -fPIC -Iinclude -o %s tests/plugins/crashing.c 2>&1",
               crash_so) != 0)
        fail_msg("compiling tests/plugins/crashing.c failed: %s", out);
    free(out);
    const char *predict = "predict", *explain = "explain --method kernelshap "
                                                "--samples 50 --threads 1";
    /* control: without the marker the plugin predicts a + 2 b + 3 c */
    crash_data("clean", -1, "", data, sizeof data);
    char o[160];
    snprintf(o, sizeof o, "%s/clean_p.csv", dir);
    ranks(0, NULL, 0, "predict --model plugin:%s --data %s --label y --out %s", crash_so,
          data, o);
    char *p = file_read(o, NULL);
    if (!p || !strstr(p, "\n0,0\n") || !strstr(p, "\n11,1\n")) /* rows 0 and 11 */
        fail_msg("the crashing plugin without its marker: %s", p ? p : "no output");
    free(p);

    crash_data("segv10", 10, "12345", data, sizeof data);
    crashes(3, predict, data, "xai predict: rank 2: ", "10..11", "signal 11");
    crashes(0, predict, data, "xai predict: ", "6..11", NULL);
    crashes(0, explain, data, "xai explain: ", "6..11", NULL);
    crash_data("abort10", 10, "-12345", data, sizeof data);
    crashes(3, explain, data, "xai explain: rank 2: ", "10..11", "signal 6");
    /* rank 0, the one writing the output, crashes itself */
    crash_data("segv6", 6, "12345", data, sizeof data);
    crashes(3, predict, data, "xai predict: rank 0: ", "6..7", "signal 11");
}

/* text with every "seconds": NUMBER blanked */
static char *without_seconds(char *t)
{
    char *p = t;
    while ((p = strstr(p, "\"seconds\": "))) {
        p += 11;
        char *e = p + strspn(p, "0123456789.e-+");
        memmove(p, e, strlen(e) + 1);
    }
    return t;
}

static int by_text(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* the non-empty lines of a PDF's text, sorted (the extra appendix line may
 * move a paragraph to the next page), but those holding `skip1` or `skip2`
 * and the label "ranks" */
static char *pdf_text(const char *pdf, const char *skip1, const char *skip2)
{
    char *out = NULL, *t, *lines[8192];
    size_t n = 0;
    if (sh_run(&out, "pdftotext %s -", pdf) != 0 || !out)
        fail_msg("pdftotext %s failed", pdf);
    t = calloc(strlen(out) + 1, 1);
    for (char *save, *l = strtok_r(out, "\n", &save); l && n < 8192;
         l = strtok_r(NULL, "\n", &save))
        if (!strstr(l, skip1) && !strstr(l, skip2) && strcmp(l, "ranks") != 0)
            lines[n++] = l;
    qsort(lines, n, sizeof *lines, by_text);
    for (size_t i = 0; i < n; i++)
        strcat(strcat(t, lines[i]), "\n");
    free(out);
    return t;
}

static void audit_any_ranks(void **state)
{
    (void)state;
    const char *common = "audit --model " MODEL " --data examples/credit/data/test.csv "
                         "--label credit-risk --groups auto --rows 5:16 --methods "
                         "gradient,kernelshap --samples 100 --sens-points 1 "
                         "--stab-points 2 --group-by personal-status-sex --threads 1 "
                         "--no-timing --date 0";
    char j1[128], p1[128], j[128], p[128];
    snprintf(j1, sizeof j1, "%s/a1.json", dir);
    snprintf(p1, sizeof p1, "%s/a1.pdf", dir);
    ranks(0, NULL, 0, "%s --json %s --out %s", common, j1, p1);
    char *ref = without_seconds(file_read(j1, NULL));
    char *ref_text = pdf_text(p1, dir, "MPI processes");
    for (int P = 2; P <= 3; P++) {
        snprintf(j, sizeof j, "%s/a%d.json", dir, P);
        snprintf(p, sizeof p, "%s/a%d.pdf", dir, P);
        ranks(P, NULL, 0, "%s --json %s --out %s", common, j, p);
        char *got = without_seconds(file_read(j, NULL));
        if (strcmp(ref, got) != 0)
            fail_msg("%d ranks: the JSON differs from one process's", P);
        char *text = pdf_text(p, dir, "MPI processes");
        if (strcmp(ref_text, text) != 0)
            fail_msg("%d ranks: the report's text differs from one process's", P);
        char *all = pdf_text(p, "\x01", "\x02"), want[64];
        snprintf(want, sizeof want, "%d MPI processes", P);
        if (!strstr(all, want))
            fail_msg("%d ranks: the appendix does not say '%s'", P, want);
        free(got), free(text), free(all);
    }
    free(ref), free(ref_text);
}

int main(int argc, char **argv)
{
    (void)argc;
    cmd_init(argv[0]);
    if (!XAI_MPI_BUILD) {
        printf("test_mpi: skipped: xai was built without MPI (mpicc missing or MPI=0)\n");
        return 0;
    }
    if (sh_run(NULL, "command -v mpirun >/dev/null") != 0) {
        printf("test_mpi: skipped: mpirun is not installed (openmpi-bin)\n");
        return 0;
    }
    tmp_dir(dir, sizeof dir, "xai_mpi");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(predict_any_ranks),
        cmocka_unit_test(explain_any_ranks),
        cmocka_unit_test(bad_row_on_rank_2),
        cmocka_unit_test(crash_on_a_rank),
        cmocka_unit_test(audit_any_ranks),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    rm_tree(dir);
    return rc;
}
