/* cli/cmd_backdoor.c: `xai backdoor`: was a backdoor planted in this image
 * classifier, for which class, and what does the trigger look like?  Parses
 * and checks every option and output path, runs the SmoothInv class scan
 * (xai_backdoor_scan), prints the per-class table and the verdict, and
 * writes JSON, PNG triplets and the PDF report. */
#include <errno.h>
#include <libgen.h>
#include <getopt.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <xai/backdoor.h>

#include "cli.h"
#include "core/error.h"
#include "core/json_out.h"
#include "data_args.h"
#include "outputs.h"
#include "reports/backdoor_report.h"
#include "reports/overlay.h"

#define CMD "backdoor"

static const char help[] =
    "usage: xai backdoor --model M --data CLEAN [--label NAME]\n"
    "                    [--image-shape C,H,W --scale S] [--target K]\n"
    "                    [--sources M] [--eps E] [--sigma S] [--steps N]\n"
    "                    [--noise-samples K] [--denoiser D.onnx]\n"
    "                    [--threshold T] [--seed S] [--threads T]\n"
    "                    [--json FILE] [--png DIR] [--out report.pdf] [--force]\n\n"
    "Backdoor scan of an image classifier by SmoothInv (Sun & Kolter 2023):\n"
    "for every class, M clean images of other classes are pushed towards the\n"
    "class by projected gradient steps on the smoothed classifier (mean\n"
    "softmax over Gaussian-noised copies) inside an L2 ball; each perturbation\n"
    "is scored by its attack success rate (ASR) on the other clean images\n"
    "under the original model, and classes whose best ASR stands out (anomaly\n"
    "index (ASR - median) / (1.4826 MAD) > T) are flagged.  The unsmoothed\n"
    "ablation (plain targeted PGD) runs beside it.  See README, section\n"
    "\"Backdoor scan\".\n\n"
    "  --model M            ONNX image classifier (>= 2 class outputs)\n"
    DATA_ARGS_HELP
    "                       (CLEAN: clean images; labels, when given, keep\n"
    "                       class-K images out of class K's sources and ASR)\n"
    "  --target K           invert class K only (default: scan every class)\n"
    "  --sources M          source images per class (default 5)\n"
    "  --eps E              L2 radius of the perturbation over the whole image,\n"
    "                       in units of the value range (default 1)\n"
    "  --sigma S            smoothing noise std in units of the value range\n"
    "                       (default 0.5; 0 = plain PGD only)\n"
    "  --steps N            gradient steps per inversion (default 400)\n"
    "  --noise-samples K    noisy copies per step (default 40)\n"
    "  --denoiser D.onnx    image-to-image model applied to the noisy copies\n"
    "                       before the classifier (gradient taken through it)\n"
    "  --threshold T        anomaly index above which a class is flagged\n"
    "                       (default 2)\n"
    "  --seed S             random seed (default 0)\n"
    "  --threads T          threads (default: all); results do not depend on it\n"
    "  --json FILE          the scan as JSON (schema xai-backdoor/1)\n"
    "  --png DIR            per class: DIR/class<K>_source.png, _perturbation.png\n"
    "                       (signed, grey = 0, scaled to its largest |value|),\n"
    "                       _perturbed.png\n"
    "  --out FILE.pdf       the backdoor report\n"
    "  --date SECONDS       the report's date (default: now or $SOURCE_DATE_EPOCH)\n"
    "  --force              write --json/--out even if the extension names\n"
    "                       another format\n"
    "  -h, --help           this help\n"
    "The value range is [min(0, data min), max(1, data max)].  Every output is\n"
    "checked before anything is loaded (never an input, another output, a FIFO,\n"
    "a device or a symbolic link), written to a temporary file and renamed with\n"
    "the others at the end: all of them or none.  DIR is created (with its\n"
    "parents) only when its first file is written.\n";

enum {
    OPT_MODEL = 1, OPT_TARGET, OPT_SOURCES, OPT_EPS, OPT_SIGMA, OPT_STEPS, OPT_NOISE,
    OPT_DENOISER, OPT_THRESHOLD, OPT_SEED, OPT_THREADS, OPT_JSON, OPT_PNG, OPT_OUT,
    OPT_DATE, OPT_HELP, OPT_FORCE
};

typedef struct bd_args {
    const char *model, *denoiser, *json, *png, *out;
    xai_backdoor_options o;   /* eps and sigma in units of the value range */
    int64_t date;
    int force;
} bd_args;

