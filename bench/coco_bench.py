#!/usr/bin/env python3
"""COCO box evaluation: cairn against pycocotools on a COCO-val-sized synthetic case.

  bench/coco_bench.py --cairn build/release/src/cli/cairn [--data-dir DIR] [--runs N]

Generates (once, fixed seed) DIR/gt.json and DIR/dt.json: 5,000 images, 80 categories,
~37k ground truth boxes (about 1% crowd regions, mask areas below the box areas) and ~435k
detections (jittered copies of the objects, confusions with other categories, background
false positives; at most 100 per image, scores with 3 decimals so many tie). Then times
`cairn eval coco --json` end to end (process start, JSON parsing, evaluation, output) and,
if `pycocotools` can be imported (put a local build on PYTHONPATH), pycocotools' COCOeval:
loading, evaluate(), accumulate(), summarize(). Checks that the 12 stats are identical, and
that the full precision and recall arrays are (`cairn eval coco --arrays`), and prints wall
and CPU times and their ratios as Markdown.
"""
import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

import numpy as np

SEED = 20240501
IMAGES = 5000
CATEGORIES = 80
STAT_NAMES = ["AP", "AP50", "AP75", "AP_small", "AP_medium", "AP_large",
              "AR_1", "AR_10", "AR_100", "AR_small", "AR_medium", "AR_large"]


def generate(data_dir):
    gt_path = os.path.join(data_dir, "gt.json")
    dt_path = os.path.join(data_dir, "dt.json")
    if os.path.exists(gt_path) and os.path.exists(dt_path):
        return gt_path, dt_path
    os.makedirs(data_dir, exist_ok=True)
    rng = np.random.default_rng(SEED)
    # Category frequencies skewed like COCO's (one dominant class, a long tail).
    cat_ids = np.array([i for i in range(1, 91) if i not in
                        (12, 26, 29, 30, 45, 66, 68, 69, 71, 83)][:CATEGORIES])
    weights = 1.0 / np.arange(1, CATEGORIES + 1) ** 0.9
    weights[0] *= 6
    weights /= weights.sum()
    images, annotations, detections = [], [], []
    ann_id = 1
    for image_id in range(1, IMAGES + 1):
        width, height = 640, 480
        images.append({"id": image_id, "width": width, "height": height,
                       "file_name": "%012d.jpg" % image_id})
        n_gt = int(rng.poisson(7.4))
        cats = rng.choice(cat_ids, size=n_gt, p=weights)
        # Box sizes log-uniform from 4 to 400 pixels: small, medium and large objects.
        sides = np.exp(rng.uniform(np.log(4), np.log(400), size=n_gt))
        aspect = np.exp(rng.normal(0, 0.4, size=n_gt))
        ws = np.minimum(sides * aspect, width - 1)
        hs = np.minimum(sides / aspect, height - 1)
        xs = rng.uniform(0, width - ws)
        ys = rng.uniform(0, height - hs)
        crowd = rng.random(n_gt) < 0.01
        fill = rng.uniform(0.5, 0.95, size=n_gt)
        image_dets = []
        for j in range(n_gt):
            box = [round(float(xs[j]), 2), round(float(ys[j]), 2), round(float(ws[j]), 2),
                   round(float(hs[j]), 2)]
            annotations.append({"id": ann_id, "image_id": image_id, "category_id": int(cats[j]),
                                "bbox": box, "area": round(box[2] * box[3] * float(fill[j]), 2),
                                "iscrowd": int(crowd[j]), "segmentation": []})
            ann_id += 1
            # Detections of this object: jittered boxes, sometimes with a confused category.
            for _ in range(int(rng.integers(1, 5))):
                jitter = rng.normal(0, 0.1, size=4)
                cat = int(cats[j]) if rng.random() > 0.15 else int(rng.choice(cat_ids))
                dbox = [box[0] + jitter[0] * box[2], box[1] + jitter[1] * box[3],
                        box[2] * (1 + jitter[2]), box[3] * (1 + jitter[3])]
                image_dets.append((cat, dbox, float(rng.beta(4, 2))))
        # Background false positives up to ~87 detections per image, capped at 100.
        n_fp = min(100 - len(image_dets), int(rng.poisson(87 - len(image_dets))))
        if n_fp > 0:
            sides = np.exp(rng.uniform(np.log(4), np.log(300), size=n_fp))
            fx = rng.uniform(0, width - sides)
            fy = rng.uniform(0, height - sides)
            fcats = rng.choice(cat_ids, size=n_fp, p=weights)
            fscores = rng.beta(1.2, 6, size=n_fp)
            for j in range(n_fp):
                image_dets.append((int(fcats[j]), [fx[j], fy[j], sides[j], sides[j] * 0.8],
                                   float(fscores[j])))
        for cat, dbox, score in image_dets[:100]:
            detections.append({"image_id": image_id, "category_id": cat,
                               "bbox": [round(float(max(v, 0.0)), 2) for v in dbox],
                               "score": round(score, 3)})
    categories = [{"id": int(c), "name": "class_%d" % c, "supercategory": "thing"}
                  for c in cat_ids]
    with open(gt_path, "w") as f:
        json.dump({"info": {"description": "synthetic COCO-val-sized case (bench/coco_bench.py)"},
                   "images": images, "annotations": annotations, "categories": categories}, f)
    with open(dt_path, "w") as f:
        json.dump(detections, f)
    return gt_path, dt_path


