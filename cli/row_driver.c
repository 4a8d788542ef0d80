/* cli/row_driver.c: see row_driver.h. */
#include "row_driver.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "outputs.h"
#include "shard.h"

typedef struct drive {
    const row_job *j;
    int rank, size;
    int failed;     /* this rank failed; err says why */
    int stopped;    /* every rank agreed to stop; rank 0 reported it */
    const char *file; /* the data file, when streamed (for the crash note) */
    int rc;         /* the agreed exit code once stopped */
    size_t done;    /* rows written (rank 0, for the progress line) */
    char err[1024];
} drive;

int row_driver_agree(const char *cmd, int rc)
{
    int lowest = shard_lowest_failed(rc != CLI_OK);
    if (lowest < 0)
        return CLI_OK;
    if (shard_rank() == 0 && rc == CLI_OK)
        fprintf(stderr, "xai %s: error: rank %d failed to set up (an input it could "
                "not read on its node?)\n", cmd, lowest);
    return rc != CLI_OK ? rc : CLI_RUNTIME_ERROR;
}

/* The in-range rows [lo, hi) of the chunk that starts at file row cs, and
 * this rank's block [*b0, *b1) of them. */
static void block_of(const drive *d, size_t cs, size_t *b0, size_t *b1)
{
    const row_job *j = d->j;
    size_t ce = cs + j->chunk_rows; /* nominal end: the last chunk may be short */
    size_t lo = cs > j->r0 ? cs : j->r0, hi = ce < j->r1 ? ce : j->r1;
    if (lo >= hi) {
        *b0 = *b1 = lo;
        return;
    }
    size_t n = hi - lo; /* <= chunk_rows */
    *b0 = lo + n * (size_t)d->rank / (size_t)d->size;
    *b1 = lo + n * (size_t)(d->rank + 1) / (size_t)d->size;
}

/* A row is parsed by the rank whose block holds it; rows outside the range
 * are still checked (as a whole-file load does), by rank 0. */
static int keep_row(void *user, size_t row)
{
    const drive *d = user;
    if (row < d->j->r0 || row >= d->j->r1)
        return d->rank == 0;
    size_t b0, b1;
    block_of(d, row - row % d->j->chunk_rows, &b0, &b1);
    return row >= b0 && row < b1;
}

static void fail(drive *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->err, sizeof d->err, fmt, ap);
    va_end(ap);
    d->failed = 1;
}

/* The collective step that ends every chunk: agree on failure; rank 0
 * prints the lowest failing rank's message.  Returns 1 when stopped. */
static int agree(drive *d)
{
    int f = shard_lowest_failed(d->failed);
    if (f < 0)
        return 0;
    shard_share_text(d->err, sizeof d->err, f);
    if (d->rank == 0) {
        if (d->j->progress && d->done)
            fputc('\n', stderr);
        if (d->size > 1)
            fprintf(stderr, "xai %s: error: rank %d: %s\n", d->j->cmd, f, d->err);
        else
            fprintf(stderr, "xai %s: error: %s\n", d->j->cmd, d->err);
    }
    d->stopped = 1;
    d->rc = CLI_RUNTIME_ERROR;
    return 1;
}

