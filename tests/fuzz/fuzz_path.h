/* tests/fuzz/fuzz_path.h: the loaders take a path, so each fuzz input is
 * written to one per-process file (in /dev/shm when it exists: no disk I/O). */
#ifndef XAI_FUZZ_PATH_H
#define XAI_FUZZ_PATH_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Writes data to a per-process temp file named with suffix; returns its path
 * (static storage) or NULL if it cannot be written. */
static const char *fuzz_write(const char *suffix, const unsigned char *data,
                              size_t size)
{
    static char path[128];
    if (!path[0]) {
        const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        snprintf(path, sizeof path, "%s/xai-fuzz-%ld%s", dir, (long)getpid(), suffix);
    }
    FILE *f = fopen(path, "wb");
    if (!f)
        return NULL;
    size_t put = size ? fwrite(data, 1, size, f) : 0;
    if (fclose(f) != 0 || put != size)
        return NULL;
    return path;
}

#endif
