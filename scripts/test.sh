#!/usr/bin/env bash
# Every test: set up, build (normal and ASan+UBSan), run the unit tests, the schema check,
# the generated-docs check and a short run of each fuzzer.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
jobs=$(nproc)

echo "== build and test (RelWithDebInfo)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j "$jobs"
ctest --test-dir build --output-on-failure -j "$jobs"

echo "== build and test (ASan+UBSan, clang, with fuzzers)"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DSVSM_SPEC_SANITIZE=ON -DSVSM_SPEC_FUZZ=ON -DSVSM_SPEC_BENCH=OFF
cmake --build build-asan -j "$jobs"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure -j "$jobs"

echo "== fuzz (short runs)"
bash scripts/fuzz.sh build-asan "${FUZZ_SECONDS:-20}"
