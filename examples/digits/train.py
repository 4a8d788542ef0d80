#!/usr/bin/python3
"""Trains the digits example CNN and exports examples/digits/model.onnx.

    /usr/bin/python3 examples/digits/train.py

Data: data/data.csv (8x8 handwritten digits, pixels 0..16, see
data/SOURCES.md); 20% held out as test set (split.py, fixed seed).
The model takes images in [0,1], shape batch x 1 x 8 x 8 (row-major
px_row_col); the CLI divides the 0..16 pixels by 16 (--scale 16), so the
graph does not.  Output: softmax probabilities over the 10 digits.
Conv(1,8,3,pad 1)-ReLU-Conv(8,16,3,pad 1)-ReLU-MaxPool(2)-Conv(16,16,3,pad 1)
-ReLU-AdaptiveAvgPool(1)-Flatten-Linear(16,10)-Softmax; Adam, fixed seed.
"""
import os

import numpy as np
import torch
import torch.nn as nn

import split

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 8
EPOCHS = 60


class DigitsCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.relu2 = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.conv3 = nn.Conv2d(16, 16, 3, padding=1)
        self.relu3 = nn.ReLU()
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(16, 10)
        self.softmax = nn.Softmax(dim=1)

    def logits(self, x):
        x = self.pool(self.relu2(self.conv2(self.relu1(self.conv1(x)))))
        x = self.gap(self.relu3(self.conv3(x)))
        return self.fc(self.flatten(x))

    def forward(self, x):
        return self.softmax(self.logits(x))


def accuracy(model, x, y):
    with torch.no_grad():
        return float((model(x).argmax(dim=1) == y).float().mean())


def main():
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    pixels, labels = split.load()
    tr, te = split.split(len(labels))
    x = torch.from_numpy(pixels / 16.0).float().view(-1, 1, 8, 8)
    y = torch.from_numpy(labels)
    xtr, ytr, xte, yte = x[tr], y[tr], x[te], y[te]

    model = DigitsCnn()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(EPOCHS):
        model.train()
        order = torch.randperm(len(ytr))
        for k in range(0, len(order), 64):
            idx = order[k:k + 64]
            opt.zero_grad()
            loss_fn(model.logits(xtr[idx]), ytr[idx]).backward()
            opt.step()
    model.eval()
    print("train accuracy %.4f (%d images)" % (accuracy(model, xtr, ytr),
                                               len(ytr)))
    print("test accuracy  %.4f (%d images)" % (accuracy(model, xte, yte),
                                               len(yte)))
    with torch.no_grad():
        conf = model(xte).max(dim=1).values
    print("test top-1 probability: median %.3f, min %.3f"
          % (float(conf.median()), float(conf.min())))

    path = os.path.join(HERE, "model.onnx")
    torch.onnx.export(
        model, xte[:2], path, opset_version=13,
        input_names=["input"], output_names=["output"],
        dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
        do_constant_folding=True)
    import onnx
    proto = onnx.load(path)
    onnx.checker.check_model(proto)
    print("wrote %s, ops: %s" % (path, " ".join(n.op_type
                                                 for n in proto.graph.node)))
    print("conv outputs: %s" % " ".join(n.output[0] for n in proto.graph.node
                                        if n.op_type == "Conv"))


if __name__ == "__main__":
    main()
