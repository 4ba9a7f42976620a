#!/usr/bin/env bash
# Benchmarks cairn's metric engine (`cairn eval run`) against scikit-learn side by side and
# writes the "Metric engine" section of docs/benchmarks.md.
#
#   bench/run-metrics.sh [--quick] [any option of bench/metrics_bench.py]
#
# --quick uses 1M rows instead of 10M. Builds the cairn binary with the release preset
# (build/release) unless --cairn PATH names another one. Needs /usr/bin/python3 with numpy and
# scikit-learn (Debian python3-sklearn) and /usr/bin/time. The data goes to
# /tmp/cairn-bench/metrics unless --data-dir says otherwise. Environment: CAIRN_BENCH_JOBS
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

exec /usr/bin/python3 "$root/bench/metrics_bench.py" "$@"
