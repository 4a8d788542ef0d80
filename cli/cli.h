/* cli/cli.h: the subcommand table and helpers shared by subcommands.
 *
 * Exit codes: 0 success, 1 runtime error (message on stderr), 2 usage error
 * (one-line hint on stderr). */
#ifndef XAI_CLI_H
#define XAI_CLI_H

#include <xai/xai.h>

enum { CLI_OK = 0, CLI_RUNTIME_ERROR = 1, CLI_USAGE_ERROR = 2 };

typedef struct cli_command {
    const char *name;
    const char *summary; /* one line for `xai --help` */
    const char *help;    /* full text for `xai help NAME` */
    int (*run)(int argc, char **argv); /* argv[0] is the subcommand name */
} cli_command;

/* The subcommands (one cli/cmd_NAME.c each). */
extern const cli_command cli_cmd_info;
extern const cli_command cli_cmd_predict;
extern const cli_command cli_cmd_explain;
extern const cli_command cli_cmd_audit;
extern const cli_command cli_cmd_counterfactual;
extern const cli_command cli_cmd_stability;
extern const cli_command cli_cmd_lipschitz;
extern const cli_command cli_cmd_backdoor;
extern const cli_command cli_cmd_stats;

/* NULL-terminated registry, in cli/commands.c. */
extern const cli_command *const cli_commands[];

/* Prints "xai NAME: message" and a hint, returns CLI_USAGE_ERROR. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prints "xai NAME: <last libxai error>", returns CLI_RUNTIME_ERROR. */
int cli_runtime_error(const char *cmd, xai_status s);

/* 1 if arg is a whole decimal integer in lo..hi (stored in *out), else 0. */
int cli_int_in(const char *arg, long long lo, long long hi, long long *out);

/* cli_int_in for option `name`: CLI_OK, or prints "NAME wants an integer in
 * LO..HI, got 'ARG'" and returns CLI_USAGE_ERROR. */
int cli_parse_int(const char *cmd, const char *arg, const char *name, long long lo,
                  long long hi, long long *out);

/* "xai ARGS" (argv[0] is the subcommand) with shell quoting where needed,
 * for reports; malloc'ed (caller frees), NULL when out of memory. */
char *cli_command_line(int argc, char **argv);

#endif
