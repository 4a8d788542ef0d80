/* bench/one_blas_thread.h: restart a single-threaded benchmark with
 * OPENBLAS_NUM_THREADS=1 in its environment.
 *
 * Why: OpenBLAS's pthread build starts its worker threads when the library
 * loads, before main, and each spins on sched_yield for about 2^28 cycles
 * (about 130 ms of CPU here) before it sleeps.  openblas_set_num_threads(1)
 * does not stop them.  That spinning is charged to the process's CPU clock
 * and takes a core from the measured thread, so the first cases timed
 * looked up to twice as slow as they are.  Only the environment variable,
 * read when the library loads, keeps the threads from starting. */
#ifndef XAI_BENCH_ONE_BLAS_THREAD_H
#define XAI_BENCH_ONE_BLAS_THREAD_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void one_blas_thread(char **argv)
{
    const char *v = getenv("OPENBLAS_NUM_THREADS");
    if (v && strcmp(v, "1") == 0)
        return;
    if (setenv("OPENBLAS_NUM_THREADS", "1", 1) != 0)
        return;
    execv("/proc/self/exe", argv);
    perror("bench: re-running with OPENBLAS_NUM_THREADS=1"); /* timed as is */
}

#endif
