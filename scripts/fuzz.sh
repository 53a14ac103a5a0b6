#!/usr/bin/env bash
# `make fuzz`: the fuzz tests (trait Category=Fuzz) with more cases and a random seed, then the counts over all
# classes. Replay a failure with the seed it prints: INSITU_FUZZ_SEED=N INSITU_FUZZ_CASES=M make fuzz.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
export INSITU_FUZZ_SEED="${INSITU_FUZZ_SEED:-$(( (RANDOM << 15) | RANDOM ))}"
export INSITU_FUZZ_CASES="${INSITU_FUZZ_CASES:-60}"
export INSITU_FUZZ_REPORT="$(mktemp)"
echo "fuzz: seed $INSITU_FUZZ_SEED, $INSITU_FUZZ_CASES cases per class (replay: INSITU_FUZZ_SEED=$INSITU_FUZZ_SEED make fuzz)"
dotnet test tests/InSitu.Tests/InSitu.Tests.csproj -c Release --no-build --filter "Category=Fuzz" >"$INSITU_FUZZ_REPORT.log" 2>&1
status=$?
grep -E '^(fuzz |  )' "$INSITU_FUZZ_REPORT" || true
awk '/^fuzz / {
       for (i = 1; i <= NF; i++) { gsub(",", "", $(i + 1)); if ($i ~ /^(cases|clean|crash|silent|hang)$/) n[$i] += $(i + 1) }
     }
     END { printf "fuzz total: cases %d, clean %d, crash %d, silent %d, hang %d\n", n["cases"], n["clean"], n["crash"], n["silent"], n["hang"] }' \
  "$INSITU_FUZZ_REPORT"
if (( status != 0 )); then
  grep -E 'Failed |Error Message|Assert' "$INSITU_FUZZ_REPORT.log" | head -20
  echo "fuzz: FAILED (seed $INSITU_FUZZ_SEED; full log: $INSITU_FUZZ_REPORT.log)"
else
  rm -f "$INSITU_FUZZ_REPORT.log"
fi
rm -f "$INSITU_FUZZ_REPORT"
exit "$status"
