/* cli/cmd_stats.c: `xai stats`: the per-feature mean, std, min and max of a
 * CSV file, streamed (two passes of --chunk-rows rows), for
 * `xai explain --stats FILE`. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "data_args.h"
#include "outputs.h"
#include "row_driver.h"
#include "stats_file.h"

#define CMD "stats"

static int run(int argc, char **argv)
{
    enum { OPT_OUT = 1, OPT_FORCE, OPT_CHUNK, OPT_MISSING };
    static const struct option opts[] = {
        {"out", required_argument, NULL, OPT_OUT},
        {"force", no_argument, NULL, OPT_FORCE},
        {"chunk-rows", required_argument, NULL, OPT_CHUNK},
        {"allow-missing", no_argument, NULL, OPT_MISSING},
        {"help", no_argument, NULL, 'h'},
        DATA_ARGS_LONG_OPTIONS,
        {0}};
    const char *out = NULL;
    data_args da = {0};
    int c, force = 0;
    long long chunk = ROW_DRIVER_CHUNK;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        int r = data_args_parse(&da, CMD, c, optarg);
        if (r < 0)
            return CLI_USAGE_ERROR;
        if (r > 0)
            continue;
        switch (c) {
        case OPT_OUT:
            out = optarg;
            break;
        case OPT_FORCE:
            force = 1;
            break;
        case OPT_MISSING:
            da.allow_missing = 1;
            break;
        case OPT_CHUNK:
            if (cli_parse_int(CMD, optarg, "--chunk-rows", 1, 1 << 24, &chunk) != CLI_OK)
                return CLI_USAGE_ERROR;
            break;
        case 'h':
            fputs(cli_cmd_stats.help, stdout);
            return CLI_OK;
        default:
            return cli_usage_error(CMD, "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
    if (!da.path || !out)
        return cli_usage_error(CMD, "--data and --out are required");
    if (!data_args_streamable(&da))
        return cli_usage_error(CMD, "--data must be a CSV file (read twice), got '%s'",
                               da.path);
    const char *ins[] = {da.path, data_args_groups_file(&da), da.feature_labels};
    const cli_output outs[] = {{"--out", out, "csv", 1}};
    int rc = CLI_CHECK_OUTPUTS(CMD, force, ins, outs);
    if (rc != CLI_OK)
        return rc;
    xai_dataset *head = NULL;
    xai_column_stats *st = NULL;
    size_t D, rows;
    xai_csv_options o = data_args_csv_options(&da);
    if ((rc = data_args_load_head(&da, CMD, &head)) == CLI_OK) {
        xai_status s = xai_dataset_csv_stats(da.path, &o, (size_t)chunk, &st, &D, &rows);
        rc = s == XAI_OK ? stats_file_write(CMD, out, head, st, rows) : cli_runtime_error(CMD, s);
    }
    free(st);
    xai_dataset_free(head);
    return rc;
}

const cli_command cli_cmd_stats = {
    "stats", "per-feature mean/std/min/max of a CSV file (for explain --stats)",
    "usage: xai stats --data DATA.csv [--label NAME] [--groups ...] --out STATS.csv\n\n"
    "Reads DATA in two streaming passes (--chunk-rows rows at a time) and writes\n"
    "the header feature,rows,mean,std,min,max and one line per feature (population\n"
    "std; numbers with 17 significant digits).  `xai explain --stats STATS.csv`\n"
    "then takes the baseline means and noise scales from it instead of reading\n"
    "the data twice more; the result is the same to the bit.\n\n"
    "  --out FILE           the CSV to write ('-': standard output)\n"
    "  --chunk-rows N       rows read at a time (default 1024)\n"
    "  --allow-missing      empty cells, NA and NaN are missing values (data for\n"
    "                       tree models); the statistics run over the values\n"
    "                       present, as explain computes them for such a model\n"
    "  --force              write --out even if its extension names another format\n"
    DATA_ARGS_HELP,
    run};
