#!/usr/bin/env python3
"""PyTorch throughput of the workloads that `mma bench` measures in Go.

`mma bench` runs this script with Debian's /usr/bin/python3 (package
python3-torch) right after its Go measurements, so the ratios it prints
compare runs on the same machine under the same load. For each workload the
script prints one CSV row: its name, parameter count, batch size, and the
images per second of a training step (SGD, learning rate 0.01, momentum
0.9), of a 10-step MI-FGSM attack and of a forward pass. The models match
the Go ones layer for layer (see experiments/bench.go); weights are random,
since only the time is measured.

Usage: workloads.py [--threads N] [--seconds S] [--only NAME,...]
"""
import argparse
import time

import torch
from torch import nn
from torch.nn import functional as F


class SmallCNN(nn.Module):
    """models.SmallCNN on 1x28x28: conv 32 and conv 64 (3x3, pad 1), each
    followed by ReLU and 2x2 max pooling, then linear 128, ReLU, linear 10."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.hidden = nn.Linear(64 * 7 * 7, 128)
        self.classifier = nn.Linear(128, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.classifier(F.relu(self.hidden(torch.flatten(x, 1))))


class Block(nn.Module):
    """models.BasicBlock: two 3x3 convs with BatchNorm, and a 1x1 conv with
    BatchNorm on the skip path when the shape changes."""

    def __init__(self, channels_in, channels_out, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(channels_in, channels_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels_out)
        self.conv2 = nn.Conv2d(channels_out, channels_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels_out)
        self.skip = nn.Identity()
        if stride != 1 or channels_in != channels_out:
            self.skip = nn.Sequential(
                nn.Conv2d(channels_in, channels_out, 1, stride, bias=False),
                nn.BatchNorm2d(channels_out))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + self.skip(x))


class CIFARResNet(nn.Module):
    """models.CIFARResNet(20, ...) at a base width: a 3x3 stem, three stages
    of three blocks (widths w, 2w, 4w; strides 1, 2, 2), global average
    pooling and a linear classifier."""

    def __init__(self, width=16, blocks=3):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, width, 3, 1, 1, bias=False),
                                  nn.BatchNorm2d(width), nn.ReLU())
        layers, channels = [], width
        for stage, stage_width in enumerate([width, 2 * width, 4 * width]):
            for block in range(blocks):
                stride = 2 if stage > 0 and block == 0 else 1
                layers.append(Block(channels, stage_width, stride))
                channels = stage_width
        self.stages = nn.Sequential(*layers)
        self.classifier = nn.Linear(channels, 10)

    def forward(self, x):
        x = self.stages(self.stem(x))
        return self.classifier(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class MeanOfTracks(nn.Module):
    """An MMA at split 0 with mean fusion: independent tracks from the
    input on, logits averaged."""

    def __init__(self, tracks):
        super().__init__()
        self.tracks = nn.ModuleList(tracks)

    def forward(self, x):
        return torch.stack([track(x) for track in self.tracks]).mean(0)


def mi_fgsm(model, x, labels, eps, steps=10, decay=1.0):
    """MI-FGSM with each image's gradient divided by its own L1 norm."""
    alpha = eps / steps
    adversarial = x.clone()
    momentum = torch.zeros_like(x)
    for _ in range(steps):
        adversarial.requires_grad_(True)
        loss = F.cross_entropy(model(adversarial), labels, reduction="sum")
        gradient, = torch.autograd.grad(loss, adversarial)
        norm = gradient.abs().flatten(1).sum(1).clamp_min(1e-12).view(-1, 1, 1, 1)
        momentum = decay * momentum + gradient / norm
        step = adversarial.detach() + alpha * momentum.sign()
        adversarial = torch.min(torch.max(step, x - eps), x + eps).clamp(0, 1)
    return adversarial


def images_per_second(run, images, seconds):
    """Times run after one warm-up call, repeating it for at least seconds."""
    run()
    calls, start = 0, time.perf_counter()
    while True:
        run()
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return calls * images / elapsed


def measure(name, model, shape, batch, eps, seconds):
    torch.manual_seed(0)
    x = torch.rand(batch, *shape)
    labels = torch.randint(0, 10, (batch,))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def train():
        model.train()
        optimizer.zero_grad()
        F.cross_entropy(model(x), labels).backward()
        optimizer.step()

    def attack():
        model.eval()
        mi_fgsm(model, x, labels, eps)

    def forward():
        model.eval()
        with torch.no_grad():
            model(x)

    params = sum(p.numel() for p in model.parameters())
    rates = [images_per_second(run, batch, seconds) for run in (train, attack, forward)]
    print(f"{name},{params},{batch}," + ",".join(f"{r:.2f}" for r in rates), flush=True)


WORKLOADS = {
    "mnist-smallcnn": lambda: (SmallCNN(), (1, 28, 28), 0.3),
    "cifar-resnet20": lambda: (CIFARResNet(16), (3, 32, 32), 16 / 255),
    "cifar-resnet20-mma4": lambda: (MeanOfTracks([CIFARResNet(8) for _ in range(4)]),
                                    (3, 32, 32), 16 / 255),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--only", default=",".join(WORKLOADS))
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    print(f"# torch {torch.__version__}, {torch.get_num_threads()} threads")
    print("workload,params,batch,train,mifgsm10,forward")
    for name in args.only.split(","):
        model, shape, eps = WORKLOADS[name]()
        measure(name, model, shape, args.batch, eps, args.seconds)


if __name__ == "__main__":
    main()
