#!/usr/bin/python3
"""The `data` and `data+feature` methods (METHODS.md section 1) in plain PyTorch, on the tensors InSitu trained on.

    /usr/bin/python3 bench/torch_stage.py --tensors tensors.pt --config RUN/config.json --seed 1 --threads 2

tensors.pt comes from `InSitu.Bench stage-export` (the same split, size and normalisation as InSitu's run) and
config.json is that run's resolved config, so both sides use the same network, schedule and reference-set rule.
Prints one JSON line: mean per-stage test accuracy of both methods and the training images/s of each phase.
"""

import argparse
import json
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))
import torch_resnet  # noqa: E402


def network(cfg, classes):
    make = torch_resnet.paper if cfg["model"] == "paper" else torch_resnet.cifar_resnet18
    return make(1 if cfg["gray"] else 3, classes, cfg["height"], cfg["width"], cfg["base_width"])


def features(net, x):
    out = F.relu(net.bn1(net.conv1(x)))
    out = net.layer4(net.layer3(net.layer2(net.layer1(out))))
    return F.avg_pool2d(out, net.pool).flatten(1)


def accuracy(net, x, y):
    net.eval()
    with torch.inference_mode():
        pred = torch.cat([net(x[i:i + 64]).argmax(1) for i in range(0, len(x), 64)])
    return (pred == y).float().mean().item(), pred


def mean_per_stage(pred, y):
    accs = [(pred[y == c] == c).float().mean().item() for c in range(14) if (y == c).any()]
    return sum(accs) / len(accs)


def train(net, t, x, y, vx, vy, seed, loss_fn=None):
    """SGD + momentum, multi-step decay, one flip coin per batch, best epoch on validation (as InSitu's trainer)."""
    opt = torch.optim.SGD(net.parameters(), lr=t["learning_rate"], momentum=t["momentum"], weight_decay=t["weight_decay"])
    sched = torch.optim.lr_scheduler.MultiStepLR(opt, t["milestones"], t["gamma"])
    best, best_state, images, seconds = -1.0, None, 0, 0.0
    for epoch in range(t["epochs"]):
        torch.manual_seed(seed * 1000 + epoch)
        net.train()
        order = torch.randperm(len(x))
        start = time.perf_counter()
        for b in range(0, len(x), t["batch_size"]):
            idx = order[b:b + t["batch_size"]]
            xb, yb = x[idx], y[idx]
            coin = torch.rand(2)
            if t["flip_horizontal"] and coin[0] < 0.5:
                xb = xb.flip(3)
            if t["flip_vertical"] and coin[1] < 0.5:
                xb = xb.flip(2)
            opt.zero_grad()
            loss = loss_fn(xb, yb) if loss_fn else F.cross_entropy(net(xb), yb)
            loss.backward()
            opt.step()
            images += len(idx)
        seconds += time.perf_counter() - start
        sched.step()
        val, _ = accuracy(net, vx, vy)
        if val > best:
            best, best_state = val, {k: v.clone() for k, v in net.state_dict().items()}
    net.load_state_dict(best_state)
    return images / seconds


def reference_sets(net, x, y, cfg, sets, seed):
    net.eval()
    with torch.inference_mode():
        logits = torch.cat([net(x[i:i + 64]) for i in range(0, len(x), 64)])
    top2 = logits.topk(2, 1)
    p = logits.softmax(1)
    correct = top2.indices[:, 0] == y
    confident = (top2.values[:, 0] - top2.values[:, 1] > cfg["margin"]) if cfg["reference_rule"] == "margin" else (p[torch.arange(len(y)), y] > cfg["tau"])
    g = torch.Generator().manual_seed(seed * 31 + 3)
    candidates = []
    for c in range(14):
        pool = torch.nonzero(correct & confident & (y == c)).flatten()
        if len(pool) == 0:  # the same fallback as InSitu: the most probable quarter of the class's correct images, else all
            pool = torch.nonzero(correct & (y == c)).flatten()
            if len(pool) == 0:
                pool = torch.nonzero(y == c).flatten()
            pool = pool[p[pool, c].argsort(descending=True)][:max(1, len(pool) // 4)]
        candidates.append(pool)
    return torch.stack([torch.stack([pool[torch.randint(len(pool), (1,), generator=g)][0] for pool in candidates]) for _ in range(sets)])


def similarity_loss(f, r, y):
    sim = F.normalize(f, dim=1) @ F.normalize(r, dim=1).t()        # Eq. 4
    SIM = sim.softmax(1)                                            # Eq. 5
    own = SIM.gather(1, y[:, None]).squeeze(1)
    return (-own + (SIM.sum(1) - own) / (r.shape[0] - 1)).mean()    # Eq. 6


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tensors", required=True)
    ap.add_argument("--config", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    cfg = json.load(open(a.config))["config"]
    d = torch.load(a.tensors)
    result = {"runtime": "pytorch", "threads": a.threads, "torch": torch.__version__}

    torch.manual_seed(a.seed * 7 + 6)
    net = network(cfg, 6)
    ranges = torch.tensor([[0, 0, 0, 1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 5, 5, 5][c + 3] for c in d["val_y"].tolist()])  # stage c + 4 -> range - 1
    result["step1_images_per_s"] = train(net, cfg["coarse"], d["coarse_x"], d["coarse_y"], d["val_x"], ranges, a.seed)
    torch.manual_seed(a.seed * 7 + 99)
    net.linear = nn.Linear(net.linear.in_features, 14)
    result["fine_images_per_s"] = train(net, cfg["fine"], d["train_x"], d["train_y"], d["val_x"], d["val_y"], a.seed)
    _, pred = accuracy(net, d["test_x"], d["test_y"])
    result["data_mean_per_stage"] = mean_per_stage(pred, d["test_y"])

    sets = reference_sets(net, d["train_x"], d["train_y"], cfg, cfg["reference_sets"], a.seed)
    train_x = d["train_x"]

    def loss_fn(xb, yb):
        refs = train_x[sets[torch.randint(len(sets), (1,))[0]]]
        f = features(net, torch.cat([xb, refs]))
        fb = f[:len(xb)]
        return F.cross_entropy(net.linear(fb), yb) + similarity_loss(fb, f[len(xb):], yb)

    result["feature_images_per_s"] = train(net, cfg["feature"], d["train_x"], d["train_y"], d["val_x"], d["val_y"], a.seed, loss_fn)
    _, pred = accuracy(net, d["test_x"], d["test_y"])
    result["data_feature_mean_per_stage"] = mean_per_stage(pred, d["test_y"])
    print(json.dumps(result))


if __name__ == "__main__":
    main()
