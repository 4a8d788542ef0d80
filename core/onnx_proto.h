/* core/onnx_proto.h: the parsed ONNX protobuf, shared by the graph builder
 * (core/onnx_load.c) and the ONNX-ML tree-ensemble loader
 * (core/onnx_trees.c). */
#ifndef XAI_CORE_ONNX_PROTO_H
#define XAI_CORE_ONNX_PROTO_H

#include <xai/model.h>

#include "graph.h"
#include "onnx.pb-c.h"

/* Reads and unpacks an .onnx file (framing checked; it has a graph).  Free
 * with onnx__model_proto__free_unpacked(*out, NULL). */
xai_status onnx_proto_read(const char *path, Onnx__ModelProto **out);

/* The validated compute graph of an unpacked model. */
xai_status graph_from_proto(const char *path, const Onnx__ModelProto *mp, graph **out);

/* 1 if the graph holds an ONNX-ML TreeEnsembleClassifier/Regressor node. */
int onnx_has_tree_ensemble(const Onnx__ModelProto *mp);

/* A tree model (xai/trees.h) from such a graph: the ensemble node, with only
 * Identity, Cast and ZipMap nodes around it. */
xai_status onnx_trees_load(const char *path, const Onnx__ModelProto *mp,
                           xai_model **out);

#endif
