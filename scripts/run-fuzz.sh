#!/usr/bin/env bash
# Runs every libFuzzer target of a fuzz build briefly, seeded from tests/data/<format>.
# usage: scripts/run-fuzz.sh [BUILD_DIR (default build/fuzz)] [SECONDS per target (default 20)]
# New inputs go to a temporary corpus (tests/data is only read). A crash, leak or timeout
# fails the script; the input that caused it is kept under BUILD_DIR/fuzz-artifacts/ and
# should become a permanent test case.
set -euo pipefail
cd "$(dirname "$0")/.."

build=${1:-build/fuzz}
seconds=${2:-20}
artifacts="$build/fuzz-artifacts"
mkdir -p "$artifacts"

shopt -s nullglob
targets=("$build"/fuzz/*_fuzz)
if ((${#targets[@]} == 0)); then
  echo "run-fuzz: no fuzz targets in $build/fuzz (build the fuzz preset first)" >&2
  exit 1
fi

status=0
for target in "${targets[@]}"; do
  name=$(basename "$target" _fuzz)
  corpus=$(mktemp -d)
  seeds=()
  [[ -d "tests/data/$name" ]] && seeds=("tests/data/$name")
  log="$artifacts/$name.log"
  echo "run-fuzz: $name for ${seconds}s (seeds: ${seeds[*]:-none})"
  if ! "$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="$artifacts/$name-" "$corpus" "${seeds[@]}" >"$log" 2>&1; then
    echo "run-fuzz: $name FAILED; last lines of $log:" >&2
    tail -n 40 "$log" >&2
    status=1
  else
    grep -E "^(Done|#[0-9]+.*DONE)" "$log" | tail -n 1 || true
  fi
  rm -rf "$corpus"
done
exit $status
