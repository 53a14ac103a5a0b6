#!/bin/bash
# Issue 15's EM-like target: seed 003's interactive annotation replayed on the generated 3840x2920 EM-like frame (large
# cells against everything else), active (entropy) against random patch choice, 3 seeds, 1 to 15 training patches.
# Writes the run directory (report.html with the learning curves) and bench/results/segment_em.json.
#   bash bench/segment_em.sh [RUN_DIR] [extra `insitu segment simulate` options]
# Resumable: rerun the same line after an interruption.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-runs/bench-segment-em}
shift || true
START=$(date +%s)
./insitu segment simulate --generate --out "$OUT" --preset demo --config bench/segment_em.json --scale 0.25 \
  --seeds 3 --patches 15 --rule entropy --stroke-fraction 0.5 --warm-epochs 8 --resume "$@"
/usr/bin/python3 - "$OUT" "$START" <<'PY'
import json, sys, time, os
out, start = sys.argv[1], int(sys.argv[2])
curves = json.load(open(os.path.join(out, "curves.json")))
options = json.load(open(os.path.join(out, "options.json")))
by = {c["strategy"]: c for c in curves["curves"]}
a, r = by["active"], by["random"]
gaps = [x - y for x, y in zip(a["mean_iou"][1:], r["mean_iou"][1:])]
result = {
    "benchmark": "segment_em",
    "what": "IoU of the large cell type on the unused patches of the generated EM-like image, mean and std over seeds",
    "rule": curves["rule"], "target_class": curves["target_class"], "class_names": curves["class_names"],
    "stroke_fraction": options["stroke_fraction"], "scale": options["config"]["scale"], "patch_size": options["config"]["patch_size"],
    "patches": a["patches"], "seeds": a["seeds"],
    "active_iou_mean": a["mean_iou"], "active_iou_std": a["std_iou"],
    "random_iou_mean": r["mean_iou"], "random_iou_std": r["std_iou"],
    "active_dice_mean": a["mean_dice"], "random_dice_mean": r["mean_dice"],
    "mean_gap_active_minus_random_rounds_2_to_last": sum(gaps) / len(gaps) if gaps else None,
    "final": {"active": [a["mean_iou"][-1], a["std_iou"][-1]], "random": [r["mean_iou"][-1], r["std_iou"][-1]]},
    "wall_seconds_this_invocation": int(time.time()) - start,
    "machine": "2 cores shared with other jobs (load average about 30 while measured)",
}
os.makedirs("bench/results", exist_ok=True)
json.dump(result, open("bench/results/segment_em.json", "w"), indent=2)
print(json.dumps(result["final"]), "mean gap", result["mean_gap_active_minus_random_rounds_2_to_last"])
PY
