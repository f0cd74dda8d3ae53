"""Semisup's conv net as a PyTorch module, for weights exported with

    semisup export --checkpoint models/gamma-seed1/best.ckpt --format safetensors --out model.safetensors

The file's tensors are named as this module's parameters and buffers (Semisup's own names), and its metadata holds
the network's settings, so:

    import json
    from semisup_models import load_conv_net, read_safetensors
    net = load_conv_net("model.safetensors")      # in evaluation mode
    metadata = read_safetensors("model.safetensors")[1]
    temperature = float(metadata.get("temperature", 1))   # fitted on validation; Semisup's probabilities divide by it
    probabilities = (net(images) / temperature).softmax(1)   # images: float32 [N, C, H, W] (MNIST: [N, 1, 28, 28]), raw pixels in [0, 1]
    classes = json.loads(metadata["classes"])     # the class names, in label order

Only PyTorch is needed; the `safetensors` package is used when it is installed.
"""
import json
import struct

import torch
import torch.nn.functional as F
from torch import nn

_DTYPES = {"F32": torch.float32, "F64": torch.float64, "I64": torch.int64, "I32": torch.int32}


class ClassicDropout(nn.Module):
    """Dropout as the lab describes it: units dropped without rescaling in training, outputs scaled by 1 - p in evaluation."""

    def __init__(self, p):
        super().__init__()
        self.p = p

    def forward(self, x):
        if self.training:
            return x * torch.bernoulli(torch.full_like(x, 1 - self.p))
        return x * (1 - self.p)


class SemisupConvNet(nn.Module):
    """conv 5x5 -> max pool 2 -> BN -> act -> conv 3x3 -> BN -> act -> conv 3x3 -> max pool 2 -> BN -> act -> conv 3x3 -> BN
    -> act -> FC -> BN -> ReLU -> dropout -> FC -> BN, times softmax_beta; the input standardised first."""

    def __init__(self, conv_channels=(32, 64, 64, 128), hidden_units=100, classes=10, channels=1, height=28, width=28,
                 activation="leaky_relu", leaky_slope=0.1, dropout=0.5, dropout_kind="inverted",
                 softmax_beta=1.0, bn_momentum=0.1, input_mean=0.0, input_std=1.0):
        super().__init__()
        c = conv_channels
        self.conv1, self.bn1 = nn.Conv2d(channels, c[0], 5), nn.BatchNorm2d(c[0], momentum=bn_momentum)
        self.conv2, self.bn2 = nn.Conv2d(c[0], c[1], 3), nn.BatchNorm2d(c[1], momentum=bn_momentum)
        self.conv3, self.bn3 = nn.Conv2d(c[1], c[2], 3), nn.BatchNorm2d(c[2], momentum=bn_momentum)
        self.conv4, self.bn4 = nn.Conv2d(c[2], c[3], 3), nn.BatchNorm2d(c[3], momentum=bn_momentum)
        h, w = ((height - 4) // 2 - 4) // 2 - 2, ((width - 4) // 2 - 4) // 2 - 2
        self.fc1, self.bn5 = nn.Linear(c[3] * h * w, hidden_units), nn.BatchNorm1d(hidden_units, momentum=bn_momentum)
        self.drop = ClassicDropout(dropout) if dropout_kind == "classic" else nn.Dropout(dropout)
        self.fc2, self.bn6 = nn.Linear(hidden_units, classes), nn.BatchNorm1d(classes, momentum=bn_momentum)
        self.register_buffer("input_mean", torch.tensor(float(input_mean)))
        self.register_buffer("input_std", torch.tensor(float(input_std)))
        self.act = {"leaky_relu": lambda x: F.leaky_relu(x, leaky_slope), "relu": F.relu,
                    "tanh": torch.tanh, "sigmoid": torch.sigmoid}[activation]
        self.softmax_beta = softmax_beta

    def forward(self, x):
        """Pre-softmax outputs (logits) of images [N, C, H, W] in [0, 1]."""
        x = (x - self.input_mean) / self.input_std
        x = self.act(self.bn1(F.max_pool2d(self.conv1(x), 2)))
        x = self.act(self.bn2(self.conv2(x)))
        x = self.act(self.bn3(F.max_pool2d(self.conv3(x), 2)))
        x = self.act(self.bn4(self.conv4(x)))
        x = F.relu(self.bn5(self.fc1(x.flatten(1))))
        x = self.drop(x)
        return self.bn6(self.fc2(x)) * self.softmax_beta


def read_safetensors(path):
    """The tensors (by name) and the metadata of a safetensors file."""
    try:
        from safetensors import safe_open
        with safe_open(path, framework="pt") as f:
            return {k: f.get_tensor(k) for k in f.keys()}, f.metadata() or {}
    except ImportError:
        pass
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, info in header.items():
        begin, end = (8 + n + o for o in info["data_offsets"])
        # The format is little-endian, as the machines PyTorch runs on are.
        tensors[name] = torch.frombuffer(bytearray(data[begin:end]), dtype=_DTYPES[info["dtype"]]).reshape(info["shape"])
    return tensors, metadata


def load_conv_net(path):
    """The conv net a `semisup export --format safetensors` file holds, in evaluation mode."""
    tensors, metadata = read_safetensors(path)
    cfg = json.loads(metadata["semisup_config"])
    net = SemisupConvNet(
        conv_channels=[tensors[f"conv{i}.weight"].shape[0] for i in range(1, 5)],
        hidden_units=tensors["fc1.weight"].shape[0], classes=tensors["fc2.weight"].shape[0],
        # The image's shape comes from the dataset (28×28, one channel for MNIST and Fashion-MNIST), not the recipe.
        channels=tensors["conv1.weight"].shape[1], height=cfg.get("height", 28), width=cfg.get("width", 28), activation=cfg["activation"],
        leaky_slope=cfg["leakySlope"], dropout=cfg["dropout"], dropout_kind=cfg["dropoutKind"],
        softmax_beta=cfg["softmaxBeta"], bn_momentum=cfg["bnMomentum"])
    net.load_state_dict(tensors, strict=True)
    return net.eval()