static int parse_real(const char *arg, const char *name, double lo, double hi, double *out,
                      int lo_open)
{
    char *end;
    errno = 0;
    double v = strtod(arg, &end);
    if (end == arg || *end || errno || !isfinite(v) || v > hi || (lo_open ? v <= lo : v < lo))
        return cli_usage_error(CMD, "%s wants a number %s %g and <= %g, got '%s'", name,
                               lo_open ? ">" : ">=", lo, hi, arg);
    *out = v;
    return CLI_OK;
}

static int parse_args(int argc, char **argv, bd_args *a, data_args *d)
{
    static const struct option opts[] = {
        {"model", required_argument, NULL, OPT_MODEL},
        {"target", required_argument, NULL, OPT_TARGET},
        {"sources", required_argument, NULL, OPT_SOURCES},
        {"eps", required_argument, NULL, OPT_EPS},
        {"sigma", required_argument, NULL, OPT_SIGMA},
        {"steps", required_argument, NULL, OPT_STEPS},
        {"noise-samples", required_argument, NULL, OPT_NOISE},
        {"denoiser", required_argument, NULL, OPT_DENOISER},
        {"threshold", required_argument, NULL, OPT_THRESHOLD},
        {"seed", required_argument, NULL, OPT_SEED},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"json", required_argument, NULL, OPT_JSON},
        {"png", required_argument, NULL, OPT_PNG},
        {"out", required_argument, NULL, OPT_OUT},
        {"date", required_argument, NULL, OPT_DATE},
        {"help", no_argument, NULL, OPT_HELP},
        {"force", no_argument, NULL, OPT_FORCE},
        DATA_ARGS_LONG_OPTIONS,
        {NULL, 0, NULL, 0}};
    long long u;
    int c, rc;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        int r = data_args_parse(d, CMD, c, optarg);
        if (r < 0)
            return CLI_USAGE_ERROR;
        if (r > 0)
            continue;
        rc = CLI_OK;
        switch (c) {
        case OPT_MODEL: a->model = optarg; break;
        case OPT_DENOISER: a->denoiser = optarg; break;
        case OPT_JSON: a->json = optarg; break;
        case OPT_PNG: a->png = optarg; break;
        case OPT_OUT: a->out = optarg; break;
        case OPT_FORCE: a->force = 1; break;
        case 'h':
        case OPT_HELP: fputs(help, stdout); return -1;
        case OPT_TARGET:
            if ((rc = cli_parse_int(CMD, optarg, "--target", 0, XAI_BACKDOOR_MAX_CLASSES - 1,
                                    &u)) == CLI_OK)
                a->o.target = (int32_t)u;
            break;
        case OPT_SOURCES:
            if ((rc = cli_parse_int(CMD, optarg, "--sources", 1, 1000, &u)) == CLI_OK)
                a->o.sources = (uint32_t)u;
            break;
        case OPT_STEPS:
            if ((rc = cli_parse_int(CMD, optarg, "--steps", 1, 100000, &u)) == CLI_OK)
                a->o.steps = (uint32_t)u;
            break;
        case OPT_NOISE:
            if ((rc = cli_parse_int(CMD, optarg, "--noise-samples", 1, 10000, &u)) == CLI_OK)
                a->o.noise_samples = (uint32_t)u;
            break;
        case OPT_SEED:
            if ((rc = cli_parse_int(CMD, optarg, "--seed", 0, INT64_MAX, &u)) == CLI_OK)
                a->o.seed = (uint64_t)u;
            break;
        case OPT_THREADS:
            if ((rc = cli_parse_int(CMD, optarg, "--threads", 1, 1024, &u)) == CLI_OK)
                a->o.n_threads = (int)u;
            break;
        case OPT_DATE:
            if (!cli_int_in(optarg, 0, 1ll << 40, &u))
                return cli_usage_error(CMD, "--date wants seconds since 1970, got '%s'", optarg);
            a->date = u;
            break;
        case OPT_EPS: rc = parse_real(optarg, "--eps", 0, 1e6, &a->o.eps, 1); break;
        case OPT_SIGMA: rc = parse_real(optarg, "--sigma", 0, 100, &a->o.sigma, 0); break;
        case OPT_THRESHOLD:
            rc = parse_real(optarg, "--threshold", 0, 1e6, &a->o.threshold, 0);
            break;
        case ':':
            return cli_usage_error(CMD, "option '%s' needs a value", argv[optind - 1]);
        default:
            return cli_usage_error(CMD, "unknown option '%s'", argv[optind - 1]);
        }
        if (rc != CLI_OK)
            return rc;
    }
    if (optind < argc)
        return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
    if (!a->model)
        return cli_usage_error(CMD, "--model is required");
    if (!d->path)
        return cli_usage_error(CMD, "--data is required");
    if (d->groups)
        return cli_usage_error(CMD, "--groups does not apply to image data");
    return 0;
}

