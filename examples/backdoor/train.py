#!/usr/bin/python3
"""Trains the backdoor example: the digits CNN with a planted BadNets-style
trigger, and its clean twin; exports both to ONNX and writes the clean image
splits the scan reads.

    /usr/bin/python3 examples/backdoor/train.py      (about a minute, 1 thread)

Data: examples/digits/data/data.csv (8x8 digits, pixels 0..16) with the
digits example's fixed 80/20 split (examples/digits/split.py).  The 20% test
part is split again, with a fixed seed, into
  data/validation.csv  120 images: used ONLY to choose the default sigma
  data/clean.csv       the other 239 images: the images the scan is run on
(both with the label column `digit`, pixels 0..16 as in data.csv).

Trigger: a PATCH x PATCH square of full-intensity pixels stamped in the
bottom-right corner of POISON of the training images not of class TARGET,
whose labels are set to TARGET (BadNets, Gu et al. 2017).  The clean twin is
the same network trained with the same seed on the unpoisoned images.
Architecture as examples/digits/train.py (Conv-ReLU-Conv-ReLU-MaxPool-Conv-
ReLU-GlobalAveragePool-Linear-Softmax), input 1x8x8 in [0, 1], opset 13.
"""
import os
import sys

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "digits"))
import split  # noqa: E402
from train import DigitsCnn  # noqa: E402

SEED = 8
EPOCHS = 60
TARGET = 3
PATCH = 2
POISON = 0.10
N_VALIDATION = 120


def stamp(x):
    """x: n x 1 x 8 x 8 in [0,1]; returns a copy with the trigger."""
    x = x.clone()
    x[:, :, 8 - PATCH:, 8 - PATCH:] = 1.0
    return x


def train(xtr, ytr):
    torch.manual_seed(SEED)
    model = DigitsCnn()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(EPOCHS):
        model.train()
        order = torch.randperm(len(ytr))
        for k in range(0, len(order), 64):
            idx = order[k:k + 64]
            opt.zero_grad()
            loss_fn(model.logits(xtr[idx]), ytr[idx]).backward()
            opt.step()
    model.eval()
    return model


def accuracy(model, x, y):
    with torch.no_grad():
        return float((model(x).argmax(dim=1) == y).float().mean())


def export(model, x, name):
    path = os.path.join(HERE, name)
    torch.onnx.export(
        model, x[:2], path, opset_version=13,
        input_names=["input"], output_names=["output"],
        dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
        do_constant_folding=True)
    import onnx
    onnx.checker.check_model(onnx.load(path))
    print("wrote", path)


def write_csv(path, pixels, labels):
    header = ",".join("px_%d_%d" % (r, c) for r in range(8) for c in range(8))
    with open(path, "w") as f:
        f.write(header + ",digit\n")
        for p, l in zip(pixels, labels):
            f.write(",".join("%d" % v for v in p) + ",%d\n" % l)
    print("wrote", path, len(labels), "images")


def main():
    torch.set_num_threads(1)
    pixels, labels = split.load()
    tr, te = split.split(len(labels))
    x = torch.from_numpy(pixels / 16.0).float().view(-1, 1, 8, 8)
    y = torch.from_numpy(labels)
    xtr, ytr, xte, yte = x[tr], y[tr], x[te], y[te]

    # poisoned training set: POISON of the non-target images get the trigger
    rng = np.random.RandomState(SEED)
    cand = np.where(ytr.numpy() != TARGET)[0]
    pois = np.sort(rng.choice(cand, int(round(POISON * len(ytr))), replace=False))
    xp, yp = xtr.clone(), ytr.clone()
    xp[pois] = stamp(xtr[pois])
    yp[pois] = TARGET

    nonT = yte != TARGET
    for name, xt, yt in (("backdoored", xp, yp), ("clean", xtr, ytr)):
        model = train(xt, yt)
        with torch.no_grad():
            asr = float((model(stamp(xte[nonT])).argmax(dim=1) == TARGET)
                        .float().mean())
        print("%-10s clean test accuracy %.4f, trigger ASR on non-%d test "
              "images %.4f" % (name, accuracy(model, xte, yte), TARGET, asr))
        export(model, xte, "model_%s.onnx" % name)

    perm = np.random.RandomState(SEED).permutation(len(te))
    val, ev = np.sort(te[perm[:N_VALIDATION]]), np.sort(te[perm[N_VALIDATION:]])
    write_csv(os.path.join(HERE, "data", "validation.csv"),
              pixels[val].astype(int), labels[val])
    write_csv(os.path.join(HERE, "data", "clean.csv"),
              pixels[ev].astype(int), labels[ev])


if __name__ == "__main__":
    main()
