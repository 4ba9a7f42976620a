#!/usr/bin/python3
"""Writes score_reference.json: score-based classification and regression cases and the
values scikit-learn (and, where it has no such metric, plain numpy written out here) computes
for them, for the whole input, for each slice of one column and for each slice of two columns.

Run: /usr/bin/python3 tests/metrics/make_score_reference.py  (Debian python3-sklearn)
"""

import json
import math
import os
import warnings

import numpy as np
import sklearn
from sklearn import metrics as skm

LEVELS = np.arange(101) / 100.0


def number(v):
    v = float(v)
    return None if math.isnan(v) else v


def pr_curve(y, s):
    """Precision at recall >= each level (the best at or beyond it), from scikit-learn's curve
    without the point (recall 0, precision 1) it appends by convention."""
    precision, recall, _ = skm.precision_recall_curve(y, s)
    precision, recall = precision[:-1], recall[:-1]
    return [float(max([p for p, r in zip(precision, recall) if r >= level] or [0.0]))
            for level in LEVELS]


def roc_curve(y, s):
    fpr, tpr, _ = skm.roc_curve(y, s, drop_intermediate=False)
    return [float(max([t for f, t in zip(fpr, tpr) if f <= level] or [0.0])) for level in LEVELS]


def calibration(conf, correct, bins):
    edges = np.arange(bins + 1) / bins
    idx = np.clip(np.searchsorted(edges, conf, side="left") - 1, 0, bins - 1)
    count, mean_conf, acc = [], [], []
    for b in range(bins):
        m = idx == b
        count.append(int(m.sum()))
        mean_conf.append(float(conf[m].mean()) if m.any() else None)
        acc.append(float(correct[m].mean()) if m.any() else None)
    return count, mean_conf, acc


def ece(conf, correct, bins):
    count, mean_conf, acc = calibration(conf, correct, bins)
    n = len(conf)
    return sum(c / n * abs(a - m) for c, m, a in zip(count, mean_conf, acc) if c > 0)


def binary_expected(y, s):
    y = np.asarray(y)
    s = np.asarray(s, dtype=float)
    out = {"accuracy": number(skm.accuracy_score(y, (s > 0.5).astype(int)))}
    present = len(set(y.tolist())) == 2
    out["roc_auc"] = number(skm.roc_auc_score(y, s)) if present else None
    out["average_precision"] = number(skm.average_precision_score(y, s)) if (y == 1).any() else None
    out["log_loss"] = number(skm.log_loss(y, s, labels=[0, 1]))
    out["brier"] = number(skm.brier_score_loss(y, s))
    out["top_k_accuracy(k=1)"] = number(skm.top_k_accuracy_score(y, s, k=1, labels=[0, 1]))
    conf = np.maximum(s, 1 - s)
    pred = np.where(s > 1 - s, 1, 0)  # ties go to the first class, 0
    out["ece(bins=10)"] = number(ece(conf, (pred == y).astype(float), 10))
    if (y == 1).any():
        out["pr_curve"] = {"recall": LEVELS.tolist(), "precision": pr_curve(y, s)}
    else:
        out["pr_curve"] = None
    out["roc_curve"] = ({"fpr": LEVELS.tolist(), "tpr": roc_curve(y, s)} if present else None)
    return out


def multiclass_expected(y, P, classes):
    y = np.asarray(y)
    P = np.asarray(P, dtype=float)
    out = {}
    aucs, aps = [], []
    for i, c in enumerate(classes):
        yc = (y == c).astype(int)
        has_pos, has_neg = yc.any(), (1 - yc).any()
        auc = number(skm.roc_auc_score(yc, P[:, i])) if has_pos and has_neg else None
        ap = number(skm.average_precision_score(yc, P[:, i])) if has_pos else None
        out[f"roc_auc[{c}]"] = auc
        out[f"average_precision[{c}]"] = ap
        out[f"pr_curve[{c}]"] = ({"recall": LEVELS.tolist(), "precision": pr_curve(yc, P[:, i])}
                                 if has_pos else None)
        if has_pos:
            aucs.append(auc)
            aps.append(ap)
    out["roc_auc"] = None if None in aucs or not aucs else float(np.mean(aucs))
    out["average_precision"] = float(np.mean(aps)) if aps else None
    out["log_loss"] = number(skm.log_loss(y, P, labels=classes))
    onehot = np.array([[1.0 if v == c else 0.0 for c in classes] for v in y])
    out["brier"] = float(np.mean(np.sum((P - onehot) ** 2, axis=1)))
    for k in (1, 2, 3):
        out[f"top_k_accuracy(k={k})"] = number(
            skm.top_k_accuracy_score(y, P, k=k, labels=classes))
    conf = P.max(axis=1)
    pred = np.array(classes)[P.argmax(axis=1)]
    correct = (pred == y).astype(float)
    out["ece(bins=15)"] = number(ece(conf, correct, 15))
    count, mean_conf, acc = calibration(conf, correct, 5)
    out["calibration(bins=5)"] = {"bin_lower": (np.arange(5) / 5).tolist(),
                                  "bin_upper": (np.arange(1, 6) / 5).tolist(),
                                  "count": [float(c) for c in count], "confidence": mean_conf,
                                  "accuracy": acc}
    out["accuracy"] = number(skm.accuracy_score(y, pred))
    return out


