#!/usr/bin/env bash
# COCO box evaluation: cairn against pycocotools (bench/coco_bench.py); results go to the
# "COCO bbox" section of docs/benchmarks.md.
#
#   PYTHONPATH=/path/to/cocoapi/PythonAPI bench/run-coco.sh [--runs N]
#
# pycocotools is not a dependency of cairn: build it locally (github.com/ppwwyyxx/cocoapi,
# PythonAPI, `python3 setup.py build_ext --inplace` with cython3 and python3-numpy) and put
# its PythonAPI directory on PYTHONPATH; without it only cairn is timed. Environment:
# CAIRN_BENCH_BUILD_DIR (default build/release), CAIRN_BENCH_JOBS (default 2).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${CAIRN_BENCH_BUILD_DIR:-$root/build/release}"
jobs="${CAIRN_BENCH_JOBS:-2}"

if [[ ! -f "$build/CMakeCache.txt" ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCAIRN_BUILD_TESTS=OFF
fi
cmake --build "$build" -j "$jobs" --target cairn

exec /usr/bin/python3 "$root/bench/coco_bench.py" --cairn "$build/src/cli/cairn" \
  --data-dir "$root/build/bench-data/coco" --doc "$root/docs/benchmarks.md" "$@"
