#!/bin/bash
# `svsm-spec serve` as a user runs it: the committed example script gives the expected result
# lines, and the exit codes of the usage and input errors.
# Usage: serve_cli_test.sh SVSM_SPEC_BINARY PROJECT_SOURCE_DIR
set -u
bin="$1"
src="$2"
example="$src/firmware_ref/examples/query-and-validate.json"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
failures=0

fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# expect_exit CODE NAME -- COMMAND...: runs the command, stdout to $tmp/NAME.out, stderr to
# $tmp/NAME.err, and checks its exit code.
expect_exit() {
  local want="$1" name="$2"
  shift 3
  "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
  local got=$?
  if [ "$got" -ne "$want" ]; then
    fail "$name: exit $got, expected $want"
    sed 's/^/  stderr: /' "$tmp/$name.err" >&2
  fi
}

# --- The example script ------------------------------------------------------------------
expect_exit 0 example -- "$bin" serve --script "$example"
python3 - "$tmp/example.out" <<'PY' || fail "example: unexpected output"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
results = [json.loads(l) for l in lines]
def check(cond, what):
    if not cond:
        print("  " + what, file=sys.stderr)
        raise SystemExit(1)
check(len(results) == 6, "6 result lines, got %d" % len(results))
for i, r in enumerate(results):
    check(r.get("step") == i, "step %d numbered" % i)
q, pv, ps, wr, at, rd = results
# QUERY_PROTOCOL(attestation, version 1): available, versions 1..1.
check(q["outcome"] == "completed" and q["result_name"] == "SVSM_SUCCESS", "query succeeds")
check(q["rule"] == "core.query-protocol.available", "query rule")
check(q["regs"]["rcx"] == "0x100000001", "query RCX = max 1 << 32 | min 1")
check(q["response"]["response"] == {"min_version": 1, "max_version": 1}, "query response")
# PVALIDATE of one page through a list at CAA+8.
check(pv["result_name"] == "SVSM_SUCCESS" and pv["regs"]["rcx"] == "0x801008", "pvalidate")
check(pv["rule"].startswith("core.pvalidate."), "pvalidate rule")
# The page is validated now.
check(ps["validated"] is True and ps["vmsa"] is False and ps["validated_2m"] is False, "page state")
check(wr == {"ok": True, "step": 3}, "nonce written")
# SERVICES: manifest of the default platform (no services) = the 24-byte header.
check(at["result_name"] == "SVSM_SUCCESS" and at["rule"] == "attest.services.report", "attest")
check(at["regs"]["rcx"] == "0x18" and at["regs"]["r8"] == "0x4a0", "attest sizes")
check(int(at["regs"]["rdx"], 16) > 48, "certificate table returned")
check(rd["ok"] is True and rd["hex"] == "bb9e8463923d7046a1ff58f9c94b87bb1800000000000000",
      "manifest header in guest memory")
PY
[ -s "$tmp/example.err" ] && fail "example: unexpected stderr: $(cat "$tmp/example.err")"

# The same script from standard input.
"$bin" serve --script - <"$example" >"$tmp/stdin.out" 2>"$tmp/stdin.err" || fail "stdin: exit $?"
[ "$(wc -l <"$tmp/stdin.out")" -eq 6 ] || fail "stdin: expected 6 lines"

# --- Exit codes ----------------------------------------------------------------------------
# No --script: usage error.
expect_exit 2 no_script -- "$bin" serve
grep -q -- "--script" "$tmp/no_script.err" || fail "no_script: stderr does not mention --script"

# An unreadable script file: usage error.
expect_exit 2 missing_script -- "$bin" serve --script "$tmp/does-not-exist.json"

# Not JSON: input error, nothing on stdout.
printf '{"steps": [' >"$tmp/bad.json"
expect_exit 1 bad_json -- "$bin" serve --script "$tmp/bad.json"
grep -q "not valid JSON" "$tmp/bad_json.err" || fail "bad_json: stderr"
[ -s "$tmp/bad_json.out" ] && fail "bad_json: printed results"

# A malformed step: the results so far, then exit 1 with "steps[i]: ...".
cat >"$tmp/bad_step.json" <<'JSON'
{"steps": [{"op": "page_state", "gpa": "0x0"}, {"op": "fly"}, {"op": "page_state", "gpa": 0}]}
JSON
expect_exit 1 bad_step -- "$bin" serve --script "$tmp/bad_step.json"
[ "$(wc -l <"$tmp/bad_step.out")" -eq 1 ] || fail "bad_step: expected the first result only"
grep -q 'steps\[1\]: op: expected' "$tmp/bad_step.err" || fail "bad_step: stderr $(cat "$tmp/bad_step.err")"

# A script that is JSON but not a script.
echo '[1, 2]' >"$tmp/not_script.json"
expect_exit 1 not_script -- "$bin" serve --script "$tmp/not_script.json"

# A bad platform file: input error with a file:line:col diagnostic.
printf 'guest_vmpl: 7\nbogus_key: 1\n' >"$tmp/bad_platform.yaml"
expect_exit 1 bad_platform -- "$bin" serve --platform "$tmp/bad_platform.yaml" --script "$example"
grep -q "bad_platform.yaml:[0-9]*:[0-9]*: error" "$tmp/bad_platform.err" ||
  fail "bad_platform: no file:line:col diagnostic: $(cat "$tmp/bad_platform.err")"
[ -s "$tmp/bad_platform.out" ] && fail "bad_platform: printed results"

# --print-public-key: a PEM public key (checked with openssl when available).
expect_exit 0 public_key -- "$bin" serve --print-public-key
head -1 "$tmp/public_key.out" | grep -qx -- "-----BEGIN PUBLIC KEY-----" || fail "public_key: no PEM header"
tail -1 "$tmp/public_key.out" | grep -qx -- "-----END PUBLIC KEY-----" || fail "public_key: no PEM footer"
if command -v openssl >/dev/null; then
  openssl pkey -pubin -in "$tmp/public_key.out" -noout 2>/dev/null || fail "public_key: openssl cannot read it"
fi

# --print-platform: JSON of the effective platform, which --platform accepts back.
expect_exit 0 platform -- "$bin" serve --print-platform
python3 - "$tmp/platform.out" <<'PY' || fail "platform: not the default platform as JSON"
import json, sys
p = json.load(open(sys.argv[1]))
assert p["guest_vmpl"] == 2, p["guest_vmpl"]
assert isinstance(p["memory"], list) and p["memory"], "memory"
assert "attestation" in p
PY
cp "$tmp/platform.out" "$tmp/platform.json"
expect_exit 0 platform_roundtrip -- "$bin" serve --platform "$tmp/platform.json" --script "$example"
[ "$(wc -l <"$tmp/platform_roundtrip.out")" -eq 6 ] || fail "platform_roundtrip: expected 6 lines"

if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s)" >&2
  exit 1
fi
echo "serve CLI: all checks passed"
