/* cli/recourse_args.c: see recourse_args.h. */
#include "recourse_args.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "core/json_out.h"
#include "outputs.h"

/* A number in [lo, hi] (open ends when the flag says so). */
static int parse_real(const char *cmd, const char *arg, const char *name, double lo,
                      double hi, int open, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(arg, &end);
    int ok = end != arg && !*end && !errno && isfinite(v) &&
             (open ? v > lo && v < hi : v >= lo && v <= hi);
    if (!ok)
        return cli_usage_error(cmd, "%s wants a number in %s%g, %g%s, got '%s'", name,
                               open ? "(" : "[", lo, hi, open ? ")" : "]", arg);
    *out = v;
    return CLI_OK;
}

int rc_args_parse(rc_args *a, int opt, const char *arg)
{
    long long v;
    int r = data_args_parse(&a->da, a->cmd, opt, arg);
    if (r)
        return r;
    switch (opt) {
    case RC_OPT_MODEL: a->model = arg; return 1;
    case RC_OPT_TRAIN: a->train = arg; return 1;
    case RC_OPT_ROWS: a->rows = arg; return 1;
    case RC_OPT_METHOD: a->methods = arg; return 1;
    case RC_OPT_ORIGINAL: a->original = arg; return 1;
    case RC_OPT_IMMUTABLE: a->immutable = arg; return 1;
    case RC_OPT_INCREASING: a->increasing = arg; return 1;
    case RC_OPT_INTEGER: a->integer = arg; return 1;
    case RC_OPT_ALT: a->alt = arg; return 1;
    case RC_OPT_OUT: a->out = arg; return 1;
    case RC_OPT_JSON: a->json = arg; return 1;
    case RC_OPT_FORCE: a->force = 1; return 1;
    case RC_OPT_DESIRED:
        if (cli_parse_int(a->cmd, arg, "--desired", 0, INT32_MAX, &v) != CLI_OK)
            return -1;
        a->o.desired = (int32_t)v;
        return 1;
    case RC_OPT_K:
        if (cli_parse_int(a->cmd, arg, "--k", 2, 1000000, &v) != CLI_OK)
            return -1;
        a->o.k = (uint32_t)v;
        return 1;
    case RC_OPT_SEED:
        if (cli_parse_int(a->cmd, arg, "--seed", 0, INT64_MAX, &v) != CLI_OK)
            return -1;
        a->o.seed = (uint64_t)v;
        return 1;
    case RC_OPT_THREADS:
        if (cli_parse_int(a->cmd, arg, "--threads", 1, 1024, &v) != CLI_OK)
            return -1;
        a->o.n_threads = (int)v;
        return 1;
    case RC_OPT_TAU:
        return parse_real(a->cmd, arg, "--tau", 0, 1, 1, &a->o.tau) == CLI_OK ? 1 : -1;
    case RC_OPT_TREX_RADIUS:
        return parse_real(a->cmd, arg, "--trex-radius", 0, 1e6, 1, &a->o.trex_radius) == CLI_OK
                   ? 1 : -1;
    case RC_OPT_TREX_STEPS:
        if (cli_parse_int(a->cmd, arg, "--trex-steps", 1, 100000, &v) != CLI_OK)
            return -1;
        a->o.trex_iters = (uint32_t)v;
        return 1;
    case RC_OPT_RADIUS:
        return parse_real(a->cmd, arg, "--radius", 0, 1e6, 1, &a->radius) == CLI_OK ? 1 : -1;
    case RC_OPT_SIGMA:
        return parse_real(a->cmd, arg, "--sigma", 0, 1e6, 1, &a->o.sigma) == CLI_OK ? 1 : -1;
    default:
        return 0;
    }
}

