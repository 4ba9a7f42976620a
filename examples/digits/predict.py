"""Predicts a snapshot split with a saved model, for the demo loop: the model.json given as
the first argument (for example exported by `cairn model get`), the split file from
CAIRN_SPLIT_<NAME> (--split, default test); writes predictions/<split>.csv for `cairn eval run`.
"""
import argparse
import os

import digits_common as dc


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--split", default="test")
    ap.add_argument("--out", default=".")
    args = ap.parse_args()
    rows = dc.read_split(os.environ["CAIRN_SPLIT_" + args.split.upper()])
    prob = dc.probabilities(dc.load_model(args.model), dc.pixels(rows))
    path = os.path.join(args.out, "predictions", args.split + ".csv")
    dc.write_predictions(path, rows, prob)
    print("wrote %d predictions to %s" % (len(rows), path))


if __name__ == "__main__":
    main()
