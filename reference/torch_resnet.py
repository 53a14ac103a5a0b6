"""PyTorch twins of InSitu's ResNets (src/InSitu/Models/ResNet.cs): the paper's 4-block network and the
published code's CIFAR-style ResNet-18 (METHODS.md section 1). Used by the benchmark (bench/torch_engine.py)
and the interop tests (tests/fixtures). Submodule names and registration order must stay identical to the C#
classes: the state-dict keys, and their order, are the contract the tests check."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class BasicBlock(nn.Module):
    def __init__(self, in_planes, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != planes:
            self.shortcut = nn.Sequential(nn.Conv2d(in_planes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNet(nn.Module):
    def __init__(self, in_channels, classes, blocks, height=128, width=320, base=64, pool=4):
        super().__init__()
        widths = [base, base * 2, base * 4, base * 8]
        strides = [1, 2, 2, 2]
        self.conv1 = nn.Conv2d(in_channels, base, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(base)
        in_planes = base
        h, w = height, width
        for s in range(4):
            layers = []
            for b in range(blocks[s]):
                layers.append(BasicBlock(in_planes, widths[s], strides[s] if b == 0 else 1))
                in_planes = widths[s]
            setattr(self, f"layer{s + 1}", nn.Sequential(*layers))
            h, w = (h - 1) // strides[s] + 1, (w - 1) // strides[s] + 1
        self.pool = pool
        self.linear = nn.Linear(widths[-1] * (h // pool) * (w // pool), classes)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer4(self.layer3(self.layer2(self.layer1(out))))
        out = F.avg_pool2d(out, self.pool)
        return self.linear(out.flatten(1))


def paper(in_channels, classes, height=128, width=320, base=64):
    return ResNet(in_channels, classes, [1, 1, 1, 1], height, width, base)


def tiny():
    """The model of the state-dict tests: ResNetConfig.Paper(inChannels: 1, classes: 3, height: 32, width: 32, baseWidth: 4)."""
    return paper(1, 3, 32, 32, base=4)


def cifar_resnet18(in_channels, classes, height=128, width=320, base=64):
    return ResNet(in_channels, classes, [2, 2, 2, 2], height, width, base)