/* Sets bit on every column named in list (a column or a group name). */
int rc_args_parse_argv(rc_args *a, int argc, char **argv, const struct option *opts,
                       const char *help)
{
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'h') {
            fputs(help, stdout);
            return -1;
        }
        int r = rc_args_parse(a, c, optarg);
        if (r < 0)
            return CLI_USAGE_ERROR;
        if (r == 0)
            return cli_usage_error(a->cmd, "unknown or incomplete option '%s'",
                                   argv[optind - 1]);
    }
    if (optind < argc)
        return cli_usage_error(a->cmd, "unexpected argument '%s'", argv[optind]);
    if (!a->model || !a->da.path || !a->train || !a->out)
        return cli_usage_error(a->cmd, "--model, --data, --train and --out are required");
    return CLI_OK;
}

static int name_flags(const rc_args *a, const xai_dataset *d, const char *list,
                      const char *opt, uint8_t bit, uint8_t *flags)
{
    if (!list)
        return CLI_OK;
    char *copy = strdup(list), *save = NULL;
    if (!copy)
        return cli_usage_error(a->cmd, "out of memory");
    size_t D = xai_dataset_features(d), G = xai_dataset_group_count(d);
    const uint32_t *grp = xai_dataset_feature_groups(d);
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        int64_t j = xai_dataset_feature_index(d, t);
        int hit = 0;
        if (j >= 0) {
            flags[j] |= bit;
            hit = 1;
        }
        for (size_t g = 0; g < G && !hit; g++)
            if (strcmp(xai_dataset_group_name(d, g), t) == 0) {
                for (size_t c = 0; c < D; c++)
                    if (grp[c] == g)
                        flags[c] |= bit;
                hit = 1;
            }
        if (!hit) {
            cli_usage_error(a->cmd, "%s: '%s' is neither a column nor a group of %s", opt,
                            t, xai_dataset_source(d));
            free(copy);
            return CLI_USAGE_ERROR;
        }
    }
    free(copy);
    return CLI_OK;
}

static int path_cmp(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

/* The alternative model paths: every *.onnx of a directory (sorted), or a
 * comma list. */
static int alt_paths(const rc_args *a, rc_problem *p)
{
    struct stat st;
    size_t cap = 16;
    p->alt_paths = calloc(cap, sizeof *p->alt_paths);
    if (!p->alt_paths)
        return cli_usage_error(a->cmd, "out of memory");
    if (stat(a->alt, &st) == 0 && S_ISDIR(st.st_mode)) {
        DIR *dir = opendir(a->alt);
        if (!dir) {
            fprintf(stderr, "xai %s: error: cannot read the directory %s: %s\n", a->cmd,
                    a->alt, strerror(errno));
            return CLI_RUNTIME_ERROR;
        }
        struct dirent *e;
        while ((e = readdir(dir))) {
            size_t l = strlen(e->d_name);
            if (l < 6 || strcmp(e->d_name + l - 5, ".onnx") != 0)
                continue;
            if (p->n_alts == cap) {
                char **q = realloc(p->alt_paths, 2 * cap * sizeof *q);
                if (!q)
                    break;
                p->alt_paths = q;
                cap *= 2;
            }
            char *path = malloc(strlen(a->alt) + l + 2);
            if (!path)
                break;
            sprintf(path, "%s/%s", a->alt, e->d_name);
            p->alt_paths[p->n_alts++] = path;
        }
        closedir(dir);
        qsort(p->alt_paths, p->n_alts, sizeof *p->alt_paths, path_cmp);
        if (!p->n_alts) {
            fprintf(stderr, "xai %s: error: %s holds no .onnx file\n", a->cmd, a->alt);
            return CLI_RUNTIME_ERROR;
        }
        return CLI_OK;
    }
    char *copy = strdup(a->alt), *save = NULL;
    for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t;
         t = strtok_r(NULL, ",", &save)) {
        if (p->n_alts == cap) {
            char **q = realloc(p->alt_paths, 2 * cap * sizeof *q);
            if (!q)
                break;
            p->alt_paths = q;
            cap *= 2;
        }
        p->alt_paths[p->n_alts++] = strdup(t);
    }
    free(copy);
    if (!p->n_alts)
        return cli_usage_error(a->cmd, "--alt-models wants a directory or a comma list "
                               "of models, got '%s'", a->alt);
    return CLI_OK;
}

