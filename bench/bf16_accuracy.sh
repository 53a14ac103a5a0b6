#!/usr/bin/env bash
# bf16 mixed-precision training's accuracy check at demo scale (issue 11): on a finished demo (`make demo`, fp32), the
# `plain` method (the paper ResNet trained on the fine set, demo preset) is trained again over the demo's 3 seeds in bf16
# autocast, on the same data, splits and seeds, and compared with the demo's own fp32 `plain` runs; writes
# bench/results/bf16_accuracy.json/.md with the per-seed mean per-stage accuracies.
#   bash bench/bf16_accuracy.sh [DEMO=runs/demo] [OUT=DEMO-bf16]    (after `make demo`; bf16 at this scale costs about
#   5x fp32's CPU time, see the README). An interrupted run is resumed (stage compare --resume).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
demo="$(realpath "${1:-$root/runs/demo}")"
out="${2:-$demo-bf16}"
insitu="${INSITU:-$root/insitu}"
[[ -f "$demo/seed-3/plain.json" ]] || { echo "error: $demo holds no finished demo (run make demo first)" >&2; exit 1; }
$insitu stage compare "$demo/data/manifest.csv" --out "$out" --methods plain --seeds 3 --preset demo \
  --train-precision bf16 --resume
/usr/bin/python3 - "$demo" "$out" "$root/bench/results" <<'PY'
import json, os, statistics, sys
demo, out, results = sys.argv[1:4]
rows = {}
for precision, folder in (("fp32", demo), ("bf16", out)):
    runs = [json.load(open(os.path.join(folder, f"seed-{s}", "plain.json"))) for s in (1, 2, 3)]
    acc = [100 * r["evaluation"]["mean_per_stage_accuracy"] for r in runs]
    rows[precision] = {"mean_per_stage_accuracy": acc, "mean": statistics.mean(acc), "std": statistics.stdev(acc)}
diff = [b - a for a, b in zip(rows["fp32"]["mean_per_stage_accuracy"], rows["bf16"]["mean_per_stage_accuracy"])]
table = {"benchmark": "bf16_accuracy", "method": "plain", "preset": "demo", "rows": rows,
         "bf16_minus_fp32_by_seed": diff, "load_average_at_end": os.getloadavg()[0]}
json.dump(table, open(os.path.join(results, "bf16_accuracy.json"), "w"), indent=2)
md = ["Mean per-stage accuracy (%) of `plain` on the demo's test split, by seed, fp32 against bf16 autocast training.", "",
      "| precision | seed 1 | seed 2 | seed 3 | mean ± std |", "|---|---:|---:|---:|---:|"]
for p, r in rows.items():
    a = r["mean_per_stage_accuracy"]
    md.append(f"| {p} | {a[0]:.2f} | {a[1]:.2f} | {a[2]:.2f} | {r['mean']:.2f} ± {r['std']:.2f} |")
md.append(f"| bf16 - fp32 | {diff[0]:+.2f} | {diff[1]:+.2f} | {diff[2]:+.2f} | {statistics.mean(diff):+.2f} |")
open(os.path.join(results, "bf16_accuracy.md"), "w").write("\n".join(md) + "\n")
print("\n".join(md))
PY
