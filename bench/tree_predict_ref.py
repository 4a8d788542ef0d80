#!/usr/bin/python3
"""Reference for bench/bench_tree_predict.c (run by `make bench`).

    /usr/bin/python3 bench/tree_predict_ref.py DIR

Trains (seed 0) an XGBoost binary:logistic model of 500 trees of depth 6 on
50 features, saves it to DIR/trees_big.json with 20000 test rows
(DIR/trees_big_x.bin, float32) and xgboost's predictions of them
(DIR/trees_big_p.bin, float32), then times xgboost's own predict on those
rows with 1 and 2 threads (a fresh DMatrix each time, so no prediction
cache; best of 3).  Prints `ref predict THREADS ROWS_PER_SECOND` lines, or
`skipped REASON` when xgboost is missing.
"""
import os
import sys
import time

try:
    import numpy as np
    import xgboost as xgb
except ImportError as e:  # bench is not part of CI: say so and stop
    print("skipped", e)
    sys.exit(0)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    model = os.path.join(out, "trees_big.json")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(5000, 50)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] * X[:, 2] + 0.5 * rng.normal(size=5000) > 0).astype(int)
    Xt = rng.normal(size=(20000, 50)).astype(np.float32)
    if not os.path.exists(model):
        b = xgb.train({"objective": "binary:logistic", "max_depth": 6, "nthread": 2,
                       "seed": 0, "tree_method": "hist"},
                      xgb.DMatrix(X, label=y), 500)
        b.save_model(model)
    b = xgb.Booster(model_file=model)
    Xt.tofile(os.path.join(out, "trees_big_x.bin"))
    b.predict(xgb.DMatrix(Xt)).astype(np.float32).tofile(
        os.path.join(out, "trees_big_p.bin"))
    for threads in (1, 2):
        b.set_param({"nthread": threads})
        best = float("inf")
        for _ in range(3):
            dm = xgb.DMatrix(Xt, nthread=threads)
            t = time.perf_counter()
            b.predict(dm)
            best = min(best, time.perf_counter() - t)
        print("ref predict %d %.1f" % (threads, Xt.shape[0] / best))


if __name__ == "__main__":
    main()
