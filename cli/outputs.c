/* cli/outputs.c: see outputs.h. */
#include "outputs.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

int cli_is_stdio(const char *path) { return path && strcmp(path, "-") == 0; }

/* Where a path lives: (dev, ino) of the file when it exists, else of its
 * directory plus the base name. */
typedef struct file_id {
    dev_t dev;
    ino_t ino;
    int exists;
    char base[256];
} file_id;

static int id_of(const char *path, file_id *id)
{
    struct stat st;
    memset(id, 0, sizeof *id);
    if (stat(path, &st) == 0) {
        id->dev = st.st_dev, id->ino = st.st_ino, id->exists = 1;
        return 0;
    }
    char *a = strdup(path), *b = strdup(path);
    int r = -1;
    if (a && b && stat(dirname(a), &st) == 0) {
        id->dev = st.st_dev, id->ino = st.st_ino;
        snprintf(id->base, sizeof id->base, "%s", basename(b));
        r = 0;
    }
    free(a), free(b);
    return r;
}

static int same_id(const file_id *x, const file_id *y)
{
    return x->dev == y->dev && x->ino == y->ino && x->exists == y->exists &&
           strcmp(x->base, y->base) == 0;
}

static const char *extension(const char *path)
{
    const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');
    return dot && (!slash || dot > slash) && dot[1] ? dot + 1 : NULL;
}

static const char *const known_formats[] = {"csv", "json", "pdf", "png", "onnx"};

static const char *format_title(const char *f)
{
    return strcmp(f, "pdf") == 0 ? "a PDF report" : strcmp(f, "json") == 0 ? "JSON"
         : strcmp(f, "csv") == 0 ? "CSV" : strcmp(f, "png") == 0 ? "a PNG image" : f;
}

/* The nearest existing ancestor of a directory path must be a writable
 * directory (the rest is created later). */
static int check_dir_output(const char *cmd, const cli_output *o)
{
    struct stat st;
    if (stat(o->path, &st) == 0) {
        if (!S_ISDIR(st.st_mode)) {
            fprintf(stderr, "xai %s: error: %s '%s' is not a directory\n", cmd, o->option,
                    o->path);
            return CLI_RUNTIME_ERROR;
        }
        if (access(o->path, W_OK | X_OK) != 0)
            goto unwritable;
        return CLI_OK;
    }
    char *p = strdup(o->path);
    if (!p) {
        fprintf(stderr, "xai %s: error: out of memory\n", cmd);
        return CLI_RUNTIME_ERROR;
    }
    int ok = 0;
    for (;;) {
        char *parent = dirname(p);
        if (stat(parent, &st) == 0) {
            ok = S_ISDIR(st.st_mode) && access(parent, W_OK | X_OK) == 0;
            break;
        }
        if (strcmp(parent, ".") == 0 || strcmp(parent, "/") == 0)
            break;
        memmove(p, parent, strlen(parent) + 1);
    }
    free(p);
    if (ok)
        return CLI_OK;
unwritable:
    fprintf(stderr, "xai %s: error: %s '%s': cannot create or write to this directory\n",
            cmd, o->option, o->path);
    return CLI_RUNTIME_ERROR;
}

static int check_file_output(const char *cmd, const cli_output *o)
{
    if (xai_outfile_check(o->path) != XAI_OK) {
        fprintf(stderr, "xai %s: error: %s: %s\n", cmd, o->option, xai_last_error());
        return CLI_RUNTIME_ERROR;
    }
    char *a = strdup(o->path);
    if (!a) {
        fprintf(stderr, "xai %s: error: out of memory\n", cmd);
        return CLI_RUNTIME_ERROR;
    }
    const char *dir = dirname(a);
    struct stat st;
    int rc = CLI_OK;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "xai %s: error: %s '%s': its directory '%s' does not exist\n", cmd,
                o->option, o->path, dir);
        rc = CLI_RUNTIME_ERROR;
    } else if (access(dir, W_OK | X_OK) != 0) {
        fprintf(stderr, "xai %s: error: %s '%s': cannot write to its directory '%s': %s\n",
                cmd, o->option, o->path, dir, strerror(errno));
        rc = CLI_RUNTIME_ERROR;
    }
    free(a);
    return rc;
}

