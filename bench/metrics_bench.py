#!/usr/bin/python3
"""Benchmark of cairn's metric engine (`cairn eval run`) against scikit-learn.

Usually started by bench/run-metrics.sh.

  /usr/bin/python3 bench/metrics_bench.py [--cairn PATH] [--rows N | --quick] [--repeat R]
      [--threads 1,2] [--sklearn-rows N] [--sklearn-cells N] [--data-dir DIR] [--out FILE.md]

Generates (once, numpy, fixed seed) N rows (default 10M; --quick: 1M) of multiclass
predictions: a string label over 8 imbalanced classes, the predicted class, one float64
probability column p_<class> per class (softmax of noisy logits), and two slice columns,
weather (5 values) and time_of_day (8 values), 40 cells. The rows are kept as .npy arrays for
scikit-learn and written as Parquet for cairn (CSV written here, converted by
`cairn table convert`). Then times the same 25 metrics:

  unsliced  cairn:        `cairn eval run --input data.parquet ... --metrics <25>`
            scikit-learn: one sklearn call per metric over the whole arrays
  sliced    cairn:        the same with `--by weather,time_of_day` (overall and 40 cells, one pass)
            scikit-learn: the 25 calls on each cell's rows (boolean mask, then the calls)

cairn runs R times (default 3) per thread count; scikit-learn runs once (it is single-threaded
and its run takes minutes). Both are timed including the load of the data: cairn from process
start to exit (Parquet read, decode, metrics, JSON written), scikit-learn the np.load of the
.npy arrays plus the calls (the interpreter start and the import of sklearn are not counted).
Every run is its own process under /usr/bin/time -v, for its peak memory (max RSS). Every value
cairn reports is checked against scikit-learn's to 1e-9. Writes the "Metric engine" section of
--out (default docs/benchmarks.md) between its markers and prints it.
"""

import argparse
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEED = 20240611
CLASSES = ['bike', 'bus', 'car', 'motorcycle', 'pedestrian', 'sign', 'traffic_light', 'truck']
CLASS_WEIGHTS = [0.05, 0.02, 0.38, 0.01, 0.14, 0.20, 0.12, 0.08]
WEATHER = ['clear', 'cloudy', 'fog', 'rain', 'snow']
WEATHER_WEIGHTS = [0.45, 0.25, 0.05, 0.18, 0.07]
TIME_OF_DAY = ['afternoon', 'dawn', 'dusk', 'evening', 'late_night', 'midday', 'morning', 'night']
TIME_WEIGHTS = [0.18, 0.05, 0.07, 0.12, 0.06, 0.20, 0.20, 0.12]
# How hard each weather / time of day makes the task (subtracted from the logit margin).
WEATHER_PENALTY = [0.0, 0.2, 1.0, 0.5, 0.7]
TIME_PENALTY = [0.1, 0.4, 0.4, 0.2, 0.8, 0.0, 0.0, 0.6]

METRICS = [
    'accuracy', 'balanced_accuracy', 'cohen_kappa', 'mcc', 'confusion_matrix',
    'precision_macro', 'precision_micro', 'precision_weighted',
    'recall_macro', 'recall_micro', 'recall_weighted',
    'f1_macro', 'f1_micro', 'f1_weighted',
    'fbeta_macro(beta=2)', 'fbeta_weighted(beta=0.5)',
    'precision', 'recall', 'f1', 'support',
    'top_k_accuracy(k=2)', 'log_loss', 'brier', 'roc_auc', 'average_precision',
]
PER_CLASS = {'precision', 'recall', 'f1', 'support'}
TOLERANCE = 1e-9
MARK_BEGIN = '<!-- metric-engine:begin (written by bench/run-metrics.sh) -->'
MARK_END = '<!-- metric-engine:end -->'


def die(msg, code=1):
    print(f'metrics_bench.py: {msg}', file=sys.stderr)
    sys.exit(code)


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True,
                              check=False).stdout.strip()
    except OSError:
        return ''


# ---------------------------------------------------------------------------------------------
# Data


def stamp_of(rows):
    return {'rows': rows, 'seed': SEED, 'classes': CLASSES, 'version': 1}


def write_parquet(cairn, data_dir, parquet, label, pred, weather, tod, probs):
    """Writes the rows as CSV (floats in shortest round-trip form), converts it to Parquet."""
    rows = len(label)
    csv = os.path.join(data_dir, 'data.csv')
    header = ','.join(['label', 'pred', 'weather', 'time_of_day'] + [f'p_{c}' for c in CLASSES])
    chunk = 500_000
    with open(csv, 'w') as f:
        f.write(header + '\n')
        for lo in range(0, rows, chunk):
            hi = min(rows, lo + chunk)
            lines = []
            p = probs[lo:hi].tolist()
            for i, (a, b, w, t) in enumerate(zip(label[lo:hi].tolist(), pred[lo:hi].tolist(),
                                                 weather[lo:hi].tolist(), tod[lo:hi].tolist())):
                lines.append(f'{CLASSES[a]},{CLASSES[b]},{WEATHER[w]},{TIME_OF_DAY[t]},' +
                             ','.join(map(repr, p[i])))
            f.write('\n'.join(lines) + '\n')
    cmd = [cairn, 'table', 'convert', csv, parquet]
    for c in CLASSES:
        cmd += ['--type', f'p_{c}=float64']
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    os.remove(csv)


