"""PyTorch twin of InSitu.Bench blas: the same matrix product, LSTM training step and logistic-regression fit
(standardised features, Adam, cross-entropy + lambda/2 ||W||^2, as src/InSitu/Classic/LogisticRegression.cs).
One JSON line on stdout.

    /usr/bin/python3 bench/torch_blas.py --op matmul|lstm|logreg [--iters 5] [--warmup 1] [--threads N]"""
import argparse, json, os, time
import torch
import torch.nn.functional as F

BAGS, BAG_LENGTH, FEATURES, HIDDEN = 16, 20, 256, 256
SAMPLES, DIMENSIONS, CLASSES, LOGREG_ITERATIONS = 2000, 1024, 14, 100

p = argparse.ArgumentParser()
p.add_argument("--op", default="matmul")
p.add_argument("--iters", type=int, default=5)
p.add_argument("--warmup", type=int, default=1)
p.add_argument("--threads", type=int, default=os.cpu_count())
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)

if a.op == "matmul":
    x, y = torch.randn(1024, 1024), torch.randn(1024, 1024)
    step, flops = (lambda: x @ y), 2.0 * 1024 ** 3
elif a.op == "lstm":
    lstm = torch.nn.LSTM(FEATURES, HIDDEN, num_layers=2, batch_first=True, bidirectional=True)
    x = torch.randn(BAGS, BAG_LENGTH, FEATURES)

    def step():
        lstm.zero_grad(set_to_none=True)
        lstm(x)[0].sum().backward()
    forward = 2.0 * 4 * HIDDEN * ((FEATURES + HIDDEN) + (2 * HIDDEN + HIDDEN)) * 2 * BAGS * BAG_LENGTH
    flops = 3 * forward
elif a.op == "logreg":
    feats, labels = torch.randn(SAMPLES, DIMENSIONS), torch.randint(0, CLASSES, (SAMPLES,))

    def step():
        mean = feats.mean(0, keepdim=True)
        std = (feats - mean).pow(2).mean(0, keepdim=True).sqrt() + 1e-6
        xs = (feats - mean) / std
        w = torch.zeros(DIMENSIONS, CLASSES, requires_grad=True)
        b = torch.zeros(CLASSES, requires_grad=True)
        opt = torch.optim.Adam([w, b], lr=0.05)
        for _ in range(LOGREG_ITERATIONS):
            opt.zero_grad()
            (F.cross_entropy(xs @ w + b, labels) + w.pow(2).sum() * (1e-3 / 2)).backward()
            opt.step()
    flops = 2.0 * 2 * SAMPLES * DIMENSIONS * CLASSES * LOGREG_ITERATIONS
else:
    raise SystemExit(f"unknown op '{a.op}' (matmul, lstm, logreg)")

for _ in range(a.warmup):
    step()
t = time.perf_counter()
for _ in range(a.iters):
    step()
per_iter = (time.perf_counter() - t) / a.iters
print(json.dumps({"runtime": "pytorch", "op": a.op, "seconds_per_iter": per_iter, "gflops": flops / per_iter / 1e9,
                  "threads": torch.get_num_threads()}))
