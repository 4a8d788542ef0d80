/* core/ops_binary.c: Add, Sub, Mul, Div with numpy broadcasting.  Int64
 * constants (shape arithmetic) are folded here at load time. */
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "error.h"
#include "ops.h"
#include "simd.h"

/* Strides of v inside the broadcast shape of o (0 along broadcast axes). */
static void bc_strides(const g_view *o, const g_view *v, int64_t *s)
{
    int64_t st = 1;
    for (int i = o->rank - 1; i >= 0; i--) {
        int iv = i - (o->rank - v->rank);
        if (iv < 0) {
            s[i] = 0;
            continue;
        }
        s[i] = v->d[iv] == 1 ? 0 : st;
        st *= v->d[iv];
    }
}

enum { B_ADD, B_SUB, B_MUL, B_DIV };

/* Walks o in rows of its last axis; calls the kernel with row offsets. */
#define BC_LOOP(o, a, b, ...)                                                 \
    do {                                                                       \
        int64_t sa_[G_MAX_RANK], sb_[G_MAX_RANK];                              \
        bc_strides(o, a, sa_);                                                 \
        bc_strides(o, b, sb_);                                                 \
        int R_ = (o)->rank;                                                    \
        int64_t inner = R_ ? (o)->d[R_ - 1] : 1;                               \
        int64_t ia = R_ ? sa_[R_ - 1] : 0, ib = R_ ? sb_[R_ - 1] : 0;          \
        size_t rows_ = inner ? (o)->numel / (size_t)inner : 0;                 \
        for (size_t row = 0; row < rows_; row++) {                             \
            size_t rem_ = row;                                                 \
            int64_t oa = 0, ob = 0;                                            \
            for (int i_ = R_ - 2; i_ >= 0; i_--) {                             \
                int64_t ix_ = (int64_t)(rem_ % (size_t)(o)->d[i_]);            \
                rem_ /= (size_t)(o)->d[i_];                                    \
                oa += ix_ * sa_[i_];                                           \
                ob += ix_ * sb_[i_];                                           \
            }                                                                  \
            size_t oo = row * (size_t)inner;                                   \
            __VA_ARGS__                                                        \
        }                                                                      \
    } while (0)

/* One contiguous output row.  The common layouts (a and b contiguous, or
 * one of them a broadcast scalar along the row) get loops with the op chosen
 * outside them, so they vectorise; every element is the same single IEEE
 * operation in every path. */
#define ROW_OP(EXPR)                                                           \
    do {                                                                       \
        if (ia == 1 && ib == 1)                                                \
            for (int64_t j = 0; j < n; j++) {                                  \
                float x = A[j], z = B[j];                                      \
                Y[j] = EXPR;                                                   \
            }                                                                  \
        else if (ia == 1 && ib == 0)                                           \
            for (int64_t j = 0, z0 = 0; j < n; j++) {                          \
                float x = A[j], z = B[z0];                                     \
                Y[j] = EXPR;                                                   \
            }                                                                  \
        else                                                                   \
            for (int64_t j = 0; j < n; j++) {                                  \
                float x = A[j * ia], z = B[j * ib];                            \
                Y[j] = EXPR;                                                   \
            }                                                                  \
    } while (0)

/* Both operands contiguous: 4 lanes at a time with SSE (baseline on
 * x86-64); addps/subps/mulps/divps round each lane as the scalar op does. */
#ifdef __SSE2__
#define SSE_ROW(INTR)                                                          \
    for (; j + 4 <= n; j += 4)                                                 \
        _mm_storeu_ps(Y + j, INTR(_mm_loadu_ps(A + j), _mm_loadu_ps(B + j)))
static int64_t fwd_row_sse(int kind, const float *A, const float *B, float *Y, int64_t n)
{
    int64_t j = 0;
    switch (kind) {
    case B_ADD: SSE_ROW(_mm_add_ps); break;
    case B_SUB: SSE_ROW(_mm_sub_ps); break;
    case B_MUL: SSE_ROW(_mm_mul_ps); break;
    default: SSE_ROW(_mm_div_ps); break;
    }
    return j;
}
#endif

#ifdef G_X86
/* One row with AVX-512, the tail masked: y = a op b with b contiguous
 * (ib = 1) or one value broadcast along the row (ib = 0). */
__attribute__((target("avx512f"))) static void fwd_row_512(int kind, const float *A,
                                                            const float *B, int64_t ib,
                                                            float *Y, int64_t n)
{
    for (int64_t j = 0; j < n; j += 16) {
        __mmask16 m = n - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - j)) - 1);
        __m512 x = _mm512_maskz_loadu_ps(m, A + j);
        __m512 z = ib ? _mm512_maskz_loadu_ps(m, B + j) : _mm512_set1_ps(B[0]);
        __m512 y = kind == B_ADD   ? _mm512_add_ps(x, z)
                   : kind == B_SUB ? _mm512_sub_ps(x, z)
                   : kind == B_MUL ? _mm512_mul_ps(x, z)
                                   : _mm512_maskz_div_ps(m, x, z);
        _mm512_mask_storeu_ps(Y + j, m, y);
    }
}

