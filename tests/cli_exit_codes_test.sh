#!/usr/bin/env bash
# The documented exit codes of svsm-spec (docs/cli.md).
# Usage: cli_exit_codes_test.sh SVSM_SPEC TESTDATA_DIR SPEC_DIR
set -u
cli=$1 data=$2 spec=$3
fail=0
expect() {  # expect CODE DESCRIPTION -- ARGS...
  local want=$1 what=$2; shift 3
  "$cli" "$@" >/dev/null 2>&1
  local got=$?
  if [ "$got" -ne "$want" ]; then echo "FAIL: $what: exit $got, want $want"; fail=1; else echo "ok: $what"; fi
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
expect 0 "check on the shipped spec" -- check --spec "$spec"
expect 1 "check on a spec with errors" -- check --spec "$data/spec_errors/base.yaml" --spec "$data/spec_errors/01-yaml-unclosed-bracket.yaml"
expect 1 "check --werror on a warning" -- check --werror --spec "$spec"
expect 2 "check on a missing path" -- check --spec "$tmp/does-not-exist.yaml"
expect 2 "no subcommand" --
expect 2 "unknown subcommand" -- frobnicate
expect 0 "--help" -- --help
expect 0 "check --help" -- check --help
expect 0 "dump --help" -- dump --help
expect 0 "docs --help" -- docs --help
expect 0 "dump --json" -- dump --json --spec "$spec" -o "$tmp/dump.json"
expect 0 "docs into an empty directory" -- docs --spec "$spec" --out "$tmp/ref"
expect 0 "docs --check right after writing" -- docs --check --spec "$spec" --out "$tmp/ref"
echo "stale" > "$tmp/ref/extra.md"
expect 1 "docs --check with a stale extra page" -- docs --check --spec "$spec" --out "$tmp/ref"
exit $fail
