/* cli/cmd_info.c: `xai info MODEL`: what a model takes and computes. */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"

static void print_shape(const int64_t *d, int rank)
{
    printf("[");
    for (int i = 0; i < rank; i++)
        printf("%s%lld", i ? ", " : "", (long long)d[i]);
    printf("]");
}

static void print_trees(const xai_tree_ensemble *t)
{
    static const char *const transforms[] = {"identity", "logistic per margin",
                                             "softmax"};
    size_t nodes = t->tree_offset[t->n_trees], leaves = 0;
    for (size_t i = 0; i < nodes; i++)
        leaves += t->nodes[i].feature < 0;
    printf("kind:        tree ensemble: %zu trees, max depth %d, %zu nodes, %zu leaves\n",
           t->n_trees, t->max_depth, nodes, leaves);
    printf("margins:     %zu, outputs = %s(margins)%s\n", t->n_margins,
           transforms[t->transform],
           t->n_margins == 2 && t->transform == XAI_TREE_SOFTMAX &&
                   t->base_margin[0] == 0
               ? " (a binary classifier: margins 0 and m)" : "");
    printf("missing:     allowed (empty cell, NA or NaN): each split sends it its "
           "default way\n");
    printf("covers:      %s\n", t->covers_unknown
                                    ? "unknown (ONNX-ML stores none)"
                                    : "from the file (training weight per node)");
    printf("gradients:   none: piecewise constant; gradient methods are refused\n");
}

static int run(int argc, char **argv)
{
    static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'h') {
            fputs(cli_cmd_info.help, stdout);
            return CLI_OK;
        }
        return cli_usage_error("info", "unknown option '%s'", argv[optind - 1]);
    }
    if (argc - optind != 1)
        return cli_usage_error("info", "expects exactly one MODEL argument");
    const char *path = argv[optind];
    xai_model *m;
    /* info only describes: no memory bound, the planned size is printed */
    xai_status s = xai_model_load_limited(path, UINT64_MAX, &m);
    if (s != XAI_OK)
        return cli_runtime_error("info", s);
    xai_model_info in;
    xai_model_info_get(m, &in);
    int64_t d[4];
    int rank = xai_model_input_shape(m, d);
    printf("model:       %s\n", path);
    printf("format:      %s", in.format);
    if (in.producer[0])
        printf(" (%s)", in.producer);
    if (in.opset)
        printf(", opset %lld", (long long)in.opset);
    printf("\ninput:       %s ", in.input_name[0] ? in.input_name : "(unnamed)");
    print_shape(d, rank);
    printf(" per row, %zu values\n", xai_model_input_size(m));
    printf("output:      %s %zu values per row, %s\n",
           in.output_name[0] ? in.output_name : "(unnamed)", xai_model_output_size(m),
           !xai_model_outputs_probabilities(m) ? "scores"
           : in.n_nodes ? "probabilities (final Softmax/Sigmoid; --output score gives its input)"
                        : "probabilities");
    const xai_tree_ensemble *t = xai_model_trees(m);
    if (t)
        print_trees(t);
    else
        printf("gradients:   %s\n", xai_model_has_gradient(m) ? "exact (reverse mode)"
                                                              : "central finite differences");
    if (in.n_nodes) {
        printf("parameters:  %llu\n", (unsigned long long)in.n_params);
        printf("FLOPs/row:   %.0f (forward; a multiply-add counts 2)\n", in.flops_per_sample);
        printf("memory/row:  %.2f MiB planned (forward and gradient; default limit "
               "%llu MiB, --max-memory)\n", (double)xai_model_row_memory(m) / 1048576.0,
               (unsigned long long)(XAI_DEFAULT_MAX_MEMORY >> 20));
        printf("nodes:       %zu\nops:        ", in.n_nodes);
        for (size_t i = 0; i < in.n_op_kinds; i++)
            printf(" %s x%zu%s", in.op_names[i], in.op_counts[i],
                   i + 1 < in.n_op_kinds ? "," : "");
        printf("\n");
    }
    size_t nc = xai_model_conv_layer_count(m);
    printf("conv layers: %zu\n", nc);
    for (size_t i = 0; i < nc; i++) {
        const char *name = xai_model_conv_layer_name(m, i);
        printf("  %s ", name);
        int r = xai_model_tensor_shape(m, name, d);
        if (r > 0)
            print_shape(d, r);
        printf("\n");
    }
    xai_model_free(m);
    return CLI_OK;
}

const cli_command cli_cmd_info = {
    "info", "describe a model: inputs, outputs, ops, size, conv layers",
    "usage: xai info MODEL\n\n"
    "Loads MODEL (an .onnx file, an XGBoost .json model, or plugin:PATH.so) and\n"
    "prints its input shape,\n"
    "output size and kind (probabilities or scores), whether gradients are exact,\n"
    "the parameter count, forward FLOPs per row, a histogram of the ONNX ops and\n"
    "the convolutional layers (names usable as --layer in explanations); for a\n"
    "tree ensemble its trees, depth, margins and output transform.\n",
    run};
