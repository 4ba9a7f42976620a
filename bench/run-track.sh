#!/usr/bin/env bash
# Benchmarks run tracking: `run list` over 100,000 runs (20 params, 10 metrics of 3 steps, 2
# tags each) with the SQL engine against the in-memory one, through the library and as
# `cairn run list` processes, on SQLite and PostgreSQL; metric logging in batches of 1M, 10k
# and 100 points, as one row per point (the layout before schema v8) against packed chunks;
# and `cairn run log --file` with a 1M-line JSONL file. Writes the "Run tracking" section of
# docs/benchmarks.md.
#
#   bench/run-track.sh [--runs N] [--repeat R]
#
# Builds cairn and track_bench with the release preset (build/release). The catalogs go to
# build/bench-data/track/ (generated once); PostgreSQL is a throwaway server started with
# scripts/pg-test-server.sh on port CAIRN_BENCH_PG_PORT (default 45432). Environment:
# CAIRN_BENCH_JOBS (default 2).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jobs="${CAIRN_BENCH_JOBS:-2}"
cd "$root"
if [[ ! -f build/release/CMakeCache.txt ]]; then
  cmake --preset release >/dev/null
fi
cmake --build --preset release --target cairn track_bench -j "$jobs"

port="${CAIRN_BENCH_PG_PORT:-45432}"
pg_dir="$root/build/bench-data/track/pg"
scripts/pg-test-server.sh start "$pg_dir" "$port" >/dev/null
trap 'scripts/pg-test-server.sh stop "$pg_dir" "$port" >/dev/null' EXIT

/usr/bin/python3 "$root/bench/track_bench.py" \
  --pg "postgresql://postgres@127.0.0.1:$port/postgres" "$@"