static int same_columns(const rc_args *a, const xai_dataset *x, const xai_dataset *t)
{
    size_t D = xai_dataset_features(x);
    if (xai_dataset_features(t) != D) {
        fprintf(stderr, "xai %s: error: %s has %zu features but the training data %s has "
                "%zu\n", a->cmd, xai_dataset_source(x), D, xai_dataset_source(t),
                xai_dataset_features(t));
        return CLI_RUNTIME_ERROR;
    }
    for (size_t j = 0; j < D; j++)
        if (strcmp(xai_dataset_feature_name(x, j), xai_dataset_feature_name(t, j)) != 0) {
            fprintf(stderr, "xai %s: error: column %zu of %s is '%s' but '%s' in the "
                    "training data %s\n", a->cmd, j + 1, xai_dataset_source(x),
                    xai_dataset_feature_name(x, j), xai_dataset_feature_name(t, j),
                    xai_dataset_source(t));
            return CLI_RUNTIME_ERROR;
        }
    return CLI_OK;
}

int rc_problem_load(const rc_args *a, rc_problem *p)
{
    memset(p, 0, sizeof *p);
    int rc;
    xai_status s = xai_model_load(a->model, &p->model);
    if (s != XAI_OK)
        return cli_runtime_error(a->cmd, s);
    size_t no = xai_model_output_size(p->model);
    if (no == 1 ? a->o.desired > 1 : (size_t)a->o.desired >= no)
        return cli_usage_error(a->cmd, "--desired %d is out of range: %s has %zu output%s "
                               "(classes 0..%zu)", a->o.desired, a->model, no,
                               no == 1 ? "" : "s", no == 1 ? (size_t)1 : no - 1);
    data_args xa = a->da;
    if (a->data_unlabelled)
        xa.label = NULL;
    if ((rc = data_args_load(&xa, a->cmd, &p->data)) != CLI_OK ||
        (rc = data_args_check_model(&xa, a->cmd, p->data, a->model, p->model)) != CLI_OK)
        return rc;
    data_args ta = a->da;
    ta.path = a->train;
    if ((rc = data_args_load(&ta, a->cmd, &p->train)) != CLI_OK ||
        (rc = same_columns(a, p->data, p->train)) != CLI_OK)
        return rc;
    size_t D = xai_dataset_features(p->data);
    if ((rc = data_args_rows(a->cmd, a->rows, xai_dataset_rows(p->data),
                             xai_dataset_rows(p->data), &p->row_a, &p->row_b)) != CLI_OK)
        return rc;
    uint8_t *flags = calloc(D, 1);
    if (!flags)
        return cli_usage_error(a->cmd, "out of memory");
    if ((rc = name_flags(a, p->train, a->immutable, "--immutable", XAI_RC_IMMUTABLE,
                         flags)) != CLI_OK ||
        (rc = name_flags(a, p->train, a->increasing, "--increasing", XAI_RC_INCREASING,
                         flags)) != CLI_OK ||
        (rc = name_flags(a, p->train, a->integer, "--integer", XAI_RC_INTEGER, flags)) !=
            CLI_OK) {
        free(flags);
        return rc;
    }
    s = xai_recourse_new(p->model, xai_dataset_values(p->train), xai_dataset_rows(p->train),
                         D, xai_dataset_feature_groups(p->train), flags, &a->o, &p->rc);
    free(flags);
    if (s != XAI_OK)
        return cli_runtime_error(a->cmd, s);
    if (a->radius > 0 && (s = xai_model_mlp(p->model, &p->mlp)) != XAI_OK)
        return cli_runtime_error(a->cmd, s);
    if (!a->alt)
        return CLI_OK;
    if ((rc = alt_paths(a, p)) != CLI_OK)
        return rc;
    if (!(p->alts = calloc(p->n_alts, sizeof *p->alts)))
        return cli_usage_error(a->cmd, "out of memory");
    for (size_t i = 0; i < p->n_alts; i++) {
        if ((s = xai_model_load(p->alt_paths[i], &p->alts[i])) != XAI_OK)
            return cli_runtime_error(a->cmd, s);
        size_t di = xai_model_input_size(p->alts[i]), oi = xai_model_output_size(p->alts[i]);
        if (di != D || oi != no) {
            fprintf(stderr, "xai %s: error: the alternative model %s takes %zu inputs and "
                    "gives %zu outputs, but %s takes %zu and gives %zu: alternative models "
                    "must be the same task\n", a->cmd, p->alt_paths[i], di, oi, a->model,
                    D, no);
            return CLI_RUNTIME_ERROR;
        }
        if (!xai_model_outputs_probabilities(p->alts[i])) {
            fprintf(stderr, "xai %s: error: the alternative model %s does not end in a "
                    "Sigmoid or Softmax\n", a->cmd, p->alt_paths[i]);
            return CLI_RUNTIME_ERROR;
        }
    }
    return CLI_OK;
}

