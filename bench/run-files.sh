#!/usr/bin/env bash
# Tracked files at scale (docs/benchmarks.md, "Tracked files"): a tree of N_DIRS x N_FILES small
# files under WORK (never inside the repository), then
#   hashing:  cairn add  vs  find | xargs -P$THREADS sha256sum over the same files
#   status:   cairn status of the unchanged tree (run twice)
#   change:   one file edited, then cairn status + cairn add
#   checkout: cairn checkout --link hardlink into an empty directory  vs  cp -al of the tree
# Usage: bench/run-files.sh            (1000 x 1000 = 1M files)
#        N_DIRS=100 bench/run-files.sh (100k files)
# Timings are wall-clock seconds with a warm page cache; the tree is removed at the end
# (KEEP=1 keeps it).
set -euo pipefail

N_DIRS=${N_DIRS:-1000}
N_FILES=${N_FILES:-1000}
THREADS=${THREADS:-2}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CAIRN=${CAIRN:-$ROOT/build/release/src/cli/cairn}
WORK=${WORK:-/tmp/cairn-bench-files-$N_DIRS-$N_FILES}
export CAIRN_PROGRESS=0

[[ -x $CAIRN ]] || { echo "build cairn first (make build)" >&2; exit 1; }
case $WORK in "$ROOT"/*) echo "WORK must be outside the repository" >&2; exit 1 ;; esac

now() { date +%s.%N; }
elapsed() { echo "$(now) - $1" | bc; }
timed() {  # timed LABEL CMD...: runs CMD, prints and records its wall time
  local label=$1; shift
  local t0; t0=$(now)
  "$@" >/dev/null
  local s; s=$(elapsed "$t0")
  printf '%-44s %8.2f s\n' "$label" "$s"
  eval "T_${label//[^a-zA-Z0-9]/_}=$s"
}

rm -rf "$WORK"
mkdir -p "$WORK/ws/data"
echo "generating $N_DIRS x $N_FILES files under $WORK/ws/data ..."
python3 - "$WORK/ws/data" "$N_DIRS" "$N_FILES" <<'PY'
import os, sys
root, dirs, files = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for d in range(dirs):
    dp = os.path.join(root, "d%04d" % d)
    os.mkdir(dp)
    for f in range(files):
        body = ("dir %d file %d " % (d, f)) * 12 + "\n"
        fd = os.open(os.path.join(dp, "f%04d.txt" % f), os.O_WRONLY | os.O_CREAT, 0o644)
        os.write(fd, body.encode())
        os.close(fd)
PY
cd "$WORK/ws"
TOTAL=$((N_DIRS * N_FILES))
echo "files: $TOTAL, bytes: $(du -s --apparent-size --block-size=1 data | cut -f1), threads: $THREADS"
sleep 1  # let the newest timestamps age past the hash cache's racy margin

timed "sha256sum (find | xargs -P$THREADS)" \
  bash -c "find data -type f -print0 | xargs -0 -P$THREADS -n 5000 sha256sum"
"$CAIRN" init . >/dev/null
timed "cairn add (hash + cache + hardlink)" "$CAIRN" add data --threads "$THREADS"
timed "cairn status, unchanged (1st)" "$CAIRN" status data --threads "$THREADS"
timed "cairn status, unchanged (2nd)" "$CAIRN" status data --threads "$THREADS"
"$CAIRN" unprotect data/d0000/f0000.txt >/dev/null
echo "changed" >>data/d0000/f0000.txt
sleep 0.1
t0=$(now)
"$CAIRN" status data --threads "$THREADS" | head -3
"$CAIRN" add data --threads "$THREADS" --json | grep -o '"hashed":[0-9]*'
printf '%-44s %8.2f s\n' "one file changed: cairn status + cairn add" "$(elapsed "$t0")"

mv data data.before
timed "cairn checkout --link hardlink (empty dir)" \
  "$CAIRN" checkout data --link hardlink --threads "$THREADS"
timed "cp -al of the same tree" cp -al data data.cpal
"$CAIRN" status data --threads "$THREADS" | head -1

if [[ ${KEEP:-0} != 1 ]]; then
  cd /
  rm -rf "$WORK"
fi
