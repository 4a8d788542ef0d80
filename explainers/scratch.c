/* explainers/scratch.c: a buffer one thread reuses across the rows it
 * solves, so a fit's large matrices are neither allocated nor faulted in
 * again for every row. */
#include <stdlib.h>

#include "lfa.h"

void *xai_scratch_get(xai_scratch *s, size_t bytes)
{
    if (bytes == 0)
        bytes = 1;
    if (s->cap >= bytes)
        return s->p;
    free(s->p);
    s->p = NULL;
    s->cap = 0;
    s->holds = NULL;
    /* 64 bytes: whole cache lines for the BLAS calls that use it */
    if (posix_memalign(&s->p, 64, bytes) != 0) {
        s->p = NULL;
        return NULL;
    }
    s->cap = bytes;
    return s->p;
}

void xai_scratch_free(xai_scratch *s)
{
    free(s->p);
    s->p = NULL;
    s->cap = 0;
    s->holds = NULL;
}
