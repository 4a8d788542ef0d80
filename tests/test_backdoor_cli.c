/* tests/test_backdoor_cli.c: `xai backdoor` end to end on the planted-trigger
 * digits CNN of examples/backdoor (trigger: 2x2 patch, bottom right, class 3)
 * and its clean twin: the planted class is flagged and the recovered
 * trigger sits on the patch; nothing is flagged on the twin; threads 1 and
 * 2 give byte-identical JSON; an identity denoiser changes nothing; bad
 * inputs get clear errors, exit 1 or 2, and leave no file behind. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "support/onnx_build.h"
#include "support/pdf_tools.h"
#include "support/run_cmd.h"
#include "support/shell.h"

#define DATA "--data examples/backdoor/data/clean.csv --label digit --image-shape 1,8,8 " \
             "--scale 16"
#define BD "--model examples/backdoor/model_backdoored.onnx " DATA
#define CLEAN "--model examples/backdoor/model_clean.onnx " DATA
/* a reduced scan that keeps the test short */
#define FAST "--steps 60 --noise-samples 12 --sources 2 --seed 1"

static char DIR_[64], J1[128], J2[128], PNGD[128], ONE_OUT[128], IDENT[128], WRONG[128];

static void planted_class_is_flagged(void **state)
{
    (void)state;
    static cmd_result r;
    assert_int_equal(cmd_run(&r, "backdoor " BD " " FAST " --threads 1 --json %s --png %s",
                             J1, PNGD), 0);
    assert_non_null(strstr(r.out, "Backdoor suspected: class 3 stands out"));
    /* the trigger's energy: its half-energy window lies in the bottom-right
     * corner and holds far more than a uniform perturbation would */
    sh_json_check(J1,
                  "assert d[\"schema\"]==\"xai-backdoor/1\"\n"
                  "assert d[\"verdict\"][\"flagged\"]==[3], d[\"verdict\"]\n"
                  "c=d[\"classes\"][3]; w=c[\"energy_window\"]\n"
                  "assert c[\"flagged\"] and c[\"asr\"]>0.5\n"
                  "assert w[\"x\"]+w[\"size\"]>=7 and w[\"y\"]+w[\"size\"]>=7, w\n"
                  "assert w[\"share\"]>=3*w[\"uniform_share\"], w\n"
                  "assert abs(c[\"l2\"]-1.0)<1e-3 or c[\"l2\"]<1.0\n"
                  "assert set(d[\"verdict\"][\"anomaly_index\"])==set(str(k) for k in range(10))\n"
                  "assert len(d[\"input\"][\"model_sha256\"])==64 and d[\"input\"][\"images\"]==239\n"
                  "assert d[\"settings\"][\"steps\"]==60 and d[\"settings\"][\"sources\"]==2\n"
                  "assert all(k[\"heldout\"]<=239-2 for k in d[\"classes\"])\n");
    assert_int_equal(dir_entries(PNGD), 30);
    assert_int_equal(access("/dev/null", F_OK), 0);
    char p[256];
    snprintf(p, sizeof p, "%s/class3_perturbation.png", PNGD);
    assert_int_equal(access(p, F_OK), 0);
    /* another thread count: byte-identical JSON */
    char pdf[160];
    snprintf(pdf, sizeof pdf, "%s.pdf", J2);
    assert_int_equal(cmd_run(&r, "backdoor " BD " " FAST " --threads 2 --json %s --out %s "
                             "--date 0", J2, pdf), 0);
    /* the report: valid, with the verdict, both series and every section */
    pdf_assert_valid(pdf);
    char *txt = pdf_text(pdf);
    static const char *want[] = {"Backdoor suspected: class 3 stands out", "sha256",
                                 "smoothed (SmoothInv)", "unsmoothed (plain PGD)",
                                 "flagging threshold", "Trigger gallery", "Class 3 (flagged)",
                                 "energy sits", "Method", "Limitations", "Reproducibility",
                                 "--threads 2"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(txt, want[i]))
            fail_msg("report lacks '%s'", want[i]);
    free(txt);
    size_t l1, l2;
    char *a = file_read(J1, &l1), *b = file_read(J2, &l2);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(l1, l2);
    assert_memory_equal(a, b, l1);
    free(a);
    free(b);
}

static void clean_twin_is_not_flagged(void **state)
{
    (void)state;
    static cmd_result r;
    assert_int_equal(cmd_run(&r, "backdoor " CLEAN " " FAST " --json %s", J1), 0);
    assert_non_null(strstr(r.out, "No class stands out"));
    sh_json_check(J1, "assert d[\"verdict\"][\"flagged\"]==[], d[\"verdict\"]\n");
}

/* An identity denoiser (Identity node, 1x8x8 in and out) must not change the
 * scan: the gradient goes through its VJP. */
static void identity_denoiser_changes_nothing(void **state)
{
    (void)state;
    static cmd_result r;
    assert_int_equal(cmd_run(&r, "backdoor " BD " --steps 20 --noise-samples 4 --sources 1 "
                             "--target 3 --json %s", J1), 0);
    assert_int_equal(cmd_run(&r, "backdoor " BD " --steps 20 --noise-samples 4 --sources 1 "
                             "--target 3 --denoiser %s --json %s", IDENT, J2), 0);
    char checks[512];
    snprintf(checks, sizeof checks,
             "e=json.load(open(\"%s\"))\n"
             "assert e[\"input\"][\"denoiser_sha256\"] and e[\"settings\"][\"denoiser\"]\n"
             "assert d[\"classes\"]==e[\"classes\"], (d[\"classes\"], e[\"classes\"])\n", J2);
    sh_json_check(J1, checks);
}