/* bwd_row_a's loops with AVX-512: da = 0 + g' (fresh) or da += g', where
 * g' = g, g b or g / b. */
__attribute__((target("avx512f"))) static void bwd_row_a_512(int kind, const float *G,
                                                              const float *B, int64_t ib,
                                                              float *DA, int64_t n, int fresh)
{
    for (int64_t j = 0; j < n; j += 16) {
        __mmask16 m = n - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - j)) - 1);
        __m512 g = _mm512_maskz_loadu_ps(m, G + j);
        __m512 z = ib ? _mm512_maskz_loadu_ps(m, B + j) : _mm512_set1_ps(B[0]);
        __m512 t = kind == B_MUL   ? _mm512_mul_ps(g, z)
                   : kind == B_DIV ? _mm512_maskz_div_ps(m, g, z)
                                   : g;
        __m512 base = fresh ? _mm512_setzero_ps() : _mm512_maskz_loadu_ps(m, DA + j);
        _mm512_mask_storeu_ps(DA + j, m, _mm512_add_ps(base, t));
    }
}
#endif

static void fwd_row(int kind, const float *A, int64_t ia, const float *B, int64_t ib,
                    float *Y, int64_t n)
{
#ifdef G_X86
    if (ia == 1 && (ib == 1 || ib == 0) && g_cpu_avx512()) {
        fwd_row_512(kind, A, B, ib, Y, n);
        return;
    }
#endif
#ifdef __SSE2__
    if (ia == 1 && ib == 1) {
        int64_t j = fwd_row_sse(kind, A, B, Y, n);
        A += j, B += j, Y += j, n -= j;
    }
#endif
    switch (kind) {
    case B_ADD: ROW_OP(x + z); break;
    case B_SUB: ROW_OP(x - z); break;
    case B_MUL: ROW_OP(x * z); break;
    default: ROW_OP(x / z); break;
    }
}

static void bin_fwd(int kind, const g_view *a, const g_view *b, g_view *o)
{
    const float *A = a->p, *B = b->p;
    float *Y = o->p;
    BC_LOOP(o, a, b, { fwd_row(kind, A + oa, ia, B + ob, ib, Y + oo, inner); });
}

/* da += J_a^T dy (da = 0 + J_a^T dy when fresh) along one row when only a
 * needs a gradient and a is contiguous (b a constant: the usual input
 * scaling); 0 when not handled. */
static int bwd_row_a(int kind, const float *G, const float *B, int64_t ib, float *DA,
                     int64_t n, int fresh)
{
#ifdef G_X86
    if ((ib == 1 || ib == 0) && g_cpu_avx512()) {
        bwd_row_a_512(kind, G, B, ib, DA, n, fresh);
        return 1;
    }
#endif
    if (fresh) {
        switch (kind) {
        case B_ADD:
        case B_SUB:
            for (int64_t j = 0; j < n; j++)
                DA[j] = 0.0f + G[j];
            return 1;
        case B_MUL:
            for (int64_t j = 0; j < n; j++)
                DA[j] = 0.0f + G[j] * B[j * ib];
            return 1;
        default:
            for (int64_t j = 0; j < n; j++)
                DA[j] = 0.0f + G[j] / B[j * ib];
            return 1;
        }
    }
    switch (kind) {
    case B_ADD:
    case B_SUB:
        for (int64_t j = 0; j < n; j++)
            DA[j] += G[j];
        return 1;
    case B_MUL:
        for (int64_t j = 0; j < n; j++)
            DA[j] += G[j] * B[j * ib];
        return 1;
    default:
        for (int64_t j = 0; j < n; j++)
            DA[j] += G[j] / B[j * ib];
        return 1;
    }
}

