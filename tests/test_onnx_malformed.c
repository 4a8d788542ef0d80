/* tests/test_onnx_malformed.c: hostile and broken ONNX files (made here with
 * protobuf-c, or cut from a valid model) must fail at load with their own
 * clear message naming the file (and node / op where there is one), never
 * crash (this suite also runs under ASan + UBSan). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <xai/xai.h>

#include "support/onnx_build.h"
#include "support/shell.h"

static char path[64];
static char msgs[16][1024];
static int n_msgs;

static void write_bytes(const void *p, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, len, f), len);
    fclose(f);
}

/* Loads path, expects status s and every fragment in the message. */
static void expect_fail(xai_status s, const char *what, ...)
{
    xai_model *m = (xai_model *)1;
    xai_status got = xai_model_load(path, &m);
    const char *msg = xai_last_error();
    if (got != s)
        fail_msg("%s: status %d (want %d): %s", what, got, s, msg);
    assert_null(m);
    assert_non_null(strstr(msg, path)); /* names the file */
    va_list ap;
    va_start(ap, what);
    for (const char *frag; (frag = va_arg(ap, const char *));)
        if (!strstr(msg, frag))
            fail_msg("%s: message lacks '%s': %s", what, frag, msg);
    va_end(ap);
    for (int i = 0; i < n_msgs; i++)
        if (strcmp(msgs[i], msg) == 0)
            fail_msg("%s: same message as an earlier case: %s", what, msg);
    if (n_msgs < 16)
        snprintf(msgs[n_msgs++], sizeof msgs[0], "%s", msg);
}

