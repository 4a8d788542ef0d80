/* core/error.h: internal helpers for reporting errors and checked sizes. */
#ifndef XAI_CORE_ERROR_H
#define XAI_CORE_ERROR_H

#include <xai/base.h>

/* Sets this thread's detailed message (printf format) and returns status. */
xai_status xai_fail(xai_status status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* *out = a * b; returns 0 on overflow (size arithmetic before allocation). */
static inline int xai_mul_size(size_t a, size_t b, size_t *out)
{
    return !__builtin_mul_overflow(a, b, out);
}

static inline int xai_mul3_size(size_t a, size_t b, size_t c, size_t *out)
{
    size_t ab;
    return xai_mul_size(a, b, &ab) && xai_mul_size(ab, c, out);
}

/* Grows the float buffer *p (holding *cap floats) to at least len floats,
 * keeping its contents; the size in bytes is overflow-checked. */
xai_status xai_floats_reserve(float **p, size_t *cap, size_t len);

/* Propagates a non-OK status. */
#define XAI_TRY(expr)                                                          \
    do {                                                                       \
        xai_status xai_try_s_ = (expr);                                        \
        if (xai_try_s_ != XAI_OK)                                              \
            return xai_try_s_;                                                 \
    } while (0)

#endif