def head_parquet(cairn, data_dir, rows):
    """data.parquet's first `rows` rows as Parquet (made once), for checking scikit-learn runs
    over fewer rows."""
    import numpy as np

    path = os.path.join(data_dir, f'head-{rows}.parquet')
    if not os.path.exists(path):
        arrays = [np.load(os.path.join(data_dir, n + '.npy'), mmap_mode='r')[:rows]
                  for n in ('label', 'pred', 'weather', 'tod', 'probs')]
        write_parquet(cairn, data_dir, path, *arrays)  # cairn writes it atomically
    return path


def generate(cairn, data_dir, rows):
    """Writes the .npy arrays and data.parquet under data_dir unless they are there already."""
    import numpy as np

    os.makedirs(data_dir, exist_ok=True)
    stamp_path = os.path.join(data_dir, 'stamp.json')
    parquet = os.path.join(data_dir, 'data.parquet')
    if os.path.exists(stamp_path) and os.path.exists(parquet):
        with open(stamp_path) as f:
            if json.load(f) == stamp_of(rows):
                return
    print(f'generating {rows:,} rows into {data_dir} ...', file=sys.stderr)
    for name in os.listdir(data_dir):
        if name.startswith('head-') and name.endswith('.parquet'):
            os.remove(os.path.join(data_dir, name))
    t0 = time.perf_counter()
    rng = np.random.default_rng(SEED)
    k = len(CLASSES)
    label = rng.choice(k, size=rows, p=CLASS_WEIGHTS).astype(np.int8)
    weather = rng.choice(len(WEATHER), size=rows, p=WEATHER_WEIGHTS).astype(np.int8)
    tod = rng.choice(len(TIME_OF_DAY), size=rows, p=TIME_WEIGHTS).astype(np.int8)
    margin = 2.2 - np.asarray(WEATHER_PENALTY)[weather] - np.asarray(TIME_PENALTY)[tod]
    logits = rng.normal(0.0, 1.0, size=(rows, k))
    # Classes the model confuses: a share of the label's margin goes to a neighbouring class.
    logits[np.arange(rows), label] += margin
    neighbour = (label + 1) % k
    logits[np.arange(rows), neighbour] += 0.5 * rng.random(rows)
    logits -= logits.max(axis=1, keepdims=True)
    probs = np.exp(logits)
    probs /= probs.sum(axis=1, keepdims=True)
    pred = probs.argmax(axis=1).astype(np.int8)
    del logits
    for name, arr in [('label', label), ('pred', pred), ('weather', weather), ('tod', tod),
                      ('probs', probs)]:
        np.save(os.path.join(data_dir, name + '.npy'), arr)

    # CSV with every float in shortest round-trip form, so the Parquet file holds exactly the
    # values of probs.npy; then cairn converts it.
    write_parquet(cairn, data_dir, parquet, label, pred, weather, tod, probs)
    with open(stamp_path, 'w') as f:
        json.dump(stamp_of(rows), f)
    print(f'generated in {time.perf_counter() - t0:.1f} s', file=sys.stderr)


# ---------------------------------------------------------------------------------------------
# scikit-learn side (runs in its own process: `metrics_bench.py --sklearn-worker ...`)