void rc_problem_free(rc_problem *p)
{
    for (size_t i = 0; i < p->n_alts; i++) {
        if (p->alts)
            xai_model_free(p->alts[i]);
        free(p->alt_paths[i]);
    }
    free(p->alts);
    free(p->alt_paths);
    xai_mlp_free(p->mlp);
    xai_recourse_free(p->rc);
    xai_dataset_free(p->train);
    xai_dataset_free(p->data);
    xai_model_free(p->model);
}

int rc_add_exact(const rc_args *a, rc_problem *p, rc_record *r, size_t n)
{
    if (!(a->radius > 0))
        return CLI_OK;
    for (size_t i = 0; i < n; i++) {
        xai_status s = xai_recourse_stability_exact(p->rc, p->mlp, r[i].cf, 1, r[i].row,
                                                    a->radius, &r[i].ex);
        if (s != XAI_OK)
            return cli_runtime_error(a->cmd, s);
    }
    return CLI_OK;
}

void rc_plain_words(const rc_problem *p, const float *x, const float *cf, char *buf,
                    size_t n)
{
    const xai_dataset *d = p->train;
    size_t G = xai_dataset_group_count(d), D = xai_dataset_features(d), used = 0;
    const uint32_t *grp = xai_dataset_feature_groups(d);
    buf[0] = 0;
    for (size_t g = 0; g < G && used + 1 < n; g++) {
        int64_t a = xai_dataset_group_category(d, g, x), b = xai_dataset_group_category(d, g, cf);
        int w = 0;
        const char *sep = used ? "; " : "";
        if (a >= 0 && b >= 0) {
            if (a != b)
                w = snprintf(buf + used, n - used, "%s%s: %s -> %s", sep,
                             xai_dataset_group_name(d, g), xai_dataset_feature_label(d, (size_t)a),
                             xai_dataset_feature_label(d, (size_t)b));
        } else {
            for (size_t j = 0; j < D && used + 1 < n; j++)
                if (grp[j] == g && x[j] != cf[j]) {
                    w = snprintf(buf + used, n - used, "%s%s %.6g -> %.6g", sep,
                                 xai_dataset_feature_name(d, j), x[j], cf[j]);
                    if (w > 0)
                        used += (size_t)w < n - used ? (size_t)w : n - used - 1;
                    sep = "; ";
                    w = 0;
                }
        }
        if (w > 0)
            used += (size_t)w < n - used ? (size_t)w : n - used - 1;
    }
}