/* The shallowest missing ancestor of dir (dir itself when only it is
 * missing), or NULL when dir exists: what a failed run removes again. */
static char *first_missing(const char *dir)
{
    struct stat st;
    if (stat(dir, &st) == 0)
        return NULL;
    char *top = strdup(dir), *p = strdup(dir);
    while (top && p) {
        char *parent = dirname(p);
        if (strcmp(parent, ".") == 0 || strcmp(parent, "/") == 0 || stat(parent, &st) == 0)
            break;
        memmove(top, parent, strlen(parent) + 1);
        memmove(p, top, strlen(top) + 1);
    }
    free(p);
    return top;
}

/* Removes the directories this run made, from dir up to top (only while
 * empty: rmdir). */
static void remove_made_dirs(const char *dir, const char *top)
{
    char *p = strdup(dir);
    for (char *q = p; q;) {
        rmdir(q);
        if (strcmp(q, top) == 0)
            break;
        char *parent = dirname(q);
        if (strcmp(parent, ".") == 0 || strcmp(parent, "/") == 0)
            break;
        memmove(p, parent, strlen(parent) + 1);
        q = p;
    }
    free(p);
}

static void progress(void *user, size_t done, size_t total)
{
    (void)user;
    fprintf(stderr, "\rxai backdoor: %zu/%zu inversions", done, total);
    if (done == total)
        fputc('\n', stderr);
    fflush(stderr);
}

/* The "input" object of the JSON: paths (escaped) and SHA-256s. */
static char *input_json(const bd_args *a, const data_args *d, const xai_dataset *ds,
                        const char *hm, const char *hd, const char *hden)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    fputs("\"model\": ", f);
    xai_json_string(f, a->model);
    fprintf(f, ", \"model_sha256\": \"%s\", \"data\": ", hm);
    xai_json_string(f, d->path);
    fprintf(f, ", \"data_sha256\": \"%s\", \"images\": %zu, \"labels\": %s", hd,
            xai_dataset_rows(ds), xai_dataset_labels(ds) ? "true" : "false");
    if (a->denoiser) {
        fputs(", \"denoiser\": ", f);
        xai_json_string(f, a->denoiser);
        fprintf(f, ", \"denoiser_sha256\": \"%s\"", hden);
    }
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

static void print_table(const xai_backdoor_result *r, const char *verdict)
{
    printf("class    ASR  ASR(sigma 0)  anomaly  A(sigma 0)  ||d||_2  ||d||_inf  "
           "half-energy window\n");
    for (size_t i = 0; i < r->n_classes; i++) {
        const xai_backdoor_class *c = &r->classes[i];
        printf("%5d  %5.3f  %12.3f  %7.2f  %10.2f  %7.3f  %9.3f  %ux%u at (%u,%u) "
               "%.0f%% (uniform %.0f%%)%s\n", c->cls, c->asr, c->asr_unsmoothed, c->anomaly,
               c->anomaly_unsmoothed, c->l2, c->linf, c->window.size, c->window.size,
               c->window.x, c->window.y, 100 * c->window.share, 100 * c->window.uniform_share,
               c->flagged ? "  FLAGGED" : "");
    }
    if (!isnan(r->clean_accuracy))
        printf("clean accuracy of the model on these images: %.3f\n", r->clean_accuracy);
    printf("\n%s\n", verdict);
}

/* Opens DIR/name as files[*n] and writes the image into it (not committed). */
static xai_status png_file(const char *dir, const char *name, int cls,
                           const xai_overlay_image *im, xai_outfile **files, size_t *n)
{
    size_t len = strlen(dir) + strlen(name) + 32;
    char *path = malloc(len);
    if (!path)
        return xai_fail(XAI_ERR_NOMEM, "out of memory");
    snprintf(path, len, "%s/class%d_%s.png", dir, cls, name);
    xai_status s = xai_outfile_open(path, &files[*n]);
    free(path);
    if (s != XAI_OK)
        return s;
    return xai_overlay_write_png_to(files[(*n)++], im, NULL, XAI_CMAP_AUTO);
}

