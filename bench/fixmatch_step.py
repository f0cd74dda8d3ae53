"""The FixMatch step of recipes/fixmatch-fast.json in PyTorch (Debian's python3-torch), the twin of Semisup.Bench's
`fixmatch` and `fixmatch-serve`: the lab's network (Models/ConvNet.cs, with the recipe's input standardisation and
dropout, no noise), 50 labeled images in the weak view + 100 unlabeled in the weak and the strong view in one pass,
FixMatch's masked loss with IIC's term, Nesterov SGD with weight decay, the weight average. The digit views are
Data/Augment.cs's (bench/augmentation.py). Shared machinery: bench/fixmatch_twin.py.
Usage: fixmatch_step.py [threads=2] [steps=200], or fixmatch_step.py THREADS serve for bench/paired.py ("fixmatch N")."""
import sys
import torch
import torch.nn as nn
import torch.nn.functional as F
from augmentation import augment
from fixmatch_twin import Step, channels_last, main, read_recipe

DIGIT_VIEW = {"rotationDegrees": 25, "shift": 3, "scale": 0, "shear": 0, "cutout": 0, "cutoutFill": 0, "contrast": 0, "interpolation": "bilinear"}
MIRRORED = {
    "model": {"kind": "conv", "noiseStd": 0.3, "inputMean": 0.0, "inputStd": 1.0, "dropout": 0.5, "leakySlope": 0.1, "hiddenUnits": 100},
    "method": {"kind": "fixmatch", "threshold": 0.95, "mutualInformationWeight": 0.0, "virtualAdversarialWeight": 0.0},
    "optimizer": {"kind": "nesterov", "learningRate": 1e-3, "weightDecay": 0.0, "mu": 0.9},
    "augmentation": {**DIGIT_VIEW, "strong": dict(DIGIT_VIEW)},
    "run": {"labeledBatch": 50, "unlabeledBatch": 50, "emaDecay": 0.0},
}


class ConvNet(nn.Module):
    """ConvNet.cs's training path without noise (FixMatch calls the clean path): conv32 5×5 → pool → BN → lReLU →
    conv64 3×3 → BN → lReLU → conv64 3×3 → pool → BN → lReLU → conv128 3×3 → BN → lReLU → FC → BN → ReLU → dropout →
    FC10 → BN, channels-last from the input on, uniform ±0.1 initialisation as the lab's."""

    def __init__(self, mean, std, dropout, slope, hidden, classes=10):
        super().__init__()
        self.mean, self.std, self.slope = mean, std, slope
        self.conv1, self.conv2, self.conv3, self.conv4 = nn.Conv2d(1, 32, 5), nn.Conv2d(32, 64, 3), nn.Conv2d(64, 64, 3), nn.Conv2d(64, 128, 3)
        self.bn1, self.bn2, self.bn3, self.bn4 = nn.BatchNorm2d(32), nn.BatchNorm2d(64), nn.BatchNorm2d(64), nn.BatchNorm2d(128)
        self.fc1, self.bn5, self.drop = nn.Linear(512, hidden), nn.BatchNorm1d(hidden), nn.Dropout(dropout)
        self.fc2, self.bn6 = nn.Linear(hidden, classes), nn.BatchNorm1d(classes)
        for name, p in self.named_parameters():
            if not name.startswith("bn"):
                nn.init.zeros_(p) if name.endswith("bias") else nn.init.uniform_(p, -0.1, 0.1)

    def forward(self, x):
        x = channels_last((x - self.mean) / self.std if self.mean != 0 or self.std != 1 else x)
        x = F.leaky_relu(self.bn1(F.max_pool2d(self.conv1(x), 2)), self.slope)
        x = F.leaky_relu(self.bn2(self.conv2(x)), self.slope)
        x = F.leaky_relu(self.bn3(F.max_pool2d(self.conv3(x), 2)), self.slope)
        x = F.leaky_relu(self.bn4(self.conv4(x)), self.slope)
        x = self.drop(F.relu(self.bn5(self.fc1(x.flatten(1)))))
        return self.bn6(self.fc2(x))


def view(settings):
    """A digit view (Augment.cs without crop or RandAugment) with the recipe's settings."""
    if settings["interpolation"] != "bilinear":
        sys.exit("the twin mirrors bilinear digit views only")
    return lambda x: augment(x, degrees=settings["rotationDegrees"], shift=settings["shift"], scale=settings["scale"], shear=settings["shear"],
                             cutout=settings["cutout"], contrast=settings["contrast"], fill=settings["cutoutFill"])


def build():
    blocks = read_recipe("fixmatch-fast", MIRRORED)
    m = blocks["model"]
    if (m["kind"], blocks["method"]["kind"], blocks["optimizer"]["kind"]) != ("conv", "fixmatch", "nesterov") or blocks["method"]["virtualAdversarialWeight"] != 0:
        sys.exit("recipes/fixmatch-fast.json: the twin mirrors FixMatch without VAT's term, on the conv network, with Nesterov SGD")
    make = lambda: ConvNet(m["inputMean"], m["inputStd"], m["dropout"], m["leakySlope"], m["hiddenUnits"])
    model, average = make(), make()
    augmentation = blocks["augmentation"]
    # GammaBench's pools: 3,000 labeled and 47,000 unlabeled MNIST-sized images.
    return model, Step(model, average, blocks, view(augmentation), view(augmentation["strong"]), (1, 28, 28), 3000, 47000)


if __name__ == "__main__":
    main("fixmatch", "fixmatch", build)