def run_cairn(cairn, gt_path, dt_path, runs, threads):
    """Wall and CPU (user + system) seconds of each run, and the stats of the last one."""
    times, cpu, stats = [], [], None
    for _ in range(runs):
        cmd = [cairn, "eval", "coco", "--gt", gt_path, "--dt", dt_path, "--json"]
        if threads is not None:
            cmd += ["--threads", str(threads)]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        times.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        doc = json.loads(out)
        stats = [doc["stats"][n] for n in STAT_NAMES]
    return times, cpu, stats


def cairn_arrays(cairn, gt_path, dt_path, out_path):
    subprocess.run([cairn, "eval", "coco", "--gt", gt_path, "--dt", dt_path, "--json",
                    "--arrays", "--out", out_path], check=True, capture_output=True)
    with open(out_path) as f:
        doc = json.load(f)
    return doc["shape"], doc["precision"], doc["recall"]


def run_pycocotools(gt_path, dt_path):
    import contextlib
    import io
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval
    with contextlib.redirect_stdout(io.StringIO()):
        t0, c0 = time.perf_counter(), time.process_time()
        gt = COCO(gt_path)
        dt = gt.loadRes(dt_path)
        t1, c1 = time.perf_counter(), time.process_time()
        ev = COCOeval(gt, dt, "bbox")
        ev.evaluate()
        t2 = time.perf_counter()
        ev.accumulate()
        t3 = time.perf_counter()
        ev.summarize()
        t4, c4 = time.perf_counter(), time.process_time()
    return {"load": t1 - t0, "evaluate": t2 - t1, "accumulate": t3 - t2, "summarize": t4 - t3,
            "eval_cpu": c4 - c1, "stats": [float(s) for s in ev.stats],
            "precision": ev.eval["precision"], "recall": ev.eval["recall"]}


