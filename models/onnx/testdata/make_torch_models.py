"""Exports small PyTorch classifiers of six families to ONNX for the
importer's tests, and writes their inputs and PyTorch logits.

Each family (mlp, resnet, vgg, mobilenet, densenet, vit, and vitcls with
a class token and fused qkv attention) is built with a
fixed seed, put in eval mode and exported by torch.onnx.export at opsets
11, 13 and 17 (and 9 for vgg, mobilenet and vit) with a symbolic batch
axis, to FAMILY_opsetN.onnx. The
models take 3 x 16 x 16 pixels in [0, 1] and give 10 logits. The script
also writes torch_models.json: 4 seeded input images as bytes (pixel =
byte / 255) and, per model, the PyTorch logits of the 4-image batch. torch_models_logits.js then runs
every model in ONNX Runtime at batch 1 and 4, checks it against PyTorch
and writes the reference logits the Go tests read.

Run from the repository root with Debian's python3-torch 1.13 and
python3-onnx 1.12:

    /usr/bin/python3 models/onnx/testdata/make_torch_models.py models/onnx/testdata
    NODE_PATH=/tmp/ort/node_modules node models/onnx/testdata/torch_models_logits.js \\
        models/onnx/testdata
"""

import json
import os
import sys

import torch
from torch import nn
import torch.nn.functional as F

OPSETS = [11, 13, 17]

# OLD_OPSET_FAMILIES are also exported at opset 9, where Pad, Clip,
# Unsqueeze and Slice take attributes in place of inputs.
OLD_OPSET_FAMILIES = ["vgg", "mobilenet", "vit"]
IMAGE = [3, 16, 16]
CLASSES = 10


class MLP(nn.Module):
    """Flatten, two hidden layers (one linear layer without a bias), tanh
    and sigmoid."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(768, 12)
        self.fc2 = nn.Linear(12, 8, bias=False)
        self.fc3 = nn.Linear(8, CLASSES)

    def forward(self, x):
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = torch.tanh(self.fc2(x)) + torch.sigmoid(x[:, :8])
        return self.fc3(x)


class Residual(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.skip = None
        if stride != 1 or cin != cout:
            self.skip = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                      nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + (x if self.skip is None else self.skip(x)))


class ResNet(nn.Module):
    """Conv stem, two residual blocks (one downsampling), global average
    pooling and a linear head."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, 1, 1, bias=False), nn.BatchNorm2d(8),
                                  nn.ReLU())
        self.block1 = Residual(8, 8, 1)
        self.block2 = Residual(8, 16, 2)
        self.head = nn.Linear(16, CLASSES)

    def forward(self, x):
        x = self.block2(self.block1(self.stem(x)))
        x = F.adaptive_avg_pool2d(x, 1)
        return self.head(torch.flatten(x, 1))


class VGG(nn.Module):
    """Padded convs, max pooling, an asymmetric constant Pad, average
    pooling without padded values and a reshape computed from the batch
    size."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 12, 3, padding=1)
        self.pool = nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False)
        self.fc1 = nn.Linear(12 * 5 * 5, 24)
        self.drop = nn.Dropout(0.5)
        self.fc2 = nn.Linear(24, CLASSES)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.pad(x, (0, 1, 2, 0), value=0.25)
        x = F.relu(self.conv2(x))
        x = self.pool(x)
        x = x.reshape(x.size(0), -1)
        return self.fc2(self.drop(F.relu(self.fc1(x))))


class MobileNet(nn.Module):
    """Inverted residual blocks: pointwise expansion, depthwise 3 x 3 conv
    (groups equal to channels) and ReLU6."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1, bias=False), nn.BatchNorm2d(8),
                                  nn.ReLU6())
        self.expand = nn.Sequential(nn.Conv2d(8, 24, 1, bias=False), nn.BatchNorm2d(24),
                                    nn.ReLU6())
        self.depthwise = nn.Sequential(nn.Conv2d(24, 24, 3, 1, 1, groups=24, bias=False),
                                       nn.BatchNorm2d(24), nn.ReLU6())
        self.project = nn.Sequential(nn.Conv2d(24, 8, 1, bias=False), nn.BatchNorm2d(8))
        self.down = nn.Sequential(nn.Conv2d(8, 8, 3, 2, 1, groups=4), nn.ReLU6())
        self.head = nn.Linear(8, CLASSES)

    def forward(self, x):
        x = self.stem(x)
        x = x + self.project(self.depthwise(self.expand(x)))
        x = self.down(x)
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.head(x)


class DenseLayer(nn.Module):
    def __init__(self, cin, growth):
        super().__init__()
        self.bn = nn.BatchNorm2d(cin)
        self.conv = nn.Conv2d(cin, growth, 3, padding=1, bias=False)

    def forward(self, x):
        return torch.cat([x, self.conv(F.relu(self.bn(x)))], 1)