def sklearn_metrics(y, p, P, labels, times):
    """The 25 metrics the way a user writes them: one scikit-learn call each."""
    import numpy as np
    from sklearn import metrics as skm
    from sklearn.preprocessing import label_binarize

    out = {}
    labels = list(labels)

    def timed(key, fn):
        t0 = time.perf_counter()
        out[key] = fn()
        times[key] = times.get(key, 0.0) + time.perf_counter() - t0

    timed('accuracy', lambda: skm.accuracy_score(y, p))
    timed('balanced_accuracy', lambda: skm.balanced_accuracy_score(y, p))
    timed('cohen_kappa', lambda: skm.cohen_kappa_score(y, p, labels=labels))
    timed('mcc', lambda: skm.matthews_corrcoef(y, p))
    timed('confusion_matrix', lambda: skm.confusion_matrix(y, p, labels=labels))
    for avg in ['macro', 'micro', 'weighted']:
        timed(f'precision_{avg}',
              lambda: skm.precision_score(y, p, labels=labels, average=avg, zero_division=0))
        timed(f'recall_{avg}',
              lambda: skm.recall_score(y, p, labels=labels, average=avg, zero_division=0))
        timed(f'f1_{avg}', lambda: skm.f1_score(y, p, labels=labels, average=avg, zero_division=0))
    timed('fbeta_macro(beta=2)',
          lambda: skm.fbeta_score(y, p, beta=2, labels=labels, average='macro', zero_division=0))
    timed('fbeta_weighted(beta=0.5)',
          lambda: skm.fbeta_score(y, p, beta=0.5, labels=labels, average='weighted',
                                  zero_division=0))
    timed('precision',
          lambda: skm.precision_score(y, p, labels=labels, average=None, zero_division=0))
    timed('recall', lambda: skm.recall_score(y, p, labels=labels, average=None, zero_division=0))
    timed('f1', lambda: skm.f1_score(y, p, labels=labels, average=None, zero_division=0))
    timed('support',
          lambda: skm.precision_recall_fscore_support(y, p, labels=labels, average=None,
                                                      zero_division=0)[3])
    timed('top_k_accuracy(k=2)', lambda: skm.top_k_accuracy_score(y, P, k=2, labels=labels))
    timed('log_loss', lambda: skm.log_loss(y, P, labels=labels))
    timed('brier',
          lambda: float(np.mean(np.sum((P - label_binarize(y, classes=labels))**2, axis=1))))
    timed('roc_auc', lambda: skm.roc_auc_score(y, P, multi_class='ovr', labels=labels))
    timed('average_precision',
          lambda: skm.average_precision_score(label_binarize(y, classes=labels), P,
                                              average='macro'))
    return out


def to_json_values(values, classes):
    out = {}
    for key, v in values.items():
        if key == 'confusion_matrix':
            out[key] = [[int(x) for x in row] for row in v]
        elif key in PER_CLASS:
            for c, x in zip(classes, v):
                out[f'{key}[{c}]'] = int(x) if key == 'support' else float(x)
        else:
            out[key] = float(v)
    return out


def sklearn_worker(args):
    t_start = time.perf_counter()
    import numpy as np
    from sklearn import metrics as _  # noqa: F401  (timed as the import)
    t_import = time.perf_counter() - t_start

    t0 = time.perf_counter()
    d = args.data_dir
    rows = args.sklearn_rows
    if args.labels == 'str':
        # The labels as the data has them: strings (a numpy string array; a pandas object
        # column would be slower still).
        names = np.asarray(CLASSES)
        y = names[np.load(os.path.join(d, 'label.npy'))[:rows]]
        p = names[np.load(os.path.join(d, 'pred.npy'))[:rows]]
        labels = list(CLASSES)
    else:
        # Class indices 0..7 (int64), what a user who encodes the labels first would pass.
        y = np.load(os.path.join(d, 'label.npy'))[:rows].astype(np.int64)
        p = np.load(os.path.join(d, 'pred.npy'))[:rows].astype(np.int64)
        labels = list(range(len(CLASSES)))
    P = np.load(os.path.join(d, 'probs.npy'))[:rows]
    weather = np.load(os.path.join(d, 'weather.npy'))[:rows]
    tod = np.load(os.path.join(d, 'tod.npy'))[:rows]
    t_load = time.perf_counter() - t0

    result = {'rows': int(len(y)), 'import_s': t_import, 'load_s': t_load}
    times = {}
    t0 = time.perf_counter()
    if args.sklearn_worker == 'overall':
        result['values'] = to_json_values(sklearn_metrics(y, p, P, labels, times), CLASSES)
    else:
        cells = {}
        wanted = [(w, t) for w in range(len(WEATHER)) for t in range(len(TIME_OF_DAY))]
        for w, t in wanted[:args.sklearn_cells]:
            c0 = time.perf_counter()
            mask = (weather == w) & (tod == t)
            ys, ps, Ps = y[mask], p[mask], P[mask]
            key = '(select the cell rows)'
            times[key] = times.get(key, 0.0) + time.perf_counter() - c0
            cells[f'{WEATHER[w]}|{TIME_OF_DAY[t]}'] = to_json_values(
                sklearn_metrics(ys, ps, Ps, labels, times), CLASSES)
            result['cell_rows'] = result.get('cell_rows', 0) + int(len(ys))
        result['cells'] = cells
    result['metrics_s'] = time.perf_counter() - t0
    result['times'] = times
    with open(args.result, 'w') as f:
        json.dump(result, f)


# ---------------------------------------------------------------------------------------------
# Timing


