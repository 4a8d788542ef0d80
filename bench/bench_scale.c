/* bench/bench_scale.c: `xai explain` and `xai predict` as the rows grow
 * (issue 13).  Generates credit CSVs of 10^4, 10^5 and 10^6 rows (the 200
 * test rows of examples/credit repeated; written to a temporary directory
 * and removed) and runs the xai binary on each as a child process: peak RSS
 * (wait4's ru_maxrss of the child) and rows per second of predict and of
 * explain with gradient and kernelshap, streamed (the default, chunks of
 * 1024 rows).  Same-run reference: predict with --chunk-rows 0, which reads
 * the data whole first (RSS grows with the rows).  Then the speed-up of
 * `mpirun -n 2 ... --threads 1` over `-n 1` (when mpirun is installed and
 * xai joins MPI) and the time projected for 10^7 rows on 64 nodes like this
 * one from the measured per-core rate of kernelshap at its defaults
 * (800 rows).
 *
 * KernelSHAP at its defaults (2M + 2048 coalitions) runs at about 100
 * rows/s per core here, so the RSS rows use --samples 64, and at 10^6 rows
 * explain only the first 10^5 rows (the whole file is still streamed: two
 * statistics passes and the explain pass).  Never fails on time.  Run from
 * the repository root:
 *     build/bench/bench_scale [MAX_ROWS]   (default 1000000; make bench) */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#define CREDIT "examples/credit"

static char xai[512], tmp[64];

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Writes the header and n rows cycling through the data rows of src. */
static int generate(const char *src, const char *dst, long n)
{
    FILE *f = fopen(src, "r"), *g = fopen(dst, "w");
    if (!f || !g) {
        perror(f ? dst : src);
        return -1;
    }
    char *line = NULL, **rows = NULL;
    size_t cap = 0, nr = 0;
    ssize_t len;
    for (long k = -1; (len = getline(&line, &cap, f)) > 0; k++) {
        if (k < 0) {
            fputs(line, g);
            continue;
        }
        rows = realloc(rows, (nr + 1) * sizeof *rows);
        rows[nr++] = strdup(line);
    }
    for (long i = 0; i < n; i++)
        fputs(rows[(size_t)i % nr], g);
    for (size_t i = 0; i < nr; i++)
        free(rows[i]);
    free(rows), free(line);
    fclose(f);
    return fclose(g);
}

/* Runs argv (NULL-terminated) as a child; its wall seconds and peak RSS
 * (MB).  Returns the exit status, -1 when it did not run. */
static int child(char *const argv[], double *secs, double *rss_mb)
{
    double t0 = now();
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        execvp(argv[0], argv);
        _exit(127);
    }
    int st;
    struct rusage ru;
    if (wait4(pid, &st, 0, &ru) < 0)
        return -1;
    *secs = now() - t0;
    *rss_mb = (double)ru.ru_maxrss / 1024.0;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* xai CMD on data with extra options (a string split on blanks). */
static int run_xai(const char *data, const char *opts, double *secs, double *rss)
{
    char buf[1024], out[128], *argv[64];
    int n = 0;
    snprintf(out, sizeof out, "%s/out.csv", tmp);
    snprintf(buf, sizeof buf, "%s %s --model " CREDIT "/model.onnx --data %s "
             "--label credit-risk --groups auto --force --out %s", xai, opts, data, out);
    for (char *save, *t = strtok_r(buf, " ", &save); t && n < 63; t = strtok_r(NULL, " ", &save))
        argv[n++] = t;
    argv[n] = NULL;
    int rc = child(argv, secs, rss);
    if (rc != 0)
        printf("  (xai %s failed: exit %d)\n", opts, rc);
    return rc;
}

static int run_mpi(int ranks, const char *data, const char *opts, double *secs)
{
    char cmd[64], buf[1024], *argv[64];
    int n = 0;
    double rss;
    snprintf(cmd, sizeof cmd, "mpirun --oversubscribe -n %d", ranks);
    snprintf(buf, sizeof buf, "%s %s", cmd, xai);
    for (char *save, *t = strtok_r(buf, " ", &save); t && n < 20; t = strtok_r(NULL, " ", &save))
        argv[n++] = t;
    char rest[2048], out[128];
    snprintf(out, sizeof out, "%s/mpi_out.csv", tmp);
    snprintf(rest, sizeof rest, "%s --model " CREDIT "/model.onnx --data %s --label "
             "credit-risk --groups auto --force --out %s", opts, data, out);
    for (char *save, *t = strtok_r(rest, " ", &save); t && n < 63; t = strtok_r(NULL, " ", &save))
        argv[n++] = t;
    argv[n] = NULL;
    return child(argv, secs, &rss);
}

