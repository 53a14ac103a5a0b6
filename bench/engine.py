#!/usr/bin/env python3
"""Engine benchmark: InSitu next to PyTorch 1.13 on the same machine, models (the paper's ResNet and ResNet-18),
batch (16), input (1x128x320) and thread count, every configuration run in its own process, all of them
interleaved round by round (rotated order) so that drift hits every engine alike.

    /usr/bin/python3 bench/engine.py            (or: make bench)
    BENCH_ROUNDS=5 BENCH_TRAIN_ITERS=2 BENCH_INFER_ITERS=4 BENCH_MODELS=paper,resnet18 BENCH_THREADS=N
    BENCH_SKIP_BLAS=1 (no BLAS rows)

Models: paper (the paper's 4-block ResNet) and resnet18 (the published code's CIFAR-style ResNet-18), batch 16 of
1x128x320; demo (not run unless named in BENCH_MODELS): the paper ResNet at the demo preset's scale, batch 32 of 1x32x80,
width 16, with 20x the iterations (its steps are about 60x shorter).

Two comparisons, both in bench/results/engine.json and printed as tables:
* out of the box: each engine as its users get it. PyTorch: glibc's default allocator, SGD step / eval() under
  no_grad, NCHW, fp32. InSitu: its own default paths (its allocator settings, which it applies to itself;
  inference with batch norm folded into the convolutions, channels-last, inference mode).
* like for like: PyTorch given the same process settings InSitu applies to itself (glibc's allocator thresholds
  through glibc's environment variables, libgomp's passive waiting through OMP_WAIT_POLICY), and each precision
  and layout option run on both engines: fp32 NCHW, fp32 channels-last with batch norm folded (torch's own
  fuse_conv_bn_eval), bf16 autocast. Channels-last training is absent because libtorch 1.13's oneDNN corrupts
  the heap in its backward, in PyTorch as in InSitu
  (bench/channels_last_training_crash.py). The headline ratio per model, phase and precision is InSitu's fastest
  path against PyTorch's fastest path at that precision, both under the same process settings.
Every figure also has the CPU time (user + system, all threads) per image of the timed steps, which a loaded
machine disturbs far less than wall time. Also: GFLOP/s reached (forward multiply-adds x 2 per image; a training step counted as 3 forward passes) against
the machine's measured fp32 convolution peak (bench/machine_peak.py), an ONNX Runtime row when InSitu.Bench has
it, and the BLAS rows (matrix product, LSTM training step, logistic regression) for InSitu on its BLAS, InSitu on
the reference BLAS, and PyTorch. Medians over the rounds, with the spread (min-max) of every figure."""
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
rounds = int(os.environ.get("BENCH_ROUNDS", "5"))
train_iters = int(os.environ.get("BENCH_TRAIN_ITERS", "2"))
infer_iters = int(os.environ.get("BENCH_INFER_ITERS", "4"))
blas_iters = int(os.environ.get("BENCH_BLAS_ITERS", "3"))
models = os.environ.get("BENCH_MODELS", "paper,resnet18").split(",")
skip_blas = os.environ.get("BENCH_SKIP_BLAS", "0") == "1"
# how each model is run (the same options for both engines) and how many times the iteration counts it takes
model_args = {"paper": (["--model", "paper"], 1), "resnet18": (["--model", "resnet18"], 1),
              "demo": (["--model", "paper", "--height", "32", "--width", "80", "--base", "16", "--batch", "32"], 20)}
unknown = [m for m in models if m not in model_args]
if unknown:
    sys.exit(f"unknown BENCH_MODELS entry {unknown}: use {', '.join(model_args)}")
