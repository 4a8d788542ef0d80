/* tests/test_ops_grad.c: every op's VJP against central finite differences
 * of its forward (accumulated in double), on small models built in memory:
 * broadcasting, strided / padded / dilated / grouped / depthwise conv, pools
 * with padding and ceil mode, and the shape ops as PyTorch emits them.  The
 * last test checks that every op with a backward was exercised here. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <xai/xai.h>

#include "core/graph.h"
#include "support/onnx_build.h"

enum { GEN_NORMAL, GEN_GRID };

static const char *covered[64];
static int n_covered;

static void note_ops(const ob_model *m)
{
    for (size_t i = 0; i < m->graph->n_node; i++) {
        const char *op = m->graph->node[i]->op_type;
        int seen = 0;
        for (int k = 0; k < n_covered; k++)
            seen |= strcmp(covered[k], op) == 0;
        if (!seen && n_covered < 64 && g_op_find(op) >= 0)
            covered[n_covered++] = g_ops[g_op_find(op)].name;
    }
}

/* Inputs away from the kinks of Relu / Clip (0, -0.5, 0.7) by >= 0.02; GEN_GRID
 * gives distinct values 0.013 apart (no ties for MaxPool). */
static void make_input(int gen, xai_rng *rng, float *x, size_t len)
{
    if (gen == GEN_GRID) {
        for (size_t i = 0; i < len; i++)
            x[i] = ((float)i - (float)len / 2 + 0.5f) * 0.013f;
        for (size_t i = len; i-- > 1;) {
            size_t j = (size_t)xai_rng_below(rng, i + 1);
            float t = x[i];
            x[i] = x[j];
            x[j] = t;
        }
        return;
    }
    static const float kinks[3] = {0.0f, -0.5f, 0.7f};
    for (size_t i = 0; i < len; i++) {
        float v = (float)xai_rng_normal(rng);
        for (int k = 0; k < 3; k++)
            if (fabsf(v - kinks[k]) < 0.02f)
                v = kinks[k] + (v >= kinks[k] ? 0.05f : -0.05f);
        x[i] = v;
    }
}

/* Loads the model, compares J^T dy with central differences on n rows. */
static void check_fd(const char *label, ob_model *mm, int gen)
{
    char path[] = "/tmp/xai_opgrad_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    ob_write(mm, path);
    note_ops(mm);
    ob_free(mm);
    xai_model *m;
    xai_status s = xai_model_load(path, &m);
    unlink(path);
    if (s != XAI_OK)
        fail_msg("%s: %s", label, xai_last_error());
    enum { N = 3 };
    size_t D = xai_model_input_size(m), K = xai_model_output_size(m);
    float *x = malloc(N * D * sizeof *x), *dy = malloc(N * K * sizeof *dy),
          *dx = malloc(N * D * sizeof *dx), *xs = malloc(2 * D * D * sizeof *xs),
          *ys = malloc(2 * D * K * sizeof *ys);
    assert_true(x && dy && dx && xs && ys);
    xai_rng rng;
    xai_rng_init(&rng, 1234, (uint64_t)strlen(label));
    make_input(gen, &rng, x, N * D);
    for (size_t i = 0; i < N * K; i++)
        dy[i] = (float)xai_rng_normal(&rng);
    xai_runner *r;
    assert_int_equal(xai_runner_new(m, &r), XAI_OK);
    assert_int_equal(xai_runner_vjp(r, XAI_OUTPUT_PROB, x, N, dy, dx, NULL), XAI_OK);
    double worst = 0, scale = 1e-3;
    for (size_t i = 0; i < N; i++) {
        const float *xi = x + i * D;
        for (size_t j = 0; j < D; j++) {
            memcpy(xs + 2 * j * D, xi, D * sizeof *xs);
            memcpy(xs + (2 * j + 1) * D, xi, D * sizeof *xs);
            xs[2 * j * D + j] += 1e-3f;
            xs[(2 * j + 1) * D + j] -= 1e-3f;
        }
        assert_int_equal(xai_runner_forward(r, XAI_OUTPUT_PROB, xs, 2 * D, ys), XAI_OK);
        for (size_t j = 0; j < D; j++) {
            double h2 = (double)xs[2 * j * D + j] - (double)xs[(2 * j + 1) * D + j], acc = 0;
            for (size_t k = 0; k < K; k++)
                acc += (double)dy[i * K + k] *
                       ((double)ys[2 * j * K + k] - (double)ys[(2 * j + 1) * K + k]);
            double fdv = acc / h2;
            scale = fmax(scale, fabs(fdv));
            worst = fmax(worst, fabs(fdv - (double)dx[i * D + j]));
        }
    }
    if (worst > 5e-3 * scale)
        fail_msg("%s: VJP differs from finite differences by %.3g (scale %.3g)", label,
                 worst, scale);
    xai_runner_free(r);
    xai_model_free(m);
    free(x); free(dy); free(dx); free(xs); free(ys);
}

