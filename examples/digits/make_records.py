"""Turns the handwritten digits that python3-sklearn ships (1,797 8x8 images, 10 classes) into
cairn example records for the demo loop.

Writes two JSON Lines files into the directory given as the only argument:

  digits.jsonl    every image as a record: key, frame (a file:// URI of the image's row in
                  digits.csv.gz), annotation, captured_at, labeled_at, group, and tags: label
                  (the digit a labeller assigned), vendor (who labelled it) and ink (light,
                  medium or heavy: the image's total ink by tertile).
                  vendor_b confuses look-alike digits (1/7, 3/8, 4/9): half of its labels
                  of those digits name the partner instead (a fixed, seeded choice).
  relabels.jsonl  vendor_b's wrong labels corrected: the same keys with the true digit, a new
                  annotation URI and a later labeled_at, i.e. new versions of those examples.

Deterministic: the same files every time.
"""
import gzip
import json
import os
import sys

import numpy as np

SOURCE = "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz"


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    with gzip.open(SOURCE, "rt") as f:
        data = np.loadtxt(f, delimiter=",")
    pixels, truth = data[:, :-1], data[:, -1].astype(int)
    ink = pixels.sum(axis=1)
    cuts = np.quantile(ink, [1 / 3, 2 / 3])
    rng = np.random.default_rng(20211)
    vendor_b = rng.random(len(truth)) < 0.5
    # vendor_b systematically confuses look-alike digits: half of its 1, 3, 4, 7, 8 and 9
    # are labelled as their partner.
    partner = {1: 7, 7: 1, 3: 8, 8: 3, 4: 9, 9: 4}
    confusable = np.array([t in partner for t in truth])
    wrong = vendor_b & confusable & (rng.random(len(truth)) < 0.5)
    noisy = truth.copy()
    for i in np.flatnonzero(wrong):
        noisy[i] = partner[truth[i]]

    def record(i, label, labeled_at, revision):
        return {
            "key": "digits/%04d" % i,
            "frame": "file://%s#row=%d" % (SOURCE, i),
            "annotation": "labels://digits/%04d.v%d" % (i, revision),
            "captured_at": "2024-03-%02dT08:00:00Z" % (1 + i % 28),
            "labeled_at": labeled_at,
            "group": "sheet%03d" % (i // 20),
            "tags": {
                "label": int(label),
                "vendor": "vendor_b" if vendor_b[i] else "vendor_a",
                "ink": "light" if ink[i] < cuts[0] else ("medium" if ink[i] < cuts[1] else "heavy"),
            },
        }

    with open(os.path.join(out, "digits.jsonl"), "w") as f:
        for i in range(len(truth)):
            f.write(json.dumps(record(i, noisy[i], "2024-04-01T00:00:00Z", 1)) + "\n")
    with open(os.path.join(out, "relabels.jsonl"), "w") as f:
        for i in np.flatnonzero(wrong):
            f.write(json.dumps(record(i, truth[i], "2024-05-01T00:00:00Z", 2)) + "\n")
    print("wrote %d records to digits.jsonl and %d corrections to relabels.jsonl"
          " (%d of vendor_b's %d labels were wrong)"
          % (len(truth), int(wrong.sum()), int(wrong.sum()), int(vendor_b.sum())))


if __name__ == "__main__":
    main()
