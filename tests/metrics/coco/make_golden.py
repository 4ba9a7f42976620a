#!/usr/bin/env python3
"""Runs pycocotools' COCOeval (bbox) on every case directory here and writes its numbers to
<case>/expected.json. pycocotools is not part of cairn: build it locally and put it on
PYTHONPATH (see README.md).

  PYTHONPATH=/path/to/cocoapi/PythonAPI /usr/bin/python3 tests/metrics/coco/make_golden.py

expected.json holds what pycocotools computes, nothing from cairn:
  iou_thresholds, recall_thresholds, max_dets, category_ids (sorted, the K axis), image_ids
  stats            the 12 numbers of COCOeval.stats
  summary          the text summarize() prints
  precision        eval['precision'] flattened in C order, shape [T, R, K, A, M]
  recall           eval['recall'] flattened in C order, shape [T, K, A, M]
  per_category     {category id: {"AP": mean of precision[:, :, k, 0, -1] over cells > -1,
                    "AP50": the same at IoU 0.5}} (-1 without ground truth)
  pr_iou50         {category id: precision[0, :, k, 0, -1]}
  pr_mean          {category id: numpy mean over the IoU axis of precision[:, :, k, 0, -1]}
"""
import contextlib
import io
import json
import os
import subprocess

import numpy as np
import pycocotools
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

HERE = os.path.dirname(os.path.abspath(__file__))


def mean_or_minus_one(a):
    a = a[a > -1]
    return float(np.mean(a)) if a.size else -1.0


def evaluate(case_dir):
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(os.path.join(case_dir, "gt.json"))
        dt = gt.loadRes(os.path.join(case_dir, "dt.json"))
        ev = COCOeval(gt, dt, "bbox")
        ev.evaluate()
        ev.accumulate()
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        ev.summarize()
    p = ev.params
    precision = ev.eval["precision"]
    recall = ev.eval["recall"]
    cat_ids = [int(c) for c in p.catIds]
    per_category, pr_iou50, pr_mean = {}, {}, {}
    for k, cat in enumerate(cat_ids):
        cell = precision[:, :, k, 0, -1]
        per_category[str(cat)] = {"AP": mean_or_minus_one(cell),
                                  "AP50": mean_or_minus_one(cell[0])}
        if (cell > -1).any():
            pr_iou50[str(cat)] = cell[0].tolist()
            pr_mean[str(cat)] = np.mean(cell, axis=0).tolist()
    return {
        "pycocotools": pycocotools_version(),
        "numpy": np.__version__,
        "iou_thresholds": p.iouThrs.tolist(),
        "recall_thresholds": p.recThrs.tolist(),
        "max_dets": list(p.maxDets),
        "category_ids": cat_ids,
        "image_ids": [int(i) for i in p.imgIds],
        "shape": list(precision.shape),
        "stats": [float(s) for s in ev.stats],
        "summary": printed.getvalue(),
        "per_category": per_category,
        "precision": precision.ravel().tolist(),
        "recall": recall.ravel().tolist(),
        "pr_iou50": pr_iou50,
        "pr_mean": pr_mean,
    }


def pycocotools_version():
    root = os.path.dirname(os.path.dirname(os.path.abspath(pycocotools.__file__)))
    try:
        commit = subprocess.run(["git", "-C", root, "rev-parse", "HEAD"], capture_output=True,
                                text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    return "ppwwyyxx/cocoapi " + commit


def main():
    for name in sorted(os.listdir(HERE)):
        case_dir = os.path.join(HERE, name)
        if not os.path.isfile(os.path.join(case_dir, "gt.json")):
            continue
        result = evaluate(case_dir)
        with open(os.path.join(case_dir, "expected.json"), "w") as f:
            json.dump(result, f, separators=(",", ":"))
            f.write("\n")
        print(name, " ".join("%.4f" % s for s in result["stats"]))


if __name__ == "__main__":
    main()