/* x[n,4] -> Gemm(W[3,4], transB) -> Softmax: a valid model to break. */
static ob_model *valid(void)
{
    static const float w[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    ob_model *m = ob_new(13);
    ob_input(m, "x", 2, (int64_t[]){1, 4});
    ob_output(m, "y", 2, (int64_t[]){1, 3});
    ob_init_f(m, "W", 2, (int64_t[]){3, 4}, w);
    ob_attr_i(ob_add(m, "Gemm", "fc", "x,W", "z"), "transB", 1);
    ob_add(m, "Softmax", "sm", "z", "y");
    return m;
}

static void baseline_loads(void **state)
{
    (void)state;
    ob_model *m = valid();
    ob_write(m, path);
    ob_free(m);
    xai_model *mod;
    assert_int_equal(xai_model_load(path, &mod), XAI_OK);
    assert_int_equal(xai_model_output_size(mod), 3);
    xai_model_free(mod);
}

static void file_level(void **state)
{
    (void)state;
    write_bytes("", 0);
    expect_fail(XAI_ERR_PARSE, "empty", "empty", NULL);
    const char *text = "this is not an onnx model\n";
    write_bytes(text, strlen(text));
    expect_fail(XAI_ERR_PARSE, "text", "not an ONNX model", "invalid protobuf", NULL);
    /* well-formed protobuf without a graph: field 1 (ir_version) = 7 only */
    write_bytes("\x08\x07", 2);
    expect_fail(XAI_ERR_PARSE, "no graph", "holds no graph", NULL);
    unlink(path);
    expect_fail(XAI_ERR_IO, "missing file", "cannot open", NULL);
}

static void truncated(void **state)
{
    (void)state;
    ob_model *m = valid();
    size_t len;
    uint8_t *buf = ob_pack(m, &len);
    ob_free(m);
    /* every cut inside the graph field must be caught; report one message */
    for (size_t cut = 5; cut < len; cut += 7) {
        write_bytes(buf, cut);
        xai_model *mod = (xai_model *)1;
        xai_status s = xai_model_load(path, &mod);
        assert_int_not_equal(s, XAI_OK);
        assert_null(mod);
        assert_non_null(strstr(xai_last_error(), path));
    }
    write_bytes(buf, len / 2);
    expect_fail(XAI_ERR_PARSE, "truncated", "truncated", NULL);
    free(buf);
}

static void graph_level(void **state)
{
    (void)state;
    ob_model *m = valid();
    /* W declares 3x4 but carries 5 floats */
    m->graph->initializer[0]->raw_data.len = 5 * 4;
    ob_write(m, path);
    ob_free(m);
    expect_fail(XAI_ERR_PARSE, "missing initializer data", "'W'", "5 values for 12", NULL);

    m = valid();
    free(m->graph->node[0]->input[1]);
    m->graph->node[0]->input[1] = strdup("W_missing");
    ob_write(m, path);
    ob_free(m);
    expect_fail(XAI_ERR_PARSE, "dangling", "node 'fc'", "'W_missing'", "dangling", NULL);

    m = valid();
    free(m->graph->node[1]->op_type);
    m->graph->node[1]->op_type = strdup("Hardmax");
    ob_write(m, path);
    ob_free(m);
    expect_fail(XAI_ERR_UNSUPPORTED, "unsupported op", "node 'sm'", "Hardmax",
                "opset 13", NULL);

    m = valid();
    m->graph->input[0]->type->tensor_type->shape->dim[1]->dim_value = 5;
    ob_write(m, path);
    ob_free(m);
    expect_fail(XAI_ERR_SHAPE, "input width", "node 'fc'", "5 columns", "expects 4", NULL);

    m = valid();
    m->graph->output[0]->type->tensor_type->shape->dim[1]->dim_value = 7;
    ob_write(m, path);
    ob_free(m);
    expect_fail(XAI_ERR_SHAPE, "declared output", "graph output 'y'", NULL);
}

static void absurd_dimensions(void **state)
{
    (void)state;
    /* an input of 10^15 floats per row */
    ob_model *m = ob_new(13);
    ob_input(m, "x", 4, (int64_t[]){1, 100000, 100000, 100000});
    ob_output(m, "y", 0, NULL);
    ob_add(m, "Relu", "r", "x", "y");
    ob_write(m, path);
    ob_free(m);
    expect_fail(XAI_ERR_UNSUPPORTED, "absurd input", "graph input 'x'", "absurd", NULL);

    /* a weight declaring terabytes with a few bytes of data */
    m = valid();
    Onnx__TensorProto *t = m->graph->initializer[0];
    t->dims[0] = 1000000;
    t->dims[1] = 1000000;
    ob_write(m, path);
    ob_free(m);
    expect_fail(XAI_ERR_UNSUPPORTED, "absurd weight", "initializer 'W'", "absurd", NULL);

    /* a node whose output would be absurd (padding by 10^12) */
    m = ob_new(13);
    ob_input(m, "x", 2, (int64_t[]){1, 4});
    ob_output(m, "y", 0, NULL);
    ob_init_i(m, "pads", 1, (int64_t[]){4}, (int64_t[]){0, 0, 0, 1000000000000});
    ob_add(m, "Pad", "pd", "x,pads", "y");
    ob_write(m, path);
    ob_free(m);
    expect_fail(XAI_ERR_UNSUPPORTED, "absurd node output", "node 'pd'", "absurd", NULL);
}

/* Inputs found by the libFuzzer target tests/fuzz/fuzz_onnx.c, rebuilt with
 * the model builder (the raw finds are bit flips of the fixture models). */
static void fuzz_regressions(void **state)
{
    (void)state;
    /* Gemm transB=33 once indexed dims[33] of a rank-6 array */
    ob_model *m = valid();
    m->graph->node[0]->attribute[0]->i = 33;
    ob_write(m, path);
    ob_free(m);
    expect_fail(XAI_ERR_PARSE, "Gemm transB", "node 'fc'", "transA and transB must be 0 or 1",
                NULL);

    /* a MaxPool with an empty output name read the tensor at index -1 */
    m = ob_new(13);
    ob_input(m, "x", 4, (int64_t[]){1, 1, 4, 4});
    ob_output(m, "y", 0, NULL);
    ob_attr_ints(ob_add(m, "MaxPool", "mp", "x", ""), "kernel_shape", 2,
                 (int64_t[]){2, 2});
    ob_add(m, "Relu", "r", "x", "y");
    ob_write(m, path);
    ob_free(m);
    expect_fail(XAI_ERR_PARSE, "no output", "node 'mp'", "no (first) output", NULL);

    /* an empty string attribute and an empty initializer unpack with NULL
     * data: both load (memcpy from NULL was undefined, caught by make asan) */
    m = valid();
    ob_attr_s(m->graph->node[0], "note", "");
    ob_init_f(m, "unused", 1, (int64_t[]){0}, NULL);
    ob_write(m, path);
    ob_free(m);
    xai_model *mod;
    assert_int_equal(xai_model_load(path, &mod), XAI_OK);
    assert_int_equal(xai_model_output_size(mod), 3);
    xai_model_free(mod);
}

static int setup(void **state)
{
    (void)state;
    tmp_file(path, sizeof path, "xai_bad");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(path);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(baseline_loads),
        cmocka_unit_test(file_level),
        cmocka_unit_test(truncated),
        cmocka_unit_test(graph_level),
        cmocka_unit_test(absurd_dimensions),
        cmocka_unit_test(fuzz_regressions),
    };
    return cmocka_run_group_tests_name("onnx_malformed", tests, setup, teardown);
}
