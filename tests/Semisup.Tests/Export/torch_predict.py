"""For SafetensorsTests: loads an exported conv net into python/semisup_models.py and writes its probabilities.

usage: torch_predict.py PYTHON_DIR MODEL.safetensors IMAGES.f32 OUT.f32
IMAGES.f32 holds float32 images [N, 1, 28, 28] (little-endian); OUT.f32 gets float32 probabilities [N, classes].
"""
import sys

import torch

sys.path.insert(0, sys.argv[1])
from semisup_models import load_conv_net  # noqa: E402

net = load_conv_net(sys.argv[2])
with open(sys.argv[3], "rb") as f:
    images = torch.frombuffer(bytearray(f.read()), dtype=torch.float32).reshape(-1, 1, 28, 28)
with torch.no_grad():
    probabilities = net(images).softmax(1)
with open(sys.argv[4], "wb") as f:
    f.write(probabilities.contiguous().numpy().tobytes())