def run_timed(cmd, stdout=subprocess.DEVNULL):
    """Runs cmd under /usr/bin/time -v; returns (wall seconds, max RSS in KiB, CPU seconds)."""
    with tempfile.NamedTemporaryFile('r', suffix='.time') as tf:
        t0 = time.perf_counter()
        proc = subprocess.run(['/usr/bin/time', '-v', '-o', tf.name] + cmd, stdout=stdout,
                              stderr=subprocess.PIPE, text=True, check=False)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            die(f'{" ".join(cmd)} failed ({proc.returncode}):\n{proc.stderr}')
        report = tf.read()
        m = re.search(r'Maximum resident set size \(kbytes\): (\d+)', report)
        cpu = sum(float(x) for x in re.findall(r'(?:User|System) time \(seconds\): ([\d.]+)',
                                                report))
        return wall, int(m.group(1)) if m else None, cpu


def cairn_command(args, threads, sliced, out_json, parquet=None):
    cmd = [args.cairn, 'eval', 'run', '--input',
           parquet or os.path.join(args.data_dir, 'data.parquet'), '--label', 'label', '--pred',
           'pred', '--scores', 'p_{class}', '--metrics', ','.join(METRICS), '--out', out_json]
    if sliced:
        cmd += ['--by', 'weather,time_of_day']
    if threads is not None:
        cmd += ['--threads', str(threads)]
    return cmd


def run_sklearn(args, mode, labels, rows, result_path):
    cmd = [sys.executable, os.path.abspath(__file__), '--sklearn-worker', mode, '--labels', labels,
           '--data-dir', args.data_dir, '--sklearn-rows', str(rows), '--sklearn-cells',
           str(args.sklearn_cells), '--result', result_path]
    print(f'scikit-learn, {mode}, {labels} labels, {rows:,} rows ...', file=sys.stderr)
    wall, rss, _ = run_timed(cmd)
    with open(result_path) as f:
        r = json.load(f)
    r['process_s'] = wall
    r['rss_kib'] = rss
    print(f'  load {r["load_s"]:.2f} s + metrics {r["metrics_s"]:.2f} s, {mib(rss)}',
          file=sys.stderr)
    return r


# ---------------------------------------------------------------------------------------------
# Checking


def compare(expected, got):
    """Largest |difference| over the outputs of expected (None: an output missing in got)."""
    worst = 0.0
    for key, e in expected.items():
        if key not in got:
            return None, key
        g = got[key]
        if key == 'confusion_matrix':
            if g != e:
                return math.inf, key
            continue
        if g is None:
            return math.inf, key
        d = abs(float(g) - float(e))
        if not d <= worst:
            worst = d
    return worst, None


def check_overall(sk_values, cairn_doc):
    rows = []
    ok = True
    got = cairn_doc['overall']
    for metric in METRICS:
        base = metric
        keys = [k for k in sk_values if k == base or k.startswith(base + '[')]
        part = {k: sk_values[k] for k in keys}
        worst, missing = compare(part, got)
        good = missing is None and worst <= TOLERANCE
        ok &= good
        if metric == 'confusion_matrix':
            shown_sk, shown_cairn = '8x8 counts', '8x8 counts'
        elif metric in PER_CLASS:
            shown_sk = shown_cairn = f'{len(keys)} values'
        else:
            shown_sk = f'{sk_values[base]:.12g}'
            shown_cairn = '-' if got.get(base) is None else f'{got[base]:.12g}'
        diff = ('exact' if metric in ('confusion_matrix', 'support') and good else
                f'{worst:.1e}' if worst is not None and math.isfinite(worst) else
                f'MISMATCH ({missing})')
        rows.append((metric, shown_sk, shown_cairn, diff, 'ok' if good else 'FAIL'))
    return ok, rows


def check_cells(sk_cells, cairn_doc):
    slicing = cairn_doc['slices'].get('weather,time_of_day') or next(iter(
        cairn_doc['slices'].values()))
    worst_all = 0.0
    failures = []
    for cell, values in sk_cells.items():
        got = None
        for key, v in slicing.items():
            if key == cell:
                got = v
        if got is None:
            failures.append(f'{cell}: no such slice in cairn output')
            continue
        worst, missing = compare(values, got)
        if missing is not None or worst > TOLERANCE:
            failures.append(f'{cell}: {missing or worst}')
        elif worst > worst_all:
            worst_all = worst
    return worst_all, failures


# ---------------------------------------------------------------------------------------------
# Report


def fmt_s(x):
    return f'{x:.3f}' if x < 100 else f'{x:.1f}'


def duration(seconds):
    return f'{seconds / 60:.0f} minutes' if seconds >= 120 else f'{seconds:.0f} s'


def mib(kib):
    return '-' if kib is None else f'{kib / 1024:.0f} MiB'


def load_average():
    try:
        with open('/proc/loadavg') as f:
            return ' '.join(f.read().split()[:3])
    except OSError:
        return '?'


def machine():
    model = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").strip() or platform.machine()
    mem = sh("awk '/MemTotal/ {printf \"%.0f\", $2/1048576}' /proc/meminfo")
    return f'{os.cpu_count()} cores, {model}, {mem} GiB RAM, {platform.system()} {platform.release()}'


