/* cli/audit_recourse.c: see audit_recourse.h. */
#include "audit_recourse.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "recourse_args.h"

#define CMD "audit"
enum { MAX_TOKENS = 64, MAX_EXAMPLES = 5 };

/* The section and everything it points to, in one owner. */
typedef struct rr_owned {
    xai_report_recourse rr;
    xai_report_recourse_method m[XAI_CF_METHOD_COUNT];
    double *pts;
    char *ex[MAX_EXAMPLES];
    const char *exp[MAX_EXAMPLES];
} rr_owned;

void audit_recourse_free(xai_report_recourse *rr)
{
    rr_owned *o = (rr_owned *)rr;
    if (!o)
        return;
    free(o->pts);
    for (int i = 0; i < MAX_EXAMPLES; i++)
        free(o->ex[i]);
    free(o);
}

static int parse_spec(const char *spec, rc_args *a, char *copy, char **argv, int *argc)
{
    static const struct option opts[] = {
        RC_ARGS_LONG_OPTIONS,
        {"method", required_argument, NULL, RC_OPT_METHOD},
        {0}};
    int n = 0;
    argv[n++] = "counterfactuals";
    for (char *save = NULL, *t = strtok_r(copy, " \t", &save); t;
         t = strtok_r(NULL, " \t", &save)) {
        if (n == MAX_TOKENS - 1)
            return cli_usage_error(CMD, "--counterfactuals: too many options");
        argv[n++] = t;
    }
    argv[n] = NULL;
    *argc = n;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(n, argv, "", opts, NULL)) != -1) {
        if (c == RC_OPT_MODEL || c == DATA_OPT_DATA || c == RC_OPT_OUT || c == RC_OPT_JSON ||
            c == RC_OPT_ROWS)
            return cli_usage_error(CMD, "--counterfactuals '%s': the model, data, rows and "
                                   "outputs are the audit's own", spec);
        int r = rc_args_parse(a, c, optarg);
        if (r < 0)
            return CLI_USAGE_ERROR;
        if (r == 0)
            return cli_usage_error(CMD, "--counterfactuals: unknown or incomplete option "
                                   "'%s' in '%s'", argv[optind - 1], spec);
    }
    if (optind < n)
        return cli_usage_error(CMD, "--counterfactuals: unexpected '%s'", argv[optind]);
    if (!a->train)
        return cli_usage_error(CMD, "--counterfactuals needs --train TRAIN among its "
                               "options, e.g. --counterfactuals \"--train train.csv\"");
    return CLI_OK;
}

static int parse_methods(const char *spec, int *methods)
{
    int n = 0;
    for (const char *p = spec; *p;) {
        size_t l = strcspn(p, ",");
        char name[32];
        if (l == 0 || l >= sizeof name || n == XAI_CF_METHOD_COUNT)
            return -1;
        memcpy(name, p, l);
        name[l] = 0;
        int m = xai_cf_method_find(name);
        if (m < 0)
            return -1;
        methods[n++] = m;
        p += l + (p[l] == ',');
    }
    return n;
}

static int cmp_pair(const void *x, const void *y)
{
    const double *a = x, *b = y;
    return a[0] < b[0] ? -1 : a[0] > b[0];
}

int audit_recourse_check(const char *spec)
{
    rc_args a = {.cmd = CMD, .o = xai_recourse_options_default()};
    char *copy = strdup(spec), *argv[MAX_TOKENS];
    int argc;
    if (!copy)
        return cli_usage_error(CMD, "out of memory");
    int rc = parse_spec(spec, &a, copy, argv, &argc);
    int methods[XAI_CF_METHOD_COUNT];
    if (rc == CLI_OK && a.methods && parse_methods(a.methods, methods) <= 0)
        rc = cli_usage_error(CMD, "--counterfactuals: --method wants methods of "
                             "closest,nn,trex,trex-nn, got '%s'", a.methods);
    free(copy);
    return rc;
}

