/* tests/support/onnx_build.h: builds small ONNX models in memory with
 * protobuf-c (the same generated code the loader uses) so tests can make
 * single-op models and hostile files.  Errors abort the test (assert). */
#ifndef XAI_TEST_ONNX_BUILD_H
#define XAI_TEST_ONNX_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include <xai/xai.h>

#include "onnx.pb-c.h"

typedef Onnx__ModelProto ob_model;
typedef Onnx__NodeProto ob_node;

/* A model with the given default-domain opset and an empty graph. */
ob_model *ob_new(int64_t opset);
/* Graph input; dims[0] is the batch ("batch" symbolic); rank dims. */
void ob_input(ob_model *m, const char *name, int rank, const int64_t *dims);
/* Graph output (rank 0: no shape recorded). */
void ob_output(ob_model *m, const char *name, int rank, const int64_t *dims);
Onnx__TensorProto *ob_init_f(ob_model *m, const char *name, int rank,
                             const int64_t *dims, const float *v);
Onnx__TensorProto *ob_init_i(ob_model *m, const char *name, int rank,
                             const int64_t *dims, const int64_t *v);
/* inputs / outputs: comma-separated names ("" entries allowed: "x,,b"). */
ob_node *ob_add(ob_model *m, const char *op, const char *name,
                const char *inputs, const char *outputs);
void ob_attr_i(ob_node *n, const char *name, int64_t v);
void ob_attr_f(ob_node *n, const char *name, float v);
void ob_attr_ints(ob_node *n, const char *name, size_t k, const int64_t *v);
void ob_attr_s(ob_node *n, const char *name, const char *v);

/* Packs the model; caller frees the buffer. */
uint8_t *ob_pack(const ob_model *m, size_t *len);
/* Packs and writes to path. */
void ob_write(const ob_model *m, const char *path);
void ob_free(ob_model *m);
/* Writes m to a temporary file, frees m, loads the file with
 * xai_model_load and removes it; returns the load's status. */
xai_status ob_load(ob_model *m, xai_model **out);

#endif