int cli_outputs_check(const char *cmd, const char *const *inputs, size_t n_inputs,
                      const cli_output *outs, size_t n_outs, int force)
{
    for (size_t k = 0; k < n_outs; k++) {
        const cli_output *o = &outs[k];
        if (!o->path)
            continue;
        if (!o->path[0])
            return cli_usage_error(cmd, "%s wants a path, got ''", o->option);
        if (cli_is_stdio(o->path)) {
            if (!o->stdout_ok)
                return cli_usage_error(cmd, "%s cannot be '-' (standard output)", o->option);
            for (size_t j = 0; j < k; j++)
                if (cli_is_stdio(outs[j].path))
                    return cli_usage_error(cmd, "%s and %s both write to standard output",
                                           outs[j].option, o->option);
            continue;
        }
        int is_dir = strcmp(o->format, "dir") == 0;
        const char *ext = is_dir ? NULL : extension(o->path);
        for (size_t f = 0; ext && !force && f < sizeof known_formats / sizeof *known_formats; f++)
            if (strcasecmp(ext, known_formats[f]) == 0 && strcasecmp(ext, o->format) != 0)
                return cli_usage_error(cmd, "%s '%s' has the extension .%s but %s is %s; "
                                       "use --force to write it anyway", o->option, o->path,
                                       ext, o->option, format_title(o->format));
        int rc = is_dir ? check_dir_output(cmd, o) : check_file_output(cmd, o);
        if (rc != CLI_OK)
            return rc;
        file_id id, other;
        if (id_of(o->path, &id) != 0)
            continue;
        for (size_t j = 0; j < n_inputs; j++) {
            const char *in = inputs[j];
            if (!in || cli_is_stdio(in))
                continue;
            if (strncmp(in, "plugin:", 7) == 0)
                in += 7;
            if (id.exists && id_of(in, &other) == 0 && same_id(&id, &other))
                return cli_usage_error(cmd, "%s '%s' is the input '%s': writing it would "
                                       "destroy the input", o->option, o->path, inputs[j]);
        }
        for (size_t j = 0; j < k; j++)
            if (outs[j].path && !cli_is_stdio(outs[j].path) &&
                id_of(outs[j].path, &other) == 0 && same_id(&id, &other))
                return cli_usage_error(cmd, "%s '%s' and %s '%s' are the same file",
                                       outs[j].option, outs[j].path, o->option, o->path);
    }
    return CLI_OK;
}

int cli_output_open(const char *cmd, const char *path, xai_outfile **out)
{
    xai_status s = cli_is_stdio(path) ? xai_outfile_wrap(stdout, "standard output", out)
                                      : xai_outfile_open(path, out);
    return s == XAI_OK ? CLI_OK : cli_runtime_error(cmd, s);
}

int cli_output_mkdirs(const char *cmd, const char *option, const char *path)
{
    char *dir = strdup(path);
    if (!dir) {
        fprintf(stderr, "xai %s: error: out of memory\n", cmd);
        return CLI_RUNTIME_ERROR;
    }
    int r = 0;
    for (char *q = dir + 1; *q && r == 0; q++) {
        if (*q != '/' || q[-1] == '/')
            continue;
        *q = '\0';
        if (mkdir(dir, 0777) != 0 && errno != EEXIST)
            r = -1; /* report the prefix that failed */
        else
            *q = '/';
    }
    struct stat sb;
    if (r == 0 && mkdir(dir, 0777) != 0 && errno != EEXIST)
        r = -1;
    if (r == 0 && (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)))
        r = -1, errno = ENOTDIR;
    if (r == 0 && access(dir, W_OK | X_OK) != 0)
        r = -1;
    if (r != 0)
        fprintf(stderr, "xai %s: error: %s: cannot create or write to directory '%s': %s\n",
                cmd, option, dir, strerror(errno));
    free(dir);
    return r == 0 ? CLI_OK : CLI_RUNTIME_ERROR;
}

/* Termination requests, and the crashes of a model or plugin (a rank that
 * crashes under mpirun, or one process): the temporary files go first. */
static const int cleanup_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGSEGV, SIGBUS,
                                      SIGFPE, SIGILL, SIGABRT};
#define N_CLEANUP_SIGNALS (sizeof cleanup_signals / sizeof *cleanup_signals)
static struct sigaction previous[N_CLEANUP_SIGNALS];

/* The crash note: written by the handler of a crash signal to the
 * standard error kept before MPI (cli_keep_stderr). */
static int note_fd = 2;
static char note[512];
static volatile sig_atomic_t note_len;

void cli_keep_stderr(void)
{
    int fd = fcntl(2, F_DUPFD_CLOEXEC, 3);
    if (fd >= 0)
        note_fd = fd;
}

void cli_crash_note(const char *fmt, ...)
{
    note_len = 0;
    if (!fmt)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(note, sizeof note, fmt, ap);
    va_end(ap);
    note_len = n < 0 ? 0 : n < (int)sizeof note ? n : (int)sizeof note - 1;
}

/* Removes the temporary files, writes the crash note (crash signals only),
 * then hands the signal to the handler that was there before (MPI's or a
 * sanitizer's crash report), or the default action: it is blocked here, so
 * it arrives when this returns. */
static void on_signal(int sig)
{
    xai_outfile_remove_pending();
    if (note_len > 0 && sig != SIGINT && sig != SIGTERM && sig != SIGHUP) {
        ssize_t w = write(note_fd, note, (size_t)note_len);
        (void)w; /* nothing else to do when stderr is gone */
    }
    for (size_t k = 0; k < N_CLEANUP_SIGNALS; k++)
        if (cleanup_signals[k] == sig)
            sigaction(sig, &previous[k], NULL);
    raise(sig);
}

void cli_install_signal_cleanup(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t k = 0; k < N_CLEANUP_SIGNALS; k++)
        /* keep an inherited "ignore" (nohup) */
        if (sigaction(cleanup_signals[k], NULL, &previous[k]) == 0 &&
            previous[k].sa_handler != SIG_IGN)
            sigaction(cleanup_signals[k], &sa, NULL);
}
