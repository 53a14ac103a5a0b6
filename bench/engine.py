#!/usr/bin/env python3
"""Engine benchmark: training-step and inference throughput (images/s) of InSitu next to PyTorch, same
model, batch (16), input (1x128x320), thread count and machine, runs interleaved so drift hits both alike.

    /usr/bin/python3 bench/engine.py            (or: make bench)
    BENCH_ROUNDS=3 BENCH_TRAIN_ITERS=3 BENCH_INFER_ITERS=5 ...   for tighter figures

Writes bench/results/engine.json: one object per model and phase with insitu_ips, pytorch_ips, ratio.
PyTorch is run as its users run it (train: SGD step; inference: eval() under no_grad, NCHW, fp32). InSitu
runs its own default paths: training in NCHW (channels-last training would be faster but crashes libtorch
1.13: bench/channels_last_training_crash.py), inference with BN folded into convolutions, channels-last and
inference mode; infer_bf16 adds bfloat16 autocast and is compared with the same fp32 PyTorch baseline (its
logit deviation is reported)."""
import json, os, platform, statistics, subprocess, sys, time

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
dll = os.path.join(root, "bench", "InSitu.Bench", "bin", "Release", "net10.0", "InSitu.Bench.dll")
if not os.path.exists(dll):
    sys.exit("bench is not built: run 'make setup' first")
try:
    import torch  # noqa: F401  (only to fail early with a clear message)
except ImportError:
    sys.exit("PyTorch (Debian's python3-torch) is missing: run 'make setup' first")

threads = int(os.environ.get("BENCH_THREADS", os.cpu_count()))
rounds = int(os.environ.get("BENCH_ROUNDS", "2"))
train_iters = int(os.environ.get("BENCH_TRAIN_ITERS", "2"))
infer_iters = int(os.environ.get("BENCH_INFER_ITERS", "3"))
models = os.environ.get("BENCH_MODELS", "paper,resnet18").split(",")
cpu_flags = open("/proc/cpuinfo").read() if os.path.exists("/proc/cpuinfo") else ""
phases = ["train", "infer"] + (["infer_bf16"] if " avx512_bf16" in cpu_flags or " amx_bf16" in cpu_flags else [])
env = dict(os.environ, INSITU_THREADS=str(threads), OMP_NUM_THREADS=str(threads))


def run(cmd, extra=None):
    out = subprocess.run(cmd, capture_output=True, text=True, env=dict(env, **(extra or {})), cwd=root)
    if out.returncode != 0:
        sys.exit(f"benchmark command failed: {' '.join(cmd)}\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def insitu(model, phase, iters):
    return run(["dotnet", dll, "--model", model, "--phase", phase, "--iters", str(iters), "--warmup", "1"])


def pytorch(model, phase, iters, tuned=False):
    # tuned: the same glibc allocator settings InSitu applies to itself (see src/InSitu.Torch/Native.cs), given to
    # PyTorch through glibc's environment variables, so the engines can also be compared on equal allocator terms
    extra = {"MALLOC_MMAP_THRESHOLD_": str(1 << 30), "MALLOC_TRIM_THRESHOLD_": str(1 << 30)} if tuned else {}
    return run([sys.executable, os.path.join(root, "bench", "torch_engine.py"), "--model", model,
                "--phase", "train" if phase.startswith("train") else "infer", "--iters", str(iters), "--warmup", "1",
                "--threads", str(threads)], extra)


cases = [(m, p) for m in models for p in phases]
samples = {c: {"insitu": [], "pytorch": [], "pytorch_tuned": [], "deviation": []} for c in cases}
start = time.time()
for r in range(rounds):
    for (m, p) in cases:
        iters = train_iters if p.startswith("train") else infer_iters
        order = [("insitu", insitu), ("pytorch", pytorch), ("pytorch_tuned", lambda m_, p_, i_: pytorch(m_, p_, i_, tuned=True))]
        order = order[r % 3:] + order[:r % 3]
        for name, fn in order:
            res = fn(m, p, iters)
            samples[(m, p)][name].append(res["ips"])
            if name == "insitu":
                samples[(m, p)]["deviation"].append(res.get("max_rel_logit_deviation", 0.0))
            print(f"  round {r + 1}/{rounds}  {m:8s} {p:10s} {name:7s} {res['ips']:8.2f} img/s", flush=True)

results = []
print(f"\n{'model':9s} {'phase':11s} {'InSitu img/s':>13s} {'PyTorch img/s':>14s} {'ratio':>7s} {'PyTorch tuned':>14s} {'ratio':>7s}")
for (m, p) in cases:
    s = samples[(m, p)]
    ins, pt, ptt = statistics.median(s["insitu"]), statistics.median(s["pytorch"]), statistics.median(s["pytorch_tuned"])
    entry = {"model": m, "phase": p, "insitu_ips": round(ins, 3), "pytorch_ips": round(pt, 3), "ratio": round(ins / pt, 3),
             "pytorch_malloc_tuned_ips": round(ptt, 3), "ratio_vs_malloc_tuned": round(ins / ptt, 3),
             "insitu_runs": s["insitu"], "pytorch_runs": s["pytorch"], "pytorch_malloc_tuned_runs": s["pytorch_tuned"], "batch": 16, "input": [1, 128, 320],
             "threads": threads, "rounds": rounds}
    if p.startswith("train"):
        entry["insitu_mode"] = "SGD step, NCHW"
        entry["pytorch_mode"] = "SGD step, NCHW"
    else:
        entry["max_rel_logit_deviation"] = max(s["deviation"])
        entry["pytorch_mode"] = "eval, no_grad, NCHW, fp32"
        entry["insitu_mode"] = "eval, BN folded, channels-last, inference mode" + (", bf16 autocast" if p == "infer_bf16" else ", fp32")
    results.append(entry)
    print(f"{m:9s} {p:11s} {ins:13.2f} {pt:14.2f} {ins / pt:6.2f}x {ptt:14.2f} {ins / ptt:6.2f}x")

os.makedirs(os.path.join(root, "bench", "results"), exist_ok=True)
meta = {"machine": platform.processor() or platform.machine(), "cpu_count": os.cpu_count(),
        "pytorch": __import__("torch").__version__, "seconds": round(time.time() - start, 1)}
with open(os.path.join(root, "bench", "results", "engine.json"), "w") as f:
    json.dump({"meta": meta, "results": results}, f, indent=2)
print(f"\nwrote bench/results/engine.json ({meta['seconds']} s)")