class DenseNet(nn.Module):
    """Dense layers that concatenate their input and output, a transition
    with average pooling, and a mean over height and width."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1, bias=False)
        self.dense1 = nn.Sequential(DenseLayer(8, 4), DenseLayer(12, 4))
        self.transition = nn.Sequential(nn.BatchNorm2d(16), nn.ReLU(),
                                        nn.Conv2d(16, 8, 1, bias=False), nn.AvgPool2d(2))
        self.dense2 = DenseLayer(8, 4)
        self.norm = nn.BatchNorm2d(12)
        self.head = nn.Linear(12, CLASSES)

    def forward(self, x):
        x = self.dense2(self.transition(self.dense1(self.stem(x))))
        x = F.relu(self.norm(x)).mean(dim=(2, 3))
        return self.head(x)


class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.q = nn.Linear(dim, dim)
        self.k = nn.Linear(dim, dim)
        self.v = nn.Linear(dim, dim)
        self.proj = nn.Linear(dim, dim)

    def split(self, x):
        b, n, c = x.shape
        return x.reshape(b, n, self.heads, c // self.heads).transpose(1, 2)

    def forward(self, x):
        b, n, c = x.shape
        q, k, v = self.split(self.q(x)), self.split(self.k(x)), self.split(self.v(x))
        scores = q @ k.transpose(-2, -1) * (c // self.heads) ** -0.5
        y = scores.softmax(dim=-1) @ v
        return self.proj(y.transpose(1, 2).reshape(b, n, c))


class ViT(nn.Module):
    """Patch embedding by a strided conv, a learned position embedding, one
    pre-norm transformer block (multi-head attention, GELU MLP), a final
    LayerNorm and mean pooling over the tokens."""

    def __init__(self, dim=16, heads=2):
        super().__init__()
        self.patch = nn.Conv2d(3, dim, 4, stride=4)
        self.position = nn.Parameter(torch.randn(1, 16, dim) * 0.1)
        self.norm1 = nn.LayerNorm(dim)
        self.attention = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, CLASSES)

    def forward(self, x):
        x = self.patch(x).flatten(2).transpose(1, 2) + self.position
        x = x + self.attention(self.norm1(x))
        x = x + self.mlp(self.norm2(x))
        return self.head(self.norm(x).mean(dim=1))


class FusedAttention(nn.Module):
    """Attention with one qkv projection, split by reshape, permute and
    unbind, as timm's ViT writes it."""

    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, n, c = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        scores = (q @ k.transpose(-2, -1)) * (c // self.heads) ** -0.5
        y = scores.softmax(dim=-1) @ v
        return self.proj(y.transpose(1, 2).reshape(b, n, c))


class ClassTokenViT(nn.Module):
    """A ViT with a class token expanded to the batch, fused qkv attention,
    and the class token's output as features."""

    def __init__(self, dim=16, heads=4):
        super().__init__()
        self.patch = nn.Conv2d(3, dim, 4, stride=4)
        self.token = nn.Parameter(torch.randn(1, 1, dim) * 0.1)
        self.position = nn.Parameter(torch.randn(1, 17, dim) * 0.1)
        self.norm1 = nn.LayerNorm(dim)
        self.attention = FusedAttention(dim, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, CLASSES)

    def forward(self, x):
        x = self.patch(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.token.expand(x.shape[0], -1, -1), x], dim=1) + self.position
        x = x + self.attention(self.norm1(x))
        x = x + self.mlp(self.norm2(x))
        return self.head(self.norm(x)[:, 0])


FAMILIES = {
    "mlp": MLP,
    "resnet": ResNet,
    "vgg": VGG,
    "mobilenet": MobileNet,
    "densenet": DenseNet,
    "vit": ViT,
    "vitcls": ClassTokenViT,
}


def randomize_batchnorm(model, seed):
    """Gives every BatchNorm non-trivial running statistics and affine
    parameters, so that eval mode differs from the identity."""
    generator = torch.Generator().manual_seed(seed)
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            c = module.num_features
            module.running_mean.copy_(torch.randn(c, generator=generator) * 0.2)
            module.running_var.copy_(torch.rand(c, generator=generator) + 0.5)
            module.weight.data.copy_(torch.rand(c, generator=generator) + 0.5)
            module.bias.data.copy_(torch.randn(c, generator=generator) * 0.2)


def build(name, seed):
    torch.manual_seed(seed)
    model = FAMILIES[name]()
    with torch.no_grad():
        randomize_batchnorm(model, seed + 1000)
    return model.eval()


def main():
    folder = sys.argv[1]
    pixel_bytes = torch.randint(0, 256, [4] + IMAGE, generator=torch.Generator().manual_seed(7))
    inputs = pixel_bytes.to(torch.float32) / 255
    fixture = {"shape": [4] + IMAGE, "bytes": pixel_bytes.flatten().tolist(), "models": {}}
    for seed, name in enumerate(FAMILIES):
        model = build(name, seed)
        with torch.no_grad():
            logits = model(inputs)
        opsets = ([9] if name in OLD_OPSET_FAMILIES else []) + OPSETS
        for opset in opsets:
            file = f"{name}_opset{opset}.onnx"
            torch.onnx.export(model, inputs[:1], os.path.join(folder, file),
                              opset_version=opset, input_names=["pixels"],
                              output_names=["logits"],
                              dynamic_axes={"pixels": {0: "batch"}, "logits": {0: "batch"}})
            fixture["models"][file] = {"torch": [round(v, 7) for v in logits.flatten().tolist()]}
    with open(os.path.join(folder, "torch_models.json"), "w") as f:
        json.dump(fixture, f)


if __name__ == "__main__":
    main()
