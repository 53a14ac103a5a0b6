#!/usr/bin/env bash
# Did moving the stage workflow onto the shared Trainer change any arithmetic? Runs `stage compare --methods plain`
# with the retired trainer (commit 7605e8d, built in a temporary worktree) and today's Trainer fed the retired batch
# policy (InSitu.Bench legacy-replay) on one manifest and config, then compares the curves and test accuracy digit
# for digit. Writes bench/results/legacy_replay.json.
#   bash bench/legacy_replay.sh MANIFEST.csv [CONFIG.json]     (after `make setup`; e.g. runs/demo/data/manifest.csv)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
manifest="$(realpath "$1")"
work="$(mktemp -d)"
trap 'git -C "$root" worktree remove --force "$work/old" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
config="${2:-$work/config.json}"
[[ -n "${2:-}" ]] || echo '{"fine": {"epochs": 4, "milestones": [3]}}' > "$config"
git -C "$root" worktree add --detach "$work/old" 7605e8d >/dev/null
mkdir -p "$work/old/native/build" && cp "$root/native/build/libinsitu_native.so" "$work/old/native/build/"
dotnet build "$work/old/src/InSitu.Cli" -c Release -v quiet -nologo -clp:ErrorsOnly >/dev/null
dotnet "$work/old/src/InSitu.Cli/bin/Release/net10.0/InSitu.Cli.dll" stage compare "$manifest" --methods plain --preset demo \
  --config "$config" --out "$work/retired" >/dev/null
dotnet "$root/bench/InSitu.Bench/bin/Release/net10.0/InSitu.Bench.dll" legacy-replay --manifest "$manifest" --config "$config" \
  --out "$work/replay.json" >/dev/null
/usr/bin/python3 - "$work/retired/seed-1/plain.json" "$work/replay.json" "$root/bench/results/legacy_replay.json" <<'PY'
import json, sys
old, new = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
retired = {"mean_per_stage_accuracy": old["evaluation"]["mean_per_stage_accuracy"],
           "train_loss": [e["train_loss"] for e in old["curves"]["plain"]],
           "validation_accuracy": [e["validation_accuracy"] for e in old["curves"]["plain"]]}
replay = {k: new[k] for k in retired}
result = {"retired_trainer": retired, "shared_trainer_with_retired_batch_policy": replay, "identical": retired == replay}
json.dump(result, open(sys.argv[3], "w"), indent=2)
print(json.dumps(result, indent=2))
sys.exit(0 if result["identical"] else 1)
PY
