#!/usr/bin/env bash
# The bag workflow (RegNetY CNN + BiLSTM, `bags train`) against the terms workflow's transfer features + LR (`terms train
# --method tl`: pretrained MobileNetV2 block_9 features, L2 logistic-regression ensembles per term), scored by one
# `bags evaluate --scores` on the same test bags (issue 14, target 3). Per seed:
#   1. one split shared by both workflows: `insitu data split` (45 / 15 / 40 of the images, grouped by gene, so a bag is
#      never on two sides; the demo preset's shares);
#   2. `bags train` (demo preset) on it: train bags fit the model, validation bags pick epochs and thresholds;
#   3. `terms train --method tl` (demo preset) on the SAME training bags only (the validation rows are left out of its
#      manifest; the terms workflow would otherwise train on them too). Its terms are the bag model's attributes: per
#      stage range, exactly those the bag model's stage masks allow (the attributes some training bag of the range has), in
#      place of the terms workflow's own 10 most frequent per range; ranges 1-3 .. 13-17 all annotated. Terms that every
#      training image of a range carries cannot train a classifier: left out of the task, they score 1 (their training
#      rate) in that range's bags (listed in the results);
#   4. `terms predict` on every image (train, validation, test), so its per-bag mean of image scores is thresholded on the
#      same validation bags as the bag model; a term a range's task lacks scores 0 there, as the bag model's mask does;
#   5. `bags evaluate RUN MANIFEST --scores tl_lr=...`: the BiLSTM bag model, its CNN-only mean rule and tl + LR in one
#      table on the test bags (AUC samples / macro, macro F1, sample F1, over the same 30 attributes).
# Writes bench/results/bags_vs_terms.json and .md (mean ± std over seeds, and each seed).
#   bash bench/bags_vs_terms.sh [IMAGES=800] [SEEDS=3]      (after `make setup`; needs `insitu weights get mobilenet_v2`)
# Resumable: finished steps of runs/bench-bags-vs-terms-IMAGES/ are reused. INSITU=CMD runs another build of the command.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
images="${1:-800}"; seeds="${2:-3}"
insitu="${INSITU:-$root/insitu}"
out="$root/runs/bench-bags-vs-terms-$images"
py=/usr/bin/python3
mkdir -p "$out"
start=$(date +%s)
[[ -f "$out/data/manifest.csv" ]] ||
  $insitu synth --out "$out/data" --preset bdgp-tiny --images "$images" --seed 1 >/dev/null

for seed in $(seq 1 "$seeds"); do
  d="$out/seed-$seed"
  mkdir -p "$d"
  echo "== seed $seed"
  # the manifest with its split lives next to the images' manifest, so relative image paths still resolve
  split="$out/data/split-$seed.csv"
  [[ -f "$split" ]] || $insitu data split "$out/data/manifest.csv" --fractions 0.45,0.15,0.40 --seed "$seed" --out "$split"
  if [[ ! -f "$d/bags/model.json" ]]; then
    resume=(); [[ -d "$d/bags" ]] && resume=(--resume)
    $insitu bags train "$split" --out "$d/bags" --preset demo --seed "$seed" "${resume[@]}" > "$d/bags-train.log" 2>&1
  fi
  # the terms workflow's manifest (training and test rows, no validation rows) and its config (the bag model's attributes per range)
  $py - "$split" "$d/bags/model.json" "$out/data/terms-train-$seed.csv" "$d/terms-config.json" <<'PY'
import csv, json, sys
split, model, train_out, config_out = sys.argv[1:5]
names = ["1-3", "4-6", "7-8", "9-10", "11-12", "13-17"]
rows = list(csv.DictReader(open(split, newline="")))
fields = list(rows[0].keys())
train = [r for r in rows if r["split"] == "train"]
with open(train_out, "w", newline="") as f:  # training and test rows: the terms workflow evaluates on its test rows
    w = csv.DictWriter(f, fieldnames=fields)
    w.writeheader()
    w.writerows(r for r in rows if r["split"] != "val")
info = json.load(open(model))
attributes, possible = info["attributes"], info["possible_by_range"]
def rng(r):  # the range, or the stage's range (as the manifest reads a row without one)
    if r.get("range"):
        return int(r["range"])
    stage = int(r["stage"]) if r.get("stage") else None
    return None if stage is None else next(k + 1 for k, top in enumerate([3, 6, 8, 10, 12, 17]) if stage <= top)
def bag(r):
    return r.get("bag") or f'{r["gene"]}_{rng(r)}'
bag_terms = {}
for r in train:
    bag_terms.setdefault(bag(r), set()).update(t for t in (r.get("terms") or "").split(";") if t)
terms, left_out, ranges = {}, {}, []
for k, name in enumerate(names):
    images = [bag_terms[bag(r)] for r in train if rng(r) == k + 1]
    if not images or not any(rng(r) == k + 1 for r in rows if r["split"] == "test"):
        continue
    allowed = [a for a, p in zip(attributes, possible[k]) if p]
    everywhere = [a for a in allowed if all(a in t for t in images)]
    chosen = [a for a in allowed if a not in everywhere and any(a in t for t in images)]
    if everywhere:
        left_out[name] = everywhere
    if chosen:
        terms[name] = chosen
        ranges.append(k + 1)
