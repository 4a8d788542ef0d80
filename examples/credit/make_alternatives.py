#!/usr/bin/python3
"""Alternative credit models, for testing whether a recourse (counterfactual)
stays valid when the model is retrained (issue 11: validity under model
change).

    /usr/bin/python3 examples/credit/make_alternatives.py

Trains the network of train.py (same architecture, penalty and steps) again:
  alt/seed-K.onnx    on all 800 training rows with torch seed K (K = 1..12,
                     skipping train.py's own seed);
  alt/subset-K.onnx  with train.py's seed on a 90% subset of the training
                     rows (720 rows, stratified, drawn with numpy
                     RandomState(K), K = 1..10).
Every model takes the raw 61 feature columns of data/*.csv (its own
standardisation is inside the graph) and outputs P(good), like model.onnx.
Prints each model's test accuracy and ROC AUC and its agreement with
model.onnx's decisions on the test rows, and writes the same table to
alt/models.csv.  Deterministic (one thread, fixed seeds).
"""
import csv
import os

import numpy as np

import train as base

HERE = os.path.dirname(os.path.abspath(__file__))
ALT = os.path.join(HERE, "alt")
SEEDS = [k for k in range(1, 13) if k != base.SEED][:11]
SUBSETS = range(1, 11)
SUBSET_SHARE = 0.9


def stratified_subset(y, k):
    rng = np.random.RandomState(k)
    keep = []
    for cls in (0, 1):
        idx = np.flatnonzero(y == cls)
        keep.extend(rng.permutation(idx)[:round(SUBSET_SHARE * len(idx))].tolist())
    return np.array(sorted(keep))


def main():
    xtr, ytr, _ = base.load(os.path.join(HERE, "data", "train.csv"))
    xte, yte, _ = base.load(os.path.join(HERE, "data", "test.csv"))
    os.makedirs(ALT, exist_ok=True)
    main_model = base.train(xtr, ytr, base.SEED)
    main_pred = base.predict(main_model, xte) >= 0.5
    jobs = [("seed-%d" % k, k, np.arange(len(ytr))) for k in SEEDS]
    jobs += [("subset-%d" % k, base.SEED, stratified_subset(ytr, k)) for k in SUBSETS]
    rows = []
    print("%-10s %5s %5s %8s %8s %9s" % ("model", "seed", "rows", "accuracy",
                                         "ROC AUC", "agreement"))
    for name, seed, idx in jobs:
        model = base.train(xtr[idx], ytr[idx], seed)
        p = base.predict(model, xte)
        acc, auc = base.scores(p, yte)
        agree = float(((p >= 0.5) == main_pred).mean())
        base.export(model, os.path.join(ALT, name + ".onnx"), xte[:2])
        rows.append((name, seed, len(idx), "%.3f" % acc, "%.4f" % auc, "%.3f" % agree))
        print("%-10s %5d %5d %8.3f %8.4f %9.3f" % (name, seed, len(idx), acc, auc, agree),
              flush=True)
    with open(os.path.join(ALT, "models.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["model", "seed", "train_rows", "test_accuracy", "test_auc",
                    "agreement_with_model_onnx"])
        w.writerows(rows)


if __name__ == "__main__":
    main()
