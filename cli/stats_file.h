/* cli/stats_file.h: the per-feature statistics of a data set as a CSV file
 * (written by `xai stats`, read by `xai explain --stats FILE`), so a large
 * streamed run need not read its data twice more for them.
 *
 *     feature,rows,mean,std,min,max
 *     age,1000,35.546,11.3696,19,75
 *
 * One line per feature in the data's order; numbers with 17 significant
 * digits, so the doubles read back are the ones computed. */
#ifndef XAI_CLI_STATS_FILE_H
#define XAI_CLI_STATS_FILE_H

#include <xai/xai.h>

/* Writes the D features of ds's names with stats computed over `rows` rows
 * to path (atomically; '-' is stdout).  CLI status (errors printed). */
int stats_file_write(const char *cmd, const char *path, const xai_dataset *names,
                     const xai_column_stats *stats, size_t rows);

/* Reads path for the features of ds (same names, same order): *stats
 * (malloc'ed) and *rows.  Errors name the file and line; CLI status. */
int stats_file_read(const char *cmd, const char *path, const xai_dataset *ds,
                    xai_column_stats **stats, size_t *rows);

#endif
