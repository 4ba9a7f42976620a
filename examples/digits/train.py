"""Trains a linear digit classifier on a cairn snapshot, for the demo loop.

Run under `cairn exec --snapshot ID`: reads the train, val and test splits from
CAIRN_SPLIT_TRAIN / _VAL / _TEST, trains scikit-learn's SGDClassifier (logistic loss) for
--epochs passes, reports train and validation metrics after every epoch as `cairn:metric`
lines (cairn records them as metric series), and writes model.json and the test split's
predictions (predictions/test.csv) for `cairn eval run`.
"""
import argparse
import os

import numpy as np
from sklearn.linear_model import SGDClassifier
from sklearn.metrics import accuracy_score, log_loss

import digits_common as dc


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=int(os.environ.get("EPOCHS", "15")))
    ap.add_argument("--alpha", type=float, default=1e-2)
    ap.add_argument("--out", default=".")
    args = ap.parse_args()

    splits = {name: dc.read_split(os.environ["CAIRN_SPLIT_" + name.upper()])
              for name in ("train", "val", "test")}
    x = {name: dc.pixels(rows) for name, rows in splits.items()}
    y = {name: dc.labels(rows) for name, rows in splits.items()}
    mean = x["train"].mean(axis=0)
    scale = x["train"].std(axis=0)
    scale[scale == 0] = 1.0
    z = {name: (v - mean) / scale for name, v in x.items()}
    print("training on %d examples of snapshot %s (run %s)"
          % (len(y["train"]), os.environ.get("CAIRN_SNAPSHOT", "?")[:12],
             os.environ.get("CAIRN_RUN_ID", "?")[:12]))

    clf = SGDClassifier(loss="log_loss", alpha=args.alpha, average=True, random_state=0)
    rng = np.random.default_rng(0)
    for epoch in range(1, args.epochs + 1):
        order = rng.permutation(len(y["train"]))
        clf.partial_fit(z["train"][order], y["train"][order], classes=dc.CLASSES)
        model = {"mean": mean, "scale": scale, "coef": clf.coef_, "intercept": clf.intercept_}
        parts = []
        for name in ("train", "val"):
            p = dc.probabilities(model, x[name])
            parts.append("%s_accuracy=%.6f" % (name, accuracy_score(y[name], p.argmax(axis=1))))
            parts.append("%s_loss=%.6f" % (name, log_loss(y[name], p, labels=dc.CLASSES)))
        print("cairn:metric %s step=%d" % (" ".join(parts), epoch), flush=True)

    dc.save_model(os.path.join(args.out, "model.json"), clf, mean, scale)
    model = dc.load_model(os.path.join(args.out, "model.json"))
    dc.write_predictions(os.path.join(args.out, "predictions", "test.csv"), splits["test"],
                         dc.probabilities(model, x["test"]))


if __name__ == "__main__":
    main()
