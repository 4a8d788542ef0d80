/* xai/outfile.h: output files that appear whole or not at all.
 *
 * Every file xai writes (CSV, JSON, PNG, PDF) goes to a temporary file in
 * the destination directory and is renamed into place only when complete, so
 * an error midway leaves neither a partial file nor the temporary one.
 *
 * Only a regular file is ever replaced: an existing directory, device node,
 * FIFO, socket or symbolic link at the path is refused (a symbolic link is
 * not followed: name its target instead), so `--out /dev/null` cannot
 * replace the device.  Temporary files not yet committed are listed in a
 * small process-wide registry that xai_outfile_remove_pending() empties
 * from a signal handler (the CLI does so on SIGINT, SIGTERM and SIGHUP). */
#ifndef XAI_OUTFILE_H
#define XAI_OUTFILE_H

#include <stdio.h>

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct xai_outfile xai_outfile;

/* XAI_OK when path does not exist or is a regular file; otherwise
 * XAI_ERR_INVALID naming path and what is there ("is a directory", "is a
 * symbolic link", "is not a regular file (a FIFO)"...). */
xai_status xai_outfile_check(const char *path);

/* Creates a temporary file next to path (after xai_outfile_check).  Errors
 * name path and the cause. */
xai_status xai_outfile_open(const char *path, xai_outfile **out);

/* Wraps an open stream the caller owns (stdout for `--out -`): writes go
 * straight to it, commit only flushes it, abort cannot undo what was
 * written and leaves it open.  name is used in messages. */
xai_status xai_outfile_wrap(FILE *stream, const char *name, xai_outfile **out);

/* The path (or name) given to open or wrap. */
const char *xai_outfile_path(const xai_outfile *f);

/* The stream to write to; valid until commit or abort. */
FILE *xai_outfile_stream(xai_outfile *f);

/* Flushes, syncs, gives the file the umask's permissions and renames it to
 * its path.  Frees f in every case; on failure the temporary file is gone. */
xai_status xai_outfile_commit(xai_outfile *f);

/* Removes the temporary file and frees f; NULL is accepted. */
void xai_outfile_abort(xai_outfile *f);

/* Commits n files together: all are flushed and synced first, and renamed
 * only if every one of them is complete, so an error leaves none of them
 * (a rename failing midway removes the files already renamed).  Frees every
 * f (NULL entries are skipped). */
xai_status xai_outfile_commit_all(xai_outfile **fs, size_t n);

/* Unlinks every temporary file not yet committed or aborted.  Only
 * async-signal-safe calls: meant for a SIGINT/SIGTERM handler, which should
 * then end the process (the handles are not freed). */
void xai_outfile_remove_pending(void);

/* Writes len bytes as the whole content of path, atomically as above. */
xai_status xai_outfile_write_all(const char *path, const void *data, size_t len);

#ifdef __cplusplus
}
#endif
#endif
