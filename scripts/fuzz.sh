#!/usr/bin/env bash
# Runs every libFuzzer target in BUILD_DIR for SECONDS each, seeded from the spec files
# and test data. Usage: scripts/fuzz.sh BUILD_DIR [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:?build directory}
seconds=${2:-20}
shopt -s nullglob
targets=("$build"/fuzz/*_fuzzer)
if [ ${#targets[@]} -eq 0 ]; then
  echo "fuzz: no fuzz targets in $build/fuzz" >&2
  exit 1
fi
for t in "${targets[@]}"; do
  name=$(basename "$t")
  corpus=$(mktemp -d)
  # fuzz/<target>.seeds lists the directories whose files seed that target's corpus.
  seeds="fuzz/${name%_fuzzer}.seeds"
  if [ -f "$seeds" ]; then
    while read -r dir; do
      [ -n "$dir" ] && [ -d "$dir" ] && find "$dir" -type f -exec cp {} "$corpus"/ \;
    done < "$seeds"
  fi
  # The codec vectors seed the structures fuzzer: every canonical and invalid encoding.
  if [ "$name" = codec_structures_fuzzer ]; then
    python3 tools/vector-seeds.py vectors "$corpus"
  fi
  echo "fuzz: $name for ${seconds}s"
  "$t" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=4096 -print_final_stats=1 \
    "$corpus" 2>&1 | tail -n 5
  rm -rf "$corpus"
done