json.dump({"ranges": ranges, "terms": terms, "layers": []}, open(config_out, "w"), indent=2)
json.dump(left_out, open(config_out.replace(".json", ".left_out.json"), "w"), indent=2)
print("terms per range:", {n: len(t) for n, t in terms.items()}, "left out (on every training image):", left_out)
PY
  if [[ ! -f "$d/terms/model.json" ]]; then
    resume=(); [[ -d "$d/terms" ]] && resume=(--resume)
    $insitu terms train "$out/data/terms-train-$seed.csv" --method tl --out "$d/terms" --preset demo --seed "$seed" \
      --config "$d/terms-config.json" "${resume[@]}" > "$d/terms-train.log" 2>&1
  fi
  [[ -f "$d/tl-images.bags.csv" ]] ||
    $insitu terms predict "$d/terms" "$split" --out "$d/tl-images.csv" > "$d/terms-predict.log" 2>&1
  # per bag, over the bag model's attributes: terms predict's mean of image scores; a term on every training image of a
  # range (no classifier possible) scores 1 there, its training rate; a bag of a range the terms model has no task for
  # (no training or test images of that range) scores 0, as terms predict scores a term outside an image's task
  $py - "$split" "$d/bags/model.json" "$d/terms-config.left_out.json" "$d/tl-images.bags.csv" "$d/tl-bags.csv" <<'PY'
import csv, json, sys
split, model, left_out_file, scores_in, scores_out = sys.argv[1:6]
names = ["1-3", "4-6", "7-8", "9-10", "11-12", "13-17"]
attributes = json.load(open(model))["attributes"]
left_out = json.load(open(left_out_file))
bags = {}
for r in csv.DictReader(open(split, newline="")):
    stage = int(r["stage"]) if r.get("stage") else None
    rng = int(r["range"]) if r.get("range") else next(k + 1 for k, top in enumerate([3, 6, 8, 10, 12, 17]) if stage <= top)
    bags.setdefault(r.get("bag") or f'{r["gene"]}_{rng}', rng)
scored = {r["bag"]: r for r in csv.DictReader(open(scores_in, newline=""))}
filled = 0
with open(scores_out, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["bag"] + attributes)
    for b, rng in bags.items():
        row = scored.get(b)
        filled += row is None
        always = set(left_out.get(names[rng - 1], []))
        w.writerow([b] + [1.0 if a in always else float(row[a]) if row is not None and a in row else 0.0 for a in attributes])
print(f"tl per-bag scores: {len(bags) - filled} bags from terms predict, {filled} without a terms task (scored 0)")
PY
  $insitu bags evaluate "$d/bags" "$split" --scores "tl_lr=$d/tl-bags.csv" --out "$d/evaluation.json" | tee "$d/evaluate.log"
done

$py - "$out" "$root/bench/results" "$images" "$seeds" "$(( $(date +%s) - start ))" <<'PY'
import csv, json, os, statistics, sys
out, results, images, seeds, wall = sys.argv[1:6]
seeds = int(seeds)
labels = {"bilstm": "bags: RegNetY CNN + BiLSTM", "cnn_mean": "bags: RegNetY CNN, mean of image probabilities",
          "tl_lr": "terms: MobileNetV2 block_9 features + LR ensembles, mean of image scores"}
measures = [("auc_samples", "AUC (samples)"), ("auc_macro", "AUC (macro)"), ("f1_macro", "macro F1"), ("f1_samples", "sample F1")]
per_seed, left_out, bags = {}, {}, {}
for s in range(1, seeds + 1):
    ev = json.load(open(os.path.join(out, f"seed-{s}", "evaluation.json")))
    for e in ev["evaluations"]:
        row = {k: e["scores"][k] for k, _ in measures}
        row["attributes_f1_zero"] = sum(1 for f in e["scores"]["f1_per_label"] if f == 0)  # never right on a test bag
        per_seed.setdefault(e["model"], []).append(row)
    listed = list(csv.DictReader(open(os.path.join(out, f"seed-{s}", "bags", "bags.csv"), newline="")))
    bags[s] = {k: len({b["source"] for b in listed if b["split"] == k}) for k in ("train", "val", "test")}
    left_out[s] = json.load(open(os.path.join(out, f"seed-{s}", "terms-config.left_out.json")))
table = {m: {k: {"mean": statistics.mean(r[k] for r in rows),
                 "std": statistics.stdev(r[k] for r in rows) if len(rows) > 1 else 0.0} for k, _ in measures}
         for m, rows in per_seed.items()}
attributes = len(json.load(open(os.path.join(out, "seed-1", "bags", "model.json")))["attributes"])
result = {"images": int(images), "seeds": seeds, "attributes": attributes, "bags_per_seed": bags, "table": table,
          "per_seed": per_seed, "terms_left_out": left_out, "wall_seconds": int(wall), "nproc": os.cpu_count(),
          "load_average_at_end": os.getloadavg()[0]}
json.dump(result, open(os.path.join(results, "bags_vs_terms.json"), "w"), indent=2)
lines = [f"Test bags of each seed's split (shared by both workflows), {attributes} attributes, thresholds on the same validation "
         f"bags; mean ± std over {seeds} seed(s); {images} simulated images (bench/bags_vs_terms.sh).", "",
         "| method | " + " | ".join(n for _, n in measures) + " |", "|---|" + "---:|" * len(measures)]
for m, row in table.items():
    lines.append(f"| {labels.get(m, m)} | " + " | ".join(f"{row[k]['mean']:.3f} ± {row[k]['std']:.3f}" for k, _ in measures) + " |")
lines += ["", "Attributes with F1 0 on the test bags (of " + str(attributes) + "), by seed: " + "; ".join(
    f"{m} " + " / ".join(str(r["attributes_f1_zero"]) for r in rows) for m, rows in per_seed.items())]
lines += ["", "Per seed (" + ", ".join(n for _, n in measures) + "):", ""]
for m, rows in per_seed.items():
    lines.append(f"* {m}: " + "; ".join(f"seed {i + 1}: " + " / ".join(f"{r[k]:.3f}" for k, _ in measures) for i, r in enumerate(rows)))
open(os.path.join(results, "bags_vs_terms.md"), "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