reference_blas = "/usr/lib/x86_64-linux-gnu/blas"
cpu_flags = open("/proc/cpuinfo").read() if os.path.exists("/proc/cpuinfo") else ""
has_bf16 = " avx512_bf16" in cpu_flags or " amx_bf16" in cpu_flags
env = dict(os.environ, INSITU_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
# the process settings InSitu applies to itself, given to PyTorch for like for like: glibc's allocator thresholds
# (src/InSitu.Torch/Native.cs) and libgomp's passive waiting (src/InSitu.Torch/OpenMpWaitPolicy.cs)
tuned_malloc = {"MALLOC_MMAP_THRESHOLD_": str(1 << 30), "MALLOC_TRIM_THRESHOLD_": str(1 << 30),
                "OMP_WAIT_POLICY": "PASSIVE"}


class Unavailable(Exception):
    pass


def run(cmd, extra=None):
    out = subprocess.run(cmd, capture_output=True, text=True, env=dict(env, **(extra or {})), cwd=root)
    if out.returncode != 0:
        reason = [line for line in out.stderr.splitlines() if "unknown phase" in line or "unavailable" in line]
        if reason:
            raise Unavailable(reason[0].split(": ", 1)[-1].strip())
        sys.exit(f"benchmark command failed: {' '.join(cmd)}\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def insitu(model, phase, iters, *options):
    args, scale = model_args[model]
    return run(["dotnet", dll, *args, "--phase", phase, "--iters", str(iters * scale), "--warmup", "1", *options])


def pytorch(model, phase, iters, tuned, *options):
    args, scale = model_args[model]
    return run([sys.executable, os.path.join(root, "bench", "torch_engine.py"), *args, "--phase", phase,
                "--iters", str(iters * scale), "--warmup", "1", "--threads", str(threads), *options],
               tuned_malloc if tuned else None)


# (name, phase, precision, engine, how to run it with a given model and iteration count)
configs = [
    ("insitu train fp32 nchw", "train", "fp32", "insitu", lambda m, i: insitu(m, "train", i)),
    ("pytorch train fp32 nchw", "train", "fp32", "pytorch", lambda m, i: pytorch(m, "train", i, False)),
    ("pytorch_tuned train fp32 nchw", "train", "fp32", "pytorch_tuned", lambda m, i: pytorch(m, "train", i, True)),
    ("insitu infer fp32 nchw", "infer", "fp32", "insitu",
     lambda m, i: insitu(m, "infer", i, "--fold", "0", "--channels-last", "0")),
    ("insitu infer fp32 cl folded", "infer", "fp32", "insitu", lambda m, i: insitu(m, "infer", i)),
    ("insitu infer fp32 fused", "infer", "fp32", "insitu", lambda m, i: insitu(m, "infer_fused", i)),
    ("onnxruntime infer fp32", "infer", "fp32", "onnxruntime", lambda m, i: insitu(m, "infer_onnx", i)),
    ("pytorch infer fp32 nchw", "infer", "fp32", "pytorch", lambda m, i: pytorch(m, "infer", i, False)),
    ("pytorch_tuned infer fp32 nchw", "infer", "fp32", "pytorch_tuned", lambda m, i: pytorch(m, "infer", i, True)),
    ("pytorch_tuned infer fp32 cl folded", "infer", "fp32", "pytorch_tuned",
     lambda m, i: pytorch(m, "infer", i, True, "--layout", "cl", "--fold", "1")),
]
if has_bf16:
    configs += [
        ("insitu train bf16 nchw", "train", "bf16", "insitu", lambda m, i: insitu(m, "train", i, "--precision", "bf16")),
        ("pytorch_tuned train bf16 nchw", "train", "bf16", "pytorch_tuned",
         lambda m, i: pytorch(m, "train", i, True, "--precision", "bf16")),
        ("insitu infer bf16 cl folded", "infer", "bf16", "insitu", lambda m, i: insitu(m, "infer_bf16", i)),
        ("insitu infer bf16 fused", "infer", "bf16", "insitu", lambda m, i: insitu(m, "infer_fused_bf16", i)),
        ("pytorch_tuned infer bf16 cl folded", "infer", "bf16", "pytorch_tuned",
         lambda m, i: pytorch(m, "infer", i, True, "--layout", "cl", "--fold", "1", "--precision", "bf16")),
    ]
blas_configs = [
    ("insitu", lambda op: run(["dotnet", dll, "blas", "--op", op, "--iters", str(blas_iters)])),
    ("insitu_reference_blas", lambda op: run(["dotnet", dll, "blas", "--op", op, "--iters", "1"],
                                             {"LD_LIBRARY_PATH": reference_blas})),
    ("pytorch", lambda op: run([sys.executable, os.path.join(root, "bench", "torch_blas.py"), "--op", op,
                                "--iters", str(blas_iters), "--threads", str(threads)])),
]
blas_ops = ["matmul", "lstm", "logreg"]

start = time.time()
samples = {(m, c[0]): [] for m in models for c in configs}
cpu_samples = {(m, c[0]): [] for m in models for c in configs}
deviation, gflop_per_image, unavailable = {}, {}, {}
blas = {(op, name): [] for op in blas_ops for name, _ in blas_configs}
peaks, blas_name = [], ""
for r in range(rounds):
    peak = run([sys.executable, os.path.join(root, "bench", "machine_peak.py"), "--threads", str(threads)])
    peaks.append(peak["peak_gflops"])
    print(f"round {r + 1}/{rounds}  machine fp32 conv peak {peak['peak_gflops']:.1f} GFLOP/s", flush=True)
    order = [(m, c) for m in models for c in configs]
    shift = (r * 7) % len(order)
    for m, (name, phase, precision, engine, fn) in order[shift:] + order[:shift]:
        if (m, name) in unavailable:
            continue
        try:
            res = fn(m, train_iters if phase == "train" else infer_iters)
        except Unavailable as e:
            unavailable[(m, name)] = str(e)
            print(f"  {m:8s} {name:36s} unavailable: {e}", flush=True)
            continue
        samples[(m, name)].append(res["ips"])
        if res.get("cpu_seconds") and res["ips"] > 0:
            cpu_samples[(m, name)].append(res["cpu_seconds"] / (res["ips"] * res["seconds"]))
        if "gflop_per_image" in res:
            gflop_per_image[m] = res["gflop_per_image"]
        if "max_rel_logit_deviation" in res:
            deviation[(m, name)] = max(deviation.get((m, name), 0.0), res["max_rel_logit_deviation"])
        print(f"  {m:8s} {name:36s} {res['ips']:8.2f} img/s", flush=True)
    for op in [] if skip_blas else blas_ops:
        for name, fn in blas_configs[r % 3:] + blas_configs[:r % 3]:
            res = fn(op)
            blas[(op, name)].append(res["gflops"])
            if name == "insitu":
                blas_name = res.get("blas", "")
            print(f"  blas {op:7s} {name:22s} {res['gflops']:8.2f} GFLOP/s", flush=True)


def summary(values, digits=3):
    med = statistics.median(values)
    return {"median": round(med, digits), "min": round(min(values), digits), "max": round(max(values), digits),
            "spread": round((max(values) - min(values)) / med, 3) if med else None, "runs": [round(v, digits) for v in values]}


peak = statistics.median(peaks)
results = {"configs": [], "out_of_the_box": [], "like_for_like": [], "headline": [], "blas": []}
for m in models:
    for name, phase, precision, engine, _ in configs:
        if not samples[(m, name)]:
            continue
        s = summary(samples[(m, name)])
        flops = gflop_per_image.get(m, 0) * (3 if phase == "train" else 1)
        entry = {"model": m, "config": name, "phase": phase, "precision": precision, "engine": engine, "ips": s,
                 "gflops": round(s["median"] * flops, 1), "of_peak": round(s["median"] * flops / peak, 3)}
        if cpu_samples[(m, name)]:
            entry["cpu_seconds_per_image"] = summary(cpu_samples[(m, name)], 5)
        if (m, name) in deviation:
            entry["max_rel_logit_deviation"] = deviation[(m, name)]
        results["configs"].append(entry)

    def med(name):
        return statistics.median(samples[(m, name)]) if samples[(m, name)] else None

    def ratio(a, b, label, kind, phase, precision):
        if med(a) is None or med(b) is None:
            return
        entry = {"model": m, "phase": phase, "precision": precision, "comparison": label, "insitu": a, "other": b,
                 "insitu_ips": round(med(a), 3), "other_ips": round(med(b), 3), "ratio": round(med(a) / med(b), 3)}
        if cpu_samples[(m, a)] and cpu_samples[(m, b)]:
            # the same comparison in CPU time per image (other / insitu: above 1, InSitu spends less)
            entry["cpu_ratio"] = round(statistics.median(cpu_samples[(m, b)]) / statistics.median(cpu_samples[(m, a)]), 3)
        results[kind].append(entry)

    ratio("insitu train fp32 nchw", "pytorch train fp32 nchw", "defaults", "out_of_the_box", "train", "fp32")
    ratio("insitu infer fp32 cl folded", "pytorch infer fp32 nchw", "defaults", "out_of_the_box", "infer", "fp32")
    ratio("insitu train fp32 nchw", "pytorch_tuned train fp32 nchw", "fp32 NCHW", "like_for_like", "train", "fp32")
    ratio("insitu train bf16 nchw", "pytorch_tuned train bf16 nchw", "bf16 autocast NCHW", "like_for_like", "train", "bf16")
    ratio("insitu infer fp32 nchw", "pytorch_tuned infer fp32 nchw", "fp32 NCHW", "like_for_like", "infer", "fp32")
    ratio("insitu infer fp32 cl folded", "pytorch_tuned infer fp32 cl folded", "fp32 channels-last, BN folded",
          "like_for_like", "infer", "fp32")
    ratio("insitu infer bf16 cl folded", "pytorch_tuned infer bf16 cl folded", "bf16 autocast channels-last, BN folded",
          "like_for_like", "infer", "bf16")
    for phase in ("train", "infer"):
        for precision in ("fp32", "bf16"):
            mine = [c[0] for c in configs if c[1] == phase and c[2] == precision and c[3] == "insitu" and med(c[0])]
            theirs = [c[0] for c in configs if c[1] == phase and c[2] == precision and c[3] == "pytorch_tuned" and med(c[0])]
            if mine and theirs:
                best_mine, best_theirs = max(mine, key=med), max(theirs, key=med)
                ratio(best_mine, best_theirs, "fastest path of each engine, same process settings and precision", "headline",
                      phase, precision)
    if med("onnxruntime infer fp32"):
        ratio("onnxruntime infer fp32", "pytorch_tuned infer fp32 cl folded", "ONNX Runtime (InSitu export) vs PyTorch",
              "like_for_like", "infer", "fp32")
for op in [] if skip_blas else blas_ops:
    row = {"op": op}
    for name, _ in blas_configs:
        row[name] = summary(blas[(op, name)])
    row["insitu_vs_pytorch"] = round(row["insitu"]["median"] / row["pytorch"]["median"], 3)
    row["openblas_vs_reference"] = round(row["insitu"]["median"] / row["insitu_reference_blas"]["median"], 1)
    results["blas"].append(row)

print(f"\nmachine fp32 convolution peak: {peak:.1f} GFLOP/s (median of {len(peaks)})")
print(f"\n{'model':9s} {'config':38s} {'img/s':>8s} {'min-max':>15s} {'GFLOP/s':>8s} {'of peak':>8s} {'CPU ms/img':>10s}")
for e in results["configs"]:
    cpu = e.get("cpu_seconds_per_image", {}).get("median")
    print(f"{e['model']:9s} {e['config']:38s} {e['ips']['median']:8.2f} {e['ips']['min']:7.2f}-{e['ips']['max']:<7.2f}"
          f" {e['gflops']:8.1f} {e['of_peak']:8.0%} {1000 * cpu if cpu is not None else float('nan'):10.1f}")
for kind in ("out_of_the_box", "like_for_like", "headline"):
    print(f"\n{kind.replace('_', ' ')}:")
    for e in results[kind]:
        cpu = f"   (CPU time {e['cpu_ratio']:.2f}x)" if "cpu_ratio" in e else ""
        print(f"  {e['model']:9s} {e['phase']:6s} {e['precision']:5s} {e['insitu']:30s} / {e['other']:36s} {e['ratio']:6.2f}x{cpu}")
print("\nBLAS (GFLOP/s, medians):")
for row in results["blas"]:
    print(f"  {row['op']:7s} InSitu {row['insitu']['median']:7.2f}  InSitu on reference BLAS "
          f"{row['insitu_reference_blas']['median']:6.2f}  PyTorch {row['pytorch']['median']:7.2f}")

os.makedirs(os.path.join(root, "bench", "results"), exist_ok=True)
model_name = [line.split(":", 1)[1].strip() for line in cpu_flags.splitlines() if line.startswith("model name")]
meta = {"machine": (model_name[0] if model_name else platform.machine()), "bf16_capable": has_bf16, "cpu_count": os.cpu_count(), "threads": threads,
        "pytorch": __import__("torch").__version__, "rounds": rounds, "train_iters": train_iters,
        "infer_iters": infer_iters, "batch": {m: 32 if m == "demo" else 16 for m in models},
        "input": {m: [1, 32, 80] if m == "demo" else [1, 128, 320] for m in models}, "peak_gflops": round(peak, 1),
        "peak_runs": [round(p, 1) for p in peaks], "blas": blas_name, "unavailable": {f"{m} {n}": e for (m, n), e in unavailable.items()},
        "seconds": round(time.time() - start, 1)}
with open(os.path.join(root, "bench", "results", "engine.json"), "w") as f:
    json.dump({"meta": meta, **results}, f, indent=2)
print(f"\nwrote bench/results/engine.json ({meta['seconds']} s)")