def write_section(path, section):
    text = ''
    if os.path.exists(path):
        with open(path) as f:
            text = f.read()
    block = f'{MARK_BEGIN}\n{section.rstrip()}\n{MARK_END}\n'
    if MARK_BEGIN in text and MARK_END in text:
        head = text[:text.index(MARK_BEGIN)]
        tail = text[text.index(MARK_END) + len(MARK_END):].lstrip('\n')
        text = head + block + (('\n' + tail) if tail else '')
    else:
        text = (text.rstrip('\n') + '\n\n' if text else '') + block
    with open(path, 'w') as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--cairn', default=os.path.join(ROOT, 'build', 'release', 'src', 'cli', 'cairn'))
    ap.add_argument('--rows', type=int, default=10_000_000)
    ap.add_argument('--quick', action='store_true', help='1M rows')
    ap.add_argument('--repeat', type=int, default=3)
    ap.add_argument('--threads', default='1,2')
    ap.add_argument('--sklearn-rows', type=int, default=2_000_000,
                    help='rows scikit-learn evaluates with string labels (default 2M; 0: all)')
    ap.add_argument('--sklearn-int-rows', type=int, default=0,
                    help='rows scikit-learn evaluates with integer labels (default 0: all)')
    ap.add_argument('--sklearn-cells', type=int, default=40,
                    help='cells scikit-learn evaluates in the sliced run (rest extrapolated)')
    ap.add_argument('--data-dir', default=os.path.join(tempfile.gettempdir(), 'cairn-bench',
                                                        'metrics'))
    ap.add_argument('--out', default=os.path.join(ROOT, 'docs', 'benchmarks.md'))
    ap.add_argument('--sklearn-worker', choices=['overall', 'cells'], help=argparse.SUPPRESS)
    ap.add_argument('--labels', choices=['str', 'int'], help=argparse.SUPPRESS)
    ap.add_argument('--result', help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.sklearn_worker:
        sklearn_worker(args)
        return
    if args.quick:
        args.rows = 1_000_000
    args.sklearn_cells = max(1, min(40, args.sklearn_cells))
    threads = [int(t) for t in args.threads.split(',')]
    if not os.access(args.cairn, os.X_OK):
        die(f'no cairn binary at {args.cairn} (build it: cmake --build --preset release '
            '--target cairn)')
    if not os.access('/usr/bin/time', os.X_OK):
        die('needs /usr/bin/time (Debian package time)')
    import numpy
    import sklearn

    def clamp(n):
        return args.rows if n <= 0 or n > args.rows else n

    variants = [
        {'labels': 'str', 'rows': clamp(args.sklearn_rows), 'name': 'scikit-learn, string labels'},
        {'labels': 'int', 'rows': clamp(args.sklearn_int_rows),
         'name': 'scikit-learn, integer labels'},
    ]

    generate(args.cairn, args.data_dir, args.rows)
    load_before = load_average()
    work = tempfile.mkdtemp(prefix='cairn-metrics-bench-')

    # cairn: each configuration R times, the Parquet file read once before (page cache).
    with open(os.path.join(args.data_dir, 'data.parquet'), 'rb') as f:
        while f.read(16 << 20):
            pass
    runs = {}
    docs = {}
    for sliced in (False, True):
        for t in threads:
            out_json = os.path.join(work, f'cairn-{int(sliced)}-{t}.json')
            cmd = cairn_command(args, t, sliced, out_json)
            walls, rss, cpus = [], [], []
            for _ in range(args.repeat):
                w, r, c = run_timed(cmd)
                walls.append(w)
                rss.append(r)
                cpus.append(c)
                print(f'cairn {"sliced" if sliced else "unsliced"} threads={t}: {w:.3f} s '
                      f'(CPU {c:.2f} s), {mib(r)}', file=sys.stderr)
            runs[(sliced, t)] = {'best': min(walls), 'median': statistics.median(walls),
                                 'cpu': cpus[walls.index(min(walls))],
                                 'rss': max((x for x in rss if x is not None), default=None)}
            with open(out_json) as f:
                docs[(sliced, t)] = json.load(f)
    # The default thread count (all cores), unless it is one of those timed.
    default_walls = []
    if os.cpu_count() not in threads:
        default_json = os.path.join(work, 'cairn-default.json')
        default_walls = [run_timed(cairn_command(args, None, False, default_json))[0]
                         for _ in range(args.repeat)]
    # Every thread count gives the same bits.
    same_bits = all(docs[(s, t)]['overall'] == docs[(s, threads[0])]['overall'] and
                    docs[(s, t)]['slices'] == docs[(s, threads[0])]['slices']
                    for s in (False, True) for t in threads)

    for v in variants:
        v['overall'] = run_sklearn(args, 'overall', v['labels'], v['rows'],
                                   os.path.join(work, f'sk-{v["labels"]}-overall.json'))
        v['cells'] = run_sklearn(args, 'cells', v['labels'], v['rows'],
                                 os.path.join(work, f'sk-{v["labels"]}-cells.json'))
    load_after = load_average()

    # Check every value against cairn's over the same rows (cairn over the first rows of the
    # file, untimed, where scikit-learn saw fewer rows).
    ok = same_bits
    for v in variants:
        if v['rows'] == args.rows:
            un_doc, sl_doc = docs[(False, threads[-1])], docs[(True, threads[-1])]
        else:
            head = head_parquet(args.cairn, args.data_dir, v['rows'])
            paths = [os.path.join(work, f'head-{i}.json') for i in (0, 1)]
            for sliced in (False, True):
                subprocess.run(cairn_command(args, None, sliced, paths[sliced], head), check=True,
                               stdout=subprocess.DEVNULL)
            with open(paths[0]) as f:
                un_doc = json.load(f)
            with open(paths[1]) as f:
                sl_doc = json.load(f)
        v['check_ok'], v['check_rows'] = check_overall(v['overall']['values'], un_doc)
        v['sliced_overall_ok'] = check_overall(v['overall']['values'], sl_doc)[0]
        v['cells_worst'], v['cells_fail'] = check_cells(v['cells']['cells'], sl_doc)
        ok = ok and v['check_ok'] and v['sliced_overall_ok'] and not v['cells_fail']

    # Times, scaled to all rows where scikit-learn saw fewer.
    n_cells = args.sklearn_cells
    for v in variants:
        v['scale'] = args.rows / v['rows']
        o, c = v['overall'], v['cells']
        v['total'] = (o['load_s'] + o['metrics_s']) * v['scale']
        # Cells left out: scaled by their rows.
        v['cells_total'] = (c['load_s'] + c['metrics_s'] * v['rows'] / c['cell_rows']) * v['scale']
    best_t = max(threads)
    un = runs[(False, best_t)]
    sl = runs[(True, best_t)]
    sliced_over = sl['best'] / un['best']

    w = numpy.load(os.path.join(args.data_dir, 'weather.npy')).astype(numpy.int64)
    tod = numpy.load(os.path.join(args.data_dir, 'tod.npy')).astype(numpy.int64)
    cell_counts = numpy.bincount(w * len(TIME_OF_DAY) + tod, minlength=40)
    del w, tod
    commit = sh(f'git -C {ROOT} rev-parse --short HEAD')
    gcc = sh('gcc -dumpfullversion')
    parquet_size = os.path.getsize(os.path.join(args.data_dir, 'data.parquet')) / 1048576
    rows_txt = f'{args.rows:,}'

    def scaled_note(v):
        return '' if v['scale'] == 1 else f', measured on {v["rows"]:,} rows, x {v["scale"]:g}'

    L = []
    a = L.append
    a('## Metric engine: cairn vs scikit-learn')
    a('')
    a('Generated by `bench/run-metrics.sh` (`make bench-metrics`); do not edit by hand. '
      '`bench/metrics_bench.py` computes the same 25 metrics of one multiclass evaluation with '
      '`cairn eval run` and with scikit-learn, unsliced and sliced by a 2-D grid of 40 cells, '
      'and checks that every value agrees. **ratio** = scikit-learn time / cairn time (above 1 '
      'cairn is faster).')
    a('')
    a('### Setup')
    a('')
    a(f'- Machine: {machine()}')
    a(f'- cairn: commit {commit}, Release build, gcc {gcc} (`build/release/src/cli/cairn`)')
    a(f'- scikit-learn {sklearn.__version__}, numpy {numpy.__version__}, Python '
      f'{platform.python_version()} (Debian packages, `/usr/bin/python3`)')
    a(f'- Data: {rows_txt} rows generated by numpy (seed {SEED}): `label` and `pred` strings '
      f'over 8 classes ({", ".join(f"{c} {w:.0%}" for c, w in zip(CLASSES, CLASS_WEIGHTS))} of '
      'the labels), `pred` the arg-max of the scores; `p_<class>` float64, the softmax of '
      'logits = normal noise + a margin on the label\'s logit that shrinks in bad weather and '
      'at night + a smaller bump on a neighbouring class; `weather` (5 values) and '
      f'`time_of_day` (8 values): 40 cells of {int(cell_counts.min()):,} to '
      f'{int(cell_counts.max()):,} rows. cairn reads `data.parquet` '
      f'({parquet_size:.1f} MiB, snappy, written by `cairn table convert` from a CSV of '
      'shortest round-trip decimals); scikit-learn reads the same values from `.npy` arrays '
      'saved at generation time.')
    a('- scikit-learn is measured twice: with the labels as the data has them, strings (numpy '
      '`<U` arrays; a pandas object column would be slower), and with the labels encoded as '
      'integers 0..7 first (the encoding not timed), which is several times faster in '
      'scikit-learn. ' +
      ' '.join(f'{v["name"].capitalize()}: {v["rows"]:,} rows' +
               ('' if v['scale'] == 1 else
                f', the first of the {rows_txt} (all of them would take about '
                f'{duration(v["total"])}); its times are scaled by {v["scale"]:g} to '
                f'{rows_txt} rows, which flatters it slightly since its sorts are n log n') + '.'
               for v in variants))
    a(f'- Load average (1, 5, 15 min) before / after the run: {load_before} / {load_after} '
      '(above ~0.5 per core means other work shared the cores and numbers are noisy).')
    a('')
    a('### What is timed')
    a('')
    a('| run | cairn | scikit-learn |')
    a('|---|---|---|')
    a('| unsliced | `cairn eval run --input data.parquet --label label --pred pred --scores '
      '\'p_{class}\' --metrics <the 25> --out r.json --threads N` | `np.load` of the arrays, then '
      'one call per metric (below) |')
    a(f'| sliced | the same with `--by weather,time_of_day`: overall and the 40 cells in one pass '
      f'| the same calls on the rows of each cell (`mask = (weather == w) & (tod == t)`), '
      f'{"all 40 cells" if n_cells == 40 else f"{n_cells} cells measured, scaled by rows to 40"} |')
    a('')
    a('The 25 metrics and the scikit-learn call for each: `accuracy_score`, '
      '`balanced_accuracy_score`, `cohen_kappa_score`, `matthews_corrcoef`, `confusion_matrix`, '
      '`precision_score` / `recall_score` / `f1_score` with `average=` macro, micro, weighted '
      'and `None` (per class), `fbeta_score(beta=2, average="macro")`, '
      '`fbeta_score(beta=0.5, average="weighted")`, support from '
      '`precision_recall_fscore_support`, `top_k_accuracy_score(k=2)`, `log_loss`, brier as '
      '`np.mean(np.sum((P - label_binarize(y)) ** 2, axis=1))`, '
      '`roc_auc_score(y, P, multi_class="ovr", labels=...)` (macro) and '
      '`average_precision_score(label_binarize(y), P, average="macro")`; every call gets '
      '`labels=` the 8 classes where it takes them.')
    a('')
    a('Both sides include loading the data: cairn is timed from process start to exit (reading '
      'and decoding the Parquet file, the metrics, writing the JSON), '
      f'{args.repeat} run{"s" if args.repeat > 1 else ""} per configuration, the Parquet file '
      'read once before so that it comes from the page cache; '
      'scikit-learn is timed inside its process from `np.load` to the last call (the '
      'interpreter start and `import sklearn`, '
      f'{variants[0]["overall"]["import_s"]:.2f} s, are not counted), once per variant, since '
      'it takes minutes and is single-threaded. Peak memory is the max RSS of the process '
      '(`/usr/bin/time -v`); for scikit-learn it includes the arrays it was given.')
    a('')
    a('### Results')
    a('')
    ratio_heads = ' | '.join(f'ratio {v["name"].split(", ")[1]}' for v in variants)
    a(f'| run | tool | threads | best (s) | median (s) | CPU (s) | rows/s (best) | {ratio_heads} '
      '| peak memory |')
    a('|---|---|---:|---:|---:|---:|---:|' + '---:|' * len(variants) + '---:|')
    for sliced in (False, True):
        name = 'sliced (40 cells)' if sliced else 'unsliced'
        for t in threads:
            r = runs[(sliced, t)]
            ratios = ' | '.join(
                f'**{(v["cells_total"] if sliced else v["total"]) / r["best"]:.1f}**'
                for v in variants)
            a(f'| {name} | cairn | {t} | {fmt_s(r["best"])} | {fmt_s(r["median"])} | '
              f'{fmt_s(r["cpu"])} | {args.rows / r["best"]:,.0f} | {ratios} | {mib(r["rss"])} |')
        for v in variants:
            res = v['cells'] if sliced else v['overall']
            total = v['cells_total'] if sliced else v['total']
            what = ((f'for {n_cells} cells' +
                     ('' if n_cells == 40 else ', scaled by rows to 40')) if sliced else 'metrics')
            note = (f' ({fmt_s(res["load_s"])} load + {fmt_s(res["metrics_s"])} {what}'
                    f'{scaled_note(v)})')
            dashes = ' | '.join('-' for _ in variants)
            a(f'| {name} | {v["name"]} | 1 | {fmt_s(total)}{note} | - | - | '
              f'{args.rows / total:,.0f} | {dashes} | {mib(res["rss_kib"])}'
              f'{"" if v["scale"] == 1 else " (" + format(v["rows"], ",") + " rows)"} |')
    a('')
    a((f'cairn with the default thread count (all {os.cpu_count()} cores), unsliced: best '
       f'{fmt_s(min(default_walls))} s, median {fmt_s(statistics.median(default_walls))} s. '
       if default_walls else
       f'cairn\'s default thread count is all cores, here {os.cpu_count()}, timed above. ') +
      'CPU = user + system time of the best run. ' +
      ('Every thread count gave the same JSON, bit for bit.' if same_bits else
       '**The thread counts gave different results.**'))
    a('')
    a(f'Where scikit-learn\'s time goes (unsliced, seconds for {rows_txt} rows, the slowest '
      'calls first):')
    a('')
    a('| call | ' + ' | '.join(v['name'].split(', ')[1] for v in variants) + ' |')
    a('|---|' + '---:|' * len(variants))
    order = sorted(variants[0]['overall']['times'],
                   key=lambda k: -variants[0]['overall']['times'][k])
    for key in order:
        a(f'| {key} | ' + ' | '.join(
            f'{v["overall"]["times"][key] * v["scale"]:.2f}' for v in variants) + ' |')
    a('')
    a('### Values agree')
    a('')
    a('Each of cairn\'s outputs (`--out` JSON) against scikit-learn\'s value over the same rows, '
      f'tolerance {TOLERANCE:g} (absolute); the confusion matrix and the supports must be equal. '
      'Where scikit-learn saw fewer rows, cairn is run once more (untimed) on a Parquet file of '
      'those first rows.')
    a('')
    a('| metric | scikit-learn | cairn | ' +
      ' | '.join(f'max abs difference, {v["name"].split(", ")[1]} ({v["rows"]:,} rows)'
                 for v in variants) + ' |')
    a('|---|---:|---:|' + '---:|' * len(variants))
    ref = next((v for v in variants if v['scale'] == 1), variants[-1])
    for i, metric in enumerate(METRICS):
        row = ref['check_rows'][i]
        a(f'| {metric} | {row[1]} | {row[2]} | ' +
          ' | '.join(f'{v["check_rows"][i][3]}{"" if v["check_rows"][i][4] == "ok" else " FAIL"}'
                     for v in variants) + ' |')
    a('')
    a(f'(values shown: {ref["name"]}, {ref["rows"]:,} rows)')
    a('')
    for v in variants:
        a(f'- Sliced run, {v["name"]}: the overall outputs '
          f'{"agree" if v["sliced_overall_ok"] else "**DO NOT agree**"} likewise; in the ' +
          (f'{n_cells} cells' if n_cells < 40 else '40 cells') + ' scikit-learn evaluated, ' +
          (f'every output of every cell agrees (largest difference {v["cells_worst"]:.1e}).'
           if not v['cells_fail'] else f'**{len(v["cells_fail"])} cells differ**: ' +
           '; '.join(v['cells_fail'][:5]) + '.'))
    a('')
    a('### Goals')
    a('')
    a(f'| goal | measured (best runs, cairn with {best_t} threads) | |')
    a('|---|---|---|')
    for v in variants:
        ratio = v['total'] / un['best']
        a(f'| cairn at least 20x faster than scikit-learn, unsliced ({v["name"].split(", ")[1]}) '
          f'| {ratio:.1f}x | {"met" if ratio >= 20 else "not met"} |')
    a(f'| sliced by 40 cells at most 1.5x the unsliced time | {sliced_over:.2f}x | '
      f'{"met" if sliced_over <= 1.5 else "not met"} |')
    for v in variants:
        a(f'| (for reference) sliced, {v["name"]} / cairn | '
          f'{v["cells_total"] / sl["best"]:.1f}x | |')
    a('')
    a('### Reproduce')
    a('')
    a('```sh')
    a('make bench-metrics             # bench/run-metrics.sh: builds cairn (Release), generates '
      'the data into /tmp/cairn-bench/metrics (once), writes this section')
    a('bench/run-metrics.sh --quick   # 1M rows, for a fast check')
    a('```')
    a('')
    a('Options of `bench/run-metrics.sh` (passed to `bench/metrics_bench.py`): `--rows N`, '
      '`--repeat R`, `--threads 1,2`, `--sklearn-rows N` (string labels on the first N rows, '
      'scaled up; 0: all), `--sklearn-int-rows N` (likewise for integer labels), '
      '`--sklearn-cells N` (the first N of the 40 cells, scaled up by rows), `--data-dir DIR`, `--out FILE`.')
    section = '\n'.join(L) + '\n'
    write_section(args.out, section)
    print(section)
    shutil.rmtree(work, ignore_errors=True)
    if not ok:
        die('values differ between cairn and scikit-learn, or between thread counts (see above)')


if __name__ == '__main__':
    main()
