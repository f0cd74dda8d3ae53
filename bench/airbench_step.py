"""The FixMatch step of recipes/images-fast.json in PyTorch (Debian's python3-torch), the twin of Semisup.Bench's
`airbench` and `airbench-serve`: airbench's network (Models/AirbenchNet.cs) at the recipe's width on 3×32×32 images,
32 labeled images in the weak view + 64 unlabeled in the weak and the strong view in one pass, FixMatch's masked loss,
Nesterov SGD with weight decay, the weight average. The photo views are Data/Augment.cs's and Data/PhotoOps.cs's
(bench/photo_views.py). Shared machinery: bench/fixmatch_twin.py.
Usage: airbench_step.py [threads=2] [steps=200], or airbench_step.py THREADS serve for bench/paired.py ("airbench N")."""
import sys
import torch
import torch.nn as nn
import torch.nn.functional as F
from fixmatch_twin import Step, channels_last, main, read_recipe
from photo_views import photo_view

PHOTO_VIEW = {"rotationDegrees": 25, "shift": 3, "crop": 0.0, "flip": False, "randAugment": 0, "cutout": 0, "cutoutFill": 0.0}
MIRRORED = {
    "model": {"kind": "airbench", "width": 64, "outputScale": 1 / 9, "bnMomentum": 0.1, "inputMean": 0.5, "inputStd": 0.25, "noiseStd": 0.0},
    "method": {"kind": "fixmatch", "threshold": 0.95, "mutualInformationWeight": 0.0, "virtualAdversarialWeight": 0.0},
    "optimizer": {"kind": "nesterov", "learningRate": 1e-3, "weightDecay": 0.0, "mu": 0.9},
    "augmentation": {**PHOTO_VIEW, "strong": dict(PHOTO_VIEW)},
    "run": {"labeledBatch": 50, "unlabeledBatch": 50, "emaDecay": 0.0},
}
SHAPE = (3, 32, 32)  # what images-fast trains on in RESULTS' colour set; the recipe leaves the shape to the folder


def dirac_conv(inputs, outputs, kernel=3, padding=1):
    """AirbenchNet.DiracConv: PyTorch's default initialisation, but the first min(in, out) filters pass their channel."""
    conv = nn.Conv2d(inputs, outputs, kernel, padding=padding, bias=False)
    with torch.no_grad():
        n = min(inputs, outputs)
        conv.weight[:n].zero_()
        for i in range(n):
            conv.weight[i, i, kernel // 2, kernel // 2] = 1
    return conv


class ConvGroup(nn.Module):
    def __init__(self, inputs, outputs, momentum):
        super().__init__()
        self.conv1, self.norm1 = dirac_conv(inputs, outputs), nn.BatchNorm2d(outputs, momentum=momentum)
        self.conv2, self.norm2 = dirac_conv(outputs, outputs), nn.BatchNorm2d(outputs, momentum=momentum)

    def forward(self, x):
        x = F.gelu(self.norm1(F.max_pool2d(self.conv1(x), 2)))
        return F.gelu(self.norm2(self.conv2(x)))


class AirbenchNet(nn.Module):
    """AirbenchNet.cs: stem (2×2 conv → BN → GELU), three groups, global max pooling, a linear head without bias, times
    the output scale; channels-last from the input on."""

    def __init__(self, width, scale, momentum, mean, std, channels=3, classes=10):
        super().__init__()
        self.mean, self.std, self.scale = mean, std, scale
        self.stem_conv, self.stem_norm = dirac_conv(channels, 24, 2, padding=0), nn.BatchNorm2d(24, momentum=momentum)
        self.group1, self.group2, self.group3 = ConvGroup(24, width, momentum), ConvGroup(width, 4 * width, momentum), ConvGroup(4 * width, 4 * width, momentum)
        self.head = nn.Linear(4 * width, classes, bias=False)

    def forward(self, x):
        x = channels_last((x - self.mean) / self.std)
        x = F.gelu(self.stem_norm(self.stem_conv(x)))
        x = self.group3(self.group2(self.group1(x)))
        return self.head(x.amax((2, 3))) * self.scale


def view(s):
    if s["rotationDegrees"] != 0 or s["shift"] != 0:
        sys.exit("recipes/images-fast.json: the twin mirrors photo views without the digits' rotation and shift")
    return lambda x: photo_view(x, crop=s["crop"], flip=s["flip"], rand_augment=s["randAugment"], cutout=s["cutout"], fill=s["cutoutFill"])


def build():
    blocks = read_recipe("images-fast", MIRRORED)
    m = blocks["model"]
    if (m["kind"], blocks["method"]["kind"], blocks["optimizer"]["kind"]) != ("airbench", "fixmatch", "nesterov") or blocks["method"]["virtualAdversarialWeight"] != 0:
        sys.exit("recipes/images-fast.json: the twin mirrors FixMatch without VAT's term, on the airbench network, with Nesterov SGD")
    make = lambda: AirbenchNet(m["width"], m["outputScale"], m["bnMomentum"], m["inputMean"], m["inputStd"], SHAPE[0])
    model, average = make(), make()
    augmentation = blocks["augmentation"]
    # A colour set's size (RESULTS' colour set: 1,000 labeled, 20,000 unlabeled), as bytes.
    return model, Step(model, average, blocks, view(augmentation), view(augmentation["strong"]), SHAPE, 1000, 20000)


if __name__ == "__main__":
    main("airbench", "airbench", build)
