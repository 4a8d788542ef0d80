/* cli/main.c: `xai` entry point: global options and subcommand dispatch. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "outputs.h"
#include "shard.h"

static void print_help(FILE *f)
{
    fprintf(f,
            "xai %s: explain and audit machine-learning models\n\n"
            "usage: xai [--help | --version] COMMAND [OPTIONS]\n"
            "       xai help COMMAND\n\n"
            "commands:\n",
            xai_version());
    for (const cli_command *const *c = cli_commands; *c; c++)
        fprintf(f, "  %-10s %s\n", (*c)->name, (*c)->summary);
    fprintf(f, "  %-10s %s\n", "help", "show the help of a command");
}

static const cli_command *find_command(const char *name)
{
    for (const cli_command *const *c = cli_commands; *c; c++)
        if (strcmp((*c)->name, name) == 0)
            return *c;
    return NULL;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "xai%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (cmd)
        fprintf(stderr, "\n(try 'xai help %s')\n", cmd);
    else
        fprintf(stderr, "\n(try 'xai --help')\n");
    return CLI_USAGE_ERROR;
}

int cli_runtime_error(const char *cmd, xai_status s)
{
    const char *msg = xai_last_error();
    fprintf(stderr, "xai %s: error: %s\n", cmd, msg[0] ? msg : xai_strerror(s));
    return CLI_RUNTIME_ERROR;
}

int cli_int_in(const char *arg, long long lo, long long hi, long long *out)
{
    char *end;
    /* strict: an optional '-' then digits only (no blanks, '+' or trailing bytes) */
    if (!(arg[0] >= '0' && arg[0] <= '9') && !(arg[0] == '-' && arg[1] >= '0' && arg[1] <= '9'))
        return 0;
    errno = 0;
    long long v = strtoll(arg, &end, 10);
    if (end == arg || *end || errno || v < lo || v > hi)
        return 0;
    *out = v;
    return 1;
}

int cli_parse_int(const char *cmd, const char *arg, const char *name, long long lo,
                  long long hi, long long *out)
{
    if (cli_int_in(arg, lo, hi, out))
        return CLI_OK;
    return cli_usage_error(cmd, "%s wants an integer in %lld..%lld, got '%s'", name, lo,
                           hi, arg);
}

char *cli_command_line(int argc, char **argv)
{
    size_t len = 8;
    for (int i = 0; i < argc; i++)
        len += 4 * strlen(argv[i]) + 3;
    char *s = malloc(len), *p = s;
    if (!s)
        return NULL;
    p += sprintf(p, "xai");
    for (int i = 0; i < argc; i++) {
        const char *w = argv[i];
        int plain = *w != 0;
        for (const char *q = w; *q; q++)
            plain &= strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                            "0123456789-_./:,=+@%", *q) != NULL || (unsigned char)*q >= 0x80;
        *p++ = ' ';
        if (plain) {
            p += sprintf(p, "%s", w);
            continue;
        }
        *p++ = '\'';
        for (const char *q = w; *q; q++) {
            if (*q == '\'')
                p += sprintf(p, "'\\''");
            else
                *p++ = *q;
        }
        *p++ = '\'';
        *p = 0;
    }
    return s;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_help(stderr);
        return CLI_USAGE_ERROR;
    }
    const char *a = argv[1];
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
        print_help(stdout);
        return CLI_OK;
    }
    if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0) {
        printf("xai %s\n", xai_version());
        return CLI_OK;
    }
    if (strcmp(a, "help") == 0) {
        if (argc < 3) {
            print_help(stdout);
            return CLI_OK;
        }
        const cli_command *c = find_command(argv[2]);
        if (!c)
            return cli_usage_error(NULL, "unknown command '%s'", argv[2]);
        fputs(c->help, stdout);
        return CLI_OK;
    }
    if (a[0] == '-')
        return cli_usage_error(NULL, "unknown option '%s'", a);
    const cli_command *c = find_command(a);
    if (!c)
        return cli_usage_error(NULL, "unknown command '%s'", a);
    cli_keep_stderr();
    shard_init(&argc, &argv);
    /* after MPI_Init: OpenMPI sets its crash report (a backtrace) only
     * where no handler is set; ours removes the temporary files, then
     * passes the signal on to it */
    cli_install_signal_cleanup();
    int rc;
    /* under mpirun only the row-sharded commands run on several ranks */
    if (shard_size() > 1 && c != &cli_cmd_explain && c != &cli_cmd_predict &&
        c != &cli_cmd_audit)
        rc = shard_rank() == 0 ? cli_usage_error(a, "runs as one process; under mpirun "
                                                 "use -n 1 (explain, predict and audit "
                                                 "shard their rows over ranks)")
                               : CLI_USAGE_ERROR;
    else
        rc = c->run(argc - 1, argv + 1);
    shard_finalize();
    return rc;
}
