#!/usr/bin/env bash
# Benchmarks cairn against DuckDB side by side and writes docs/benchmarks.md.
#
#   bench/run.sh [--quick] [any option of bench/duckdb_bench.js]
#
# --quick uses 1M rows instead of 10M. Environment: CAIRN_BENCH_BUILD_DIR (default
# build/release, the release preset's directory), CAIRN_BENCH_JOBS (default 2).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${CAIRN_BENCH_BUILD_DIR:-$root/build/release}"
jobs="${CAIRN_BENCH_JOBS:-2}"

if [[ ! -f "$build/CMakeCache.txt" ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCAIRN_BUILD_BENCH=ON \
    -DCAIRN_BUILD_TESTS=OFF
fi
cmake --build "$build" -j "$jobs" --target table_bench

if [[ ! -d "$root/tests/duckdb/node_modules/@duckdb/node-api" ]]; then
  npm install --prefix "$root/tests/duckdb" --no-audit --no-fund
fi

exec node "$root/bench/duckdb_bench.js" --table-bench "$build/bench/table_bench" \
  --data-dir "$root/build/bench-data" "$@"
