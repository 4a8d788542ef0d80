/* xai/outfile.h: output files that appear whole or not at all.
 *
 * Every file xai writes (CSV, JSON, PNG, PDF) goes to a temporary file in
 * the destination directory and is renamed into place only when complete, so
 * an error midway leaves neither a partial file nor the temporary one. */
#ifndef XAI_OUTFILE_H
#define XAI_OUTFILE_H

#include <stdio.h>

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct xai_outfile xai_outfile;

/* Creates a temporary file next to path.  Errors name path and the cause. */
xai_status xai_outfile_open(const char *path, xai_outfile **out);

/* The stream to write to; valid until commit or abort. */
FILE *xai_outfile_stream(xai_outfile *f);

/* Flushes, syncs, gives the file the umask's permissions and renames it to
 * its path.  Frees f in every case; on failure the temporary file is gone. */
xai_status xai_outfile_commit(xai_outfile *f);

/* Removes the temporary file and frees f; NULL is accepted. */
void xai_outfile_abort(xai_outfile *f);

/* Writes len bytes as the whole content of path, atomically as above. */
xai_status xai_outfile_write_all(const char *path, const void *data, size_t len);

#ifdef __cplusplus
}
#endif
#endif
