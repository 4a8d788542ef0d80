/* cli/commands.c: the registry of subcommands, one line each. */
#include "cli.h"

const cli_command *const cli_commands[] = {
    &cli_cmd_info,
    &cli_cmd_predict,
    &cli_cmd_explain,
    &cli_cmd_audit,
    &cli_cmd_counterfactual,
    &cli_cmd_stability,
    &cli_cmd_lipschitz,
    &cli_cmd_backdoor,
    &cli_cmd_stats,
    NULL,
};
