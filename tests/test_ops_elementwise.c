/* tests/test_ops_elementwise.c: Add, Sub, Mul, Div and Relu, forward and VJP,
 * against the same IEEE operation done one element at a time here.  Each
 * output element is one rounding of one operation, so every vector path
 * (AVX-512 with masked tails, SSE, scalar) must give exactly these bits.
 * Row lengths 1, 3, 16, 17 and 40 cover full vectors and tails; the
 * constant operand is a full row, one value broadcast along the row, or a
 * column broadcast over a rank-3 tensor, and on either side of the op. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <xai/xai.h>

#include "support/onnx_build.h"

enum { ADD, SUB, MUL, DIV };
static const char *const op_name[4] = {"Add", "Sub", "Mul", "Div"};

static float apply(int op, float a, float b)
{
    volatile float r; /* one rounding, no contraction */
    switch (op) {
    case ADD: r = a + b; break;
    case SUB: r = a - b; break;
    case MUL: r = a * b; break;
    default: r = a / b; break;
    }
    return r;
}

/* d(op(a, b))/da times g, and d/db times g, as the ops define them */
static float grad_a(int op, float g, float b)
{
    return op == MUL ? apply(MUL, g, b) : op == DIV ? apply(DIV, g, b) : g;
}

static float value(size_t i, uint64_t salt)
{
    /* away from 0 so Div is well defined; varied mantissas */
    uint64_t h = (i + 1) * 0x9E3779B97F4A7C15ull ^ salt * 0xBF58476D1CE4E5B9ull;
    h ^= h >> 31;
    float v = 0.25f + (float)(h % 10007) / 2500.0f;
    return (h >> 20) & 1 ? -v : v;
}

enum { LAYOUT_ROW, LAYOUT_SCALAR, LAYOUT_COLUMN };

/* y = op(x, c) (or op(c, x) when swapped) for x of shape [n, rows, L] */
static void check(int op, int layout, int swapped, int64_t rows, int64_t L)
{
    ob_model *m = ob_new(13);
    ob_input(m, "x", 3, (int64_t[]){1, rows, L});
    ob_output(m, "y", 0, NULL);
    size_t nc = layout == LAYOUT_ROW ? (size_t)L : layout == LAYOUT_COLUMN ? (size_t)rows : 1;
    float *c = malloc(nc * sizeof *c);
    for (size_t i = 0; i < nc; i++)
        c[i] = value(i, 7);
    if (layout == LAYOUT_ROW)
        ob_init_f(m, "c", 1, (int64_t[]){L}, c);
    else if (layout == LAYOUT_COLUMN)
        ob_init_f(m, "c", 2, (int64_t[]){rows, 1}, c);
    else
        ob_init_f(m, "c", 0, NULL, c);
    ob_add(m, op_name[op], "n0", swapped ? "c,x" : "x,c", "y");
    xai_model *mod;
    xai_status s = ob_load(m, &mod);
    if (s != XAI_OK)
        fail_msg("%s: %s", op_name[op], xai_last_error());
    enum { N = 3 };
    size_t D = (size_t)(rows * L);
    float *x = malloc(N * D * sizeof *x), *y = malloc(N * D * sizeof *y),
          *dy = malloc(N * D * sizeof *dy), *dx = malloc(N * D * sizeof *dx);
    for (size_t i = 0; i < N * D; i++) {
        x[i] = value(i, 1);
        dy[i] = value(i, 2);
    }
    xai_runner *r;
    assert_int_equal(xai_runner_new(mod, &r), XAI_OK);
    assert_int_equal(xai_runner_vjp(r, XAI_OUTPUT_SCORE, x, N, dy, dx, y), XAI_OK);
    for (size_t i = 0; i < N * D; i++) {
        size_t within = i % D, row = within / (size_t)L, col = within % (size_t)L;
        float cv = layout == LAYOUT_ROW ? c[col] : layout == LAYOUT_COLUMN ? c[row] : c[0];
        float want = swapped ? apply(op, cv, x[i]) : apply(op, x[i], cv);
        /* d/dx: x is operand a unless swapped */
        float gwant = !swapped ? grad_a(op, dy[i], cv)
                      : op == ADD ? dy[i]
                      : op == SUB ? -dy[i]
                      : op == MUL ? apply(MUL, dy[i], cv)
                                  : apply(DIV, apply(MUL, -dy[i], cv), apply(MUL, x[i], x[i]));
        if (memcmp(&y[i], &want, sizeof want) != 0 || !(dx[i] == gwant))
            fail_msg("%s%s layout %d, %lld x %lld, element %zu: y %.9g (want %.9g), "
                     "dx %.9g (want %.9g)", op_name[op], swapped ? " swapped" : "", layout,
                     (long long)rows, (long long)L, i, y[i], want, dx[i], gwant);
    }
    xai_runner_free(r);
    xai_model_free(mod);
    free(c), free(x), free(y), free(dy), free(dx);
}

