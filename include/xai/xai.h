/* xai.h: the umbrella header of libxai, which explains and audits models.
 *
 * A worked example (error handling shortened):
 *
 *     #include <xai/xai.h>
 *     xai_model *m;   xai_dataset *d;   xai_runner *r;
 *     xai_csv_options o = xai_csv_options_default();
 *     o.label = "credit-risk";
 *     if (xai_model_load("model.onnx", &m) != XAI_OK ||
 *         xai_dataset_load_csv("data.csv", &o, &d) != XAI_OK) {
 *         fprintf(stderr, "%s\n", xai_last_error());   return 1;
 *     }
 *     xai_runner_new(m, &r);
 *     float y[2];   xai_runner_forward(r, XAI_OUTPUT_PROB, xai_dataset_row(d, 0), 1, y);
 *     printf("P(good) = %g\n", y[0]);
 *     xai_runner_free(r);   xai_dataset_free(d);   xai_model_free(m);
 *
 * Conventions: every fallible call returns xai_status (XAI_OK == 0) and
 * leaves a detailed message in xai_last_error(); handles are opaque and freed
 * with their xai_<object>_free (which accepts NULL); output buffers belong to
 * the caller; randomness comes from an explicit seed.  See each header. */
#ifndef XAI_XAI_H
#define XAI_XAI_H

#include "base.h"
#include "rng.h"
#include "data.h"
#include "model.h"
#include "image.h"
#include "hash.h"
#include "outfile.h"
#include "explain.h"
#include "audit.h"
#include "backdoor.h"
#include "mlp.h"
#include "trees.h"
#include "recourse.h"

#endif
