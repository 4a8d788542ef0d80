/* xai/hash.h: SHA-256 of input files, for a report's provenance. */
#ifndef XAI_HASH_H
#define XAI_HASH_H

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Writes the SHA-256 of a file as 64 lowercase hex digits and a NUL into
 * hex (65 bytes, caller-owned).  A directory hashes every regular file in it
 * in name order (name, then contents), so a PNG folder has one digest. */
xai_status xai_sha256_file(const char *path, char hex[65]);

#ifdef __cplusplus
}
#endif
#endif
