#!/usr/bin/python3
"""Builds the benchmark fixture bench/fixtures/mlp23.onnx (and nothing else).

    /usr/bin/python3 bench/make_mlp23.py

A tabular MLP of the size of a typical credit-scoring model: 23 inputs,
8 Linear layers of width 8 with ReLU between them, 2 outputs, softmax.
Weights are random (seeded): the benchmarks time it, they do not judge
its predictions.  opset 13, input "input", output "output", dynamic batch.
"""
import os

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 23
N_IN, WIDTH, DEPTH, N_OUT = 23, 8, 8, 2


def build():
    layers, d = [], N_IN
    for _ in range(DEPTH - 1):
        layers += [nn.Linear(d, WIDTH), nn.ReLU()]
        d = WIDTH
    layers += [nn.Linear(d, N_OUT), nn.Softmax(dim=1)]
    return nn.Sequential(*layers)


def main():
    torch.manual_seed(SEED)
    model = build().eval()
    path = os.path.join(HERE, "fixtures", "mlp23.onnx")
    torch.onnx.export(model, torch.zeros(1, N_IN), path, opset_version=13,
                      input_names=["input"], output_names=["output"],
                      dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
    print("wrote", path)


if __name__ == "__main__":
    main()
