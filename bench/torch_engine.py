"""PyTorch side of the engine benchmark: the same models, batch and step as InSitu.Bench, written the way a
PyTorch user would (train: SGD step; inference: eval() under torch.no_grad()), with the same options InSitu has:
channels-last layout, bf16 autocast, and batch norm folded into the convolutions (torch's own fuse_conv_bn_eval).
One JSON line on stdout, with the model's forward GFLOP per image (multiply-adds x 2 of every conv and linear).

    /usr/bin/python3 bench/torch_engine.py --model paper|resnet18 --phase train|infer
        [--layout nchw|cl] [--precision fp32|bf16] [--fold 0|1] [--iters 3] [--warmup 1] [--threads N]
        [--height 128] [--width 320] [--base 64]"""
import argparse, contextlib, json, os, resource, sys, time
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.fusion import fuse_conv_bn_eval

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "reference"))
import torch_resnet

p = argparse.ArgumentParser()
p.add_argument("--model", default="paper")
p.add_argument("--phase", default="train")
p.add_argument("--layout", default="nchw", choices=["nchw", "cl"])
p.add_argument("--precision", default="fp32", choices=["fp32", "bf16"])
p.add_argument("--fold", type=int, default=0)
p.add_argument("--batch", type=int, default=16)
p.add_argument("--iters", type=int, default=3)
p.add_argument("--warmup", type=int, default=1)
p.add_argument("--channels", type=int, default=1)
p.add_argument("--height", type=int, default=128)
p.add_argument("--width", type=int, default=320)
p.add_argument("--base", type=int, default=64)
p.add_argument("--threads", type=int, default=os.cpu_count())
a = p.parse_args()

torch.set_num_threads(a.threads)
torch.manual_seed(0)
make = {"paper": torch_resnet.paper, "resnet18": torch_resnet.cifar_resnet18}[a.model]
net = make(a.channels, 14, a.height, a.width, a.base)
x = torch.randn(a.batch, a.channels, a.height, a.width)
y = torch.randint(0, 14, (a.batch,))


def forward_flops(model, sample):
    total = [0]

    def count(m, inp, out):
        if isinstance(m, nn.Conv2d):
            total[0] += 2 * out[0].numel() * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]
        elif isinstance(m, nn.Linear):
            total[0] += 2 * m.in_features * m.out_features
    hooks = [m.register_forward_hook(count) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    with torch.no_grad():
        model.eval()(sample[:1])
    for h in hooks:
        h.remove()
    return total[0]


def fold_batch_norms(module):
    """Replaces every (conv, bn) pair that is applied in sequence by the folded conv and an identity."""
    pairs = [("conv1", "bn1"), ("conv2", "bn2")]
    for child in module.children():
        fold_batch_norms(child)
    for conv, bn in pairs:
        if isinstance(getattr(module, conv, None), nn.Conv2d) and isinstance(getattr(module, bn, None), nn.BatchNorm2d):
            setattr(module, conv, fuse_conv_bn_eval(getattr(module, conv), getattr(module, bn)))
            setattr(module, bn, nn.Identity())
    if isinstance(module, nn.Sequential) and len(module) == 2 and isinstance(module[0], nn.Conv2d) \
            and isinstance(module[1], nn.BatchNorm2d):
        module[0], module[1] = fuse_conv_bn_eval(module[0], module[1]), nn.Identity()


gflop_per_image = forward_flops(net, x) / 1e9
net.train()
autocast = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if a.precision == "bf16" else contextlib.nullcontext
if a.phase == "train":
    if a.layout == "cl":
        net, x = net.to(memory_format=torch.channels_last), x.contiguous(memory_format=torch.channels_last)
    opt = torch.optim.SGD(net.parameters(), lr=0.001, momentum=0.9, weight_decay=5e-4)

    def step():
        opt.zero_grad(set_to_none=True)
        with autocast():
            loss = F.cross_entropy(net(x), y)
        loss.backward()
        opt.step()
else:
    net.eval()
    if a.fold:
        fold_batch_norms(net)
    if a.layout == "cl":
        net, x = net.to(memory_format=torch.channels_last), x.contiguous(memory_format=torch.channels_last)

    def step():
        with torch.no_grad(), autocast():
            net(x)

def cpu_and_faults():
    """CPU seconds (user + system, all threads) and minor page faults of this process so far: on a shared machine the
    CPU time a step costs is steadier than its wall time."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime, r.ru_minflt


for _ in range(a.warmup):
    step()
cpu0, faults0 = cpu_and_faults()
t = time.perf_counter()
for _ in range(a.iters):
    step()
seconds = time.perf_counter() - t
cpu1, faults1 = cpu_and_faults()
print(json.dumps({"runtime": "pytorch", "model": a.model, "phase": a.phase, "layout": a.layout, "precision": a.precision,
                  "fold": a.fold, "ips": a.batch * a.iters / seconds, "threads": torch.get_num_threads(),
                  "seconds": seconds, "cpu_seconds": cpu1 - cpu0, "page_faults": faults1 - faults0,
                  "gflop_per_image": gflop_per_image}))
