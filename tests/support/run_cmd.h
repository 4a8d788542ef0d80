/* tests/support/run_cmd.h: run the xai binary of the same build and capture
 * its exit code, stdout and stderr. */
#ifndef XAI_TESTS_RUN_CMD_H
#define XAI_TESTS_RUN_CMD_H

#include <stddef.h>

typedef struct cmd_result {
    int exit_code;
    char out[65536];
    char err[16384];
} cmd_result;

/* Sets the xai binary from a test's argv[0] (BUILD/tests/test_x -> BUILD/xai). */
void cmd_init(const char *argv0);

/* The path of the xai binary. */
const char *cmd_xai(void);

/* Runs "xai ARGS" (ARGS is passed to /bin/sh) and fills r. Returns r->exit_code. */
int cmd_run(cmd_result *r, const char *args_fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
