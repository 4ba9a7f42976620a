#!/usr/bin/env bash
# Installs what cairn needs to build and test on Debian 12: compilers, CMake, the libraries
# it links, test and lint tools, Slurm for the pipeline executor's tests, the DuckDB client
# used by the interop tests and the S3 test server.
# Idempotent and quick when everything is present: apt is only called for missing packages.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build pkg-config g++ git
  clang clang-format clang-tidy libclang-rt-14-dev  # libFuzzer and sanitizers for clang
  libssl-dev libcurl4-openssl-dev libxxhash-dev libzstd-dev libsnappy-dev libsimdjson-dev
  libsqlite3-dev libpq-dev libyaml-dev
  postgresql  # the catalog's PostgreSQL tests start a private server (scripts/pg-test-server.sh)
  libgtest-dev libgmock-dev libbenchmark-dev
  hyperfine python3
  python3-sklearn  # reference values for the metric tests (tests/metrics/make_reference.py)
  python3-numpy  # bench/coco_bench.py generates its COCO-sized case with numpy
  time  # /usr/bin/time -v: peak memory in the benchmarks (bench/run-metrics.sh)
  slurm-wlm munge  # the Slurm executor's tests start a one-node cluster (scripts/slurm-test-cluster.sh)
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
# Node.js and npm may come from Debian or from another install (NodeSource ships npm inside
# its nodejs package, which conflicts with Debian's npm): take whichever is on the PATH.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  missing+=(nodejs npm)
fi

if ((${#missing[@]} > 0)); then
  if [[ $(id -u) -eq 0 ]]; then
    sudo=()
  elif command -v sudo >/dev/null; then
    sudo=(sudo)
  else
    echo "install-deps: need root or sudo to install: ${missing[*]}" >&2
    exit 1
  fi
  echo "install-deps: installing ${missing[*]}"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The DuckDB client for the interop tests and benchmarks, pinned by its lock file.
if [[ -f tests/duckdb/package.json ]]; then
  if [[ ! -d tests/duckdb/node_modules ]]; then
    # `npm install` rather than `npm ci`: the lock file pins every version, but npm's clean
    # install rejects lock files that omit other platforms' optional DuckDB bindings.
    echo "install-deps: installing the DuckDB Node.js client (npm install)"
    npm install --prefix tests/duckdb --no-audit --no-fund
  fi
else
  echo "install-deps: tests/duckdb/package.json not found; skipping the DuckDB client"
fi

# s3rver, the S3-protocol server the object store tests start on loopback, pinned by its lock
# file.
if [[ -f tests/s3/package.json && ! -d tests/s3/node_modules ]]; then
  echo "install-deps: installing s3rver for the S3 store tests (npm install)"
  npm install --prefix tests/s3 --no-audit --no-fund
fi
