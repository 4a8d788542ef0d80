/* tests/test_audit_cli.c: `xai audit` end to end on the German credit MLP:
 * exit codes, the summary, the JSON schema (parsed by python3's json), the
 * declared neighbourhood, thread-count invariance, and no file left behind
 * on failure. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "support/run_cmd.h"
#include "support/shell.h"

#define BASE "audit --model examples/credit/model.onnx --data " \
             "examples/credit/data/test.csv --label credit-risk --groups auto " \
             "--rows 5:17 --methods gradient,c-lime,kernelshap,integrated-gradients " \
             "--sens-points 1 --samples 300"

static char J1[64], J2[64];

static void credit_default_set(void **state)
{
    (void)state;
    static cmd_result r;
    assert_int_equal(cmd_run(&r, BASE " --threads 1 --json %s", J1), 0);
    assert_non_null(strstr(r.out, "recommendation: "));
    assert_non_null(strstr(r.out, "for the gaussian:0.1 neighbourhood (the default"));
    assert_non_null(strstr(r.out, "model accuracy on the 12 labelled rows"));
    sh_json_check(J1,
             "t=d[\"table\"]\n"
             "assert d[\"schema\"]==\"xai-audit/1\"\n"
             "assert t[\"methods\"]==[\"gradient\",\"c-lime\",\"kernelshap\",\"integrated-gradients\"]\n"
             "assert t[\"neighbourhoods\"]==[\"gaussian:0.1\",\"gaussian:0.5\",\"mask:0.5\",\"path\",\"point\"]\n"
             "assert all(len(row)==5 for row in t[\"loss\"]) and len(t[\"loss\"])==4\n"
             "assert t[\"loss\"][0][4]==0 and t[\"rank\"][0][4]==1\n"   /* gradient on point */
             "assert t[\"best\"][3]==\"integrated-gradients\"\n"
             "rec=d[\"recommendation\"]\n"
             "assert rec[\"neighbourhood\"]==\"gaussian:0.1\" and rec[\"declared\"] is False\n"
             "assert rec[\"method\"]==t[\"best\"][0]\n"
             "assert d[\"rows\"][\"first\"]==5 and d[\"rows\"][\"count\"]==12\n"
             "assert d[\"input\"][\"row_range\"]==[5,17] and len(d[\"input\"][\"model_sha256\"])==64\n"
             "q=d[\"model_quality\"]; assert q[\"labelled_rows\"]==12 and 0<=q[\"accuracy\"]<=1 and q[\"majority_rate\"]>=0.5\n"
             "for m in t[\"methods\"]:\n"
             "  assert {\"pgi\",\"pgu\",\"infidelity\",\"max_sensitivity\"}<=set(d[\"metrics\"][m])\n");
    /* the same numbers for another thread count */
    assert_int_equal(cmd_run(&r, BASE " --threads 2 --json %s", J2), 0);
    char checks[1024];
    snprintf(checks, sizeof checks,
             "e=json.load(open(\"%s\"))\n"
             "assert d[\"table\"]==e[\"table\"] and d[\"recommendation\"]==e[\"recommendation\"]\n"
             "for m in d[\"metrics\"]:\n"
             "  a=dict(d[\"metrics\"][m]); b=dict(e[\"metrics\"][m]); a.pop(\"explain\"); b.pop(\"explain\")\n"
             "  assert a==b, m\n", J2);
    sh_json_check(J1, checks);
}

static void credit_declared(void **state)
{
    (void)state;
    static cmd_result r;
    assert_int_equal(cmd_run(&r, BASE " --neighbourhood point --json %s", J1), 0);
    assert_non_null(strstr(r.out, "recommendation: gradient for the point neighbourhood you declared"));
    sh_json_check(J1,
             "rec=d[\"recommendation\"]\n"
             "assert rec==dict(rec, method=\"gradient\", neighbourhood=\"point\", declared=True)\n"
             "assert d[\"table\"][\"neighbourhoods\"]==[\"point\",\"gaussian:0.1\",\"gaussian:0.5\",\"mask:0.5\",\"path\"]\n");
}