/* DIR/class<K>_source.png, _perturbation.png, _perturbed.png into
 * files[*n...] (3 per class), committed with the other outputs. */
static int write_pngs(const bd_args *a, const xai_dataset *ds, const xai_backdoor_result *r,
                      xai_outfile **files, size_t *nf)
{
    size_t d = (size_t)r->c * r->h * r->w;
    float *img = malloc(d * sizeof *img);
    xai_status s = img ? XAI_OK : xai_fail(XAI_ERR_NOMEM, "out of memory");
    xai_overlay_image im = {r->c, r->h, r->w, img};
    for (size_t i = 0; s == XAI_OK && i < r->n_classes; i++) {
        const xai_backdoor_class *c = &r->classes[i];
        const float *x = xai_dataset_row(ds, (size_t)c->best_source);
        double mx = 0;
        for (size_t j = 0; j < d; j++)
            mx = fmax(mx, fabs(c->delta[j]));
        memcpy(img, x, d * sizeof *img);
        s = png_file(a->png, "source", c->cls, &im, files, nf);
        for (size_t j = 0; j < d; j++)
            img[j] = (float)(0.5 + (mx > 0 ? 0.5 * c->delta[j] / mx : 0.0));
        if (s == XAI_OK)
            s = png_file(a->png, "perturbation", c->cls, &im, files, nf);
        for (size_t j = 0; j < d; j++) {
            double v = (double)x[j] + c->delta[j];
            img[j] = (float)fmin(fmax(v, a->o.lo), a->o.hi);
        }
        if (s == XAI_OK)
            s = png_file(a->png, "perturbed", c->cls, &im, files, nf);
    }
    free(img);
    return s == XAI_OK ? CLI_OK : cli_runtime_error(CMD, s);
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int run(int argc, char **argv)
{
    double t0 = now_seconds();
    bd_args a = {.o = xai_backdoor_options_default(), .date = -1};
    data_args d = {0};
    int rc = parse_args(argc, argv, &a, &d);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    xai_model *m = NULL, *den = NULL;
    xai_dataset *ds = NULL;
    xai_backdoor_result *res = NULL;
    char *input = NULL;
    xai_status s;
    /* every output checked before anything is loaded */
    const char *ins[] = {a.model, d.path, data_args_groups_file(&d), a.denoiser,
                         d.feature_labels};
    const cli_output outs[] = {{"--out", a.out, "pdf", 0}, {"--json", a.json, "json", 0},
                               {"--png", a.png, "dir", 0}};
    if ((rc = CLI_CHECK_OUTPUTS(CMD, a.force, ins, outs)) != CLI_OK)
        return rc;
    /* --out, --json, then 3 PNGs per class: all committed together or none */
    xai_outfile **files = NULL;
    size_t nf = 2;
    char *made = NULL; /* the top directory of --png this run creates */
    if (!(files = calloc(2, sizeof *files))) {
        rc = cli_runtime_error(CMD, xai_fail(XAI_ERR_NOMEM, "out of memory"));
        goto out;
    }
    /* the temporaries exist before the work: a failure shows now */
    if ((a.out && (rc = cli_output_open(CMD, a.out, &files[0])) != CLI_OK) ||
        (a.json && (rc = cli_output_open(CMD, a.json, &files[1])) != CLI_OK))
        goto out;
    if ((rc = data_args_load(&d, CMD, &ds)) != CLI_OK)
        goto out;
    if ((s = xai_model_load(a.model, &m)) != XAI_OK ||
        (a.denoiser && (s = xai_model_load(a.denoiser, &den)) != XAI_OK)) {
        rc = cli_runtime_error(CMD, s);
        goto out;
    }
    if ((rc = data_args_check_model(&d, CMD, ds, a.model, m)) != CLI_OK)
        goto out;
    size_t n = xai_dataset_rows(ds);
    if (n < 2) {
        fprintf(stderr, "xai backdoor: %s: %zu clean image(s); the scan needs at least 2\n",
                d.path, n);
        rc = CLI_RUNTIME_ERROR;
        goto out;
    }
    /* value range [min(0, data min), max(1, data max)]; eps, sigma scale with it */
    xai_backdoor_options o = a.o;
    xai_backdoor_options_for_data(&o, ds, a.o.eps, a.o.sigma);
    o.denoiser = den;
    if (isatty(2))
        o.progress = progress;
    if ((s = xai_backdoor_check(m, &o)) != XAI_OK) {
        fprintf(stderr, "xai backdoor: %s: %s\n", den && s == XAI_ERR_SHAPE &&
                strstr(xai_last_error(), "denoiser") ? a.denoiser : a.model,
                xai_last_error());
        rc = s == XAI_ERR_INVALID ? CLI_USAGE_ERROR : CLI_RUNTIME_ERROR;
        goto out;
    }
    fprintf(stderr, "xai backdoor: %zu images of %s, %s, eps %g, sigma %g, %u steps x %u "
            "copies, %u sources per class\n", n, d.path,
            o.target >= 0 ? "one target class" : "every class", o.eps, o.sigma, o.steps,
            o.sigma > 0 ? o.noise_samples : 1, o.sources);
    if ((s = xai_backdoor_scan(m, ds, &o, &res)) != XAI_OK) {
        rc = cli_runtime_error(CMD, s);
        goto out;
    }
    char verdict[2048];
    xai_backdoor_verdict(res, &o, verdict, sizeof verdict);
    print_table(res, verdict);
    char hm[65], hd[65], hden[65] = "";
    if ((s = xai_sha256_file(a.model, hm)) != XAI_OK ||
        (s = xai_sha256_file(d.path, hd)) != XAI_OK ||
        (a.denoiser && (s = xai_sha256_file(a.denoiser, hden)) != XAI_OK)) {
        rc = cli_runtime_error(CMD, s);
        goto out;
    }
    if (!(input = input_json(&a, &d, ds, hm, hd, hden))) {
        rc = cli_runtime_error(CMD, XAI_ERR_NOMEM);
        goto out;
    }
    if (a.json && (s = xai_backdoor_write_json_to(res, &o, input, files[1])) != XAI_OK) {
        rc = cli_runtime_error(CMD, s);
        goto out;
    }
    if (a.png) {
        xai_outfile **more = realloc(files, (2 + 3 * res->n_classes) * sizeof *files);
        if (!more) {
            rc = cli_runtime_error(CMD, xai_fail(XAI_ERR_NOMEM, "out of memory"));
            goto out;
        }
        files = more;
        made = first_missing(a.png); /* created with its first file, not before */
        if ((rc = cli_output_mkdirs(CMD, "--png", a.png)) != CLI_OK ||
            (rc = write_pngs(&a, ds, res, files, &nf)) != CLI_OK)
            goto out;
    }
    if (a.out) {
        xai_backdoor_report_input in = {
            .result = res, .options = &o, .data = ds, .model_path = a.model,
            .data_path = d.path, .denoiser_path = a.denoiser, .model_sha256 = hm,
            .data_sha256 = hd, .denoiser_sha256 = hden, .date = a.date,
            .n_threads = o.n_threads > 0 ? o.n_threads : omp_get_max_threads(),
            .eps_rel = a.o.eps, .sigma_rel = a.o.sigma};
        char *cmd = cli_command_line(argc, argv);
        in.command_line = cmd;
        const char *sde = getenv("SOURCE_DATE_EPOCH");
        long long u;
        if (in.date < 0 && sde && cli_int_in(sde, 0, (1ll << 40) - 1, &u))
            in.date = u;
        in.run_seconds = now_seconds() - t0;
        if (cmd)
            s = xai_backdoor_report_write_to(&in, files[0]);
        else
            s = xai_fail(XAI_ERR_NOMEM, "out of memory");
        free(cmd);
        if (s != XAI_OK) {
            rc = cli_runtime_error(CMD, s);
            goto out;
        }
    }
    s = xai_outfile_commit_all(files, nf);
    nf = 0; /* freed in every case */
    if (s != XAI_OK) {
        rc = cli_runtime_error(CMD, s);
        goto out;
    }
    if (a.json)
        printf("wrote %s\n", a.json);
    if (a.png)
        printf("wrote %s/class*_{source,perturbation,perturbed}.png\n", a.png);
    if (a.out)
        printf("wrote %s\n", a.out);
    rc = CLI_OK;
out:
    for (size_t k = 0; files && k < nf; k++)
        xai_outfile_abort(files[k]);
    free(files);
    if (rc != CLI_OK && made)
        remove_made_dirs(a.png, made);
    free(made);
    free(input);
    xai_backdoor_result_free(res);
    xai_dataset_free(ds);
    xai_model_free(m);
    xai_model_free(den);
    return rc;
}

const cli_command cli_cmd_backdoor = {
    .name = "backdoor",
    .summary = "scan an image classifier for a planted backdoor (SmoothInv)",
    .help = help,
    .run = run,
};