static void bin_bwd(int kind, const g_view *a, const g_view *b, const g_view *o,
                    const g_view *dy, g_view *da, g_view *db)
{
    const float *A = a->p, *B = b->p, *G = dy->p;
    float *DA = da->p, *DB = db->p;
    /* fresh da: written row by row by bwd_row_a when a is not broadcast and
     * its rows are contiguous (last axis longer than 1: ia = 1), else zeroed */
    int fresh = DA && da->fresh && !DB && a->numel == o->numel && o->rank > 0 &&
                a->rank > 0 && a->d[a->rank - 1] == o->d[o->rank - 1] &&
                o->d[o->rank - 1] > 1;
    if (DA && da->fresh && !fresh)
        memset(DA, 0, a->numel * sizeof *DA);
    BC_LOOP(o, a, b, {
        if (DA && !DB && ia == 1 &&
            bwd_row_a(kind, G + oo, B + ob, ib, DA + oa, inner, fresh))
            continue;
        for (int64_t j = 0; j < inner; j++) {
            float g = G[oo + (size_t)j], x = A[oa + j * ia], z = B[ob + j * ib];
            float ga = kind == B_MUL ? g * z : kind == B_DIV ? g / z : g;
            float gb = kind == B_ADD   ? g
                       : kind == B_SUB ? -g
                       : kind == B_MUL ? g * x
                                       : -g * x / (z * z);
            if (DA)
                DA[oa + j * ia] += ga;
            if (DB)
                DB[ob + j * ib] += gb;
        }
    });
}

/* Int64 constant arithmetic for shape sub-graphs (the batch symbol refused). */
static xai_status fold_i64(graph *g, g_node *nd, g_tensor *a, g_tensor *b,
                           int rank, const int64_t *dims)
{
    XAI_TRY(g_set_const(g, nd, 0, rank, dims, G_I64));
    g_tensor *o = &g->t[nd->out[0]];
    a = g_in(g, nd, 0);
    b = g_in(g, nd, 1);
    g_view vo = {NULL, o->rank, {0}, o->numel, 0}, va = {NULL, a->rank, {0}, a->numel, 0},
           vb = {NULL, b->rank, {0}, b->numel, 0};
    memcpy(vo.d, o->dims, sizeof vo.d);
    memcpy(va.d, a->dims, sizeof va.d);
    memcpy(vb.d, b->dims, sizeof vb.d);
    const int64_t *A = a->data, *B = b->data;
    int64_t *Y = o->data;
    int kind = nd->op - OP_ADD;
    int bad = 0;
    BC_LOOP(&vo, &va, &vb, {
        for (int64_t j = 0; j < inner; j++) {
            int64_t x = A[oa + j * ia], z = B[ob + j * ib];
            if (x == G_SYM_BATCH || z == G_SYM_BATCH || (kind == B_DIV && z == 0)) {
                bad = 1;
                continue;
            }
            Y[oo + (size_t)j] = kind == B_ADD   ? x + z
                                : kind == B_SUB ? x - z
                                : kind == B_MUL ? x * z
                                                : x / z;
        }
    });
    if (bad)
        return g_node_fail(g, nd, XAI_ERR_UNSUPPORTED,
                           "arithmetic on the batch size (or division by zero) in "
                           "a shape computation");
    return XAI_OK;
}

G_INFER(binary)
{
    g_tensor *a = g_in(g, nd, 0), *b = g_in(g, nd, 1);
    if (!a || !b || nd->n_in != 2)
        return g_node_fail(g, nd, XAI_ERR_PARSE, "needs exactly two inputs");
    int rank;
    int64_t dims[G_MAX_RANK];
    XAI_TRY(g_broadcast_shape(g, nd, a, b, &rank, dims));
    if (a->dtype != b->dtype)
        return g_node_fail(g, nd, XAI_ERR_UNSUPPORTED,
                           "inputs '%s' and '%s' have different types", a->name, b->name);
    if (a->dtype == G_I64)
        return fold_i64(g, nd, a, b, rank, dims);
    int batched = a->batched || b->batched;
    XAI_TRY(g_set_shape(g, nd, 0, rank, dims, batched, G_F32));
    nd->flops = (double)g->t[nd->out[0]].numel;
    return XAI_OK;
}

G_FWD(add) { (void)nd; (void)ws; bin_fwd(B_ADD, &in[0], &in[1], &out[0]); return XAI_OK; }
G_FWD(sub) { (void)nd; (void)ws; bin_fwd(B_SUB, &in[0], &in[1], &out[0]); return XAI_OK; }
G_FWD(mul) { (void)nd; (void)ws; bin_fwd(B_MUL, &in[0], &in[1], &out[0]); return XAI_OK; }
G_FWD(div) { (void)nd; (void)ws; bin_fwd(B_DIV, &in[0], &in[1], &out[0]); return XAI_OK; }

#define BIN_BWD(name, kind)                                                    \
    G_BWD(name)                                                                \
    {                                                                          \
        (void)nd;                                                              \
        (void)ws;                                                              \
        bin_bwd(kind, &in[0], &in[1], &out[0], &dout[0], &din[0], &din[1]);    \
        return XAI_OK;                                                         \
    }
BIN_BWD(add, B_ADD)
BIN_BWD(sub, B_SUB)
BIN_BWD(mul, B_MUL)
BIN_BWD(div, B_DIV)
