"""Why InSitu trains in NCHW layout: Debian's libtorch/PyTorch 1.13 corrupts the heap in oneDNN's convolution
backward when a network is trained channels-last. This plain-PyTorch script (no InSitu involved) trains the
paper's ResNet channels-last on 1x64x160 inputs, as the demo does, and usually dies with "corrupted size vs.
prev_size" or a segfault (on this project's machine: 3 of 3 runs; 6 of 6 under glibc's malloc checker).
The same script in NCHW layout, and channels-last inference, run clean. Run:

    /usr/bin/python3 bench/channels_last_training_crash.py 1
"""
import sys, torch, torch.nn.functional as F
sys.path.insert(0, __import__("os").path.join(__import__("os").path.dirname(__import__("os").path.abspath(__file__)), "..", "reference"))
import torch_resnet
torch.set_num_threads(2)
torch.manual_seed(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
net = torch_resnet.paper(1, 3, 64, 160, base=8).to(memory_format=torch.channels_last)
opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
X = torch.randn(240, 1, 64, 160); Y = torch.randint(0, 3, (240,)); V = torch.randn(60, 1, 64, 160)
for epoch in range(3):
    net.train()
    perm = torch.randperm(240)
    for b in range(15):
        idx = perm[b*16:(b+1)*16]
        x = X.index_select(0, idx)
        if torch.rand(1).item() < 0.5: x = x.flip(2)
        x = x.contiguous(memory_format=torch.channels_last)
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(net(x), Y.index_select(0, idx)).backward()
        opt.step()
    net.eval()
    with torch.inference_mode():
        for s in range(0, 60, 16): net(V[s:s+16]).argmax(1)
print("ok")