static void usage_errors(void **state)
{
    (void)state;
    static cmd_result r;
    assert_int_equal(cmd_run(&r, BASE " --neighbourhood cube --json %s", J1), 2);
    assert_non_null(strstr(r.err, "unknown neighbourhood 'cube'"));
    assert_int_equal(cmd_run(&r, BASE), 2);
    assert_non_null(strstr(r.err, "--json"));
    /* --out into a place that cannot hold files: a runtime error naming it */
    assert_int_equal(cmd_run(&r, BASE " --json %s --out /dev/null/r.pdf", J1), 1);
    assert_non_null(strstr(r.err, "/dev/null/r.pdf"));
    assert_int_equal(cmd_run(&r, BASE " --rows 9:3 --json %s", J1), 2);
    assert_int_equal(cmd_run(&r, BASE " --methods nope --json %s", J1), 2);
    remove(J1);
    assert_int_equal(cmd_run(&r, "audit --model /nonexistent.onnx --data "
                                 "examples/credit/data/test.csv --json %s", J1), 1);
    assert_int_equal(access(J1, F_OK), -1); /* nothing written */
    assert_int_equal(cmd_run(&r, "help audit"), 0);
    assert_non_null(strstr(r.out, "--neighbourhood SPEC"));
}

/* The PDF's key numbers are the JSON's: the summary's accuracy, majority
 * rate, mean output and the recommendation's loss, interval and rows, as
 * pdftotext reads them (numbers formatted as the report does: 3
 * significant digits, or 2-decimal e-notation below 1e-3). */
static void pdf_numbers_match_json(void **state)
{
    (void)state;
    static cmd_result r;
    char pdf[80], txt[80];
    snprintf(pdf, sizeof pdf, "/tmp/xai_audit_cli_%ld.pdf", (long)getpid());
    snprintf(txt, sizeof txt, "/tmp/xai_audit_cli_%ld.txt", (long)getpid());
    assert_int_equal(cmd_run(&r, BASE " --threads 1 --json %s --out %s", J1, pdf), 0);
    assert_int_equal(sh_run(NULL, "pdftotext -enc UTF-8 '%s' '%s'", pdf, txt), 0);
    char checks[2048];
    snprintf(checks, sizeof checks,
             "import re\n"
             "t=re.sub(r\"\\s+\",\" \",open(\"%s\",encoding=\"utf-8\").read())\n"
             "def num(v):\n"
             "  if v==0: return \"0\"\n"
             "  return (\"%%.3g\" %% v) if 1e-3<=abs(v)<1e5 else (\"%%.2e\" %% v)\n"
             "q=d[\"model_quality\"]; rec=d[\"recommendation\"]; c=rec[\"loss\"]\n"
             "want=[num(q[\"accuracy\"])+\" on %%d labelled rows\" %% q[\"labelled_rows\"],\n"
             "      \"scores \"+num(q[\"majority_rate\"]),\n"
             "      \"(mean over the rows \"+num(d[\"rows\"][\"mean_output\"])+\")\",\n"
             "      \"Use \"+rec[\"method\"]+\".\",\n"
             "      num(c[\"mean\"])+\" on average, 95%% interval \u00b1\"+num(c[\"ci95\"])+\" over %%d rows\" %% c[\"n\"]]\n"
             "for w in want:\n"
             "  assert w in t, (w, t[:3000])\n",
             txt);
    sh_json_check(J1, checks);
    remove(pdf);
    remove(txt);
}

int main(int argc, char **argv)
{
    (void)argc;
    cmd_init(argv[0]);
    snprintf(J1, sizeof J1, "/tmp/xai_audit_cli_%ld_1.json", (long)getpid());
    snprintf(J2, sizeof J2, "/tmp/xai_audit_cli_%ld_2.json", (long)getpid());
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(credit_default_set),
        cmocka_unit_test(credit_declared),
        cmocka_unit_test(usage_errors),
        cmocka_unit_test(pdf_numbers_match_json),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    remove(J1);
    remove(J2);
    return rc;
}
