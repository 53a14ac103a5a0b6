#!/usr/bin/env bash
# Checks the code style (dotnet format against .editorconfig), runs every test project and closes with one plain
# 'N passed, N failed' line. A style difference fails the run too, after the tests.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
format_status=0
if ! dotnet format InSitu.slnx --verify-no-changes --no-restore -v q; then
  echo "style: the code differs from .editorconfig; 'dotnet format InSitu.slnx' fixes whitespace and layout" >&2
  format_status=1
fi
log="$(mktemp)"
dotnet test InSitu.slnx -c Release --no-build 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
passed=$(grep -oE 'Passed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -oE 'Failed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
skipped=$(grep -oE 'Skipped: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
rm -f "$log"
echo "tests: $passed passed, $failed failed, $skipped skipped"
(( status == 0 )) && status=$format_status
exit "$status"
