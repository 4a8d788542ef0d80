/* cli/shard.h: the processes of `mpirun -n P xai ...` (ranks 0..P-1).
 *
 * cli/mpi_shard.c is the one adaptor (and the only MPI user): built with
 * XAI_WITH_MPI it joins MPI when the process was started by mpirun or srun
 * (and runs alone otherwise); built without, every call is the one-rank
 * case.  Every function below except rank and size is collective: each rank
 * calls it, in the same order. */
#ifndef XAI_CLI_SHARD_H
#define XAI_CLI_SHARD_H

#include <stddef.h>

/* Joins MPI when launched by mpirun/srun; ranks above 0 then write nothing
 * to stderr (rank 0 reports for every rank).  Not collective. */
void shard_init(int *argc, char ***argv);

/* Leaves MPI (after the command returned on every rank).  Not collective
 * in the sense that a failed rank may call it early. */
void shard_finalize(void);

int shard_rank(void);
int shard_size(void);

/* The lowest rank whose `failed` is nonzero, or -1 when none is. */
int shard_lowest_failed(int failed);

/* Copies root's NUL-terminated buf (cap bytes) to every rank. */
void shard_share_text(char *buf, size_t cap, int root);

/* Gathers every rank's len bytes to rank 0, in rank order: on rank 0, *all
 * (malloc'ed; may be NULL when *all_len is 0) and *all_len; elsewhere
 * nothing.  Returns 0, or -1 when out of memory or too large (on any rank:
 * the result is the same on every rank). */
int shard_gather(const char *data, size_t len, char **all, size_t *all_len);

/* xai_audit_shard's exchange (user unused): rank r's rows are the block
 * [n r / P, n (r + 1) / P) of buf; every rank gets all of them.  failed and
 * msg: this rank's failure; returns nonzero on every rank when any failed,
 * msg then "rank K: reason" of the lowest failing rank. */
int shard_exchange_rows(void *user, int failed, void *buf, size_t row_bytes,
                        size_t n_rows, char *msg, size_t cap);

#endif
