#!/usr/bin/env bash
# The CV-term comparison (METHODS.md section 4) behind the README's figures: sc, tl, tl+mtl and tl-random over 3 seeds
#   1. on simulated BDGP-like images (gene x range bags and terms drawn from the real BDGP tables), demo preset, with the
#      layer comparison and 6 fine-tuning epochs (bench/terms_sim.json);
#   2. on the real BCCD white-blood-cell crops (../shared/data/bccd-wbc), each cell type a term (--labels-as-terms),
#      one-vs-rest, settings in bench/terms_wbc.json.
# Writes bench/results/terms_sim.{json,md} and terms_wbc.{json,md} (comparison.json / comparison.md of each run).
#   bash bench/terms_compare.sh [WORK_FOLDER] [IMAGES]     (after `make setup`; default runs/bench-terms, 2000 images)
# Resumable: rerun it after an interruption and finished seeds and methods are reused.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(realpath -m "${1:-$root/runs/bench-terms}")"
images="${2:-2000}"
insitu="${INSITU:-$root/insitu}"  # INSITU: another build of the command, e.g. a frozen copy
mkdir -p "$work"
if [[ ! -f "$work/sim/manifest.csv" ]]; then
  "$insitu" synth --out "$work/sim" --preset bdgp-small --images "$images" --seed 1
fi
"$insitu" terms compare "$work/sim/manifest.csv" --out "$work/sim-compare" --preset demo --config "$root/bench/terms_sim.json" \
  --seeds 3 --resume
cp "$work/sim-compare/comparison.json" "$root/bench/results/terms_sim.json"
cp "$work/sim-compare/comparison.md" "$root/bench/results/terms_sim.md"

"$insitu" data import "$root/../shared/data/bccd-wbc" --out "$work/wbc.csv"
"$insitu" terms compare "$work/wbc.csv" --out "$work/wbc-compare" --preset demo --config "$root/bench/terms_wbc.json" \
  --labels-as-terms --seeds 3 --resume
cp "$work/wbc-compare/comparison.json" "$root/bench/results/terms_wbc.json"
cp "$work/wbc-compare/comparison.md" "$root/bench/results/terms_wbc.md"