static float *randv(size_t n, uint64_t stream)
{
    static float buf[8][512];
    static int slot;
    float *p = buf[slot++ % 8];
    xai_rng rng;
    xai_rng_init(&rng, 99, stream);
    for (size_t i = 0; i < n && i < 512; i++)
        p[i] = (float)xai_rng_normal(&rng);
    return p;
}

/* x (rank, dims) -> OP -> y, one node with optional attributes set by caller. */
static ob_model *one(const char *op, int rank, const int64_t *dims, const char *inputs,
                     ob_node **nd)
{
    ob_model *m = ob_new(13);
    ob_input(m, "x", rank, dims);
    ob_output(m, "y", 0, NULL);
    *nd = ob_add(m, op, "n0", inputs, "y");
    return m;
}

static void gemm(void **state)
{
    (void)state;
    ob_node *nd;
    ob_model *m = one("Gemm", 2, (int64_t[]){1, 4}, "x,W,C", &nd);
    ob_init_f(m, "W", 2, (int64_t[]){3, 4}, randv(12, 1));
    ob_init_f(m, "C", 1, (int64_t[]){3}, randv(3, 2));
    ob_attr_i(nd, "transB", 1);
    ob_attr_f(nd, "alpha", 0.7f);
    ob_attr_f(nd, "beta", 1.3f);
    check_fd("gemm transB", m, GEN_NORMAL);
    m = one("Gemm", 2, (int64_t[]){1, 4}, "x,W,C", &nd);
    ob_init_f(m, "W", 2, (int64_t[]){4, 3}, randv(12, 3));
    ob_init_f(m, "C", 2, (int64_t[]){1, 3}, randv(3, 4));
    check_fd("gemm", m, GEN_NORMAL);
}

static void matmul(void **state)
{
    (void)state;
    ob_node *nd;
    ob_model *m = one("MatMul", 3, (int64_t[]){1, 2, 4}, "x,B", &nd);
    ob_init_f(m, "B", 2, (int64_t[]){4, 3}, randv(12, 5));
    check_fd("matmul rank 3", m, GEN_NORMAL);
}

/* y = (c23 - (x + c3)) * x / cpos / (x * x + 1): broadcasting on both sides
 * and products of two computed tensors. */
static void binary_broadcast(void **state)
{
    (void)state;
    ob_model *m = ob_new(13);
    ob_input(m, "x", 3, (int64_t[]){1, 2, 3});
    ob_output(m, "y", 0, NULL);
    ob_init_f(m, "c3", 1, (int64_t[]){3}, randv(3, 6));
    ob_init_f(m, "c21", 2, (int64_t[]){2, 1}, randv(2, 7));
    float pos[6] = {1.5f, 2.0f, 0.7f, 1.1f, 3.0f, 0.9f}, one_[1] = {1.0f};
    ob_init_f(m, "cpos", 3, (int64_t[]){1, 2, 3}, pos);
    ob_init_f(m, "one", 1, (int64_t[]){1}, one_);
    ob_add(m, "Add", "a", "x,c3", "a");
    ob_add(m, "Sub", "b", "c21,a", "b");
    ob_add(m, "Mul", "c", "b,x", "c");
    ob_add(m, "Div", "d", "c,cpos", "d");
    ob_add(m, "Mul", "sq", "x,x", "sq");
    ob_add(m, "Add", "den", "sq,one", "den");
    ob_add(m, "Div", "y", "d,den", "y");
    check_fd("binary broadcasting", m, GEN_NORMAL);
}

