#!/usr/bin/env bash
# Times what a pipeline user waits for when nothing has changed, and the start-up cost of the
# cairn binary, and prints a Markdown table for docs/benchmarks.md:
#
#   - `cairn pipeline status` of a 100-stage pipeline whose stages are all up to date
#     (goal: <= 1 s): every stage's key is recomputed (command, params, hashes of its
#     inputs, upstream keys) and looked up in the run cache, and its outputs are re-hashed;
#   - `cairn pipeline run` of the same pipeline (every stage skipped);
#   - `cairn --version` (goal: <= 50 ms), next to `python3 -c pass` and `git --version`.
#
#   bench/run-pipeline.sh [--cairn PATH] [--runs N] [--stages N] [--file-kib N]
#
# Builds the cairn binary with the release preset (build/release) unless --cairn names one.
# The pipeline: --stages stages (default 100) in 10 chains; each stage reads a 256 KiB input
# file (--file-kib) and its upstream stage's output and writes one output. Timings are the
# median and minimum of --runs runs (default 10) after one warm-up run. Needs /usr/bin/python3.
# Environment: CAIRN_BENCH_JOBS (default 2).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jobs="${CAIRN_BENCH_JOBS:-2}"
cairn=""
runs=10
stages=100
file_kib=256
while [[ $# -gt 0 ]]; do
  case "$1" in
    --cairn) cairn="$(realpath "$2")"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --stages) stages="$2"; shift 2 ;;
    --file-kib) file_kib="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
if [[ -z "$cairn" ]]; then
  cd "$root"
  if [[ ! -f build/release/CMakeCache.txt ]]; then
    cmake --preset release >/dev/null
  fi
  cmake --build --preset release --target cairn -j "$jobs" >/dev/null
  cairn="$root/build/release/src/cli/cairn"
fi

work="$(mktemp -d /tmp/cairn-bench-pipeline.XXXXXX)"
trap 'rm -rf "$work"' EXIT
"$cairn" init "$work" >/dev/null
project="$work/project"
mkdir -p "$project/inputs" "$project/outs"
{
  echo "pipeline: bench"
  echo "params: params.yaml"
  echo "stages:"
  for ((i = 0; i < stages; ++i)); do
    chain=$((i % 10))
    head -c $((file_kib * 1024)) /dev/urandom >"$project/inputs/in$i.bin"
    echo "  s$i:"
    if ((i >= 10)); then
      up=$((i - 10))
      echo "    cmd: cat inputs/in$i.bin outs/s$up.out | head -c 1000 > outs/s$i.out"
      echo "    deps: [inputs/in$i.bin, outs/s$up.out]"
    else
      echo "    cmd: head -c 1000 inputs/in$i.bin > outs/s$i.out"
      echo "    deps: [inputs/in$i.bin]"
    fi
    echo "    params: [chain$chain.rate]"
    echo "    outs: [outs/s$i.out]"
  done
} >"$project/pipeline.yaml"
for ((c = 0; c < 10; ++c)); do printf 'chain%d:\n  rate: 0.%d\n' "$c" "$c"; done \
  >"$project/params.yaml"

export CAIRN_HOME="$work" CAIRN_PROGRESS=0
cd "$project"
"$cairn" pipeline run --jobs "$jobs" >/dev/null 2>&1

/usr/bin/python3 - "$cairn" "$runs" "$stages" <<'PY'
import shutil, statistics, subprocess, sys, time

cairn, runs, stages = sys.argv[1], int(sys.argv[2]), sys.argv[3]

def timed(cmd, check_out=None):
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        samples.append((time.perf_counter() - t) * 1000)
        if check_out is not None:
            assert check_out in out, out
    return statistics.median(samples), min(samples)

rows = [
    (f"cairn pipeline status ({stages} stages, all up to date)",
     timed([cairn, "pipeline", "status"])),
    (f"cairn pipeline run ({stages} stages, all skipped)",
     timed([cairn, "pipeline", "run"], check_out=f"0 ran, {stages} skipped")),
    ("cairn --version", timed([cairn, "--version"])),
    ("python3 -c pass", timed(["/usr/bin/python3", "-c", "pass"])),
]
git = shutil.which("git")
if git:
    rows.append(("git --version", timed([git, "--version"])))
print(f"| command | median ms | min ms |")
print(f"|---|---:|---:|")
for name, (median, best) in rows:
    print(f"| `{name}` | {median:.1f} | {best:.1f} |")
PY
