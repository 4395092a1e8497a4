#!/usr/bin/env bash
# Every file in DIR must be rejected by the JSON Schema (the schema is not a rubber stamp).
# Usage: schema_rejects_test.sh PYTHON3 PROJECT_DIR DIR
set -u
py=$1 root=$2 dir=$3
fail=0
for f in "$dir"/*.yaml; do
  if "$py" "$root/tools/check-spec-schema.py" "$root/spec/schema/svsm-spec.schema.json" "$f" >/dev/null; then
    echo "FAIL: schema accepted $f"
    fail=1
  else
    echo "ok: schema rejected $(basename "$f")"
  fi
done
exit $fail