/* Tensors read by two ops that write their input gradient when they are its
 * only reader (Gemm, MatMul, Relu; the runner then skips zeroing it): with
 * two readers both contributions must add up.  x feeds Gemm and Relu, h
 * feeds Relu and MatMul. */
static void shared_gradients(void **state)
{
    (void)state;
    ob_model *m = ob_new(13);
    ob_input(m, "x", 2, (int64_t[]){1, 4});
    ob_output(m, "y", 0, NULL);
    ob_init_f(m, "W1", 2, (int64_t[]){4, 3}, randv(12, 21));
    ob_init_f(m, "C1", 1, (int64_t[]){3}, randv(3, 22));
    ob_init_f(m, "B2", 2, (int64_t[]){3, 3}, randv(9, 23));
    ob_init_f(m, "B3", 2, (int64_t[]){4, 3}, randv(12, 24));
    ob_add(m, "Gemm", "h", "x,W1,C1", "h");
    ob_add(m, "Relu", "a", "h", "a");
    ob_add(m, "MatMul", "b", "h,B2", "b");
    ob_add(m, "Relu", "c", "x", "c");
    ob_add(m, "MatMul", "d", "c,B3", "d");
    ob_add(m, "Add", "ab", "a,b", "ab");
    ob_add(m, "Add", "y", "ab,d", "y");
    check_fd("shared gradients", m, GEN_NORMAL);
}

static void unary(void **state)
{
    (void)state;
    const char *ops[] = {"Relu", "LeakyRelu", "Sigmoid", "Tanh", "Exp"};
    for (int i = 0; i < 5; i++) {
        ob_node *nd;
        ob_model *m = one(ops[i], 2, (int64_t[]){1, 5}, "x", &nd);
        if (i == 1)
            ob_attr_f(nd, "alpha", 0.2f);
        check_fd(ops[i], m, GEN_NORMAL);
    }
    ob_node *nd;
    ob_model *m = one("Clip", 2, (int64_t[]){1, 8}, "x,lo,hi", &nd);
    ob_init_f(m, "lo", 0, NULL, (float[]){-0.5f});
    ob_init_f(m, "hi", 0, NULL, (float[]){0.7f});
    check_fd("Clip", m, GEN_NORMAL);
}

static void softmax(void **state)
{
    (void)state;
    ob_node *nd;
    ob_model *m = one("Softmax", 3, (int64_t[]){1, 2, 3}, "x", &nd);
    check_fd("softmax last axis", m, GEN_NORMAL);
    m = one("Softmax", 3, (int64_t[]){1, 3, 2}, "x", &nd);
    ob_attr_i(nd, "axis", 1);
    check_fd("softmax middle axis", m, GEN_NORMAL);
    m = one("LogSoftmax", 2, (int64_t[]){1, 4}, "x", &nd);
    ob_attr_i(nd, "axis", 1);
    check_fd("logsoftmax", m, GEN_NORMAL);
    m = one("LogSoftmax", 3, (int64_t[]){1, 3, 2}, "x", &nd);
    ob_attr_i(nd, "axis", 1);
    m->opset_import[0]->version = 11; /* coerced to 2-D: over 3 x 2 values */
    check_fd("logsoftmax opset 11", m, GEN_NORMAL);
}

