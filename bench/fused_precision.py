#!/usr/bin/env python3
"""Speed of the fused oneDNN inference plan in its three arithmetics (fp32 Winograd, bf16, int8 calibrated on 4
batches; issue 11), for the paper's ResNet and ResNet-18, batch 16 of 1x128x320, all cores; every configuration in its
own process, interleaved round by round (rotated), medians and min-max over the rounds. The accuracy side of the same
switch is bench/fused_accuracy.py.

    /usr/bin/python3 bench/fused_precision.py       (BENCH_ROUNDS=5, BENCH_INFER_ITERS=4)

Writes bench/results/fused_precision.json."""
import json, os, statistics, subprocess, sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
dll = os.path.join(root, "bench", "InSitu.Bench", "bin", "Release", "net10.0", "InSitu.Bench.dll")
if not os.path.exists(dll):
    sys.exit("bench is not built: run 'make setup' first")
rounds = int(os.environ.get("BENCH_ROUNDS", "5"))
iters = int(os.environ.get("BENCH_INFER_ITERS", "4"))
threads = str(os.cpu_count())
env = dict(os.environ, INSITU_THREADS=threads, OMP_NUM_THREADS=threads)
configs = [(m, p) for m in ("paper", "resnet18") for p in ("infer_fused", "infer_fused_bf16", "infer_fused_int8")]
samples = {c: [] for c in configs}
deviation = {}
for r in range(rounds):
    shift = r % len(configs)
    for m, p in configs[shift:] + configs[:shift]:
        out = subprocess.run(["dotnet", dll, "--model", m, "--phase", p, "--iters", str(iters), "--warmup", "1"],
                             capture_output=True, text=True, env=env, cwd=root)
        if out.returncode != 0:
            sys.exit(f"{m} {p} failed: {out.stderr[-1000:]}")
        res = json.loads(out.stdout.strip().splitlines()[-1])
        samples[(m, p)].append(res["ips"])
        for key in ("max_rel_logit_deviation", "max_rel_deviation"):
            if key in res:
                deviation[(m, p)] = res[key]
        print(f"round {r + 1}/{rounds} {m:9s} {p:18s} {res['ips']:7.2f} img/s", flush=True)
rows = []
for m, p in configs:
    s = samples[(m, p)]
    fp32 = statistics.median(samples[(m, "infer_fused")])
    rows.append({"model": m, "phase": p, "ips": {"median": round(statistics.median(s), 3), "min": round(min(s), 3),
                 "max": round(max(s), 3), "runs": s}, "vs_fused_fp32": round(statistics.median(s) / fp32, 3),
                 "max_rel_logit_deviation": deviation.get((m, p))})
json.dump({"rounds": rounds, "iters": iters, "threads": int(threads), "batch": 16, "input": [1, 128, 320], "rows": rows},
          open(os.path.join(root, "bench", "results", "fused_precision.json"), "w"), indent=2)
print("\n| model | plan | img/s (median, min-max) | vs fp32 plan | max rel. logit deviation |\n|---|---|---:|---:|---:|")
for e in rows:
    d = e["max_rel_logit_deviation"]
    print(f"| {e['model']} | {e['phase']} | {e['ips']['median']:.2f} ({e['ips']['min']:.2f}-{e['ips']['max']:.2f}) | "
          f"{e['vs_fused_fp32']:.2f}x | {'' if d is None else f'{d:.1e}'} |")
