/* tests/support/shell.h: shell commands with captured output, temporary
 * files and directories, whole-file reads and writes.  Failures that are
 * not the command's own (popen, malloc, mkdtemp...) fail the running
 * cmocka test; outside a test they end the program. */
#ifndef XAI_TESTS_SHELL_H
#define XAI_TESTS_SHELL_H

#include <stddef.h>

/* Runs the printf-formatted command with /bin/sh.  Returns its exit status
 * (-1 when it did not exit normally); if out, *out is its whole stdout as a
 * malloc'ed string (caller frees). */
int sh_run(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Runs python3 with d = the JSON document at path, then the statements in
 * checks; fails the test with python's output when one fails. */
void sh_json_check(const char *path, const char *checks);

/* Creates the directory /tmp/NAME_XXXXXX; its path goes into dir. */
void tmp_dir(char *dir, size_t size, const char *name);

/* Creates the empty file /tmp/NAME_XXXXXX; its path goes into path. */
void tmp_file(char *path, size_t size, const char *name);

/* Removes dir and everything below it (rm -rf). */
void rm_tree(const char *dir);

/* Number of entries of dir other than "." and ".." (hidden ones count). */
int dir_entries(const char *dir);

/* The whole file as a NUL-terminated malloc'ed string, or NULL when it
 * cannot be opened; if len, *len is its size in bytes. */
char *file_read(const char *path, size_t *len);

/* Writes text to path (created or truncated). */
void file_write(const char *path, const char *text);

#endif