static void conv(void **state)
{
    (void)state;
    ob_node *nd;
    ob_model *m = one("Conv", 4, (int64_t[]){1, 2, 7, 6}, "x,W,B", &nd);
    ob_init_f(m, "W", 4, (int64_t[]){4, 2, 3, 3}, randv(72, 8));
    ob_init_f(m, "B", 1, (int64_t[]){4}, randv(4, 9));
    ob_attr_ints(nd, "pads", 4, (int64_t[]){1, 0, 2, 1});
    ob_attr_ints(nd, "strides", 2, (int64_t[]){2, 1});
    ob_attr_ints(nd, "dilations", 2, (int64_t[]){1, 2});
    check_fd("conv padded strided dilated", m, GEN_NORMAL);
    m = one("Conv", 4, (int64_t[]){1, 3, 5, 5}, "x,W,B", &nd);
    ob_init_f(m, "W", 4, (int64_t[]){6, 1, 3, 3}, randv(54, 10));
    ob_init_f(m, "B", 1, (int64_t[]){6}, randv(6, 11));
    ob_attr_i(nd, "group", 3);
    ob_attr_ints(nd, "pads", 4, (int64_t[]){1, 1, 1, 1});
    ob_attr_ints(nd, "strides", 2, (int64_t[]){2, 2});
    check_fd("conv depthwise (multiplier 2)", m, GEN_NORMAL);
    m = one("Conv", 4, (int64_t[]){1, 4, 4, 4}, "x,W", &nd);
    ob_init_f(m, "W", 4, (int64_t[]){2, 2, 2, 2}, randv(16, 12));
    ob_attr_i(nd, "group", 2);
    check_fd("conv 2 groups, no bias", m, GEN_NORMAL);
    m = one("Conv", 4, (int64_t[]){1, 2, 5, 4}, "x,W", &nd);
    ob_init_f(m, "W", 4, (int64_t[]){3, 2, 3, 2}, randv(36, 13));
    ob_attr_s(nd, "auto_pad", "SAME_UPPER");
    check_fd("conv SAME_UPPER", m, GEN_NORMAL);
}

static void pools(void **state)
{
    (void)state;
    ob_node *nd;
    ob_model *m = one("MaxPool", 4, (int64_t[]){1, 2, 5, 5}, "x", &nd);
    ob_attr_ints(nd, "kernel_shape", 2, (int64_t[]){3, 3});
    ob_attr_ints(nd, "strides", 2, (int64_t[]){2, 2});
    ob_attr_ints(nd, "pads", 4, (int64_t[]){1, 1, 1, 1});
    check_fd("maxpool padded", m, GEN_GRID);
    m = one("MaxPool", 4, (int64_t[]){1, 1, 5, 5}, "x", &nd);
    ob_attr_ints(nd, "kernel_shape", 2, (int64_t[]){2, 2});
    ob_attr_ints(nd, "strides", 2, (int64_t[]){2, 2});
    ob_attr_i(nd, "ceil_mode", 1);
    check_fd("maxpool ceil", m, GEN_GRID);
    for (int cip = 0; cip < 2; cip++) {
        m = one("AveragePool", 4, (int64_t[]){1, 2, 5, 4}, "x", &nd);
        ob_attr_ints(nd, "kernel_shape", 2, (int64_t[]){3, 3});
        ob_attr_ints(nd, "strides", 2, (int64_t[]){2, 2});
        ob_attr_ints(nd, "pads", 4, (int64_t[]){1, 1, 1, 1});
        ob_attr_i(nd, "count_include_pad", cip);
        check_fd(cip ? "avgpool count_include_pad" : "avgpool", m, GEN_NORMAL);
    }
    m = one("GlobalAveragePool", 4, (int64_t[]){1, 3, 4, 5}, "x", &nd);
    check_fd("global average pool", m, GEN_NORMAL);
}

static void batchnorm(void **state)
{
    (void)state;
    ob_node *nd;
    ob_model *m = one("BatchNormalization", 4, (int64_t[]){1, 3, 2, 2}, "x,s,b,mu,var", &nd);
    ob_init_f(m, "s", 1, (int64_t[]){3}, randv(3, 14));
    ob_init_f(m, "b", 1, (int64_t[]){3}, randv(3, 15));
    ob_init_f(m, "mu", 1, (int64_t[]){3}, randv(3, 16));
    ob_init_f(m, "var", 1, (int64_t[]){3}, (float[]){0.5f, 2.0f, 1.3f});
    ob_attr_f(nd, "epsilon", 1e-3f);
    check_fd("batchnorm", m, GEN_NORMAL);
}

/* Transpose, Pad, the x.view(x.size(0), -1) sub-graph (Shape, Gather,
 * Unsqueeze, Constant, Concat, Reshape), Slice of a shape, Flatten,
 * Identity, Dropout, Cast, dynamic Unsqueeze and Concat. */
