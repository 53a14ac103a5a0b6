#!/bin/bash
# Issue 15's EM-like target: seed 003's interactive annotation replayed on the generated 3840x2920 EM-like frame (large
# cells against everything else), active (entropy) against random patch choice, 3 seeds, 1 to 15 training patches.
# Writes the run directory (report.html with the learning curves) and bench/results/segment_em.json and .md.
#   bash bench/segment_em.sh [RUN_DIR] [extra `insitu segment simulate` options]
# Resumable: rerun the same line after an interruption (the JSON's round seconds add up every round, whichever
# invocation ran it).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-runs/bench-segment-em}
shift || true
START=$(date +%s)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
./insitu segment simulate --generate --out "$OUT" --preset demo --config bench/segment_em.json --scale 0.25 \
  --seeds 3 --patches 15 --rule entropy --stroke-fraction 0.5 --warm-epochs 8 --resume "$@"
/usr/bin/python3 - "$OUT" "$START" "$LOAD_START" "$(cut -d' ' -f1-3 /proc/loadavg)" "$(nproc)" <<'PY'
import json, sys, time, os, statistics
out, start, load_start, load_end, cores = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
curves = json.load(open(os.path.join(out, "curves.json")))
options = json.load(open(os.path.join(out, "options.json")))
state = json.load(open(os.path.join(out, "simulation.json")))
by = {c["strategy"]: c for c in curves["curves"]}
a, r = by["active"], by["random"]
gaps = [x - y for x, y in zip(a["mean_iou"][1:], r["mean_iou"][1:])]
# the gap per seed (mean over rounds 2..last of active - random), so its spread over seeds can be stated
seed_gaps = []
for s in state["seeds"]:
    act = [x["target_iou"] for x in s["rounds"]["active"]]
    ran = [x["target_iou"] for x in s["rounds"]["random"]]  # round 1 is shared and listed under both
    d = [x - y for x, y in zip(act[1:], ran[1:])]
    if d: seed_gaps.append(sum(d) / len(d))
seconds = sum(x["seconds"] for s in state["seeds"] for k in s["rounds"] for x in s["rounds"][k][0 if k == "active" else 1:])
cfg = options["config"]
result = {
    "benchmark": "segment_em",
    "what": "IoU of the large cell type on the unused patches of the generated EM-like image, mean and std over seeds",
    "rule": curves["rule"], "target_class": curves["target_class"], "class_names": curves["class_names"],
    "strokes": options["strokes"], "stroke_fraction": options["stroke_fraction"], "scale": cfg["scale"],
    "patch_size": cfg["patch_size"], "epochs_first_round": cfg["training"]["epochs"], "epochs_later_rounds": options["warm_epochs"],
    "patches": a["patches"], "seeds": a["seeds"],
    "active_iou_mean": a["mean_iou"], "active_iou_std": a["std_iou"],
    "random_iou_mean": r["mean_iou"], "random_iou_std": r["std_iou"],
    "active_dice_mean": a["mean_dice"], "random_dice_mean": r["mean_dice"],
    "mean_gap_active_minus_random_rounds_2_to_last": sum(gaps) / len(gaps) if gaps else None,
    "mean_gap_per_seed": seed_gaps,
    "mean_gap_std_over_seeds": statistics.stdev(seed_gaps) if len(seed_gaps) > 1 else None,
    "final": {"active": [a["mean_iou"][-1], a["std_iou"][-1]], "random": [r["mean_iou"][-1], r["std_iou"][-1]]},
    "round_seconds_all_rounds_and_seeds": round(seconds),
    "wall_seconds_this_invocation": int(time.time()) - start,
    "machine": f"{cores} cores shared with other jobs; load average (1, 5, 15 min) {load_start} at start and {load_end} "
               "at the end of this invocation",
}
os.makedirs("bench/results", exist_ok=True)
json.dump(result, open("bench/results/segment_em.json", "w"), indent=2)
lines = [
    f"IoU of the large cell type ({result['class_names'][result['target_class']]}) on the unused patches of the generated "
    f"EM-like image (3840x2920 at scale {cfg['scale']}, {cfg['patch_size']}-pixel patch cells), mean ± std over "
    f"{len(state['seeds'])} seeds; {options['strokes']} strokes on {options['stroke_fraction']:.0%} of each annotated patch; "
    f"active rule: {curves['rule']}. Written by bench/segment_em.sh.", "",
    "| training patches | active | random | active - random |", "|---:|---:|---:|---:|"]
for i, n in enumerate(a["patches"]):
    lines.append(f"| {n} | {a['mean_iou'][i]:.3f} ± {a['std_iou'][i]:.3f} | {r['mean_iou'][i]:.3f} ± {r['std_iou'][i]:.3f} | "
                 f"{a['mean_iou'][i] - r['mean_iou'][i]:+.3f} |")
g = result["mean_gap_active_minus_random_rounds_2_to_last"]
lines += ["", f"Mean gap active - random over rounds 2-{a['patches'][-1]}: {g:+.3f} IoU "
          f"(per seed: {', '.join(f'{x:+.3f}' for x in seed_gaps)}).",
          f"Time of all rounds and seeds (training, evaluation on the unused patches, scoring the next pick): {seconds / 60:.0f} min; "
          f"{result['machine']}."]
open("bench/results/segment_em.md", "w").write("\n".join(lines) + "\n")
print(json.dumps(result["final"]), "mean gap", g)
PY
