#!/usr/bin/python3
"""XGBoost's own TreeSHAP timings for bench/bench_treeshap.c (run by
`make bench`), on the same models, rows and thread counts.

    /usr/bin/python3 bench/treeshap_ref.py OUTDIR

Makes the larger model if OUTDIR lacks it: 500 trees of depth 6 on 50
features (binary:logistic, 20000 synthetic rows from a fixed seed, hist
method; about 10 s on 2 cores; nothing is downloaded), written to
OUTDIR/xgb_large.json with 1000 rows to explain, OUTDIR/xgb_large_rows.csv.
Then times Booster.predict(pred_contribs=True) (path-dependent TreeSHAP in
xgboost's C++; the DMatrix is built outside the timing) on the credit
model's 200 test rows and on those 1000 rows, with nthread 1 and 2, best of
3 (CPU time of the process and wall time, each the best of 3).  Prints one
line per case:
    ref MODEL THREADS CPU_SECONDS WALL_SECONDS   (per explanation)
or `skipped REASON` when xgboost or numpy is missing.
"""
import csv
import os
import sys
import time

try:
    import numpy as np
    import xgboost as xgb
except ImportError as e:  # bench is not part of CI: say so and stop
    print("skipped", e)
    sys.exit(0)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def make_large(out):
    rng = np.random.default_rng(12)
    n, d = 20000, 50
    x = rng.normal(size=(n, d)).astype(np.float32)
    w = rng.normal(size=d)
    z = x @ w / 4 + np.sin(2 * x[:, 0]) * x[:, 1] + (x[:, 2] > 0.5) * x[:, 3]
    y = (z + rng.normal(size=n) > 0).astype(np.float32)
    p = {"objective": "binary:logistic", "max_depth": 6, "eta": 0.1,
         "tree_method": "hist", "nthread": 2, "seed": 1}
    b = xgb.train(p, xgb.DMatrix(x[:19000], label=y[:19000]), 500)
    b.save_model(os.path.join(out, "xgb_large.json"))
    with open(os.path.join(out, "xgb_large_rows.csv"), "w", newline="") as f:
        wr = csv.writer(f)
        wr.writerow(["f%d" % j for j in range(d)])
        for r in x[19000:]:
            wr.writerow(["%.9g" % v for v in r])


def credit_rows():
    with open(os.path.join(ROOT, "examples", "credit", "data", "test.csv")) as f:
        rows = list(csv.reader(f))
    k = rows[0].index("credit-risk")
    a = np.array(rows[1:], dtype=np.float64)
    return np.delete(a, k, axis=1).astype(np.float32)


def time_contribs(model, x, threads):
    b = xgb.Booster(model_file=model)
    b.set_param({"nthread": threads})
    d = xgb.DMatrix(x, feature_names=b.feature_names)
    b.predict(d, pred_contribs=True)  # warm-up
    cpu = wall = float("inf")
    for _ in range(3):
        t, c = time.perf_counter(), time.process_time()
        b.predict(d, pred_contribs=True)
        cpu = min(cpu, time.process_time() - c)
        wall = min(wall, time.perf_counter() - t)
    return cpu / len(x), wall / len(x)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "build/bench"
    os.makedirs(out, exist_ok=True)
    large = os.path.join(out, "xgb_large.json")
    if not os.path.exists(large) or not os.path.exists(
            os.path.join(out, "xgb_large_rows.csv")):
        make_large(out)
    with open(os.path.join(out, "xgb_large_rows.csv")) as f:
        lx = np.array(list(csv.reader(f))[1:], dtype=np.float32)
    cases = [("credit", os.path.join(ROOT, "examples", "credit", "model_xgb.json"),
              credit_rows()), ("large", large, lx)]
    for name, model, x in cases:
        for t in (1, 2):
            cpu, wall = time_contribs(model, x, t)
            print("ref %s %d %.9g %.9g" % (name, t, cpu, wall), flush=True)


if __name__ == "__main__":
    main()
