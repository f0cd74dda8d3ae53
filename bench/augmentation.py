"""Semisup's augmentation (Data/Augment.cs) in PyTorch, for the benchmarks: per image a rotation by a uniform angle
in [-degrees, degrees] and an integer shift in [-shift, shift], as one affine grid sampled once."""
import math
import torch
import torch.nn.functional as F


def augment(x, mode="bilinear", degrees=25.0, shift=3):
    n = x.shape[0]
    angle = (torch.rand(n) * 2 - 1) * math.radians(degrees)
    dx = torch.randint(-shift, shift + 1, (n,)).float() * (2.0 / x.shape[3])
    dy = torch.randint(-shift, shift + 1, (n,)).float() * (2.0 / x.shape[2])
    cos, sin = angle.cos(), angle.sin()
    theta = torch.stack([torch.stack([cos, -sin, -(cos * dx - sin * dy)], 1),
                         torch.stack([sin, cos, -(sin * dx + cos * dy)], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode=mode, padding_mode="zeros", align_corners=False)
