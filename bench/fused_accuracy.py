#!/usr/bin/env python3
"""Accuracy check of the inference engines (issue 11): every network a finished demo trained (`make demo`: plain, data
and data+feature, 3 seeds) is evaluated on its own seed's test split by eager libtorch and by the fused oneDNN plan in
fp32, bf16 and int8, through the same commands a user runs (`stage evaluate`, `stage predict --engine E --precision P`).

    /usr/bin/python3 bench/fused_accuracy.py [DEMO=runs/demo]

Per model and engine: mean per-stage accuracy on the test split, and the largest change of any class probability
against eager over the test images. Each seed's test split is rebuilt as the comparison made it (`data split
--fractions 0.7,0,0.3 --seed S`, StageConfig's test share); the eager figure must reproduce the comparison's own,
which the script checks. Writes bench/results/fused_accuracy.json/.md."""
import csv, json, os, re, statistics, subprocess, sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
demo = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "runs", "demo"))
insitu = os.path.join(root, "insitu")
manifest = os.path.join(demo, "data", "manifest.csv")
if not os.path.exists(os.path.join(demo, "seed-3", "data_feature.model.json")):
    sys.exit(f"error: {demo} holds no finished demo (run make demo first)")
engines = [("eager", "fp32"), ("fused", "fp32"), ("fused", "bf16"), ("fused", "int8")]
methods = ["plain", "data", "data_feature"]


def cli(*args):
    out = subprocess.run([insitu, *args], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"insitu {' '.join(args)} failed: {out.stderr.strip()}")
    return out.stdout


def probabilities(path):
    with open(path) as f:
        rows = list(csv.DictReader(f))
    cols = [c for c in rows[0] if re.fullmatch(r"p[0-9]+", c)]
    return {r["path"]: [float(r[c]) for c in cols] for r in rows}


results = []
for seed in (1, 2, 3):
    split = os.path.join(demo, "data", f".fused-accuracy-split-{seed}.csv")
    cli("data", "split", manifest, "--fractions", "0.7,0,0.3", "--seed", str(seed), "--out", split)
    with open(split) as f:
        test = [r for r in csv.DictReader(f) if r["split"] == "test" and r["stage"]]
    test_manifest = os.path.join(demo, "data", f".fused-accuracy-test-{seed}.csv")
    with open(test_manifest, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(test[0].keys()))
        w.writeheader()
        w.writerows(test)
    for method in methods:
        model = os.path.join(demo, f"seed-{seed}", f"{method}.model.json")
        reported = json.load(open(os.path.join(demo, f"seed-{seed}", f"{method}.json")))["evaluation"]["mean_per_stage_accuracy"]
        eager_p = None
        for engine, precision in engines:
            text = cli("stage", "evaluate", model, split, "--engine", engine, "--precision", precision)
            acc = float(re.search(r"mean per-stage accuracy ([0-9.]+)%", text).group(1))
            pred = os.path.join(demo, f".fused-accuracy-{seed}-{method}-{engine}-{precision}.csv")
            cli("stage", "predict", model, test_manifest, "--out", pred, "--engine", engine, "--precision", precision)
            p = probabilities(pred)
            os.remove(pred)
            if eager_p is None:
                eager_p = p
                if abs(acc - 100 * reported) > 0.01 and method == "plain":
                    sys.exit(f"eager accuracy {acc}% of {model} differs from the comparison's {100 * reported:.2f}%: "
                             "the rebuilt split is not the comparison's")
            change = max(abs(a - b) for k in p for a, b in zip(p[k], eager_p[k]))
            results.append({"seed": seed, "method": method, "engine": engine, "precision": precision,
                            "mean_per_stage_accuracy": acc, "max_probability_change": change, "images": len(p),
                            "comparison_reported": 100 * reported})
            print(f"seed {seed} {method} {engine} {precision}: {acc:.2f}% (max |dp| {change:.2e})", flush=True)
    os.remove(split)
    os.remove(test_manifest)

md = ["Mean per-stage accuracy (%) on each seed's test split, mean ± std over 3 seeds, and the largest change of a class "
      "probability against eager (over all test images, models and seeds).", "",
      "| method | " + " | ".join(f"{e} {p}" for e, p in engines) + " |", "|---|" + "---:|" * len(engines)]
for method in methods:
    cells = []
    for e, p in engines:
        a = [r["mean_per_stage_accuracy"] for r in results if r["method"] == method and r["engine"] == e and r["precision"] == p]
        cells.append(f"{statistics.mean(a):.2f} ± {statistics.stdev(a):.2f}")
    md.append(f"| {method} | " + " | ".join(cells) + " |")
md.append("| largest probability change | " + " | ".join(
    f"{max(r['max_probability_change'] for r in results if r['engine'] == e and r['precision'] == p):.1e}"
    for e, p in engines) + " |")
json.dump({"benchmark": "fused_accuracy", "demo": demo, "results": results}, open(os.path.join(root, "bench", "results", "fused_accuracy.json"), "w"), indent=2)
open(os.path.join(root, "bench", "results", "fused_accuracy.md"), "w").write("\n".join(md) + "\n")
print("\n".join(md))
