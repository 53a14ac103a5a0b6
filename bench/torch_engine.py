"""PyTorch side of the engine benchmark: the same models, batch and step as InSitu.Bench, written the way a
PyTorch user would (train: SGD step; inference: eval() under torch.no_grad()). One JSON line on stdout."""
import argparse, json, os, sys, time
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "reference"))
import torch_resnet

p = argparse.ArgumentParser()
p.add_argument("--model", default="paper")
p.add_argument("--phase", default="train")
p.add_argument("--batch", type=int, default=16)
p.add_argument("--iters", type=int, default=3)
p.add_argument("--warmup", type=int, default=1)
p.add_argument("--channels", type=int, default=1)
p.add_argument("--threads", type=int, default=os.cpu_count())
a = p.parse_args()

torch.set_num_threads(a.threads)
torch.manual_seed(0)
make = {"paper": torch_resnet.paper, "resnet18": torch_resnet.cifar_resnet18}[a.model]
net = make(a.channels, 14)
x = torch.randn(a.batch, a.channels, 128, 320)
y = torch.randint(0, 14, (a.batch,))

if a.phase == "train":
    opt = torch.optim.SGD(net.parameters(), lr=0.001, momentum=0.9, weight_decay=5e-4)
    def step():
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(net(x), y).backward()
        opt.step()
else:
    net.eval()
    def step():
        with torch.no_grad():
            net(x)

for _ in range(a.warmup):
    step()
t = time.perf_counter()
for _ in range(a.iters):
    step()
seconds = time.perf_counter() - t
print(json.dumps({"runtime": "pytorch", "model": a.model, "phase": a.phase, "ips": a.batch * a.iters / seconds,
                  "threads": torch.get_num_threads(), "seconds": seconds}))