static void every_op_layout_and_length(void **state)
{
    (void)state;
    static const int64_t lengths[] = {1, 3, 16, 17, 40};
    for (int op = 0; op < 4; op++)
        for (int layout = 0; layout < 3; layout++)
            for (int swapped = 0; swapped < 2; swapped++)
                for (size_t k = 0; k < sizeof lengths / sizeof *lengths; k++)
                    check(op, layout, swapped, 2, lengths[k]);
}

/* y = Relu(x) (+ x when `twice`: then x has two readers and Relu's VJP adds
 * into dx), on lengths around the vector width, with zeros of both signs
 * and values just either side of 0. */
static void relu_case(int twice, int64_t L)
{
    ob_model *m = ob_new(13);
    ob_input(m, "x", 2, (int64_t[]){1, L});
    ob_output(m, "y", 0, NULL);
    ob_add(m, "Relu", "r", "x", twice ? "r" : "y");
    if (twice)
        ob_add(m, "Add", "a", "r,x", "y");
    xai_model *mod;
    xai_status s = ob_load(m, &mod);
    if (s != XAI_OK)
        fail_msg("Relu: %s", xai_last_error());
    enum { N = 3 };
    size_t D = (size_t)L;
    float *x = malloc(N * D * sizeof *x), *y = malloc(N * D * sizeof *y),
          *dy = malloc(N * D * sizeof *dy), *dx = malloc(N * D * sizeof *dx);
    static const float special[6] = {0.0f, -0.0f, 1e-30f, -1e-30f, 2.5f, -3.0f};
    for (size_t i = 0; i < N * D; i++) {
        x[i] = i % 3 == 0 ? special[(i / 3) % 6] : value(i, 3);
        dy[i] = value(i, 4);
    }
    xai_runner *r;
    assert_int_equal(xai_runner_new(mod, &r), XAI_OK);
    assert_int_equal(xai_runner_vjp(r, XAI_OUTPUT_SCORE, x, N, dy, dx, y), XAI_OK);
    for (size_t i = 0; i < N * D; i++) {
        float rel = x[i] > 0 ? x[i] : 0.0f, g = x[i] > 0 ? dy[i] : 0.0f;
        float want = twice ? apply(ADD, rel, x[i]) : rel;
        float gwant = twice ? apply(ADD, dy[i], g) : g;
        if (memcmp(&y[i], &want, sizeof want) != 0 || memcmp(&dx[i], &gwant, sizeof gwant))
            fail_msg("Relu%s length %lld, element %zu (x %g): y %g (want %g), dx %g "
                     "(want %g)", twice ? " + x" : "", (long long)L, i, x[i], y[i], want,
                     dx[i], gwant);
    }
    xai_runner_free(r);
    xai_model_free(mod);
    free(x), free(y), free(dy), free(dx);
}

static void relu_lengths_and_zeros(void **state)
{
    (void)state;
    static const int64_t lengths[] = {1, 3, 16, 17, 40};
    for (size_t k = 0; k < sizeof lengths / sizeof *lengths; k++) {
        relu_case(0, lengths[k]);
        relu_case(1, lengths[k]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_op_layout_and_length),
        cmocka_unit_test(relu_lengths_and_zeros),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
