/* tests/test_report_credit.c: `xai audit` on the credit example with
 * --feature-labels and --cost-matrix: the report names each row's category
 * of a one-hot group ("checking-account: no account"), checked with
 * pdftotext against the CSV and features.csv read here; the JSON's
 * model_quality against figures computed here from `xai predict`'s
 * probabilities (brute-force pairwise AUC, Brier, expected cost); and the
 * option's validation. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "support/pdf_tools.h"
#include "support/run_cmd.h"
#include "support/shell.h"

#define DATA "examples/credit/data/test.csv"
#define LABELS "examples/credit/data/features.csv"
#define BASE "audit --model examples/credit/model.onnx --data " DATA \
             " --label credit-risk --groups auto --methods gradient,c-lime " \
             "--sens-points 0 --samples 200 --seed 3 "

static char dir[64];

/* The meaning of checking-account_K in features.csv, read with stdio. */
static void checking_meaning(int k, char *out, size_t len)
{
    FILE *f = fopen(LABELS, "r");
    assert_non_null(f);
    char line[512], want[64];
    snprintf(want, sizeof want, "checking-account_%d,checking-account,", k);
    out[0] = '\0';
    while (fgets(line, sizeof line, f))
        if (strncmp(line, want, strlen(want)) == 0) {
            snprintf(out, len, "%s", line + strlen(want));
            out[strcspn(out, "\r\n")] = '\0';
        }
    fclose(f);
    if (out[0] == '"') { /* quoted by the csv writer */
        memmove(out, out + 1, strlen(out));
        out[strcspn(out, "\"")] = '\0';
    }
    assert_true(out[0] != '\0');
}

/* The checking-account code (1..4) of data row i, read with stdio. */
static int checking_code(size_t i)
{
    FILE *f = fopen(DATA, "r");
    assert_non_null(f);
    char line[1024];
    assert_non_null(fgets(line, sizeof line, f)); /* header: checking-account_1..4 first */
    assert_true(strncmp(line, "checking-account_1,checking-account_2,checking-account_3,"
                              "checking-account_4,", 76) == 0);
    for (size_t k = 0; k <= i; k++)
        assert_non_null(fgets(line, sizeof line, f));
    fclose(f);
    int v[4];
    assert_int_equal(sscanf(line, "%d,%d,%d,%d", &v[0], &v[1], &v[2], &v[3]), 4);
    for (int k = 0; k < 4; k++)
        if (v[k])
            return k + 1;
    fail_msg("row %zu has no checking-account column set", i);
    return 0;
}

static void row_pages_name_categories(void **state)
{
    (void)state;
    static cmd_result r;
    char pdf[128];
    snprintf(pdf, sizeof pdf, "%s/r.pdf", dir);
    if (cmd_run(&r, BASE "--rows 0:8 --instances 8 --feature-labels " LABELS
                " --date 0 --out %s", pdf) != 0)
        fail_msg("exit %d: %s", r.exit_code, r.err);
    pdf_assert_valid(pdf);
    char *text = pdf_text(pdf);
    int named = 0, no_account = 0;
    /* pages are separated by form feeds; a row page starts with "Row N" */
    for (char *page = text; page && *page;) {
        char *next = strchr(page, '\f');
        if (next)
            *next++ = '\0';
        unsigned row;
        char *head = strstr(page, "Row ");
        if (head && sscanf(head, "Row %u", &row) == 1 && strstr(page, "Largest attributions")) {
            char want[128], meaning[96];
            checking_meaning(checking_code(row), meaning, sizeof meaning);
            snprintf(want, sizeof want, "checking-account: %s", meaning);
            /* every mention of the group names this row's category */
            for (char *p = strstr(page, "checking-account: "); p;
                 p = strstr(p + 1, "checking-account: ")) {
                /* a chart label may be cut short with an ellipsis */
                size_t len = strlen(want), cut = strcspn(p, "\n");
                char *ell = strstr(p, "\u2026");
                if (ell && (size_t)(ell - p) < cut && (size_t)(ell - p) < len)
                    len = (size_t)(ell - p);
                if (len < strlen("checking-account: ") + 3 || strncmp(p, want, len) != 0)
                    fail_msg("row %u: '%.60s' but the row has '%s'", row, p, want);
                named++;
                no_account += strcmp(meaning, "no account") == 0;
            }
            assert_null(strstr(page, "checking-account_")); /* no raw column name */
        }
        page = next;
    }
    free(text);
    assert_true(named >= 1);
    assert_true(no_account >= 1);
}

