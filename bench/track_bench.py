#!/usr/bin/env python3
"""Drives build/release/bench/track_bench and `cairn run list` (see bench/run-track.sh) and
writes the "Run tracking" section of docs/benchmarks.md between its markers."""
import argparse
import json
import math
import os
import platform
import shutil
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, 'build', 'release', 'bench', 'track_bench')
CAIRN = os.path.join(ROOT, 'build', 'release', 'src', 'cli', 'cairn')
MARK_BEGIN = '<!-- run-tracking:begin (written by bench/run-track.sh) -->'
MARK_END = '<!-- run-tracking:end -->'
WHERE = 'params.lr < 0.1 and metrics.val_f1 > 0.8'
QUERIES = [  # (label, where, sort)
    ('filter + sort', WHERE, '-metrics.val_f1'),
    ('sort only', '', '-metrics.val_f1'),
    ('filter only (newest first)', WHERE, ''),
    ('neither (newest first)', '', ''),
]


def bench(*args):
    out = subprocess.run([BENCH, *map(str, args)], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def pct(values, p):
    v = sorted(values)
    rank = max(1, min(len(v), math.ceil(p * len(v))))
    return v[rank - 1]


def cli_times(home, catalog, where, sort, limit, repeat):
    env = dict(os.environ, CAIRN_HOME=home)
    if catalog:
        env['CAIRN_CATALOG'] = catalog
    cmd = [CAIRN, 'run', 'list', '--limit', str(limit), '--json']
    if where:
        cmd += ['--where', where]
    if sort:
        cmd += ['--sort', sort]
    ms = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
        ms.append(1000 * (time.perf_counter() - t0))
    return ms


def fresh_log_home(home, uri):
    """A new workspace of 10 runs for the logging benchmarks (on PostgreSQL the schema is
    dropped first)."""
    log_home = home + '-log'
    shutil.rmtree(log_home, ignore_errors=True)
    if uri:
        subprocess.run(['psql', uri, '-qc', 'DROP SCHEMA public CASCADE; CREATE SCHEMA public'],
                       check=True, capture_output=True)
    bench('generate', log_home, 10, uri)
    return log_home


def write_section(path, section):
    text = open(path).read() if os.path.exists(path) else ''
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
    ap = argparse.ArgumentParser()
    ap.add_argument('--runs', type=int, default=100000)
    ap.add_argument('--repeat', type=int, default=40)
    ap.add_argument('--memory-repeat', type=int, default=3)
    ap.add_argument('--pg', default='')
    ap.add_argument('--data-dir', default=os.path.join(ROOT, 'build', 'bench-data', 'track'))
    ap.add_argument('--out', default=os.path.join(ROOT, 'docs', 'benchmarks.md'))
    args = ap.parse_args()
    load_before = os.getloadavg()[0]
    backends = [('SQLite', os.path.join(args.data_dir, f'sqlite-{args.runs}'), '')]
    if args.pg:
        backends.append(('PostgreSQL', os.path.join(args.data_dir, f'pg-{args.runs}'), args.pg))
    L = ['## Run tracking', '',
         'Written by `bench/run-track.sh` (`make bench-track`), which rewrites only this section.', '']
    gen = {}
    for name, home, uri in backends:
        marker = os.path.join(home, 'generated')
        if uri or not os.path.exists(marker):
            shutil.rmtree(home, ignore_errors=True)
            if uri:  # a fresh schema: drop what an earlier run left
                subprocess.run(['psql', uri, '-qc', 'DROP SCHEMA public CASCADE; CREATE SCHEMA public'],
                               check=True, capture_output=True)
            t0 = time.perf_counter()
            bench('generate', home, args.runs, uri)
            gen[name] = time.perf_counter() - t0
            open(marker, 'w').close()
    L += [f'- Data: {args.runs:,} runs, each with 20 params (`lr` log-uniform in [1e-4, 1), 2 int, '
          '1 string, 16 float), 10 metrics of 3 steps (`val_f1` ends uniform in [0.5, 0.95)) and 2 '
          'tags, written by `track_bench generate` (SQL, deterministic). '
          f'`{WHERE}` matches about 1/4 of the runs.',
          f'- Machine: {os.cpu_count()} cores, {platform.processor() or platform.machine()}, '
          f'{platform.system()} {platform.release()}; load average (1 min) before: {load_before:.2f}.',
          '- Library: `ListRuns` timed inside one process (`track_bench list`), '
          f'{args.repeat} calls for the SQL engine, {args.memory_repeat} for the in-memory engine '
          '(the implementation before schema v6, kept as `ListEngine::kInMemory`). The ratio is '
          'in-memory p50 / SQL p50. Both engines return the same table (fingerprint of every cell).',
          f'- CLI: `cairn run list --limit 50 --json ...` timed as a process, {args.repeat} calls '
          '(start, catalog open, query, output).', '']
    for name, home, uri in backends:
        L += [f'### {name}', '',
              '| query (`--limit 50`) | SQL p50 (ms) | SQL p95 (ms) | in-memory p50 (ms) | ratio | '
              'same table | CLI p50 (ms) | CLI p95 (ms) |',
              '|---|---:|---:|---:|---:|---|---:|---:|']
        for label, where, sort in QUERIES:
            sql = bench('list', home, 'sql', args.repeat, 50, sort, where, uri)
            mem = bench('list', home, 'memory', args.memory_repeat, 50, sort, where, uri)
            cli = cli_times(home, uri, where, sort, 50, args.repeat)
            shown = f'`--where "{where}"`' if where else ''
            shown += (' ' if shown else '') + (f'`--sort {sort}`' if sort else '')
            L.append(f'| {label}: {shown or "none"} | {sql["p50_ms"]:.1f} | {sql["p95_ms"]:.1f} | '
                     f'{mem["p50_ms"]:.0f} | **{mem["p50_ms"] / sql["p50_ms"]:.0f}x** | '
                     f'{"yes" if sql["fingerprint"] == mem["fingerprint"] else "NO"} | '
                     f'{pct(cli, 0.5):.1f} | {pct(cli, 0.95):.1f} |')
        L.append('')
        log_rows = []
        for points, batch in [(1000000, 1000000), (1000000, 10000), (100000, 100)]:
            r = {}
            for layout in ('rows', 'chunks'):
                # A small workspace of its own (on PostgreSQL the listed catalog is dropped for
                # it; it is generated again on every run).
                log_home = fresh_log_home(home, uri)
                r[layout] = bench('log', log_home, points, batch, uri, layout)
            same = r['rows']['sum'] == r['chunks']['sum'] and \
                r['rows']['read_points'] == r['chunks']['read_points'] == points
            log_rows.append(f'| {points:,} | {batch:,} | {r["rows"]["points_per_s"]:,.0f} | '
                            f'{r["chunks"]["points_per_s"]:,.0f} | '
                            f'**{r["chunks"]["points_per_s"] / r["rows"]["points_per_s"]:.1f}x** | '
                            f'{r["rows"]["read_seconds"]:.2f} | {r["chunks"]["read_seconds"]:.2f} | '
                            f'{"yes" if same else "NO"} |')
        # `cairn run log --file` with a 1M-line JSONL file, end to end (start, parse, write).
        log_home = fresh_log_home(home, uri)
        jsonl = os.path.join(args.data_dir, 'metrics-1m.jsonl')
        if not os.path.exists(jsonl):
            with open(jsonl, 'w') as f:
                for i in range(1000000):
                    f.write(f'{{"key": "loss_{i % 10}", "value": {1.0 / (i + 1)!r}, "step": {i // 10}}}\n')
        env = dict(os.environ, CAIRN_HOME=log_home)
        if uri:
            env['CAIRN_CATALOG'] = uri
        run_id = subprocess.run([CAIRN, 'run', 'start', '--name', 'jsonl'], check=True, env=env,
                                capture_output=True, text=True).stdout.strip()
        t0 = time.perf_counter()
        subprocess.run([CAIRN, 'run', 'log', run_id, '--file', jsonl], check=True, env=env,
                       stdout=subprocess.DEVNULL)
        cli_s = time.perf_counter() - t0
        L += ['Logging metrics on one run, 10 keys (`track_bench log`): points/s of the batches '
              'as one row per point (`rows`, how `LogMetrics` wrote them before schema v8, kept '
              'in the benchmark) and as packed chunks (`chunks`, `LogMetrics` now); then the '
              'seconds `GetRun` takes to read the series back, and whether both layouts read back '
              'the same points (count and sum).', '',
              '| points | batch | rows (points/s) | chunks (points/s) | speed-up | rows read (s) | '
              'chunks read (s) | same points |',
              '|---:|---:|---:|---:|---:|---:|---:|---|', *log_rows, '',
              f'`cairn run log RUN --file metrics.jsonl` with 1,000,000 lines (65 MB), as a process '
              f'(read, parse, write as chunks): {cli_s:.2f} s, '
              f'**{1000000 / cli_s:,.0f} points/s**.', '']
    L += ['Reproduce:', '', '```sh', 'make bench-track        # or: bench/run-track.sh [--runs N] [--repeat R]',
          '```']
    section = '\n'.join(L) + '\n'
    write_section(args.out, section)
    print(section)


if __name__ == '__main__':
    main()
