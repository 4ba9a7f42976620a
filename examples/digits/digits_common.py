"""Shared pieces of the demo's training and prediction scripts: reading a snapshot split
exported by cairn (CSV or JSON Lines), loading the pixels each record's frame URI points at,
the model file format (plain JSON, no pickle) and the prediction table the metric engine reads.
"""
import csv
import gzip
import json
import os
import urllib.parse

import numpy as np
from scipy.special import expit

CLASSES = list(range(10))


def read_split(path):
    """The records of an exported split, as dicts with flat `tags.<name>` keys."""
    rows = []
    if path.endswith(".jsonl"):
        with open(path) as f:
            for line in f:
                if not line.strip():
                    continue
                record = json.loads(line)
                for name, value in record.pop("tags", {}).items():
                    record["tags." + name] = value
                rows.append(record)
    elif path.endswith(".csv"):
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
    else:
        raise SystemExit("%s: expected a .csv or .jsonl split (export it with --split-format)" % path)
    return rows


_sources = {}


def pixels(rows):
    """An (n, 64) array of the images the rows' frame URIs name (file://PATH#row=N)."""
    out = np.empty((len(rows), 64))
    for i, row in enumerate(rows):
        uri = urllib.parse.urlparse(row["frame"])
        if uri.scheme != "file" or not uri.fragment.startswith("row="):
            raise SystemExit("record %s: unsupported frame URI %s" % (row["key"], row["frame"]))
        if uri.path not in _sources:
            with gzip.open(uri.path, "rt") as f:
                _sources[uri.path] = np.loadtxt(f, delimiter=",")[:, :-1]
        out[i] = _sources[uri.path][int(uri.fragment[4:])]
    return out


def labels(rows):
    return np.array([int(row["tags.label"]) for row in rows])


def save_model(path, classifier, mean, scale):
    with open(path, "w") as f:
        json.dump({"kind": "linear-ovr", "classes": CLASSES, "mean": mean.tolist(),
                   "scale": scale.tolist(), "coef": classifier.coef_.tolist(),
                   "intercept": classifier.intercept_.tolist()}, f)


def load_model(path):
    with open(path) as f:
        return json.load(f)


def probabilities(model, x):
    """One-vs-rest logistic scores normalised to sum to 1 (what scikit-learn's SGDClassifier
    with log loss does in predict_proba for more than two classes)."""
    z = (x - np.array(model["mean"])) / np.array(model["scale"])
    scores = z @ np.array(model["coef"]).T + np.array(model["intercept"])
    p = expit(scores)
    total = p.sum(axis=1, keepdims=True)
    return np.where(total > 0, p / np.where(total > 0, total, 1), 1.0 / len(CLASSES))


def write_predictions(path, rows, prob):
    """key, label, pred, p_0..p_9 and the slicing tags, one row per record."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["key", "label", "pred"] + ["p_%d" % c for c in CLASSES] + ["ink", "vendor"])
        for row, p in zip(rows, prob):
            w.writerow([row["key"], row["tags.label"], int(np.argmax(p))] +
                       ["%.17g" % v for v in p] + [row["tags.ink"], row["tags.vendor"]])