/* Rows off..off+n-1 of ds are file rows first..first+n-1 (one chunk). */
static int run_chunk(drive *d, const xai_dataset *ds, size_t off, size_t n, size_t first)
{
    const row_job *j = d->j;
    char *text = NULL, *all = NULL;
    size_t len = 0, all_len = 0;
    size_t b0, b1;
    block_of(d, first, &b0, &b1);
    if (b1 > first + n) /* the short last chunk */
        b1 = first + n;
    if (b0 > b1)
        b0 = b1;
    if (!d->failed) {
        FILE *mem = open_memstream(&text, &len);
        if (!mem)
            fail(d, "out of memory");
        else {
            /* a model that crashes the process cannot report: the signal
             * handler prints where it was */
            char who[32] = "";
            if (d->size > 1)
                snprintf(who, sizeof who, "rank %d: ", d->rank);
            if (b1 > b0)
                cli_crash_note("xai %s: %scrashed computing rows %zu..%zu%s%s\n", j->cmd,
                               who, b0, b1 - 1, d->file ? " of " : "",
                               d->file ? d->file : "");
            if (b1 > b0 &&
                j->rows(j->user, ds, off + (b0 - first), b1 - b0, b0, mem, d->err,
                        sizeof d->err) != 0)
                d->failed = 1;
            cli_crash_note(NULL);
            if (fclose(mem) != 0 && !d->failed)
                fail(d, "out of memory");
        }
    }
    if (agree(d)) {
        free(text);
        return 1;
    }
    int bad = shard_gather(text ? text : "", d->failed ? 0 : len, &all, &all_len);
    free(text);
    if (bad) {
        fail(d, "out of memory gathering the rows %zu..%zu", first, first + n - 1);
        return agree(d);
    }
    if (d->rank == 0) {
        if (all_len)
            fwrite(all, 1, all_len, j->dest);
        size_t lo = first > j->r0 ? first : j->r0, hi = first + n < j->r1 ? first + n : j->r1;
        d->done += hi > lo ? hi - lo : 0;
        if (j->progress && hi > lo)
            fprintf(stderr, "\rxai %s: %zu rows", j->cmd, d->done);
    }
    free(all);
    return 0;
}

static void end_progress(const drive *d)
{
    if (d->rank == 0 && d->j->progress && d->done && !d->stopped)
        fputc('\n', stderr);
}

int row_driver_memory(const row_job *j, const xai_dataset *ds)
{
    drive d = {.j = j, .rank = shard_rank(), .size = shard_size()};
    size_t C = j->chunk_rows, end = j->r1 < xai_dataset_rows(ds) ? j->r1 : xai_dataset_rows(ds);
    /* chunks aligned on multiples of C, as when streaming */
    for (size_t cs = j->r0 - j->r0 % C; cs < end; cs += C) {
        size_t n = cs + C < end ? C : end - cs;
        if (run_chunk(&d, ds, cs, n, cs))
            return d.rc;
    }
    end_progress(&d);
    return CLI_OK;
}

static xai_status on_chunk(void *user, const xai_dataset *chunk, size_t first_row)
{
    drive *d = user;
    if (run_chunk(d, chunk, 0, xai_dataset_rows(chunk), first_row))
        return XAI_ERR_INVALID; /* stops the read; agree() reported it */
    return XAI_OK;
}

int row_driver_stream(const row_job *j, const data_args *da, size_t *rows)
{
    int stdio = strcmp(da->path, "-") == 0;
    drive d = {.j = j, .rank = shard_rank(), .size = shard_size(),
               .file = stdio ? "standard input" : da->path};
    xai_csv_options o = data_args_csv_options(da);
    xai_csv_stream st = {j->chunk_rows, keep_row, on_chunk, &d};
    xai_status s = xai_dataset_stream_csv(stdio ? stdin : NULL,
                                          stdio ? "standard input" : da->path, &o, &st,
                                          rows);
    if (d.stopped)
        return d.rc;
    if (s != XAI_OK) {
        /* a bad cell in this rank's rows, or an error every rank met */
        fail(&d, "%s", xai_last_error()[0] ? xai_last_error() : xai_strerror(s));
        agree(&d);
        return d.rc;
    }
    if (agree(&d)) /* the final step: every rank reached the end */
        return d.rc;
    end_progress(&d);
    if (j->r1 != SIZE_MAX && j->r1 > *rows)
        return shard_rank() == 0
                   ? cli_usage_error(j->cmd, "--rows %zu:%zu is beyond the %zu rows of "
                                     "the data", j->r0, j->r1, *rows)
                   : CLI_USAGE_ERROR;
    if (j->r0 >= *rows)
        return shard_rank() == 0
                   ? cli_usage_error(j->cmd, "--rows %zu: is beyond the %zu rows of the data",
                                     j->r0, *rows)
                   : CLI_USAGE_ERROR;
    return CLI_OK;
}
