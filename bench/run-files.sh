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

timed() {  # timed LABEL CMD...: runs CMD, prints its wall and CPU (user + system) seconds
  local label=$1; shift
  local TIMEFORMAT='%R %U %S' t
  t=$( { time "$@" >/dev/null 2>&1; } 2>&1 | tail -1)
  read -r wall user sys <<<"$t"
  printf '%-44s wall %7.2f s   cpu %7.2f s\n' "$label" "$wall" "$(echo "$user + $sys" | bc)"
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
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg), cores: $(nproc)"
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
timed "one file changed: cairn status" "$CAIRN" status data --threads "$THREADS"
timed "one file changed: cairn add" "$CAIRN" add data --threads "$THREADS"
"$CAIRN" status data --threads "$THREADS" | head -1

mv data data.before
timed "cairn checkout --link hardlink (empty dir)" \
  "$CAIRN" checkout data --link hardlink --threads "$THREADS"
timed "cp -al of the same tree" cp -al data data.cpal
"$CAIRN" status data --threads "$THREADS" | head -1

echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
if [[ ${KEEP:-0} != 1 ]]; then
  cd /
  rm -rf "$WORK"
fi