static void quality_in_json(void **state)
{
    (void)state;
    static cmd_result r;
    char json[128], pred[128], checks[2048];
    snprintf(json, sizeof json, "%s/q.json", dir);
    snprintf(pred, sizeof pred, "%s/p.csv", dir);
    if (cmd_run(&r, BASE "--rows 0:200 --cost-matrix 5,1 --json %s", json) != 0)
        fail_msg("exit %d: %s", r.exit_code, r.err);
    assert_non_null(strstr(r.out, "ROC AUC "));
    assert_int_equal(cmd_run(&r, "predict --model examples/credit/model.onnx --data " DATA
                                 " --label credit-risk --out %s", pred), 0);
    snprintf(checks, sizeof checks,
             "import csv\n"
             "p=[float(r[\"out0\"]) for r in csv.DictReader(open(\"%s\"))]\n"
             "y=[int(r[\"credit-risk\"]) for r in csv.DictReader(open(\"" DATA "\"))]\n"
             "pos=[a for a,b in zip(p,y) if b==1]; neg=[a for a,b in zip(p,y) if b==0]\n"
             "auc=sum(1.0 if a>b else 0.5 if a==b else 0.0 for a in pos for b in neg)/(len(pos)*len(neg))\n"
             "q=d[\"model_quality\"][\"binary\"]\n"
             "assert abs(q[\"auc\"]-auc)<1e-6, (q[\"auc\"],auc)\n"
             "assert q[\"auc_ci95_low\"]<auc<q[\"auc_ci95_high\"]\n"
             "brier=sum((a-b)**2 for a,b in zip(p,y))/len(y)\n"
             "assert abs(q[\"brier\"]-brier)<1e-6\n"
             "fp=sum(1 for a,b in zip(p,y) if a>=0.5 and b==0); fn=sum(1 for a,b in zip(p,y) if a<0.5 and b==1)\n"
             "c=q[\"confusion\"]; assert c[\"false_positive\"]==fp and c[\"false_negative\"]==fn\n"
             "assert abs(q[\"cost\"][\"expected\"]-(5*fp+fn)/len(y))<1e-12\n"
             "assert len(q[\"calibration\"])==10 and all(b[\"rows\"]==20 for b in q[\"calibration\"])\n"
             "assert q[\"rows\"]==200 and q[\"positives\"]==140\n", pred);
    sh_json_check(json, checks);
}

static void cost_matrix_errors(void **state)
{
    (void)state;
    static cmd_result r;
    static const char *const bad[] = {"5", "5,-1", "a,b", "5,1,2", "0,1", "5,", "inf,1",
                                      "nan,1"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        assert_int_equal(cmd_run(&r, BASE "--rows 0:3 --cost-matrix %s --json %s/e.json",
                                 bad[k], dir), 2);
        assert_non_null(strstr(r.err, "--cost-matrix"));
    }
    assert_int_equal(cmd_run(&r, "audit --model examples/credit/model.onnx --data " DATA
                                 " --rows 0:3 --cost-matrix 5,1 --json %s/e.json", dir), 2);
    assert_non_null(strstr(r.err, "--cost-matrix needs labels"));
    /* a stale labels file: runtime error naming the file and line */
    char bad_labels[128];
    snprintf(bad_labels, sizeof bad_labels, "%s/l.csv", dir);
    FILE *f = fopen(bad_labels, "w");
    assert_non_null(f);
    fputs("column,group,meaning\nstatus_1,status,< 0 DM\n", f);
    fclose(f);
    assert_int_equal(cmd_run(&r, BASE "--rows 0:3 --feature-labels %s --json %s/e.json",
                             bad_labels, dir), 1);
    assert_non_null(strstr(r.err, "l.csv:2: no feature column named 'status_1'"));
    char p[128];
    snprintf(p, sizeof p, "%s/e.json", dir);
    assert_int_equal(access(p, F_OK), -1);
}

static int setup(void **state)
{
    (void)state;
    tmp_dir(dir, sizeof dir, "xai_report_credit");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char *out;
    sh_run(&out, "rm -rf %s", dir);
    free(out);
    return 0;
}

int main(int argc, char **argv)
{
    (void)argc;
    cmd_init(argv[0]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(row_pages_name_categories),
        cmocka_unit_test(quality_in_json),
        cmocka_unit_test(cost_matrix_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
