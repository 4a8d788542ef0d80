/* tests/test_hash.c: SHA-256 against FIPS 180-2 test vectors and sha256sum. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <cmocka.h>

#include <xai/xai.h>

#include "support/shell.h"

static void fips_vector(void **state)
{
    (void)state;
    char path[64];
    tmp_file(path, sizeof path, "xai_hash");
    file_write(path, "abc");
    char hex[65];
    assert_int_equal(xai_sha256_file(path, hex), XAI_OK);
    /* FIPS 180-2, appendix B.1 */
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    unlink(path);
}

static void matches_sha256sum(void **state)
{
    (void)state;
    const char *f = "tests/fixtures/data/german_head.csv";
    char hex[65], want[65] = {0}, *out;
    assert_int_equal(xai_sha256_file(f, hex), XAI_OK);
    assert_int_equal(sh_run(&out, "sha256sum %s", f), 0);
    assert_int_equal(sscanf(out, "%64s", want), 1);
    free(out);
    assert_string_equal(hex, want);
}

static void missing_file(void **state)
{
    (void)state;
    char hex[65];
    assert_int_equal(xai_sha256_file("tests/nope.bin", hex), XAI_ERR_IO);
    assert_string_equal(xai_last_error(), "tests/nope.bin: cannot open: No such file or directory");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fips_vector),
        cmocka_unit_test(matches_sha256sum),
        cmocka_unit_test(missing_file),
    };
    return cmocka_run_group_tests_name("hash", tests, NULL, NULL);
}
