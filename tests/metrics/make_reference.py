#!/usr/bin/python3
"""Writes reference.json: classification cases and the values scikit-learn computes for them.

Every case holds its rows (label, prediction, slice value), the metric names cairn is asked
for and, for the whole input and for each slice, the expected value of every output name.
Slices are evaluated with labels= the class list of the whole input, as cairn does. A value
scikit-learn reports as NaN is written as null (cairn reports it as null with a reason).

Run: /usr/bin/python3 tests/metrics/make_reference.py  (Debian packages python3-sklearn,
python3-numpy; the system interpreter, which sees them)
"""

import json
import math
import os
import warnings

import numpy as np
import sklearn
from sklearn import metrics as skm

BETAS = [0.5, 2.0]
AVERAGES = ["macro", "micro", "weighted"]
REQUESTS = (["accuracy", "balanced_accuracy", "cohen_kappa", "mcc", "confusion_matrix",
             "support", "precision", "recall", "f1", "fbeta(beta=0.5)", "fbeta(beta=2)"] +
            [f"{m}_{a}" for m in ["precision", "recall", "f1"] for a in AVERAGES] +
            [f"fbeta_{a}(beta={b:g})" for a in AVERAGES for b in BETAS] +
            ["hamming_loss", "jaccard"] + [f"jaccard_{a}" for a in AVERAGES])


def number(v):
    v = float(v)
    return None if math.isnan(v) else v


def expected(y_true, y_pred, classes):
    out = {}
    out["accuracy"] = number(skm.accuracy_score(y_true, y_pred))
    out["balanced_accuracy"] = number(skm.balanced_accuracy_score(y_true, y_pred))
    out["cohen_kappa"] = number(skm.cohen_kappa_score(y_true, y_pred, labels=classes))
    out["mcc"] = number(skm.matthews_corrcoef(y_true, y_pred))
    out["confusion_matrix"] = skm.confusion_matrix(y_true, y_pred, labels=classes).tolist()
    p, r, f, s = skm.precision_recall_fscore_support(y_true, y_pred, labels=classes,
                                                     zero_division=0)
    for i, c in enumerate(classes):
        out[f"precision[{c}]"] = number(p[i])
        out[f"recall[{c}]"] = number(r[i])
        out[f"f1[{c}]"] = number(f[i])
        out[f"support[{c}]"] = int(s[i])
    for b in BETAS:
        fb = skm.fbeta_score(y_true, y_pred, beta=b, labels=classes, average=None,
                             zero_division=0)
        for i, c in enumerate(classes):
            out[f"fbeta(beta={b:g})[{c}]"] = number(fb[i])
    for a in AVERAGES:
        p, r, f, _ = skm.precision_recall_fscore_support(y_true, y_pred, labels=classes,
                                                         average=a, zero_division=0)
        out[f"precision_{a}"] = number(p)
        out[f"recall_{a}"] = number(r)
        out[f"f1_{a}"] = number(f)
        for b in BETAS:
            out[f"fbeta_{a}(beta={b:g})"] = number(
                skm.fbeta_score(y_true, y_pred, beta=b, labels=classes, average=a,
                                zero_division=0))
    out["hamming_loss"] = number(skm.hamming_loss(y_true, y_pred))
    j = skm.jaccard_score(y_true, y_pred, labels=classes, average=None, zero_division=0)
    for i, c in enumerate(classes):
        out[f"jaccard[{c}]"] = number(j[i])
    for a in AVERAGES:
        out[f"jaccard_{a}"] = number(
            skm.jaccard_score(y_true, y_pred, labels=classes, average=a, zero_division=0))
    return out


def make_case(name, description, y_true, y_pred, slices, classes=None):
    y_true = list(y_true)
    y_pred = list(y_pred)
    slices = list(slices)
    given = classes is not None
    if classes is None:
        classes = sorted(set(y_true) | set(y_pred))
    result = {"overall": expected(y_true, y_pred, classes), "slices": {}}
    for value in sorted(set(slices)):
        idx = [i for i, s in enumerate(slices) if s == value]
        result["slices"][value] = expected([y_true[i] for i in idx], [y_pred[i] for i in idx],
                                           classes)
    case = {"name": name, "description": description, "label": y_true, "pred": y_pred,
            "slice": slices, "classes": [str(c) for c in classes], "metrics": REQUESTS,
            "expected": result}
    if given:
        case["given_classes"] = [str(c) for c in classes]
    return case


def noisy(rng, y, classes, keep):
    """y with each value replaced by a random class with probability 1 - keep."""
    return [v if rng.random() < keep else classes[rng.integers(len(classes))] for v in y]


def main():
    rng = np.random.default_rng(20240611)
    cases = []

    # Binary, integer labels, 9:1 imbalance; slice "clear" holds only class 0 in labels and
    # predictions (kappa undefined, MCC 0 by scikit-learn's convention).
    n = 600
    y = [int(v) for v in (rng.random(n) < 0.1)]
    p = noisy(rng, y, [0, 1], 0.8)
    weather = [["rain", "fog", "snow"][int(rng.integers(3))] for _ in range(n)]
    clear_true = [0] * 40
    y += clear_true
    p += clear_true
    weather += ["clear"] * 40
    cases.append(make_case("binary_imbalanced", "binary 0/1, 9:1 imbalance, an all-one-class "
                           "slice", y, p, weather))

    # Five classes (strings) with imbalance; slice "night" never holds "truck" (neither
    # label nor prediction) and "dusk" has a single row.
    classes = ["bike", "bus", "car", "person", "truck"]
    weights = [0.05, 0.1, 0.55, 0.25, 0.05]
    n = 1500
    y = [classes[int(i)] for i in rng.choice(5, size=n, p=weights)]
    p = noisy(rng, y, classes, 0.7)
    time_of_day = [["day", "night"][int(rng.random() < 0.3)] for _ in range(n)]
    for i in range(n):
        if time_of_day[i] == "night" and ("truck" in (y[i], p[i])):
            time_of_day[i] = "day"
    y.append("bus")
    p.append("car")
    time_of_day.append("dusk")
    cases.append(make_case("multiclass_5", "5 string classes, imbalance, a class absent from "
                           "a slice, a one-row slice", y, p, time_of_day))

    # A given class list with a class that never occurs; integer labels, 3 classes present.
    n = 300
    y = [int(v) for v in rng.choice([1, 2, 10], size=n, p=[0.6, 0.3, 0.1])]
    p = noisy(rng, y, [1, 2, 10], 0.75)
    site = [["a", "b"][int(rng.integers(2))] for _ in range(n)]
    cases.append(make_case("given_classes", "integer classes given as 1,2,3,10 (3 never "
                           "occurs)", y, p, site, classes=[1, 2, 3, 10]))

    doc = {"generator": "tests/metrics/make_reference.py", "sklearn": sklearn.__version__,
           "cases": cases}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference.json")
    with open(path, "w") as f:
        json.dump(doc, f, indent=None, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        main()
