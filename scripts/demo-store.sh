#!/usr/bin/env bash
# cairn's main job on the bundled sample (examples/frames.csv: 2,000 dashcam-style example
# records; examples/relabels.jsonl: a few re-labels and one bad record): a workspace, a
# dataset, idempotent ingest, a re-label, a filtered and split snapshot, export, diff,
# verification. Then a tour of the table commands. Run by `make demo-store` after the release
# build; outputs go to out/demo-store/.
set -euo pipefail
cd "$(dirname "$0")/.."

cairn=${CAIRN:-build/release/src/cli/cairn}
if [[ ! -x "$cairn" ]]; then
  echo "demo: $cairn not found; run 'make build' first" >&2
  exit 1
fi
cairn="$(cd "$(dirname "$cairn")" && pwd)/$(basename "$cairn")"
out=out/demo-store
mkdir -p "$out"
rm -f "$out"/frames.parquet "$out"/night.jsonl

step() {
  printf '\n\033[1m$ cairn %s\033[0m\n' "$*"
  "$cairn" "$@"
}

# --- The training data store -----------------------------------------------------------------
ws="$out/workspace"
rm -rf "$ws"
mkdir -p "$ws"
abs_out="$(cd "$out" && pwd)"
examples="$(pwd)/examples"
(
  cd "$ws"
  unset CAIRN_HOME CAIRN_CATALOG CAIRN_STORE
  step init
  step dataset create road_facing --description "front and side camera frames"
  step ingest road_facing --from "$examples/frames.csv" -m "first drives"
  first=$("$cairn" dataset show road_facing --json | sed -n 's/.*"commits":\[{"id":"\([0-9a-f]*\)".*/\1/p')
  step ingest road_facing --from "$examples/frames.csv"
  step ingest road_facing --from "$examples/relabels.jsonl" --rejects "$abs_out/rejects.jsonl" \
    -m "re-labels"
  step dataset show road_facing
  step snapshot create road_facing --where "tags.weather = 'rain' and not tags.night" \
    --split train=0.8,val=0.1,test=0.1 --seed 7 --description "rainy daytime"
  rainy=$("$cairn" snapshot list road_facing --json | sed -n 's/^\[{"id":"\([0-9a-f]*\)".*/\1/p')
  step snapshot create road_facing --where "tags.weather = 'rain' and not tags.night" \
    --split train=0.8,val=0.1,test=0.1 --seed 7 --as-of "${first:0:12}" --description "as first ingested"
  before=$("$cairn" snapshot list road_facing --json | sed -n 's/^\[{"id":"\([0-9a-f]*\)".*/\1/p')
  step snapshot diff "${before:0:12}" "${rainy:0:12}"
  step snapshot export "${rainy:0:12}" --split train -o "$abs_out/train.txt"
  step snapshot export "${rainy:0:12}" --split val -o "$abs_out/val.parquet"
  step table head "$abs_out/val.parquet" -n 3 --columns key,annotation,tags.weather
  step store verify
)

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
