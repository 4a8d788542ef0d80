#!/usr/bin/python3
"""Trains the credit-risk example model and exports examples/credit/model.onnx.

    /usr/bin/python3 examples/credit/train.py

Data: data/train.csv, data/test.csv (German credit, see data/SOURCES.md).
Label column `credit-risk` (1 = good); the 60 other columns are the features,
in file order. The exported graph takes the RAW feature values: the
standardisation (x - mean) / std (training-set statistics, std 0 -> 1) is
part of the graph as Sub/Div constants.  Model: 60-32-16-1 MLP, ReLU, final
Sigmoid (output = P(good)).  Adam with a fixed seed; early stopping on a
validation split of the training set (best validation loss, patience 30
epochs). Deterministic on a given torch build.

Note: in this copy of the data the label is nearly independent of the
features (largest |correlation| 0.16; the checking-account status, a strong
predictor in the original Statlog data, shows good rates 0.65..0.78 per
level). Logistic regression and this MLP reach about the majority-class rate
(0.70 train, 0.715 test); the example is about explaining and auditing a
model, not about a good credit model.
"""
import csv
import os

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
LABEL = "credit-risk"
SEED = 20240
MAX_EPOCHS = 400
PATIENCE = 30


def load(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], np.array(rows[1:], dtype=np.float32)
    li = header.index(LABEL)
    feats = [i for i in range(len(header)) if i != li]
    return body[:, feats], body[:, li], [header[i] for i in feats]


class CreditMlp(nn.Module):
    def __init__(self, mean, std):
        super().__init__()
        self.register_buffer("mean", torch.from_numpy(mean))
        self.register_buffer("std", torch.from_numpy(std))
        self.net = nn.Sequential(
            nn.Linear(60, 32), nn.ReLU(),
            nn.Linear(32, 16), nn.ReLU(),
            nn.Linear(16, 1))
        self.sigmoid = nn.Sigmoid()

    def logit(self, x):
        return self.net((x - self.mean) / self.std)

    def forward(self, x):
        return self.sigmoid(self.logit(x))


def accuracy(model, x, y):
    with torch.no_grad():
        return float(((model(x)[:, 0] >= 0.5).float() == y).float().mean())


def main():
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    xtr, ytr, names = load(os.path.join(HERE, "data", "train.csv"))
    xte, yte, names_te = load(os.path.join(HERE, "data", "test.csv"))
    assert names == names_te and xtr.shape[1] == 60
    mean = xtr.mean(axis=0)
    std = xtr.std(axis=0)
    std[std == 0] = 1.0  # constant column: leave it unscaled

    xtr, ytr = torch.from_numpy(xtr), torch.from_numpy(ytr)
    xte, yte = torch.from_numpy(xte), torch.from_numpy(yte)
    perm = torch.randperm(len(ytr))
    nval = len(ytr) // 5
    val, fit = perm[:nval], perm[nval:]

    model = CreditMlp(mean, std)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-4)
    loss_fn = nn.BCEWithLogitsLoss()
    best, best_state, best_epoch, since = float("inf"), None, 0, 0
    for epoch in range(MAX_EPOCHS):
        model.train()
        order = fit[torch.randperm(len(fit))]
        for k in range(0, len(order), 32):
            idx = order[k:k + 32]
            opt.zero_grad()
            loss_fn(model.logit(xtr[idx])[:, 0], ytr[idx]).backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            vloss = float(loss_fn(model.logit(xtr[val])[:, 0], ytr[val]))
        if vloss < best - 1e-5:
            best, best_epoch, since = vloss, epoch, 0
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
        else:
            since += 1
            if since >= PATIENCE:
                break
    model.load_state_dict(best_state)
    model.eval()
    print("stopped after epoch %d, best epoch %d (val loss %.4f)"
          % (epoch, best_epoch, best))
    print("train accuracy %.4f (fit part %.4f, validation part %.4f)"
          % (accuracy(model, xtr, ytr), accuracy(model, xtr[fit], ytr[fit]),
             accuracy(model, xtr[val], ytr[val])))
    print("test accuracy  %.4f (majority class baseline %.4f)"
          % (accuracy(model, xte, yte), max(float(yte.mean()),
                                            1 - float(yte.mean()))))

    with torch.no_grad():
        p = model(xte)[:, 0]
    print("test P(good): min %.3f, median %.3f, max %.3f"
          % (float(p.min()), float(p.median()), float(p.max())))

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


if __name__ == "__main__":
    main()
