/* cli/row_driver.h: the one loop over the rows of explain and predict.
 *
 * The rows are taken in chunks of chunk_rows file rows (the outer loop: a
 * CSV file is streamed, so memory does not grow with the data).  Within a
 * chunk the rows of the range r0..r1-1 are split over the ranks (cli/shard.h)
 * in contiguous blocks; each rank formats its block as text, the blocks are
 * gathered to rank 0 in row order and rank 0 appends them to `dest`.  Any
 * rank's failure (a bad cell or a bad output in its block) stops every rank
 * after that chunk; rank 0 prints the failing rank's message.  Each row's
 * random stream is (seed, row), so the text is the same for any number of
 * ranks, chunk size and threads. */
#ifndef XAI_CLI_ROW_DRIVER_H
#define XAI_CLI_ROW_DRIVER_H

#include <stdio.h>

#include <xai/xai.h>

#include "data_args.h"

#define ROW_DRIVER_CHUNK 1024 /* default --chunk-rows */

typedef struct row_job {
    const char *cmd;     /* "explain", for messages */
    size_t r0, r1;       /* the rows (file rows, 0-based; r1 SIZE_MAX: to the end) */
    size_t chunk_rows;   /* > 0 */
    /* Writes rows off..off+n-1 of ds (file rows row..row+n-1) to out.  On
     * failure fills err (cap bytes) with the reason, naming the file and
     * row, and returns nonzero. */
    int (*rows)(void *user, const xai_dataset *ds, size_t off, size_t n, size_t row,
                FILE *out, char *err, size_t cap);
    void *user;
    FILE *dest;          /* rank 0: the output */
    int progress;        /* rank 0: "\rxai CMD: N rows" on a terminal */
} row_job;

/* Every rank's setup status agreed: returns the largest rc of all ranks
 * (rank 0 names a rank that failed alone; its own errors are printed). */
int row_driver_agree(const char *cmd, int rc);

/* The rows of an in-memory dataset. */
int row_driver_memory(const row_job *j, const xai_dataset *ds);

/* The rows of a CSV file streamed in chunks (--data a file, or '-'); *rows
 * receives the number of data rows in the file.  A range beyond the end of
 * the data is a usage error after the read. */
int row_driver_stream(const row_job *j, const data_args *da, size_t *rows);

#endif
