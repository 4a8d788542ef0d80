/* tests/support/ref_check.h: comparing the runtime with a .ref file. */
#ifndef XAI_TEST_REF_CHECK_H
#define XAI_TEST_REF_CHECK_H

#include <xai/xai.h>

#include "ref_file.h"

/* A block's values as floats (malloc'ed; the caller frees). */
float *ref_to_float(const ref_block *b);

/* Fails the test when got differs from block b by more than tol, measured
 * per row relative to the row's largest |value| (1 for an all-zero row). */
void ref_expect_close(const char *model, const char *key, const float *got,
                      const ref_block *b, double tol);

/* Runs m on the recorded inputs and compares outputs and scores (tol_value)
 * and both VJPs and both target gradients (tol_grad) with the file. */
void ref_check_runtime(const char *name, const xai_model *m, const ref_file *rf,
                       double tol_value, double tol_grad);

#endif
