/* core/parallel.c: tasks over OpenMP threads, one runner per thread. */
#include "parallel.h"

#include <omp.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"

xai_status xai_parallel_tasks(const xai_model *m, size_t n_tasks, int n_threads,
                              xai_task_fn fn, void *ctx)
{
    int nt = n_threads > 0 ? n_threads : omp_get_max_threads();
    if ((size_t)nt > n_tasks)
        nt = n_tasks ? (int)n_tasks : 1;
    size_t bad = SIZE_MAX; /* smallest failing task so far */
    xai_status bad_s = XAI_OK;
    char bad_msg[1024] = "";
#pragma omp parallel num_threads(nt)
    {
        xai_runner *r = NULL;
        xai_status s0 = xai_runner_new(m, &r);
        char msg0[1024];
        snprintf(msg0, sizeof msg0, "%s", xai_last_error());
#pragma omp for schedule(dynamic, 1)
        for (size_t i = 0; i < n_tasks; i++) {
            size_t cur;
#pragma omp atomic read
            cur = bad;
            if (cur < i)
                continue;
            xai_status s = s0;
            const char *msg = msg0;
            if (s == XAI_OK) {
                s = fn(ctx, r, i);
                msg = xai_last_error();
            }
            if (s != XAI_OK) {
#pragma omp critical(xai_parallel_error)
                if (i < bad) {
#pragma omp atomic write
                    bad = i;
                    bad_s = s;
                    snprintf(bad_msg, sizeof bad_msg, "%s", msg);
                }
            }
        }
        xai_runner_free(r);
    }
    if (bad_s != XAI_OK)
        return xai_fail(bad_s, "%s", bad_msg);
    return XAI_OK;
}
