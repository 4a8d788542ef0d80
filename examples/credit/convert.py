#!/usr/bin/python3
"""Converts the original Statlog German credit file into the example's CSVs.

    /usr/bin/python3 examples/credit/convert.py [path/to/german.data]

Input: german.data (1000 rows, 21 space-separated fields; the codes are
explained in ../shared/data/german/CODES.md, the default input).
Outputs, next to this script:

  data/train.csv, data/test.csv  numeric attributes as they are, each
      categorical attribute one-hot as columns GROUP_K (K = the code's digits
      after the attribute number: A14 -> checking-account_4, A410 ->
      purpose_10), so that `xai --groups auto` joins them into one feature
      GROUP; codes no row uses (A47, A95) get no column.  Last column
      `credit-risk`: 1 = good, 0 = bad (field 21: 1 = good, 2 = bad).
  data/features.csv  column,group,meaning for every feature column (the
      plain meaning of each one-hot column: checking-account_4 ->
      "no account"), for `xai --feature-labels`.

Split: stratified on the label, 800 training rows and 200 test rows (560/240
and 140/60 good/bad), drawn with numpy's RandomState(SEED); rows keep their
original order within each file.  Prints the good rate per checking-account
code (CODES.md: 0.51, 0.61, 0.78, 0.88) as a check.
"""
import csv
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_INPUT = os.path.join(HERE, "..", "..", "..", "shared", "data", "german",
                             "german.data")
SEED = 9
N_TEST = 200
LABEL = "credit-risk"

# (field number, column or group name, meaning, {code suffix: category}) in
# the file's order; categories None = numeric attribute.
ATTRIBUTES = [
    (1, "checking-account", "status of the existing checking account", {
        "1": "< 0 DM", "2": "0 to < 200 DM",
        "3": ">= 200 DM or salary paid in", "4": "no account"}),
    (2, "duration-months", "duration of the credit, months", None),
    (3, "credit-history", "credit history", {
        "0": "no credits or all paid back", "1": "all paid back at this bank",
        "2": "existing credits paid back so far", "3": "delays in the past",
        "4": "critical account or credits elsewhere"}),
    (4, "purpose", "purpose of the credit", {
        "0": "new car", "1": "used car", "2": "furniture or equipment",
        "3": "radio or television", "4": "domestic appliances",
        "5": "repairs", "6": "education", "7": "vacation", "8": "retraining",
        "9": "business", "10": "other purpose"}),
    (5, "credit-amount", "credit amount, DM", None),
    (6, "savings", "savings account or bonds", {
        "1": "< 100 DM", "2": "100 to < 500 DM", "3": "500 to < 1000 DM",
        "4": ">= 1000 DM", "5": "unknown or none"}),
    (7, "employment-since", "present employment since", {
        "1": "unemployed", "2": "< 1 year", "3": "1 to < 4 years",
        "4": "4 to < 7 years", "5": ">= 7 years"}),
    (8, "installment-rate", "installment rate, % of disposable income", None),
    (9, "personal-status-sex", "personal status and sex", {
        "1": "male, divorced or separated",
        "2": "female, divorced, separated or married",
        "3": "male, single", "4": "male, married or widowed",
        "5": "female, single"}),
    (10, "other-debtors", "other debtors or guarantors", {
        "1": "none", "2": "co-applicant", "3": "guarantor"}),
    (11, "residence-since", "present residence since, years", None),
    (12, "property", "most valuable property", {
        "1": "real estate", "2": "building-society savings or life insurance",
        "3": "car or other", "4": "unknown or none"}),
    (13, "age", "age, years", None),
    (14, "other-installment-plans", "other installment plans", {
        "1": "bank", "2": "stores", "3": "none"}),
    (15, "housing", "housing", {"1": "rent", "2": "own", "3": "for free"}),
    (16, "existing-credits", "number of existing credits at this bank", None),
    (17, "job", "job", {
        "1": "unskilled, non-resident", "2": "unskilled, resident",
        "3": "skilled employee or official",
        "4": "management, self-employed or highly qualified"}),
    (18, "people-liable", "number of people the applicant provides for", None),
    (19, "telephone", "telephone", {"1": "none", "2": "yes, in own name"}),
    (20, "foreign-worker", "foreign worker", {"1": "yes", "2": "no"}),
]


def read_rows(path):
    with open(path) as f:
        rows = [line.split() for line in f if line.strip()]
    for n, r in enumerate(rows, 1):
        if len(r) != 21:
            sys.exit("%s:%d: expected 21 fields, found %d" % (path, n, len(r)))
    return rows


def code_suffix(field, code, path):
    prefix = "A%d" % field
    if not code.startswith(prefix) or not code[len(prefix):].isdigit():
        sys.exit("%s: field %d: unexpected code %r" % (path, field, code))
    return code[len(prefix):]


def encode(rows, path):
    """Header, feature matrix (ints), labels (1 good, 0 bad), feature table."""
    header, table, columns = [], [], []
    for field, name, meaning, cats in ATTRIBUTES:
        values = [r[field - 1] for r in rows]
        if cats is None:
            header.append(name)
            table.append((name, name, meaning))
            columns.append([int(v) for v in values])
            continue
        used = {code_suffix(field, v, path) for v in values}
        unknown = used - set(cats)
        if unknown:
            sys.exit("%s: field %d: unknown codes %s" % (path, field, sorted(unknown)))
        for suffix in sorted(cats, key=int):
            if suffix not in used:
                continue  # no row has it: a constant column carries nothing
            col = "%s_%s" % (name, suffix)
            header.append(col)
            table.append((col, name, cats[suffix]))
            columns.append([int(code_suffix(field, v, path) == suffix)
                            for v in values])
    labels = []
    for n, r in enumerate(rows, 1):
        if r[20] not in ("1", "2"):
            sys.exit("%s:%d: class must be 1 or 2, found %r" % (path, n, r[20]))
        labels.append(1 if r[20] == "1" else 0)
    return header, np.array(columns, dtype=np.int64).T, np.array(labels), table


def stratified_split(labels):
    rng = np.random.RandomState(SEED)
    test = []
    for cls in (1, 0):
        idx = np.flatnonzero(labels == cls)
        k = round(N_TEST * len(idx) / len(labels))
        test.extend(rng.permutation(idx)[:k].tolist())
    test = np.array(sorted(test))
    train = np.setdiff1d(np.arange(len(labels)), test)
    return train, test


def write_csv(path, header, x, y):
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header + [LABEL])
        for row, lab in zip(x, y):
            w.writerow([int(v) for v in row] + [int(lab)])


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_INPUT
    rows = read_rows(path)
    header, x, y, table = encode(rows, path)
    train, test = stratified_split(y)
    out = os.path.join(HERE, "data")
    write_csv(os.path.join(out, "train.csv"), header, x[train], y[train])
    write_csv(os.path.join(out, "test.csv"), header, x[test], y[test])
    with open(os.path.join(out, "features.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["column", "group", "meaning"])
        w.writerows(table)
    print("%d rows, %d feature columns; train %d (good rate %.3f), test %d "
          "(good rate %.3f)" % (len(y), len(header), len(train), y[train].mean(),
                                len(test), y[test].mean()))
    status = [r[0] for r in rows]
    print("good rate per checking-account code (CODES.md: 0.51 0.61 0.78 0.88):",
          " ".join("%s %.2f" % (c, y[[s == c for s in status]].mean())
                   for c in ("A11", "A12", "A13", "A14")))


if __name__ == "__main__":
    main()
