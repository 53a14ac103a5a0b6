"""The machine's measured fp32 convolution peak: the best GFLOP/s of large 3x3 convolutions run directly through
oneDNN (PyTorch 1.13's mkldnn convolution, channels-last, no autograd), over a few channel widths, with the same
thread count as the benchmark. The engine benchmark reports every model's GFLOP/s against this figure.

    /usr/bin/python3 bench/machine_peak.py [--threads N] [--repeats 5]"""
import argparse, json, os, time
import torch
import torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument("--threads", type=int, default=os.cpu_count())
p.add_argument("--repeats", type=int, default=5)
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)
best = {}
for channels, (h, w) in [(64, (64, 160)), (128, (32, 80)), (256, (32, 80))]:
    x = torch.randn(16, channels, h, w).contiguous(memory_format=torch.channels_last)
    weight = torch.randn(channels, channels, 3, 3).contiguous(memory_format=torch.channels_last)
    flops = 2.0 * 16 * channels * channels * 9 * h * w
    with torch.no_grad():
        F.conv2d(x, weight, padding=1)
        rates = []
        for _ in range(a.repeats):
            t = time.perf_counter()
            F.conv2d(x, weight, padding=1)
            rates.append(flops / (time.perf_counter() - t) / 1e9)
    best[channels] = max(rates)
print(json.dumps({"peak_gflops": max(best.values()), "per_width": best, "threads": torch.get_num_threads()}))
