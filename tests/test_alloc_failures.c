/* tests/test_alloc_failures.c: an allocation that fails is reported as
 * XAI_ERR_NOMEM, never a crash.  The test executable defines malloc and
 * calloc (ELF interposition: the library's calls come here too) and, while
 * armed, fails exactly the k-th allocation; every k is tried in turn until
 * a call goes through without reaching it.  Covers the audit's subgroup
 * comparison, whose allocation checks make mutate found untested
 * (subgroups.c: "!G->gap && !G->hi", "... && ms.start || correct ...").
 * Skipped under AddressSanitizer, which owns malloc itself. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <xai/xai.h>

#include "support/models.h"

#if defined(__SANITIZE_ADDRESS__)
#define INJECT 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define INJECT 0
#endif
#endif
#ifndef INJECT
#define INJECT 1
#endif

#if INJECT
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t a, size_t b);

static long countdown; /* 0: disarmed; k: fail the k-th allocation from now */
static int injected;

static int fail_now(void)
{
    if (countdown > 0 && --countdown == 0) {
        injected = 1;
        return 1;
    }
    return 0;
}

void *malloc(size_t n) { return fail_now() ? NULL : __libc_malloc(n); }
void *calloc(size_t a, size_t b) { return fail_now() ? NULL : __libc_calloc(a, b); }
#endif

enum { D = 3, N = 60 };

static void subgroups_out_of_memory(void **state)
{
    (void)state;
#if !INJECT
    skip();
#else
    tm_model t;
    tm_init(&t, TM_LOGISTIC, D, 0, 1, 2);
    xai_model *m = tm_wrap(&t, 0);
    float x[N * D], lab[N];
    int32_t grp[N];
    tm_rows(N, D, 3, x);
    for (int i = 0; i < N; i++) {
        grp[i] = i % 2;
        lab[i] = x[i * D + 1] > 0;
    }
    xai_column_stats st[D];
    for (int j = 0; j < D; j++)
        st[j] = (xai_column_stats){0, 1, -3, 3};
    xai_explain_context ctx = {.n_features = D, .stats = st};
    xai_audit_method me = {"gradient", xai_explain_options_default()};
    me.options.method = XAI_METHOD_GRADIENT;
    xai_audit_options o = xai_audit_options_default();
    o.methods = &me;
    o.n_methods = 1;
    o.loss_samples = 10;
    o.sens_points = 0;
    o.infid_samples = 5;
    o.pgi_samples = 5;
    o.n_threads = 1;
    xai_audit_result *r = NULL;
    assert_int_equal(xai_audit_run(m, &ctx, &o, x, N, 0, lab, &r), XAI_OK);
    const char *names[2] = {"A", "B"};
    long k = 1, failures = 0;
    for (;; k++) {
        injected = 0;
        countdown = k;
        xai_status s = xai_audit_subgroups(r, m, x, lab, grp, 2, names, "g", 20, 9, 1);
        countdown = 0;
        if (!injected) {
            assert_int_equal(s, XAI_OK);
            break;
        }
        failures++;
        if (s != XAI_ERR_NOMEM)
            fail_msg("allocation %ld failed: status %d (want XAI_ERR_NOMEM): %s", k, s,
                     xai_last_error());
    }
    /* the comparison allocates more than a dozen buffers */
    assert_true(failures >= 12);
    assert_non_null(r->groups);
    assert_int_equal(r->groups->n_groups, 2);
    xai_audit_result_free(r);
    xai_model_free(m);
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(subgroups_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
