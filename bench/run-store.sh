#!/usr/bin/env bash
# Benchmarks cairn's training data store (ingest, snapshot create) against DuckDB and
# PostgreSQL side by side and writes docs/benchmarks-store.md.
#
#   bench/run-store.sh [--quick] [any option of bench/store_bench.js]
#
# --quick uses 1M example versions instead of 10M. Builds the cairn binary with the release
# preset (build/release) unless --cairn PATH names another one. Environment: CAIRN_BENCH_JOBS
# (default 2).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jobs="${CAIRN_BENCH_JOBS:-2}"

own_binary=0
for arg in "$@"; do
  [[ "$arg" == --cairn ]] && own_binary=1
done
if [[ $own_binary -eq 0 ]]; then
  cd "$root"
  if [[ ! -f build/release/CMakeCache.txt ]]; then
    cmake --preset release >/dev/null
  fi
  cmake --build --preset release --target cairn -j "$jobs"
fi

if [[ ! -d "$root/tests/duckdb/node_modules/@duckdb/node-api" ]]; then
  npm install --prefix "$root/tests/duckdb" --no-audit --no-fund
fi

exec node "$root/bench/store_bench.js" --data-dir "$root/build/bench-data/store" "$@"
