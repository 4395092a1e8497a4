#!/usr/bin/env bash
# The conformance suite as a user runs it: every vector passes against the reference SVSM
# in-process, and the same run through the C guest agent (svsm-ref-agent, subprocess
# transport) and through `svsm-spec serve --wire` gives identical results, test by test.
# Also the runner's exit codes and expectation-file semantics.
# Usage: conformance_runs_test.sh SVSM_SPEC SVSM_REF_AGENT SOURCE_DIR
set -euo pipefail
spec_cli=$1
agent=$2
src=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$spec_cli" -q conform --target ref --json "$tmp/ref.json" --junit "$tmp/ref.xml" \
  --html "$tmp/ref.html" --coverage "$tmp/coverage.txt" || fail "the suite does not pass in-process"
"$spec_cli" -q conform --target "exec:$agent" --json "$tmp/agent.json" \
  || fail "the suite does not pass through the C agent"
"$spec_cli" -q conform --target "exec:$spec_cli serve --wire" --json "$tmp/wire.json" \
  || fail "the suite does not pass through serve --wire"
# An SVSM that splits list work (INCOMPLETE) passes the same suite.
"$spec_cli" -q conform --target ref --platform "$src/firmware_ref/platforms/split-work.yaml" \
  || fail "the suite does not pass against an SVSM that splits list work"

/usr/bin/python3 - "$tmp" <<'PY'
import json, sys, xml.dom.minidom
tmp = sys.argv[1]
runs = {name: json.load(open(f"{tmp}/{name}.json")) for name in ("ref", "agent", "wire")}
def outcome(report):
    return {r["id"]: r["status"] for r in report["results"]}, \
           [(c["protocol"], c["version"], c["actual_rcx"], c["ok"]) for c in report["claim_checks"]]
ref = outcome(runs["ref"])
if not ref[0]:
    sys.exit("no test ran")
for name in ("agent", "wire"):
    other = outcome(runs[name])
    if other != ref:
        diff = {i: (ref[0].get(i), other[0].get(i)) for i in set(ref[0]) | set(other[0]) if ref[0].get(i) != other[0].get(i)}
        sys.exit(f"{name} differs from in-process: {diff or 'claim checks'}")
xml.dom.minidom.parse(f"{tmp}/ref.xml")
html = open(f"{tmp}/ref.html", encoding="utf-8").read()
for bad in ("http://", "https://", "<link", "src="):
    if bad in html:
        sys.exit(f"the HTML report is not self-contained ({bad})")
print(f"{len(ref[0])} tests, identical in-process, through the C agent and through serve --wire")
PY
grep -q "core.pvalidate" "$tmp/coverage.txt" || fail "coverage report lacks the core rules"

# Exit codes: a target that cannot start is 3; invalid vectors are 2.
set +e
"$spec_cli" -q conform --target "exec:/nonexistent/target" --timeout 2 >/dev/null 2>&1; rc=$?
set -e
[ "$rc" = 3 ] || fail "unusable target gave exit $rc, expected 3"
echo '{"format": 1}' > "$tmp/bad.json"
set +e
"$spec_cli" -q conform "$tmp/bad.json" >/dev/null 2>&1; rc=$?
set -e
[ "$rc" = 2 ] || fail "invalid vectors gave exit $rc, expected 2"

# Expectation files: a listed known failure that passes, or an id that no longer exists,
# fails the run; --fix rewrites the file to match the run.
id=core.query-protocol.core-available
vectors="$src/vectors/conformance/core/query_protocol.json"
printf '{"known_failures": {"%s": "listed on purpose", "no.such.test": "gone"}, "flaky": {}}\n' "$id" > "$tmp/expect.json"
set +e
"$spec_cli" -q conform "$vectors" --expect "$tmp/expect.json" >/dev/null 2>&1; rc=$?
set -e
[ "$rc" = 1 ] || fail "a stale expectation file gave exit $rc, expected 1"
"$spec_cli" -q conform "$vectors" --expect "$tmp/expect.json" --fix >/dev/null || fail "--fix failed"
/usr/bin/python3 -c "
import json, sys
e = json.load(open('$tmp/expect.json'))
sys.exit(0 if e['known_failures'] == {} and e['flaky'] == {} else 'fix left ' + json.dumps(e))"
"$spec_cli" -q conform "$vectors" --expect "$tmp/expect.json" >/dev/null || fail "the fixed file does not pass"
echo "conformance runs: ok"
