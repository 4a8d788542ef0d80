/* cli/mpi_shard.c: see shard.h.  The only file that includes mpi.h; the
 * library and the plain build have no MPI dependency. */
#include "shard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef XAI_WITH_MPI
#include <limits.h>
#include <mpi.h>

static int joined, rank_, size_ = 1;

/* Set by mpirun (OpenMPI), by PMIx/PMI launchers (srun, MPICH's mpiexec). */
static int launched_by_mpi(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_RANK");
}

void shard_init(int *argc, char ***argv)
{
    if (!launched_by_mpi() || MPI_Init(argc, argv) != MPI_SUCCESS)
        return;
    joined = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    if (rank_ > 0 && !freopen("/dev/null", "w", stderr))
        fclose(stderr);
}

void shard_finalize(void)
{
    if (joined)
        MPI_Finalize();
    joined = 0;
}

int shard_rank(void) { return rank_; }
int shard_size(void) { return size_; }

int shard_lowest_failed(int failed)
{
    int mine = failed ? rank_ : size_, lowest = size_;
    if (size_ == 1)
        return failed ? 0 : -1;
    MPI_Allreduce(&mine, &lowest, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    return lowest < size_ ? lowest : -1;
}

void shard_share_text(char *buf, size_t cap, int root)
{
    if (size_ > 1 && cap <= INT_MAX)
        MPI_Bcast(buf, (int)cap, MPI_CHAR, root, MPI_COMM_WORLD);
    buf[cap - 1] = '\0';
}

int shard_gather(const char *data, size_t len, char **all, size_t *all_len)
{
    *all = NULL;
    *all_len = 0;
    if (size_ == 1) {
        if (len && !(*all = malloc(len)))
            return -1;
        if (len)
            memcpy(*all, data, len);
        *all_len = len;
        return 0;
    }
    /* MPI counts are ints: a chunk's text above 2 GB is refused on every rank */
    int too_big = len > INT_MAX / 2, any_big = 0;
    MPI_Allreduce(&too_big, &any_big, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (any_big)
        return -1;
    int n = (int)len, *counts = NULL, *displs = NULL, bad = 0;
    if (rank_ == 0 && (!(counts = malloc(size_ * sizeof *counts)) ||
                       !(displs = malloc(size_ * sizeof *displs))))
        bad = 1;
    MPI_Gather(&n, 1, MPI_INT, counts, 1, MPI_INT, 0, MPI_COMM_WORLD);
    size_t total = 0;
    if (rank_ == 0 && !bad) {
        for (int r = 0; r < size_; r++) {
            displs[r] = (int)total;
            total += (size_t)counts[r];
        }
        if (total > INT_MAX || !(*all = malloc(total ? total : 1)))
            bad = 1;
    }
    int any_bad = 0;
    MPI_Allreduce(&bad, &any_bad, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (!any_bad)
        MPI_Gatherv(data, n, MPI_CHAR, *all, counts, displs, MPI_CHAR, 0, MPI_COMM_WORLD);
    free(counts);
    free(displs);
    if (any_bad) {
        free(*all);
        *all = NULL;
        return -1;
    }
    *all_len = total;
    return 0;
}

int shard_exchange_rows(void *user, int failed, void *buf, size_t row_bytes,
                        size_t n_rows, char *msg, size_t cap)
{
    (void)user;
    int P = size_, *counts = NULL, *displs = NULL;
    /* MPI counts are ints: a table above 2 GB fails on every rank */
    if (!failed && (n_rows * row_bytes > INT_MAX || !(counts = malloc(P * sizeof *counts)) ||
                    !(displs = malloc(P * sizeof *displs)))) {
        snprintf(msg, cap, "out of memory, or more than 2 GB of per-row values to "
                 "exchange");
        failed = 1;
    }
    int f = shard_lowest_failed(failed);
    if (f >= 0) {
        shard_share_text(msg, cap, f);
        char *tmp = malloc(cap);
        if (tmp) {
            snprintf(tmp, cap, "rank %d: %s", f, msg);
            snprintf(msg, cap, "%s", tmp);
            free(tmp);
        }
        free(counts), free(displs);
        return 1;
    }
    for (int r = 0; r < P; r++) {
        size_t lo = n_rows * (size_t)r / (size_t)P, hi = n_rows * (size_t)(r + 1) / (size_t)P;
        displs[r] = (int)(lo * row_bytes);
        counts[r] = (int)((hi - lo) * row_bytes);
    }
    MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_BYTE, buf, counts, displs, MPI_BYTE,
                   MPI_COMM_WORLD);
    free(counts), free(displs);
    return 0;
}

#else /* one rank */

int shard_exchange_rows(void *user, int failed, void *buf, size_t row_bytes,
                        size_t n_rows, char *msg, size_t cap)
{
    (void)user, (void)buf, (void)row_bytes, (void)n_rows, (void)msg, (void)cap;
    return failed;
}

void shard_init(int *argc, char ***argv) { (void)argc, (void)argv; }
void shard_finalize(void) {}
int shard_rank(void) { return 0; }
int shard_size(void) { return 1; }
int shard_lowest_failed(int failed) { return failed ? 0 : -1; }
void shard_share_text(char *buf, size_t cap, int root) { (void)root, buf[cap - 1] = '\0'; }

int shard_gather(const char *data, size_t len, char **all, size_t *all_len)
{
    *all = NULL;
    *all_len = 0;
    if (len && !(*all = malloc(len)))
        return -1;
    if (len)
        memcpy(*all, data, len);
    *all_len = len;
    return 0;
}

#endif
