#!/usr/bin/env bash
# cairn's whole loop on real data: the handwritten digits that python3-sklearn ships.
#
#   ingest the images as versioned example records with tags -> cut a split snapshot ->
#   train through `cairn exec` (params, metric series, artifacts, environment recorded) ->
#   evaluate with the metric engine, sliced by tags -> register model version 1 and promote
#   it -> a re-label arrives -> new snapshot -> retrain -> evaluate both versions on the new
#   test split -> promote version 2 through a gate -> history and lineage.
#
# Run by `make demo` after the release build; everything lands in out/demo/ ($CAIRN_DEMO_OUT
# to choose). The data store tour on the dashcam-style sample is scripts/demo-store.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)

cairn=${CAIRN:-build/release/src/cli/cairn}
if [[ ! -x "$cairn" ]]; then
  echo "demo: $cairn not found; run 'make build' first" >&2
  exit 1
fi
cairn="$(cd "$(dirname "$cairn")" && pwd)/$(basename "$cairn")"
python=/usr/bin/python3  # Debian's python3, which has python3-sklearn
examples="$(pwd)/examples/digits"
out="${CAIRN_DEMO_OUT:-$(pwd)/out/demo}"
rm -rf "$out"
mkdir -p "$out/workspace" "$out/data" "$out/work"
unset CAIRN_HOME CAIRN_CATALOG CAIRN_STORE
cd "$out/workspace"
export CAIRN_HOME="$out/workspace"

say() { printf '\n\033[1;34m# %s\033[0m\n' "$*"; }
step() {
  printf '\033[1m$ cairn %s\033[0m\n' "$*"
  "$cairn" "$@"
}
newest_snapshot() { "$cairn" snapshot list digits --json | sed -n 's/^\[{"id":"\([0-9a-f]*\)".*/\1/p'; }
evaluate() {  # evaluate PREDICTIONS OUT_JSON [quiet]: the metric engine, sliced by ink and vendor
  local args=(eval run --input "$1" --label label --pred pred --scores 'p_{class}'
    --classes 0,1,2,3,4,5,6,7,8,9 --metrics accuracy,f1_macro,recall,log_loss,roc_auc
    --by ink --by vendor --out "$2" --html "${2%.json}.html")
  local shown='^ +(accuracy|f1_macro) '  # quiet: the overall numbers only
  [[ $# -ge 3 ]] || shown=' (accuracy|f1_macro) |^slice|^---'
  printf '\033[1m$ cairn %s\033[0m   (%s)\n' "${args[*]}" "accuracy and f1_macro shown; all in ${2%.json}.html"
  "$cairn" "${args[@]}" | grep -E "$shown" || true
}

say "1. A workspace and the digits as versioned example records (tags: label, vendor, ink)"
step init
$python "$examples/make_records.py" "$out/data"
step dataset create digits --description "8x8 handwritten digits (python3-sklearn)"
step ingest digits --from "$out/data/digits.jsonl" -m "labels from vendor_a and vendor_b"

say "2. An immutable snapshot with stable seeded splits"
step snapshot create digits --split train=0.7,val=0.1,test=0.2 --seed 7 --description "first labels"
s1=$(newest_snapshot)

say "3. Train through cairn exec: a run with params, metric series, artifacts, environment"
cd "$out/work"
mkdir -p v1 && cd v1
step exec --name digits-sgd --snapshot "${s1:0:12}" --param alpha=0.01 --param epochs=15 \
  --split-format csv --output model.json --output predictions --run-id-file run.id \
  -- $python "$examples/train.py" --alpha 0.01 --epochs 15
r1=$(cat run.id)
step run show "${r1:0:12}"

say "4. Evaluate on the test split, sliced by ink and vendor; register and promote version 1"
echo "(vendor_b's look-alike digits are mislabelled in this snapshot, test split included)"
evaluate predictions/test.csv eval.json
step model register digits --run "${r1:0:12}" --artifact model.json --description "first labels"
step model add-eval digits 1 eval.json --snapshot "${s1:0:12}" --split test --run "${r1:0:12}"
step model promote digits 1 --alias production --gate "$examples/gate.yaml"

say "5. vendor_b's wrong labels are corrected: new versions of those examples, a new snapshot"
cd "$out/workspace"
step ingest digits --from "$out/data/relabels.jsonl" -m "vendor_b relabelled"
step snapshot create digits --split train=0.7,val=0.1,test=0.2 --seed 7 --description "relabelled"
s2=$(newest_snapshot)
step snapshot diff "${s1:0:12}" "${s2:0:12}"

say "6. Retrain on the new snapshot; evaluate version 1 on the same new test split"
cd "$out/work"
mkdir -p v2 && cd v2
step exec --name digits-sgd --snapshot "${s2:0:12}" --param alpha=0.01 --param epochs=15 \
  --split-format csv --output model.json --output predictions --run-id-file run.id \
  -- $python "$examples/train.py" --alpha 0.01 --epochs 15
r2=$(cat run.id)
evaluate predictions/test.csv eval.json quiet
step model register digits --run "${r2:0:12}" --artifact model.json --description "relabelled"
step model add-eval digits 2 eval.json --snapshot "${s2:0:12}" --split test --run "${r2:0:12}"
cd "$out/work"
mkdir -p v1-on-s2 && cd v1-on-s2
step model get digits production -o model.json
step exec --name digits-v1-on-relabelled --snapshot "${s2:0:12}" --split-format csv \
  --output predictions --run-id-file run.id -- $python "$examples/predict.py" model.json
r3=$(cat run.id)
evaluate predictions/test.csv eval.json quiet
step model add-eval digits 1 eval.json --snapshot "${s2:0:12}" --split test --run "${r3:0:12}"

say "7. Promote version 2 through the gate (both versions on the relabelled test split)"
cd "$out/work"
step model promote digits 2 --alias production --gate "$examples/gate.yaml" --html "$out/ship.html"
say "8. A regression is refused: version 1 back to production fails the gate (exit 1)"
if step model promote digits 1 --alias production --gate "$examples/gate.yaml"; then
  echo "demo: the gate should have refused version 1" >&2
  exit 1
fi
step model history digits
step model lineage digits production
step run list --where "metrics.val_accuracy > 0.5" --sort -metrics.val_accuracy
step run compare "${r1:0:12}" "${r2:0:12}"
cd "$out/workspace"
step store verify

printf '\ndemo finished in %d s. Look at:\n' $(($(date +%s) - start))
printf '  %s   the ship/no-ship report of the promotion\n' "$out/ship.html"
printf '  %s   version 2 evaluated on the relabelled test split\n' "$out/work/v2/eval.html"
printf '  %s   the workspace (cairn run list, cairn model show digits)\n' "$out/workspace"