def regression_expected(y, p):
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {
            "mae": number(skm.mean_absolute_error(y, p)),
            "mse": number(skm.mean_squared_error(y, p)),
            "rmse": number(skm.mean_squared_error(y, p, squared=False)),
            "r2": number(skm.r2_score(y, p)),
            "mape": number(skm.mean_absolute_percentage_error(y, p)),
            "median_ae": number(skm.median_absolute_error(y, p)),
            "explained_variance": number(skm.explained_variance_score(y, p)),
            "max_error": number(skm.max_error(y, p)),
        }


def sliced(fn, columns, a, b):
    """Expected values overall, by a, and by (a, b)."""
    out = {"overall": fn(np.arange(len(a))), "slices": {"a": {}, "a,b": {}}}
    for v in sorted(set(a)):
        idx = np.array([i for i, x in enumerate(a) if x == v])
        out["slices"]["a"][v] = dict(fn(idx), rows=len(idx))
    for v in sorted(set(zip(a, b))):
        idx = np.array([i for i, x in enumerate(zip(a, b)) if x == v])
        out["slices"]["a,b"][f"{v[0]}|{v[1]}"] = dict(fn(idx), rows=len(idx))
    return out


def main():
    rng = np.random.default_rng(77)
    cases = []

    # Binary: 1:4 imbalance, scores rounded to 0.05 (many ties, some exactly 0.5), a slice
    # holding only negatives (AUC, AP undefined there).
    n = 500
    y = (rng.random(n) < 0.2).astype(int)
    s = np.clip(np.round((0.35 * y + 0.65 * rng.random(n)) * 20) / 20, 0, 1)
    a = [str(v) for v in rng.choice(["fog", "rain", "sun"], n)]
    b = [str(v) for v in rng.choice(["day", "night"], n)]
    for i in range(30):
        a[i] = "snow"
        y[i] = 0
    cases.append({
        "name": "binary_scores", "task": "binary", "classes": ["0", "1"],
        "label": y.tolist(), "score": [s.tolist()], "a": a, "b": b,
        "metrics": ["accuracy", "roc_auc", "average_precision", "log_loss", "brier",
                    "top_k_accuracy(k=1)", "ece(bins=10)", "pr_curve", "roc_curve"],
        "expected": sliced(lambda idx: binary_expected(y[idx], s[idx]), None, a, b)})

    # Multiclass: four string classes, probabilities from a noisy softmax rounded to 0.01 (ties
    # in rank and in confidence; rows need not sum to 1), "truck" absent from one slice.
    classes = ["bike", "bus", "car", "truck"]
    n = 800
    yi = rng.choice(4, n, p=[0.15, 0.2, 0.5, 0.15])
    logits = rng.normal(0, 1, (n, 4)) + 1.5 * np.eye(4)[yi]
    P = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    P = np.round(P, 2)
    P[P == 0] = 0.0
    a = [str(v) for v in rng.choice(["fog", "rain", "sun"], n)]
    b = [str(v) for v in rng.choice(["day", "dusk", "night"], n)]
    for i in range(40):
        a[i] = "snow"
        if yi[i] == 3:
            yi[i] = 2
    y = np.array(classes)[yi]
    metrics = ["accuracy", "roc_auc", "average_precision", "log_loss", "brier",
               "top_k_accuracy(k=1)", "top_k_accuracy(k=2)", "top_k_accuracy(k=3)",
               "ece(bins=15)", "calibration(bins=5)"] + \
        [f"roc_auc[{c}]" for c in classes] + [f"average_precision[{c}]" for c in classes] + \
        ["pr_curve"]
    cases.append({
        "name": "multiclass_scores", "task": "multiclass", "classes": classes,
        "label": y.tolist(), "score": [P[:, i].tolist() for i in range(4)], "a": a, "b": b,
        "metrics": metrics,
        "expected": sliced(lambda idx: multiclass_expected(y[idx], P[idx], classes), None, a, b)})

    # Regression: labels with zeros (MAPE's epsilon), a constant-label slice (R^2 by
    # scikit-learn's force_finite), a one-row slice (R^2 undefined).
    n = 400
    y = np.round(rng.normal(10, 5, n), 3)
    p = np.round(y + rng.normal(0, 2, n), 3)
    y[:5] = 0.0
    a = [str(v) for v in rng.choice(["fog", "rain", "sun"], n)]
    b = [str(v) for v in rng.choice(["day", "night"], n)]
    for i in range(5, 15):
        a[i] = "const"
        y[i] = 4.0
    a[20] = "one"
    cases.append({
        "name": "regression", "task": "regression", "classes": [],
        "label": y.tolist(), "pred": p.tolist(), "a": a, "b": b,
        "metrics": ["mae", "mse", "rmse", "r2", "mape", "median_ae", "explained_variance",
                    "max_error"],
        "expected": sliced(lambda idx: regression_expected(y[idx], p[idx]), None, a, b)})

    out = {"generator": "tests/metrics/make_score_reference.py", "sklearn": sklearn.__version__,
           "cases": cases}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "score_reference.json")
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
