"""Loads data/data.csv and makes the fixed 80/20 train/test split (numpy
only, so make_pngs.py needs no torch). Pixels are returned as 0..16."""
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 1998
TEST_FRACTION = 0.2


def load():
    """Returns (pixels n x 64 float32 in 0..16, labels n int64)."""
    path = os.path.join(HERE, "data", "data.csv")
    with open(path) as f:
        header = f.readline().strip().split(",")
    raw = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float32)
    label = header.index("digit")
    pixels = [i for i, h in enumerate(header) if h.startswith("px_")]
    assert len(pixels) == 64
    return raw[:, pixels], raw[:, label].astype(np.int64)


def split(n):
    """(train row indices, test row indices) into data.csv, fixed seed."""
    perm = np.random.RandomState(SEED).permutation(n)
    ntest = int(round(TEST_FRACTION * n))
    return np.sort(perm[ntest:]), np.sort(perm[:ntest])
