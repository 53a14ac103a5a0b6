#!/usr/bin/python3
"""Precise-stage comparison on the simulator at the paper's proportions, InSitu next to PyTorch.

    /usr/bin/python3 bench/stage_compare.py [--scale 1.0] [--preset paper|demo] [--threads N]

1. Simulates 36,908 x scale range-labelled images (bdgp-paper proportions) and keeps the precise stage of 248 x scale
   images per stage 4..17 (the paper's fine set), hiding it on the rest.
2. Runs `insitu stage compare --methods gabor,plain,data,data+feature --seeds 1` on it.
3. Exports the exact tensors of that run's seed (InSitu.Bench stage-export) and runs bench/torch_stage.py, the
   data and data+feature methods in plain PyTorch with the same network, schedule and split.
4. Writes bench/results/stage_compare.json with both sides' accuracy and training speed.

At scale 1 with the paper preset (128x320, the full network, 40 epochs per phase) this is for a machine with more
time or a GPU; --scale 0.1 --preset demo finishes in minutes on two cores.
"""

import argparse
import csv
import json
import os
import statistics
import subprocess
import time

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def run(cmd, **kw):
    print("+", " ".join(cmd), flush=True)
    start = time.perf_counter()
    out = subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True, **kw)
    return out.stdout, time.perf_counter() - start


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--preset", default="paper")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--work", default=os.path.join(ROOT, "runs", "bench-stage"))
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results", "stage_compare.json"))
    a = ap.parse_args()
    env = dict(os.environ, INSITU_THREADS=str(a.threads))
    sim = os.path.join(a.work, "sim")
    per_stage = max(6, round(248 * a.scale))
    run(["./insitu", "synth", "--out", sim, "--images", str(round(36908 * a.scale) + 14 * per_stage * 3), "--seed", "1"], env=env)

    # the fine set: the first per_stage images of each stage 4..17; every other image keeps only its range
    with open(os.path.join(sim, "manifest.csv")) as f:
        rows = list(csv.DictReader(f))
    kept = {s: 0 for s in range(4, 18)}
    for r in rows:
        s = int(r["stage"])
        if s in kept and kept[s] < per_stage:
            kept[s] += 1
        else:
            r["stage"] = ""
    manifest = os.path.join(sim, "stage.csv")
    with open(manifest, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        w.writeheader()
        w.writerows(rows)

    insitu_dir = os.path.join(a.work, "insitu")
    _, insitu_seconds = run(["./insitu", "stage", "compare", manifest, "--methods", "gabor,plain,data,data+feature", "--seeds", "1",
                             "--preset", a.preset, "--out", insitu_dir], env=env)
    comparison = json.load(open(os.path.join(insitu_dir, "comparison.json")))
    insitu = {m["method"]: m["mean_per_stage_accuracy"]["mean"] for m in comparison["methods"]}
    detail = json.load(open(os.path.join(insitu_dir, "seed-1", "data_feature.json")))
    speeds = {phase: statistics.median(e["images_per_second"] for e in curve) for phase, curve in detail["curves"].items()}

    tensors = os.path.join(a.work, "tensors.pt")
    run(["dotnet", "bench/InSitu.Bench/bin/Release/net10.0/InSitu.Bench.dll", "stage-export", "--manifest", manifest,
         "--config", os.path.join(insitu_dir, "config.json"), "--seed", "1", "--out", tensors], env=env)
    out, torch_seconds = run(["/usr/bin/python3", "bench/torch_stage.py", "--tensors", tensors, "--config",
                              os.path.join(insitu_dir, "config.json"), "--seed", "1", "--threads", str(a.threads)], env=env)
    torch_result = json.loads(out.strip().splitlines()[-1])

    result = {
        "scale": a.scale, "preset": a.preset, "threads": a.threads, "fine_per_stage": per_stage, "images": len(rows),
        "insitu": {"mean_per_stage_accuracy": insitu, "training_images_per_s": speeds, "seconds_all_methods": round(insitu_seconds)},
        "pytorch": torch_result | {"seconds_data_and_data_feature": round(torch_seconds)},
        "training_speed_ratio_insitu_over_pytorch": {
            "step1": speeds["step1-ranges"] / torch_result["step1_images_per_s"],
            "fine": speeds["data-fine"] / torch_result["fine_images_per_s"],
            "feature": speeds["feature"] / torch_result["feature_images_per_s"],
        },
    }
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