static void shape_ops(void **state)
{
    (void)state;
    ob_model *m = ob_new(13);
    ob_input(m, "x", 4, (int64_t[]){1, 2, 3, 2});
    ob_output(m, "y", 0, NULL);
    ob_node *nd = ob_add(m, "Transpose", "t", "x", "t");
    ob_attr_ints(nd, "perm", 4, (int64_t[]){0, 2, 3, 1});
    ob_init_i(m, "pads", 1, (int64_t[]){8}, (int64_t[]){0, 1, 0, 0, 0, 0, 1, 2});
    ob_add(m, "Pad", "p", "t,pads", "p"); /* [n, 4, 3, 4] */
    ob_add(m, "Shape", "s", "p", "s");
    ob_init_i(m, "zero", 0, NULL, (int64_t[]){0});
    ob_add(m, "Gather", "g", "s,zero", "g");
    ob_init_i(m, "ax0", 1, (int64_t[]){1}, (int64_t[]){0});
    ob_add(m, "Unsqueeze", "u", "g,ax0", "u");
    nd = ob_add(m, "Constant", "c", "", "minus1");
    ob_attr_ints(nd, "value_ints", 1, (int64_t[]){-1});
    ob_attr_i(ob_add(m, "Concat", "shp", "u,minus1", "shp"), "axis", 0);
    ob_add(m, "Reshape", "r", "p,shp", "r"); /* [n, 48] */
    ob_init_i(m, "st", 1, (int64_t[]){1}, (int64_t[]){0});
    ob_init_i(m, "en", 1, (int64_t[]){1}, (int64_t[]){1});
    ob_add(m, "Slice", "sl", "s,st,en", "s0");
    ob_attr_i(ob_add(m, "Concat", "shp2", "s0,minus1", "shp2"), "axis", 0);
    ob_add(m, "Reshape", "r2", "t,shp2", "r2"); /* [n, 12] */
    nd = ob_add(m, "Flatten", "f", "p", "f");   /* [n, 48] */
    ob_attr_i(nd, "axis", 1);
    ob_add(m, "Identity", "id", "r", "id");
    ob_add(m, "Dropout", "dr", "f", "dr");
    nd = ob_add(m, "Cast", "ca", "dr", "ca");
    ob_attr_i(nd, "to", 1);
    ob_init_f(m, "w48", 1, (int64_t[]){48}, randv(48, 17));
    ob_init_f(m, "w12", 1, (int64_t[]){12}, randv(12, 18));
    ob_add(m, "Mul", "m1", "id,w48", "m1");
    ob_add(m, "Mul", "m2", "ca,m1", "m2");    /* quadratic: not just a copy */
    ob_add(m, "Mul", "m3", "r2,w12", "m3");
    ob_init_i(m, "ax1", 1, (int64_t[]){1}, (int64_t[]){1});
    ob_add(m, "Unsqueeze", "uq", "m2,ax1", "uq"); /* [n, 1, 48] */
    ob_add(m, "Flatten", "f2", "uq", "f2");
    nd = ob_add(m, "Concat", "cc", "f2,m3", "y"); /* [n, 60] */
    ob_attr_i(nd, "axis", 1);
    check_fd("shape ops", m, GEN_NORMAL);
}

static void every_op_covered(void **state)
{
    (void)state;
    for (int i = 0; i < OP_COUNT; i++) {
        assert_non_null(g_ops[i].name);
        assert_non_null(g_ops[i].infer);
        if (!g_ops[i].backward)
            continue;
        int seen = 0;
        for (int k = 0; k < n_covered; k++)
            seen |= strcmp(covered[k], g_ops[i].name) == 0;
        if (!seen)
            fail_msg("op %s has a backward but no gradient test", g_ops[i].name);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gemm),      cmocka_unit_test(matmul),
        cmocka_unit_test(binary_broadcast), cmocka_unit_test(shared_gradients),
        cmocka_unit_test(unary),
        cmocka_unit_test(softmax),   cmocka_unit_test(conv),
        cmocka_unit_test(pools),     cmocka_unit_test(batchnorm),
        cmocka_unit_test(shape_ops), cmocka_unit_test(every_op_covered),
    };
    return cmocka_run_group_tests_name("ops_grad", tests, NULL, NULL);
}
