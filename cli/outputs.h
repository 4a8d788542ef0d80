/* cli/outputs.h: every output path checked before any work starts.
 *
 * One call per command, after argument parsing and before loading anything:
 *
 *     const char *ins[] = {model, data.path, data.groups};   (NULLs skipped)
 *     cli_output outs[] = {{"--out", out, "pdf", 0}, {"--json", json, "json", 1}};
 *     int rc = CLI_CHECK_OUTPUTS("audit", force, ins, outs);
 *     if (rc != CLI_OK) return rc;
 *
 * then write each file through cli_output_open (xai_outfile: temporary file
 * renamed at commit; `-` is stdout when allowed) and commit them together
 * with xai_outfile_commit_all, so a run writes all its outputs or none. */
#ifndef XAI_CLI_OUTPUTS_H
#define XAI_CLI_OUTPUTS_H

#include <stddef.h>

#include <xai/outfile.h>

typedef struct cli_output {
    const char *option; /* "--out", for messages */
    const char *path;   /* NULL: not given (skipped) */
    /* the format written: "csv", "json", "pdf", "png" or "dir" (a directory
     * that receives files, created when the first one is written) */
    const char *format;
    int stdout_ok;      /* "-" means standard output */
} cli_output;

/* Checks, for every given output: "-" only where stdout_ok; an existing
 * path must be a regular file ("dir": a directory) and never a symbolic
 * link to a file; its directory (for "dir": the nearest existing ancestor)
 * must exist and be writable; it must not be the same file (device and
 * inode, whatever the spelling) as any input or another output; an
 * extension naming another known format (.csv .json .pdf .png .onnx) is
 * refused unless force.  inputs may hold NULLs; "plugin:" prefixes are
 * stripped.  Returns CLI_OK, or prints the reason and returns
 * CLI_USAGE_ERROR (conflicts, extensions) or CLI_RUNTIME_ERROR (file
 * system). */
int cli_outputs_check(const char *cmd, const char *const *inputs, size_t n_inputs,
                      const cli_output *outs, size_t n_outs, int force);

#define CLI_CHECK_OUTPUTS(cmd, force, ins, outs)                               \
    cli_outputs_check((cmd), (ins), sizeof(ins) / sizeof *(ins), (outs),       \
                      sizeof(outs) / sizeof *(outs), (force))

/* Opens path for writing: "-" wraps stdout, anything else is an xai_outfile
 * temporary.  Prints the error and returns CLI_RUNTIME_ERROR on failure. */
int cli_output_open(const char *cmd, const char *path, xai_outfile **out);

/* 1 if path is "-" (standard output / input). */
int cli_is_stdio(const char *path);

/* Creates dir and its missing parents (mkdir -p), for outputs of format
 * "dir" when their first file is written.  Prints the error and returns
 * CLI_RUNTIME_ERROR on failure. */
int cli_output_mkdirs(const char *cmd, const char *option, const char *dir);

/* Installs the handler of SIGINT, SIGTERM, SIGHUP and of the crash signals
 * (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT) that removes pending temporary
 * files (xai_outfile_remove_pending), then passes the signal on to the
 * handler installed before it, or ends the process with it.  Called once by
 * main, after MPI (which installs crash reporters) is joined. */
void cli_install_signal_cleanup(void);

/* Keeps a copy of standard error for the crash note below (ranks above 0
 * later send stderr to /dev/null).  Called once by main before MPI. */
void cli_keep_stderr(void);

/* Sets the line a crash signal's handler writes to the kept standard
 * error before the process dies: what the process was computing (rows,
 * file).  NULL clears it.  Not itself safe in a signal handler. */
void cli_crash_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
