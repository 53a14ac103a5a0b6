"""PyTorch twin of InSitu's U-Net (src/InSitu/Models/UNet.cs): same modules, parameter names and order, same forward
pass, including the recurrence that feeds the previous step's softmax back as extra input channels."""

import torch
import torch.nn as nn
import torch.nn.functional as F


def block(inputs, outputs):
    return nn.Sequential(
        nn.Conv2d(inputs, outputs, 3, padding=1, bias=False), nn.BatchNorm2d(outputs), nn.ReLU(),
        nn.Conv2d(outputs, outputs, 3, padding=1, bias=False), nn.BatchNorm2d(outputs), nn.ReLU())


class UNet(nn.Module):
    def __init__(self, in_channels, classes, depth=3, base_width=16, steps=1, dropout=0.1):
        super().__init__()
        self.in_channels, self.classes, self.depth, self.steps, self.dropout = in_channels, classes, depth, steps, dropout
        inputs = in_channels + (classes if steps > 1 else 0)
        width = base_width
        for level in range(depth):
            setattr(self, f"enc{level}", block(inputs if level == 0 else width // 2, width))
            width *= 2
        self.bottleneck = block(width // 2, width)
        for level in reversed(range(depth)):
            w = base_width << level
            setattr(self, f"up{level}", nn.ConvTranspose2d(2 * w, w, 2, stride=2))
            setattr(self, f"dec{level}", block(2 * w, w))
        self.head = nn.Conv2d(base_width, classes, 1)

    def once(self, x):
        skips = []
        for level in range(self.depth):
            skip = getattr(self, f"enc{level}")(x)
            skips.append(skip)
            x = F.max_pool2d(skip, 2)
        x = self.bottleneck(x)
        if self.dropout > 0:
            x = F.dropout(x, self.dropout, self.training)
        for level in reversed(range(self.depth)):
            x = torch.cat([skips[level], getattr(self, f"up{level}")(x)], 1)
            if self.dropout > 0 and level > 0:
                x = F.dropout(x, self.dropout, self.training)
            x = getattr(self, f"dec{level}")(x)
        return self.head(x)

    def forward_steps(self, x):
        if self.steps == 1:
            return [self.once(x)]
        previous = torch.full((x.shape[0], self.classes, x.shape[2], x.shape[3]), 1.0 / self.classes, dtype=x.dtype)
        outputs = []
        for _ in range(self.steps):
            logits = self.once(torch.cat([x, previous], 1))
            outputs.append(logits)
            previous = logits.softmax(1)
        return outputs

    def forward(self, x):
        return self.forward_steps(x)[-1]