static void bad_inputs(void **state)
{
    (void)state;
    static cmd_result r;
    char outs[512];
    snprintf(outs, sizeof outs, "--json %s/x.json --out %s/x.pdf --png %s/png", DIR_, DIR_,
             DIR_);
    struct {
        const char *args;
        int code;
        const char *msg;
    } cases[] = {
        {"--model examples/credit/model.onnx --data examples/credit/data/test.csv "
         "--label credit-risk", 1, "not an image model"},
        {"--model %s " DATA, 1, "1 output"},
        {BD " --eps 0", 2, "--eps wants a number > 0"},
        {BD " --eps -1", 2, "--eps"},
        {BD " --sigma -0.5", 2, "--sigma"},
        {BD " --target 10", 2, "out of range"},
        {BD " --steps 0", 2, "--steps"},
        {BD " --noise-samples abc", 2, "--noise-samples"},
        {BD " --threshold nan", 2, "--threshold"},
        {"--model examples/backdoor/model_backdoored.onnx --data "
         "examples/digits/png/digit_0.png", 1, "at least 2"},
        {BD " --denoiser %s", 1, "denoiser"},
        {BD " --bogus", 2, "unknown option"},
        {"--model examples/backdoor/model_backdoored.onnx", 2, "--data is required"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char args[1024];
        snprintf(args, sizeof args, cases[i].args, i == 1 ? ONE_OUT : WRONG);
        cmd_run(&r, "backdoor %s " FAST " %s", args, outs);
        if (r.exit_code != cases[i].code || !strstr(r.err, cases[i].msg))
            fail_msg("case %zu (%s): exit %d, stderr: %s", i, args, r.exit_code, r.err);
        /* nothing left behind, not even the png directory */
        assert_int_equal(dir_entries(DIR_), 0);
    }
    /* an output path that cannot be written fails before the work */
    assert_int_equal(cmd_run(&r, "backdoor " BD " " FAST " --json /nonexistent/x.json"), 1);
    assert_non_null(strstr(r.err, "/nonexistent/x.json"));
}

/* `xai audit --backdoor` refuses tabular data and a missing --out before
 * any work. */
static void audit_backdoor_flag_is_checked(void **state)
{
    (void)state;
    static cmd_result r;
    assert_int_equal(cmd_run(&r, "audit --model examples/credit/model.onnx --data "
                             "examples/credit/data/test.csv --label credit-risk --backdoor "
                             "--out %s/a.pdf", DIR_), 2);
    assert_non_null(strstr(r.err, "--backdoor needs image data"));
    assert_int_equal(cmd_run(&r, "audit " BD " --backdoor --json %s/a.json", DIR_), 2);
    assert_non_null(strstr(r.err, "needs --out"));
    assert_int_equal(dir_entries(DIR_), 0);
}

static void make_models(void)
{
    /* one sigmoid output on 1x8x8 images */
    int64_t in_dims[4] = {1, 1, 8, 8}, out1[2] = {1, 1}, wd[2] = {64, 1}, sh[2] = {-1, 64};
    float w[64];
    for (int i = 0; i < 64; i++)
        w[i] = 0.01f * (float)(i % 7);
    ob_model *m = ob_new(13);
    ob_input(m, "x", 4, in_dims);
    ob_output(m, "y", 2, out1);
    ob_init_f(m, "w", 2, wd, w);
    ob_init_i(m, "shape", 1, (int64_t[]){2}, sh);
    ob_add(m, "Reshape", "flat", "x,shape", "f");
    ob_add(m, "MatMul", "mm", "f,w", "z");
    ob_add(m, "Sigmoid", "sig", "z", "y");
    ob_write(m, ONE_OUT);
    ob_free(m);
    /* identity denoiser 1x8x8 -> 1x8x8 */
    m = ob_new(13);
    ob_input(m, "x", 4, in_dims);
    ob_output(m, "y", 4, in_dims);
    ob_add(m, "Identity", "id", "x", "y");
    ob_write(m, IDENT);
    ob_free(m);
    /* wrong shape: 1x8x8 -> 64 values flat */
    m = ob_new(13);
    ob_input(m, "x", 4, in_dims);
    ob_output(m, "y", 2, (int64_t[]){1, 64});
    ob_init_i(m, "shape", 1, (int64_t[]){2}, sh);
    ob_add(m, "Reshape", "flat", "x,shape", "y");
    ob_write(m, WRONG);
    ob_free(m);
}

int main(int argc, char **argv)
{
    (void)argc;
    cmd_init(argv[0]);
    char tmp[64];
    tmp_dir(tmp, sizeof tmp, "xai_bd");
    tmp_dir(DIR_, sizeof DIR_, "xai_bd_out");
    snprintf(J1, sizeof J1, "%s/a.json", tmp);
    snprintf(J2, sizeof J2, "%s/b.json", tmp);
    snprintf(PNGD, sizeof PNGD, "%s/png", tmp);
    snprintf(ONE_OUT, sizeof ONE_OUT, "%s/one.onnx", tmp);
    snprintf(IDENT, sizeof IDENT, "%s/ident.onnx", tmp);
    snprintf(WRONG, sizeof WRONG, "%s/wrong.onnx", tmp);
    make_models();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(planted_class_is_flagged),
        cmocka_unit_test(clean_twin_is_not_flagged),
        cmocka_unit_test(identity_denoiser_changes_nothing),
        cmocka_unit_test(bad_inputs),
        cmocka_unit_test(audit_backdoor_flag_is_checked),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    rm_tree(tmp);
    rm_tree(DIR_);
    return rc;
}
