#!/usr/bin/env bash
# The main job: set up, build, validate the spec and regenerate the reference docs.
# (Becomes the conformance run against the reference SVSM once the runner exists.)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSVSM_SPEC_BENCH=OFF
cmake --build build --target svsm-spec
./build/cli/svsm-spec check --spec spec
./build/cli/svsm-spec docs --spec spec --out docs/reference
echo "main: spec checked; reference written to docs/reference/index.md"
