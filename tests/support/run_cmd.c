/* tests/support/run_cmd.c: see run_cmd.h. */
#include "run_cmd.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char xai_path[4096];

void cmd_init(const char *argv0)
{
    snprintf(xai_path, sizeof xai_path, "%s", argv0);
    char *slash = strrchr(xai_path, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(xai_path, sizeof xai_path, ".");
    slash = strrchr(xai_path, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(xai_path, sizeof xai_path, ".");
    strncat(xai_path, "/xai", sizeof xai_path - strlen(xai_path) - 1);
}

const char *cmd_xai(void) { return xai_path; }

static void slurp(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(buf, 1, cap - 1, f) : 0;
    buf[n] = '\0';
    if (f)
        fclose(f);
}

int cmd_run(cmd_result *r, const char *fmt, ...)
{
    char args[8192], cmd[16384], out_path[] = "/tmp/xai-cmd-out-XXXXXX",
                                 err_path[] = "/tmp/xai-cmd-err-XXXXXX";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    int fo = mkstemp(out_path), fe = mkstemp(err_path);
    close(fo);
    close(fe);
    snprintf(cmd, sizeof cmd, "%s %s >%s 2>%s </dev/null", xai_path, args, out_path,
             err_path);
    int status = system(cmd);
    r->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    slurp(out_path, r->out, sizeof r->out);
    slurp(err_path, r->err, sizeof r->err);
    unlink(out_path);
    unlink(err_path);
    return r->exit_code;
}