/* Runs every method on the rows, fills the records of the searched rows. */
int rc_run_methods(const char *cmd, rc_problem *p, const int *methods, int n_methods,
                       rc_record **out_r, size_t *out_n, size_t *already, float **keep,
                       uint8_t **keep_valid)
{
    size_t D = xai_dataset_features(p->data), n = p->row_b - p->row_a;
    const float *x = xai_dataset_row(p->data, p->row_a);
    float *cf = malloc(n_methods * n * D * sizeof *cf);
    xai_cf_result *res = malloc(n * sizeof *res);
    xai_cf_score *sc = malloc(n * sizeof *sc);
    rc_record *r = calloc(n_methods * n, sizeof *r);
    uint8_t *valid = calloc((p->n_alts ? p->n_alts : 1) * n_methods * n, 1);
    uint8_t *v1 = malloc(n ? n : 1);
    size_t nr = 0;
    xai_status s = XAI_OK;
    if (!cf || !res || !sc || !r || !valid || !v1)
        s = XAI_ERR_NOMEM;
    for (int mi = 0; mi < n_methods && s == XAI_OK; mi++) {
        float *c = cf + mi * n * D;
        if ((s = xai_recourse_generate(p->rc, methods[mi], x, n, p->row_a, c, res)) !=
                XAI_OK ||
            (s = xai_recourse_score(p->rc, c, x, n, p->row_a, sc)) != XAI_OK)
            break;
        *already = 0;
        size_t first = nr;
        for (size_t i = 0; i < n; i++) {
            if (res[i].already_accepted) {
                (*already)++;
                continue;
            }
            r[nr] = (rc_record){p->row_a + i, methods[mi], res[i], sc[i], x + i * D,
                                c + i * D, valid + nr * (p->n_alts ? p->n_alts : 1), {.R = 0}};
            nr++;
        }
        for (size_t m = 0; m < p->n_alts && s == XAI_OK; m++) {
            if ((s = xai_recourse_validity(p->rc, p->alts[m], c, n, v1)) != XAI_OK)
                break;
            for (size_t t = first; t < nr; t++)
                r[t].valid[m] = v1[r[t].row - p->row_a];
        }
    }
    free(res);
    free(sc);
    free(v1);
    *out_r = r;
    *out_n = nr;
    *keep = cf;
    *keep_valid = valid;
    if (s == XAI_ERR_NOMEM && !xai_last_error()[0]) {
        fprintf(stderr, "xai %s: error: out of memory\n", cmd);
        return CLI_RUNTIME_ERROR;
    }
    return s == XAI_OK ? CLI_OK : cli_runtime_error(cmd, s);
}

static void csv_num(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.9g", v);
}

void rc_write_csv(FILE *f, const rc_problem *p, const rc_record *r, size_t n)
{
    size_t D = xai_dataset_features(p->data);
    fputs("row,method,found,output,stability,cost_l1,cost_l2,changed", f);
    for (size_t j = 0; j < D; j++)
        fprintf(f, ",%s", xai_dataset_feature_name(p->data, j));
    fputc('\n', f);
    for (size_t i = 0; i < n; i++) {
        const rc_record *q = &r[i];
        fprintf(f, "%zu,%s,%d,", q->row, q->method < 0 ? "given" : xai_cf_method_name(q->method),
                q->res.found);
        csv_num(f, q->sc.output);
        fputc(',', f);
        csv_num(f, q->sc.stability);
        fputc(',', f);
        csv_num(f, q->sc.cost_l1);
        fputc(',', f);
        csv_num(f, q->sc.cost_l2);
        fprintf(f, ",%u", q->sc.changed);
        for (size_t j = 0; j < D; j++)
            fprintf(f, ",%.9g", q->cf[j]);
        fputc('\n', f);
    }
}

static void jnum(FILE *f, double v) { xai_json_number(f, v, 9); }

static void jlist(FILE *f, const char *s)
{
    fputc('[', f);
    if (s) {
        const char *p = s;
        int first = 1;
        while (*p) {
            size_t l = strcspn(p, ",");
            char buf[256];
            snprintf(buf, sizeof buf, "%.*s", (int)(l < 255 ? l : 255), p);
            if (!first)
                fputs(", ", f);
            xai_json_string(f, buf);
            first = 0;
            p += l + (p[l] == ',');
        }
    }
    fputc(']', f);
}