def pycocotools_version():
    import pycocotools
    root = os.path.dirname(os.path.dirname(os.path.abspath(pycocotools.__file__)))
    try:
        commit = subprocess.run(["git", "-C", root, "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True, check=True).stdout.strip()
        return "ppwwyyxx/cocoapi commit " + commit
    except (OSError, subprocess.CalledProcessError):
        return "pycocotools"


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


MARK_BEGIN = "<!-- coco-bbox:begin (written by bench/run-coco.sh) -->"
MARK_END = "<!-- coco-bbox:end -->"


def write_section(path, text):
    """Replaces the COCO section (between MARK_BEGIN and MARK_END) of the Markdown file at
    `path`, or appends it."""
    with open(path) as f:
        old = f.read()
    section = MARK_BEGIN + "\n" + text.rstrip("\n") + "\n" + MARK_END
    b = old.find(MARK_BEGIN.split(" (")[0])
    e = old.find(MARK_END)
    if b != -1 and e > b:
        body = old[:b] + section + old[e + len(MARK_END):]
    else:
        body = old.rstrip("\n") + "\n\n" + section + "\n"
    with open(path, "w") as f:
        f.write(body)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cairn", required=True, help="path of the cairn binary")
    ap.add_argument("--data-dir", default="build/bench-data/coco")
    ap.add_argument("--runs", type=int, default=5, help="cairn runs per thread setting")
    ap.add_argument("--doc", help="replace the '## COCO bbox' section of this Markdown file")
    args = ap.parse_args()

    gt_path, dt_path = generate(args.data_dir)
    with open(gt_path) as f:
        gt = json.load(f)
    with open(dt_path) as f:
        n_dt = len(json.load(f))
    n_crowd = sum(a["iscrowd"] for a in gt["annotations"])
    print("data: %d images, %d categories, %d ground truths (%d crowd), %d detections; "
          "gt.json %.1f MiB, dt.json %.1f MiB" %
          (len(gt["images"]), len(gt["categories"]), len(gt["annotations"]), n_crowd, n_dt,
           os.path.getsize(gt_path) / 2**20, os.path.getsize(dt_path) / 2**20), flush=True)

    load_before = os.getloadavg()[0]
    results = {}
    for threads in (1, None):
        label = "1 thread" if threads == 1 else "%d threads" % os.cpu_count()
        times, cpu, stats = run_cairn(args.cairn, gt_path, dt_path, args.runs, threads)
        results[label] = (times, cpu, stats)
        print("cairn %s: best %.3f s, median %.3f s, CPU median %.3f s" %
              (label, min(times), statistics.median(times), statistics.median(cpu)), flush=True)

    try:
        import pycocotools  # noqa: F401
    except ImportError:
        print("pycocotools is not importable (build it locally and put it on PYTHONPATH); "
              "only cairn was timed")
        return 0
    py = run_pycocotools(gt_path, dt_path)
    load_after = os.getloadavg()[0]
    py_eval = py["evaluate"] + py["accumulate"] + py["summarize"]
    print("pycocotools: load %.2f s, evaluate %.2f s, accumulate %.2f s, summarize %.2f s "
          "(evaluate..summarize CPU %.2f s)" %
          (py["load"], py["evaluate"], py["accumulate"], py["summarize"], py["eval_cpu"]),
          flush=True)

    identical = True
    for label, (_, _, stats) in results.items():
        same = stats == py["stats"]
        identical &= same
        if not same:
            for name, a, b in zip(STAT_NAMES, py["stats"], stats):
                if a != b:
                    print("  %s differs (%s): pycocotools %r, cairn %r" % (name, label, a, b))
    shape, precision, recall = cairn_arrays(args.cairn, gt_path, dt_path,
                                            os.path.join(args.data_dir, "cairn.json"))
    arrays_identical = (list(py["precision"].shape) == shape and
                        py["precision"].ravel().tolist() == precision and
                        py["recall"].ravel().tolist() == recall)
    if not arrays_identical:
        cells = np.asarray(precision) != py["precision"].ravel()
        print("  precision cells that differ: %d of %d" % (int(cells.sum()), cells.size))

    md = ["## COCO bbox", "",
          "Written by `bench/run-coco.sh` (`make bench-coco`), which rewrites only this section. "
          "`cairn eval coco` against pycocotools' `COCOeval` "
          "(`iouType=\"bbox\"`) on the same files in the same session.", "",
          "- Data: synthetic, COCO-val-sized, generated by `bench/coco_bench.py` with a fixed "
          "seed: %d images, %d categories, %d ground truth boxes (%d crowd), %d detections "
          "(at most 100 per image, scores with 3 decimals); gt.json %.1f MiB, dt.json %.1f MiB."
          % (len(gt["images"]), len(gt["categories"]), len(gt["annotations"]), n_crowd, n_dt,
             os.path.getsize(gt_path) / 2**20, os.path.getsize(dt_path) / 2**20),
          "- cairn: `cairn eval coco --gt gt.json --dt dt.json --json [--threads N]`, timed end "
          "to end as a process: JSON parsing, evaluation, output. Release build.",
          "- pycocotools: %s, built locally, with numpy %s and Python %s; timed inside Python: "
          "`evaluate()` + `accumulate()` + `summarize()` (loading the files is shown apart and "
          "left out of the ratios)." % (pycocotools_version(), np.__version__,
                                        platform.python_version()),
          "- Machine: %s, %d cores, %s. Load average (1 min) before / after: %.2f / %.2f; "
          "above ~1 per core other work shared the cores, which stretches wall times of both "
          "tools; CPU time (user + system) is less affected." %
          (cpu_name(), os.cpu_count(), platform.platform(), load_before, load_after), "",
          "| | wall (s) | wall ratio | CPU (s) | CPU ratio |",
          "|---|---:|---:|---:|---:|",
          "| pycocotools load (`COCO` + `loadRes`), not in the ratios | %.2f | | | |" % py["load"],
          "| pycocotools `evaluate` + `accumulate` + `summarize` | %.2f | 1 | %.2f | 1 |" %
          (py_eval, py["eval_cpu"])]
    for label, (times, cpu, _) in results.items():
        md.append("| cairn, %s, end to end: best / median of %d | %.3f / %.3f | **%.0fx** / "
                  "%.0fx | %.3f | %.0fx |" %
                  (label, len(times), min(times), statistics.median(times), py_eval / min(times),
                   py_eval / statistics.median(times), statistics.median(cpu),
                   py["eval_cpu"] / statistics.median(cpu)))
    md += ["",
           "- The 12 stats are identical to pycocotools': %s." % ("yes" if identical else "NO"),
           "- The precision (%s) and recall arrays are identical to pycocotools', cell for cell "
           "(`cairn eval coco --arrays`): %s." % ("x".join(str(n) for n in shape),
                                                 "yes" if arrays_identical else "NO"),
           "",
           "Reproduce (pycocotools is not a dependency of cairn: build it yourself, outside the "
           "repository, from github.com/ppwwyyxx/cocoapi's `PythonAPI` with Debian's `cython3` "
           "and `python3-numpy`, e.g. `python3 setup.py build_ext --inplace`):", "",
           "```sh",
           "PYTHONPATH=/path/to/cocoapi/PythonAPI bench/run-coco.sh   # data in build/bench-data/coco/",
           "```", ""]
    text = "\n".join(md)
    print()
    print(text)
    if args.doc:
        write_section(args.doc, text)
    return 0 if identical and arrays_identical else 1


if __name__ == "__main__":
    sys.exit(main())
