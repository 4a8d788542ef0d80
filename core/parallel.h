/* core/parallel.h: tasks over OpenMP threads, one runner per thread. */
#ifndef XAI_CORE_PARALLEL_H
#define XAI_CORE_PARALLEL_H

#include <stddef.h>

#include <xai/model.h>

/* One task: works on task i with the calling thread's runner. */
typedef xai_status (*xai_task_fn)(void *ctx, xai_runner *r, size_t i);

/* Runs fn for i = 0..n_tasks-1 on n_threads threads (<= 0: OpenMP's
 * default), each thread with its own runner of m, tasks handed out one at a
 * time.  After a failure no task with a larger index starts; the error
 * returned is that of the smallest failing index, so it does not depend on
 * the thread count. */
xai_status xai_parallel_tasks(const xai_model *m, size_t n_tasks, int n_threads,
                              xai_task_fn fn, void *ctx);

#endif