int main(int argc, char **argv)
{
    long max_rows = argc > 1 ? atol(argv[1]) : 1000000;
    /* build/bench/bench_scale -> build/xai */
    snprintf(xai, sizeof xai, "%s", argv[0]);
    char *slash = strrchr(xai, '/');
    if (slash)
        *slash = '\0';
    slash = strrchr(xai, '/');
    if (!slash || strcmp(slash, "/bench") != 0) {
        fprintf(stderr, "bench_scale: run as BUILD/bench/bench_scale\n");
        return 1;
    }
    strcpy(slash + 1, "xai");
    snprintf(tmp, sizeof tmp, "/tmp/xai_bench_scale_XXXXXX");
    if (!mkdtemp(tmp)) {
        perror("mkdtemp");
        return 1;
    }
    printf("bench_scale: %s, credit MLP (60 features, 20 groups), 1 thread per "
           "process, chunks of 1024 rows\n", xai);
    FILE *la = fopen("/proc/loadavg", "r");
    char load[64] = "?";
    if (la && fgets(load, sizeof load, la))
        load[strcspn(load, "\n")] = '\0';
    if (la)
        fclose(la);
    printf("load average at start: %s on %ld cores (other work shares the cores: "
           "rates and the speed-up are lower bounds)\n\n", load,
           sysconf(_SC_NPROCESSORS_ONLN));
    printf("%9s  %-36s %10s %12s\n", "rows", "run", "peak MB", "rows/s");
    const struct {
        const char *label, *opts;
        long rows_cap; /* rows explained at most (0: all) */
    } runs[] = {
        {"predict (streamed)", "predict", 0},
        {"predict --chunk-rows 0 (whole data)", "predict --chunk-rows 0", 0},
        {"explain gradient", "explain --method gradient --threads 1", 0},
        {"explain kernelshap --samples 64", "explain --method kernelshap --samples 64 "
                                            "--threads 1", 100000},
    };
    double rss_first[4] = {0}, rss_last[4] = {0};
    char data[128];
    for (long n = 10000; n <= max_rows; n *= 10) {
        snprintf(data, sizeof data, "%s/credit_%ld.csv", tmp, n);
        if (generate(CREDIT "/data/test.csv", data, n) != 0)
            return 1;
        for (int k = 0; k < 4; k++) {
            char opts[256];
            long rows = runs[k].rows_cap && n > runs[k].rows_cap ? runs[k].rows_cap : n;
            snprintf(opts, sizeof opts, "%s%s", runs[k].opts, "");
            if (rows < n)
                snprintf(opts, sizeof opts, "%s --rows 0:%ld", runs[k].opts, rows);
            double secs, rss;
            if (run_xai(data, opts, &secs, &rss) != 0)
                continue;
            printf("%9ld  %-36s %10.1f %12.0f%s\n", n, runs[k].label, rss,
                   (double)rows / secs, rows < n ? "  (first 10^5 rows explained)" : "");
            fflush(stdout);
            if (n == 10000)
                rss_first[k] = rss;
            rss_last[k] = rss;
        }
        unlink(data);
    }
    printf("\npeak RSS at the largest size / at 10^4 rows:");
    for (int k = 0; k < 4; k++)
        printf("%s %s %.2f", k ? "," : "", runs[k].label, rss_last[k] / rss_first[k]);
    printf("\n");

    /* KernelSHAP at its defaults on 800 rows: per-core rate and 2 ranks */
    snprintf(data, sizeof data, "%s/credit_800.csv", tmp);
    generate(CREDIT "/data/test.csv", data, 800);
    double t1, t2, rss;
    if (run_xai(data, "explain --method kernelshap --threads 1", &t1, &rss) == 0) {
        double rate = 800 / t1;
        printf("\nkernelshap defaults, 1 process x 1 thread: %.1f rows/s per core\n", rate);
        int cores = (int)sysconf(_SC_NPROCESSORS_ONLN);
        double proj = 1e7 / (rate * 64 * cores);
        printf("projected for 10^7 rows on 64 nodes of %d cores (one rank per core, "
               "perfect scaling): %.0f s (%.1f h)\n", cores, proj, proj / 3600);
        setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
        setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
        if (system("command -v mpirun >/dev/null 2>&1") != 0) {
            printf("mpirun not installed: no speed-up figure\n");
        } else if (run_mpi(1, data, "explain --method kernelshap --threads 1", &t1) == 0 &&
                   run_mpi(2, data, "explain --method kernelshap --threads 1", &t2) == 0) {
            printf("mpirun -n 1: %.2f s, -n 2: %.2f s (--threads 1, 800 rows, mpirun "
                   "start-up included): speed-up %.2f\n", t1, t2, t1 / t2);
        } else {
            printf("mpirun failed: no speed-up figure\n");
        }
    }
    unlink(data);
    char out[160];
    snprintf(out, sizeof out, "%s/out.csv", tmp);
    unlink(out);
    snprintf(out, sizeof out, "%s/mpi_out.csv", tmp);
    unlink(out);
    rmdir(tmp);
    return 0;
}
