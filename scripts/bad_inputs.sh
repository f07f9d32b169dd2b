#!/usr/bin/env bash
# Prints the bad-input table of docs/reliability.md (case | command | message | exit code) from real runs: the
# cases of tests/bad_input_test.cc, run against the CLI and API of build/ (built first if needed). $W in the
# commands is the temporary folder of bad files the test makes.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
[ -x "$build/bin/bnnkit_tests" ] || bash scripts/build.sh >/dev/null
table=$(mktemp)
trap 'rm -f "$table"' EXIT
BNNKIT_BAD_INPUT_TABLE="$table" "$build/bin/bnnkit_tests" --gtest_filter='BadInput*' --gtest_brief=1 >&2
echo "| case | command | message | exit code |"
echo "|---|---|---|---|"
cat "$table"