void rc_method_summary(const rc_problem *p, const rc_record *r, size_t n, int method,
                       rc_summary *out)
{
    size_t searched = 0, found = 0, n_lof = 0;
    double l1 = 0, l2 = 0, ch = 0, st = 0, lof = 0, vmean = 0, vmin = INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (r[i].method != method)
            continue;
        searched++;
        if (!r[i].res.found)
            continue;
        found++;
        l1 += r[i].sc.cost_l1;
        l2 += r[i].sc.cost_l2;
        ch += r[i].sc.changed;
        st += r[i].sc.stability;
        if (isfinite(r[i].sc.lof)) {
            lof += r[i].sc.lof;
            n_lof++;
        }
    }
    for (size_t m = 0; m < p->n_alts; m++) {
        size_t ok = 0;
        for (size_t i = 0; i < n; i++)
            if (r[i].method == method && r[i].res.found)
                ok += r[i].valid[m];
        double v = found ? (double)ok / (double)found : NAN;
        vmean += v / (double)p->n_alts;
        vmin = v < vmin ? v : vmin;
    }
    double fd = found ? (double)found : NAN;
    *out = (rc_summary){searched, found, searched ? (double)found / (double)searched : NAN,
                        p->n_alts ? vmean : NAN, p->n_alts ? vmin : NAN, l1 / fd, l2 / fd,
                        ch / fd, st / fd, n_lof ? lof / (double)n_lof : NAN};
}

/* Per-method aggregates over the records with found == 1 (validity per
 * alternative model: the share of found counterfactuals it accepts). */
static void json_method(FILE *f, const rc_problem *p, const rc_record *r, size_t n,
                        int method)
{
    rc_summary q;
    rc_method_summary(p, r, n, method, &q);
    fprintf(f, "    {\"method\": ");
    xai_json_string(f, method < 0 ? "given" : xai_cf_method_name(method));
    fprintf(f, ", \"searched\": %zu, \"found\": %zu, \"found_rate\": ", q.searched, q.found);
    jnum(f, q.found_rate);
    fputs(", \"validity_mean\": ", f);
    jnum(f, q.validity_mean);
    fputs(", \"validity_min\": ", f);
    jnum(f, q.validity_min);
    fputs(", \"cost_l1\": ", f);
    jnum(f, q.cost_l1);
    fputs(", \"cost_l2\": ", f);
    jnum(f, q.cost_l2);
    fputs(", \"changed\": ", f);
    jnum(f, q.changed);
    fputs(", \"stability\": ", f);
    jnum(f, q.stability);
    fputs(", \"lof\": ", f);
    jnum(f, q.lof);
    fputc('}', f);
}

