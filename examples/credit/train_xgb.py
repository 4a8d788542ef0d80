#!/usr/bin/python3
"""Trains the credit example's gradient-boosted trees and writes
examples/credit/model_xgb.json (XGBoost's own JSON format).

    /usr/bin/python3 examples/credit/train_xgb.py

Same data and split as train.py (data/train.csv, data/test.csv; label
`credit-risk`, 1 = good; the 61 other columns are the features, raw, in
file order).  Model: binary:logistic, learning rate 0.05, subsample 0.8,
column sample 0.8, min_child_weight 1; depth and number of trees chosen by
5-fold cross-validated ROC AUC on the 800 training rows over depth 2..4 x
100..400 trees (the grid is printed).  Deterministic: one thread, fixed
seeds (xgboost 1.7, Debian's python3-xgboost).

Prints the test accuracy and ROC AUC next to a logistic regression on the
same split and the MLP of train.py (model.onnx, recorded in README.md).
"""
import csv
import os

import numpy as np
import xgboost as xgb
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

HERE = os.path.dirname(os.path.abspath(__file__))
LABEL = "credit-risk"
SEED = 7
PARAMS = {"objective": "binary:logistic", "eta": 0.05, "subsample": 0.8,
          "colsample_bytree": 0.8, "min_child_weight": 1, "nthread": 1,
          "seed": SEED, "eval_metric": "auc", "tree_method": "exact"}
DEPTHS = (2, 3, 4)
ROUNDS = (100, 200, 400)
MLP = (0.755, 0.784)  # model.onnx on the test rows (README.md, train.py)


def load(name):
    with open(os.path.join(HERE, "data", name)) as f:
        rows = list(csv.reader(f))
    head = rows[0]
    k = head.index(LABEL)
    data = np.array(rows[1:], dtype=np.float64)
    feats = [h for i, h in enumerate(head) if i != k]
    return np.delete(data, k, axis=1).astype(np.float32), data[:, k], feats


def fit(x, y, depth, rounds, names):
    p = dict(PARAMS, max_depth=depth)
    return xgb.train(p, xgb.DMatrix(x, label=y, feature_names=names), rounds)


def predict(b, x, names):
    return b.predict(xgb.DMatrix(x, feature_names=names))


def main():
    xtr, ytr, names = load("train.csv")
    xte, yte, _ = load("test.csv")
    folds = list(StratifiedKFold(5, shuffle=True, random_state=SEED).split(xtr, ytr))
    best = None
    for d in DEPTHS:
        for r in ROUNDS:
            aucs = []
            for a, b in folds:
                m = fit(xtr[a], ytr[a], d, r, names)
                aucs.append(roc_auc_score(ytr[b], predict(m, xtr[b], names)))
            cv = float(np.mean(aucs))
            print("depth %d, %3d trees: cross-validated AUC %.4f" % (d, r, cv))
            if best is None or cv > best[0]:
                best = (cv, d, r)
    _, depth, rounds = best
    model = fit(xtr, ytr, depth, rounds, names)
    p = predict(model, xte, names)
    acc, auc = float(((p >= 0.5) == yte).mean()), float(roc_auc_score(yte, p))
    mu, sd = xtr.mean(axis=0), xtr.std(axis=0)
    sd[sd == 0] = 1
    lr = LogisticRegression(max_iter=2000).fit((xtr - mu) / sd, ytr)
    q = lr.predict_proba((xte - mu) / sd)[:, 1]
    out = os.path.join(HERE, "model_xgb.json")
    model.save_model(out)
    print("chosen: depth %d, %d trees; wrote %s" % (depth, rounds, out))
    print("test, 200 rows:")
    print("  xgboost (model_xgb.json):  accuracy %.3f  ROC AUC %.4f" % (acc, auc))
    print("  MLP (model.onnx):          accuracy %.3f  ROC AUC %.4f" % MLP)
    print("  logistic regression:       accuracy %.3f  ROC AUC %.4f"
          % (float(((q >= 0.5) == yte).mean()), float(roc_auc_score(yte, q))))
    print("  majority class:            accuracy %.3f" % max(yte.mean(), 1 - yte.mean()))


if __name__ == "__main__":
    main()
