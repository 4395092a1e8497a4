#!/usr/bin/env bash
# The main job: set up, build, and run the conformance suite against the reference SVSM,
# writing its reports to reports/ (conformance.html, .json, .xml, coverage.txt).
# Exit code: that of `svsm-spec conform` (0 = every vector passed; docs/cli.md).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSVSM_SPEC_BENCH=OFF
cmake --build build --target svsm-spec
./build/cli/svsm-spec check --spec spec
mkdir -p reports
./build/cli/svsm-spec conform --target ref \
  --html reports/conformance.html --json reports/conformance.json \
  --junit reports/conformance.xml --coverage reports/coverage.txt
echo "main: HTML report written to reports/conformance.html"