void rc_write_json(FILE *f, const rc_args *a, const rc_problem *p, const rc_record *r,
                   size_t n, size_t already_accepted)
{
    const xai_recourse_options *o = &a->o;
    fputs("{\n  \"schema\": \"xai-counterfactual/1\",\n  \"command\": ", f);
    xai_json_string(f, a->cmd);
    fputs(",\n  \"model\": ", f);
    xai_json_string(f, a->model);
    fputs(",\n  \"data\": ", f);
    xai_json_string(f, a->da.path);
    fputs(",\n  \"train\": ", f);
    xai_json_string(f, a->train);
    fprintf(f, ",\n  \"rows\": [%zu, %zu],\n  \"settings\": {\"desired\": %d, \"sigma\": ",
            p->row_a, p->row_b, o->desired);
    jnum(f, o->sigma);
    fputs(", \"sigma_unit\": \"fraction of each feature's training range\", \"k\": ", f);
    fprintf(f, "%u, \"tau\": ", o->k);
    jnum(f, o->tau);
    fputs(", \"kappa\": ", f);
    jnum(f, o->kappa);
    fputs(", \"beta\": ", f);
    jnum(f, o->beta);
    fprintf(f, ", \"lof_k\": %u, \"seed\": %llu, \"immutable\": ", o->lof_k,
            (unsigned long long)o->seed);
    jlist(f, a->immutable);
    fputs(", \"increasing\": ", f);
    jlist(f, a->increasing);
    fputs(", \"integer\": ", f);
    jlist(f, a->integer);
    fputs(", \"alt_models\": [", f);
    for (size_t m = 0; m < p->n_alts; m++) {
        fputs(m ? ", " : "", f);
        xai_json_string(f, p->alt_paths[m]);
    }
    fprintf(f, "]},\n  \"accepted_training_rows\": %zu,\n  \"already_accepted\": %zu,\n"
            "  \"records\": [", xai_recourse_accepted_count(p->rc), already_accepted);
    for (size_t i = 0; i < n; i++) {
        const rc_record *q = &r[i];
        fprintf(f, "%s\n    {\"row\": %zu, \"method\": ", i ? "," : "", q->row);
        xai_json_string(f, q->method < 0 ? "given" : xai_cf_method_name(q->method));
        fprintf(f, ", \"found\": %s, \"reason\": ", q->res.found ? "true" : "false");
        xai_json_string(f, q->res.reason ? q->res.reason : "");
        fprintf(f, ", \"accepted\": %s, \"output\": ", q->sc.accepted ? "true" : "false");
        jnum(f, q->sc.output);
        fputs(", \"stability\": ", f);
        jnum(f, q->sc.stability);
        fputs(", \"stability_se\": ", f);
        jnum(f, q->sc.stability_se);
        fputs(", \"cost_l1\": ", f);
        jnum(f, q->sc.cost_l1);
        fputs(", \"cost_l2\": ", f);
        jnum(f, q->sc.cost_l2);
        fprintf(f, ", \"changed\": %u, \"lof\": ", q->sc.changed);
        jnum(f, q->sc.lof);
        if (q->x && q->res.found) {
            char words[2048];
            rc_plain_words(p, q->x, q->cf, words, sizeof words);
            fputs(", \"recourse\": ", f);
            xai_json_string(f, words);
        }
        if (a->radius > 0) {
            fputs(", \"stability_exact\": {\"R\": ", f);
            jnum(f, q->ex.R);
            fputs(", \"gamma\": ", f);
            jnum(f, q->ex.gamma);
            fprintf(f, ", \"k_in\": %u, \"radius\": ", q->ex.k_in);
            jnum(f, a->radius);
            fprintf(f, ", \"vacuous\": %s, \"p_rejected_max\": ",
                    q->ex.vacuous ? "true" : "false");
            if (q->ex.vacuous)
                fputs("null", f);
            else
                jnum(f, q->ex.guarantee);
            fputc('}', f);
        }
        if (p->n_alts) {
            size_t ok = 0;
            fputs(", \"valid_alt\": [", f);
            for (size_t m = 0; m < p->n_alts; m++) {
                fprintf(f, "%s%d", m ? ", " : "", q->valid[m]);
                ok += q->valid[m];
            }
            fputs("], \"validity\": ", f);
            jnum(f, (double)ok / (double)p->n_alts);
        }
        fputc('}', f);
    }
    fputs("\n  ],\n  \"methods\": [\n", f);
    int seen[XAI_CF_METHOD_COUNT + 1] = {0};
    int first = 1;
    for (size_t i = 0; i < n; i++) {
        int m = r[i].method;
        if (seen[m + 1])
            continue;
        seen[m + 1] = 1;
        if (!first)
            fputs(",\n", f);
        json_method(f, p, r, n, m);
        first = 0;
    }
    fputs("\n  ]\n}\n", f);
}

int rc_args_check_outputs(const rc_args *a, int force, int stdout_ok)
{
    rc_problem p;
    memset(&p, 0, sizeof p);
    int rc = a->alt ? alt_paths(a, &p) : CLI_OK;
    const char **ins = rc == CLI_OK ? calloc(6 + p.n_alts, sizeof *ins) : NULL;
    if (rc == CLI_OK && !ins) {
        fprintf(stderr, "xai %s: error: out of memory\n", a->cmd);
        rc = CLI_RUNTIME_ERROR;
    }
    if (rc == CLI_OK) {
        ins[0] = a->model, ins[1] = a->da.path, ins[2] = data_args_groups_file(&a->da);
        ins[3] = a->train, ins[4] = a->original, ins[5] = a->da.feature_labels;
        for (size_t i = 0; i < p.n_alts; i++)
            ins[6 + i] = p.alt_paths[i];
        const cli_output outs[] = {{"--out", a->out, "csv", stdout_ok},
                                   {"--json", a->json, "json", stdout_ok}};
        rc = cli_outputs_check(a->cmd, ins, 6 + p.n_alts, outs, 2, force);
    }
    free(ins);
    for (size_t i = 0; i < p.n_alts; i++)
        free(p.alt_paths[i]);
    free(p.alt_paths);
    return rc;
}
