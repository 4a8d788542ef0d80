/* tests/test_cli.c: the CLI frame: version, help, usage errors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <xai/xai.h>

#include "support/run_cmd.h"

static cmd_result r;

static void version(void **state)
{
    (void)state;
    assert_int_equal(cmd_run(&r, "--version"), 0);
    assert_string_equal(r.out, "xai " XAI_VERSION_STRING "\n");
    assert_string_equal(xai_version(), XAI_VERSION_STRING);
}

static void help_lists_commands(void **state)
{
    (void)state;
    assert_int_equal(cmd_run(&r, "--help"), 0);
    assert_non_null(strstr(r.out, "usage: xai"));
    /* every registered command appears, and `xai help NAME` works for it */
    assert_int_equal(cmd_run(&r, "help"), 0);
    assert_non_null(strstr(r.out, "help"));
}

/* Every command listed by --help has a help page that starts with its usage
 * and is printed verbatim (no printf escapes left in it). */
static void every_command_has_help(void **state)
{
    (void)state;
    assert_int_equal(cmd_run(&r, "--help"), 0);
    char listing[sizeof r.out];
    memcpy(listing, r.out, sizeof listing);
    char *p = strstr(listing, "commands:\n");
    assert_non_null(p);
    int seen = 0;
    for (char *line = strtok(p + 10, "\n"); line; line = strtok(NULL, "\n")) {
        char name[32];
        if (sscanf(line, " %31s", name) != 1 || strcmp(name, "help") == 0)
            continue;
        assert_int_equal(cmd_run(&r, "help %s", name), 0);
        char want[64];
        snprintf(want, sizeof want, "usage: xai %s", name);
        assert_memory_equal(r.out, want, strlen(want));
        assert_null(strstr(r.out, "%%"));
        seen++;
    }
    assert_true(seen >= 4); /* info, predict, explain, audit */
}

static void usage_errors_exit_2(void **state)
{
    (void)state;
    assert_int_equal(cmd_run(&r, "frobnicate"), 2);
    assert_string_equal(r.err, "xai: unknown command 'frobnicate'\n(try 'xai --help')\n");
    assert_int_equal(cmd_run(&r, "--bogus"), 2);
    assert_string_equal(r.err, "xai: unknown option '--bogus'\n(try 'xai --help')\n");
    assert_int_equal(cmd_run(&r, "help nothing"), 2);
    assert_int_equal(cmd_run(&r, "%s", ""), 2);
    assert_non_null(strstr(r.err, "usage: xai"));
}

static void status_strings(void **state)
{
    (void)state;
    for (int s = 0; s < XAI_STATUS_COUNT; s++)
        assert_true(strlen(xai_strerror((xai_status)s)) > 0);
    assert_string_equal(xai_strerror((xai_status)999), "unknown status");
    xai_clear_error();
    assert_string_equal(xai_last_error(), "");
}

int main(int argc, char **argv)
{
    (void)argc;
    cmd_init(argv[0]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(version),
        cmocka_unit_test(help_lists_commands),
        cmocka_unit_test(every_command_has_help),
        cmocka_unit_test(usage_errors_exit_2),
        cmocka_unit_test(status_strings),
    };
    return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