int audit_recourse_build(const char *spec, const char *model, const data_args *d,
                         const char *rows, uint64_t seed, int threads,
                         xai_report_recourse **out)
{
    *out = NULL;
    rc_args a = {.cmd = CMD, .o = xai_recourse_options_default()};
    a.o.seed = seed;
    a.o.n_threads = threads;
    char *copy = strdup(spec), *argv[MAX_TOKENS];
    int argc, rc;
    if (!copy)
        return cli_usage_error(CMD, "out of memory");
    if ((rc = parse_spec(spec, &a, copy, argv, &argc)) != CLI_OK) {
        free(copy);
        return rc;
    }
    a.model = model;
    a.da.path = d->path;
    a.da.label = d->label;
    a.da.groups = d->groups;
    a.da.feature_labels = d->feature_labels;
    a.rows = rows;
    int methods[XAI_CF_METHOD_COUNT], nm = XAI_CF_METHOD_COUNT;
    for (int i = 0; i < nm; i++)
        methods[i] = i;
    if (a.methods && (nm = parse_methods(a.methods, methods)) <= 0) {
        free(copy);
        return cli_usage_error(CMD, "--counterfactuals: --method wants methods of "
                               "closest,nn,trex,trex-nn, got '%s'", a.methods);
    }
    rc_problem p;
    rc_record *rec = NULL;
    float *cf = NULL;
    uint8_t *valid = NULL;
    size_t nrec = 0, already = 0;
    rr_owned *o = calloc(1, sizeof *o);
    rc = o ? rc_problem_load(&a, &p) : cli_usage_error(CMD, "out of memory");
    if (rc == CLI_OK)
        rc = rc_run_methods(CMD, &p, methods, nm, &rec, &nrec, &already, &cf, &valid);
    if (rc == CLI_OK && !(o->pts = malloc((2 * nrec + 1) * 2 * sizeof *o->pts)))
        rc = cli_usage_error(CMD, "out of memory");
    if (rc == CLI_OK) {
        double *pp = o->pts;
        for (int k = 0; k < nm; k++) {
            rc_summary q;
            rc_method_summary(&p, rec, nrec, methods[k], &q);
            xai_report_recourse_method *m = &o->m[k];
            *m = (xai_report_recourse_method){xai_cf_method_name(methods[k]), q.searched,
                                              q.found, q.validity_mean, q.validity_min,
                                              q.cost_l1, q.cost_l2, q.changed, q.stability,
                                              q.lof, 0, NULL, NULL};
            /* chart points: (L2 cost, validity share) of the found rows by cost */
            double *pairs = pp;
            size_t np = 0;
            for (size_t i = 0; i < nrec && p.n_alts; i++)
                if (rec[i].method == methods[k] && rec[i].res.found) {
                    size_t ok = 0;
                    for (size_t t = 0; t < p.n_alts; t++)
                        ok += rec[i].valid[t];
                    pairs[2 * np] = rec[i].sc.cost_l2;
                    pairs[2 * np + 1] = (double)ok / (double)p.n_alts;
                    np++;
                }
            qsort(pairs, np, 2 * sizeof *pairs, cmp_pair);
            /* split into the x then the y array, in place */
            m->n_points = np;
            if (np) {
                double *buf = malloc(2 * np * sizeof *buf);
                if (!buf) {
                    rc = cli_usage_error(CMD, "out of memory");
                    break;
                }
                for (size_t i = 0; i < np; i++) {
                    buf[i] = pairs[2 * i];
                    buf[np + i] = pairs[2 * i + 1];
                }
                memcpy(pairs, buf, 2 * np * sizeof *buf);
                free(buf);
                m->cost_l2s = pairs;
                m->validity = pairs + np;
            }
            pp += 2 * np;
        }
    }
    if (rc == CLI_OK) {
        size_t ne = 0;
        int last = methods[nm - 1];
        for (size_t i = 0; i < nrec && ne < MAX_EXAMPLES; i++)
            if (rec[i].method == last && rec[i].res.found) {
                char words[900], line[1000];
                rc_plain_words(&p, rec[i].x, rec[i].cf, words, sizeof words);
                snprintf(line, sizeof line, "Row %zu (%s): %s", rec[i].row,
                         xai_cf_method_name(last), words[0] ? words : "(no change)");
                if (!(o->ex[ne] = strdup(line)))
                    break;
                o->exp[ne] = o->ex[ne];
                ne++;
            }
        o->rr = (xai_report_recourse){(size_t)nm, o->m, p.row_b - p.row_a, already,
                                      p.n_alts, a.o.sigma, a.o.tau, ne, o->exp};
        *out = &o->rr;
    } else {
        audit_recourse_free(&o->rr);
    }
    free(rec);
    free(cf);
    free(valid);
    if (o)
        rc_problem_free(&p);
    free(copy);
    return rc;
}
