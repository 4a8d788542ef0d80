/* tests/test_audit_options.c: `xai audit --randomized-model` and `--date`.
 *
 * --randomized-model given the model itself: the explanations of f and of
 * its "randomised" copy are the same (same seed, same streams), so every
 * method's Spearman rho is exactly 1 and every method is flagged (README
 * "Model-randomisation sanity check"); with the default re-drawn last layer
 * the rho falls below 1.  --date 1234567890 is 2009-02-13 23:31:30 UTC: the
 * page headers say "2009-02-13 23:31 UTC" and the PDF's CreationDate is
 * D:20090213233130Z; two runs with --no-timing are byte-identical. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "support/pdf_tools.h"
#include "support/run_cmd.h"
#include "support/shell.h"

#define MODEL "examples/credit/model.onnx"
#define BASE "audit --model " MODEL " --data examples/credit/data/test.csv " \
             "--label credit-risk --groups auto --rows 5:9 --sens-points 1 --samples 300 " \
             "--methods gradient,c-lime,kernelshap,integrated-gradients,lime,occlusion"

static char dir[64];

static void randomized_model_itself(void **state)
{
    (void)state;
    cmd_result r;
    char json[128];
    snprintf(json, sizeof json, "%s/self.json", dir);
    if (cmd_run(&r, BASE " --randomized-model " MODEL " --json %s", json) != 0)
        fail_msg("exit %d: %s", r.exit_code, r.err);
    sh_json_check(json,
                  "ms=d[\"metrics\"]\n"
                  "assert len(ms)==6\n"
                  "for m,v in ms.items():\n"
                  "  s=v[\"sanity_rho\"]\n"
                  "  assert s[\"mean\"]==1 and s[\"se\"]==0 and s[\"n\"]==4 and s[\"rank\"] is None, (m,s)\n"
                  "  assert v[\"sanity_flagged\"] is True, m\n");
    /* the default copy (last layer re-drawn) changes the explanations */
    snprintf(json, sizeof json, "%s/rand.json", dir);
    if (cmd_run(&r, BASE " --json %s", json) != 0)
        fail_msg("exit %d: %s", r.exit_code, r.err);
    sh_json_check(json,
                  "ms=d[\"metrics\"]\n"
                  "for m,v in ms.items():\n"
                  "  assert v[\"sanity_rho\"][\"mean\"]<1-1e-6, m\n");
    /* a "randomised" model of another shape is an error naming it, before
     * the work starts: no JSON written */
    assert_int_equal(cmd_run(&r, BASE " --randomized-model examples/digits/model.onnx "
                                 "--json %s/bad.json", dir), 1);
    assert_non_null(strstr(r.err, "examples/digits/model.onnx has 64 inputs and 10 outputs"));
    char bad[128];
    snprintf(bad, sizeof bad, "%s/bad.json", dir);
    assert_int_equal(access(bad, F_OK), -1);
}

static void date_option(void **state)
{
    (void)state;
    cmd_result r;
    char pdf[128], again[128];
    snprintf(pdf, sizeof pdf, "%s/r.pdf", dir);
    snprintf(again, sizeof again, "%s/r.pdf.first", dir);
    for (int k = 0; k < 2; k++) {
        if (cmd_run(&r, BASE " --date 1234567890 --no-timing --out %s", pdf) != 0)
            fail_msg("exit %d: %s", r.exit_code, r.err);
        if (k == 0)
            assert_int_equal(rename(pdf, again), 0);
    }
    size_t la, lb;
    char *a = file_read(again, &la), *b = file_read(pdf, &lb);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(la, lb);
    assert_memory_equal(a, b, la);
    /* the information dictionary (uncompressed) */
    int found = 0;
    for (size_t i = 0; i + 32 < la && !found; i++)
        found = memcmp(a + i, "/CreationDate (D:20090213233130Z", 32) == 0;
    assert_true(found);
    free(a), free(b);
    pdf_assert_valid(pdf);
    char *text = pdf_text(pdf);
    assert_non_null(text);
    assert_non_null(strstr(text, "2009-02-13 23:31 UTC"));
    free(text);
    /* out of range: a usage error, nothing written */
    assert_int_equal(cmd_run(&r, BASE " --date -5 --out %s/d.pdf", dir), 2);
    assert_non_null(strstr(r.err, "--date"));
    snprintf(pdf, sizeof pdf, "%s/d.pdf", dir);
    assert_int_equal(access(pdf, F_OK), -1);
}

int main(int argc, char **argv)
{
    (void)argc;
    cmd_init(argv[0]);
    tmp_dir(dir, sizeof dir, "xai_audit_options");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(randomized_model_itself),
        cmocka_unit_test(date_option),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    rm_tree(dir);
    return rc;
}
