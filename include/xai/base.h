/* xai/base.h: version, status codes and the per-thread error message.
 *
 * Every fallible call in libxai returns an xai_status.  XAI_OK is zero; any
 * other value names the kind of failure, and xai_last_error() returns the
 * detailed message of the last failure on the calling thread (it names the
 * file, line, column, ONNX node or op where there is one).  The library never
 * prints, never exits and never aborts on user input. */
#ifndef XAI_BASE_H
#define XAI_BASE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define XAI_VERSION_MAJOR 0
#define XAI_VERSION_MINOR 1
#define XAI_VERSION_PATCH 0
#define XAI_VERSION_STRING "0.1.0"

/* The library's version, "MAJOR.MINOR.PATCH"; a static string. */
const char *xai_version(void);

typedef enum xai_status {
    XAI_OK = 0,
    XAI_ERR_NOMEM,       /* an allocation failed or a size overflowed */
    XAI_ERR_IO,          /* a file could not be opened, read or written */
    XAI_ERR_PARSE,       /* a file is malformed (CSV, PNG, ONNX, schema) */
    XAI_ERR_INVALID,     /* an argument is out of range or inconsistent */
    XAI_ERR_UNSUPPORTED, /* valid input using something xai does not implement */
    XAI_ERR_SHAPE,       /* tensor or data shapes do not agree */
    XAI_ERR_NUMERIC,     /* NaN, Inf or a numerical failure (singular system) */
    XAI_ERR_INTERNAL,    /* a bug in xai; please report it */
    XAI_STATUS_COUNT
} xai_status;

/* A short fixed description of a status code; a static string. */
const char *xai_strerror(xai_status status);

/* The detailed message of the last failure on this thread, or "" if none.
 * Valid until the next libxai call on the same thread. */
const char *xai_last_error(void);

/* Clears this thread's last error message. */
void xai_clear_error(void);

#ifdef __cplusplus
}
#endif
#endif
