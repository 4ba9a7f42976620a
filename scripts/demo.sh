#!/usr/bin/env bash
# A tour of the cairn command on the bundled sample (examples/frames.csv: dashcam-style
# example records): inspect it, convert CSV -> Parquet -> JSON Lines, filter on the way.
# Run by `make demo` after the release build; outputs go to out/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."

cairn=${CAIRN:-build/release/src/cli/cairn}
if [[ ! -x "$cairn" ]]; then
  echo "demo: $cairn not found; run 'make build' first" >&2
  exit 1
fi
out=out/demo
mkdir -p "$out"
rm -f "$out"/frames.parquet "$out"/night.jsonl

step() {
  printf '\n\033[1m$ cairn %s\033[0m\n' "$*"
  "$cairn" "$@"
}

step table schema examples/frames.csv
step table head examples/frames.csv -n 5 --columns key,captured_at,tags.weather,tags.speed_kmh
step table stats examples/frames.csv
step table convert examples/frames.csv "$out/frames.parquet" --compression zstd
step table schema "$out/frames.parquet"
step table head "$out/frames.parquet" -n 5 --columns key,captured_at,labeled_at \
  --where "tags.weather = fog" --where "labeled_at >= 2021-06-10"
step table convert "$out/frames.parquet" "$out/night.jsonl" --where "tags.night = true" \
  --columns key,frame,captured_at,tags.camera,tags.night
step table head "$out/night.jsonl" -n 2 --json
step table stats "$out/night.jsonl" --columns captured_at,tags.camera

printf '\nsizes: '
ls -l examples/frames.csv "$out/frames.parquet" "$out/night.jsonl" |
  awk '{printf "%s %s bytes  ", $NF, $5} END {print ""}'
