# Thin wrappers around the CMake presets in CMakePresets.json. Every build lives in
# build/<preset>; each configuration is configured and built once per target below.
#
#   make deps          install build and test dependencies (Debian 12; scripts/install-deps.sh)
#   make build         release build (build/release)
#   make demo          deps + build + scripts/demo.sh: the whole loop on the digits data
#   make demo-store    deps + build + scripts/demo-store.sh: the data store on examples/frames.csv
#   make test          everything CI runs: format check, release build with -Werror and all
#                      its tests, ASan+UBSan unit tests, a short run of every fuzz target,
#                      clang-tidy
#   make bench         benchmarks against the tools users would otherwise use (bench/run.sh)
#                      and the store and metric engine benchmarks below
#   make bench-store   the training data store against DuckDB and PostgreSQL (bench/run-store.sh)
#   make bench-metrics the metric engine (cairn eval run) against scikit-learn
#                      (bench/run-metrics.sh)
#   make bench-files   tracked files (add, status, checkout) on 1M small files against sha256sum
#                      and cp -al (bench/run-files.sh; N_DIRS=100 for 100k files)
#   make bench-pipeline no-op `cairn pipeline status` of 100 stages and the binary's start-up
#                      time (bench/run-pipeline.sh)
#   make bench-track   run tracking: run list in SQL vs in memory over 100k runs, metric
#                      logging, on SQLite and PostgreSQL (bench/run-track.sh)
#   make bench-coco    COCO box evaluation against pycocotools (bench/run-coco.sh; put a local
#                      pycocotools build on PYTHONPATH, else only cairn is timed)
#   make format        apply .clang-format to our sources
#   make format-check  fail on any unformatted source file
#   make tidy          clang-tidy over src/ (needs a configured release build)
#   make clean         remove build/

SHELL := /bin/bash
JOBS ?= $(shell nproc)
WERROR ?= ON
FUZZ_SECONDS ?= 20
CLANG_FORMAT ?= clang-format
RUN_CLANG_TIDY ?= run-clang-tidy

# C++ sources that must be formatted: tracked or new, never ignored ones (node_modules).
SOURCES = $(shell git ls-files --cached --others --exclude-standard -- src tests bench fuzz \
                  | grep -E '\.(cc|h)$$')

.PHONY: all deps build configure-release demo demo-store test test-release test-asan test-fuzz bench \
        format format-check tidy clean

all: build

deps:
	scripts/install-deps.sh

configure-release:
	cmake --preset release -DCAIRN_WERROR=$(WERROR)

build: configure-release
	cmake --build --preset release -j$(JOBS)

demo: deps
	$(MAKE) build
	scripts/demo.sh

demo-store: deps
	$(MAKE) build
	scripts/demo-store.sh

test: deps
	$(MAKE) format-check
	$(MAKE) test-release
	$(MAKE) tidy
	$(MAKE) test-asan
	$(MAKE) test-fuzz
	@echo "make test: all checks passed"

# Unit, end-to-end and interop tests of the release build.
test-release: build
	ctest --preset release -j$(JOBS)

# Unit tests under AddressSanitizer + UndefinedBehaviorSanitizer (no benchmarks).
test-asan:
	cmake --preset asan -DCAIRN_WERROR=$(WERROR) -DCAIRN_BUILD_BENCH=OFF
	cmake --build --preset asan -j$(JOBS)
	ctest --preset asan -j$(JOBS)

# Every fuzz target for FUZZ_SECONDS, seeded from tests/data/<format>.
test-fuzz:
	cmake --preset fuzz -DCAIRN_BUILD_BENCH=OFF
	cmake --build --preset fuzz -j$(JOBS)
	scripts/run-fuzz.sh build/fuzz $(FUZZ_SECONDS)

bench: build
	bench/run.sh
	bench/run-store.sh
	bench/run-metrics.sh

.PHONY: bench-store
bench-store: build
	bench/run-store.sh

.PHONY: bench-metrics
bench-metrics: build
	bench/run-metrics.sh

.PHONY: bench-files
bench-files: build
	bench/run-files.sh

.PHONY: bench-pipeline
bench-pipeline: build
	bench/run-pipeline.sh

.PHONY: bench-track
bench-track: build
	bench/run-track.sh

.PHONY: bench-coco
bench-coco: build
	bench/run-coco.sh

format:
	$(CLANG_FORMAT) -i $(SOURCES)

format-check:
	$(CLANG_FORMAT) --dry-run --Werror $(SOURCES)

# clang-tidy parses with clang, which does not know the GCC-only flags in the database.
tidy: configure-release
	cmake --build --preset release --target cairn_build_info
	$(RUN_CLANG_TIDY) -p build/release -quiet -j $(JOBS) \
	    -extra-arg=-Wno-unknown-warning-option '^$(CURDIR)/src/.*\.cc$$'

clean:
	rm -rf build
