"""Semisup's digit views (Data/Augment.cs without crop or RandAugment) in PyTorch, for the benchmarks: per image a
rotation by a uniform angle in [-degrees, degrees], an integer shift in [-shift, shift] and, optionally, a zoom and a
shear, as one affine grid sampled once; then, optionally, cutout and a contrast change. All batched: no loop per image."""
import math
import torch
import torch.nn.functional as F


def augment(x, mode="bilinear", degrees=25.0, shift=3, scale=0.0, shear=0.0, cutout=0, contrast=0.0, fill=0.0):
    n = x.shape[0]
    angle = (torch.rand(n) * 2 - 1) * math.radians(degrees)
    dx = torch.randint(-shift, shift + 1, (n,)).float() * (2.0 / x.shape[3])
    dy = torch.randint(-shift, shift + 1, (n,)).float() * (2.0 / x.shape[2])
    cos, sin = angle.cos(), angle.sin()
    theta = torch.stack([torch.stack([cos, -sin, -(cos * dx - sin * dy)], 1),
                         torch.stack([sin, cos, -(sin * dx + cos * dy)], 1)], 1)
    if scale > 0 or shear > 0:  # Augment.cs's ScaledAndSheared: the input point is M⁻¹R⁻¹(p − t)
        zoom = 1 / (1 + (torch.rand(n) * 2 - 1) * scale)
        k = (torch.rand(n) * 2 - 1) * shear
        inverse = torch.stack([torch.stack([zoom, k], 1), torch.stack([torch.zeros_like(zoom), zoom], 1)], 1)
        linear = inverse.matmul(theta[:, :, :2])
        theta = torch.cat([linear, -linear.matmul(torch.stack([dx, dy], 1).unsqueeze(2))], 2)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, mode=mode, padding_mode="zeros", align_corners=False)
    if cutout > 0:
        x = apply_cutout(x, cutout, fill)
    if contrast > 0:
        factor = 1 + (torch.rand(n, 1, 1, 1) * 2 - 1) * contrast
        mean = x.mean([1, 2, 3], keepdim=True)
        x = ((x - mean) * factor + mean).clamp(0, 1)
    return x


def apply_cutout(x, size, fill=0.0):
    """Augment.cs's cutout: a size × size square at a uniform centre per image, clipped at the border, set to fill."""
    n, _, h, w = x.shape
    top = torch.randint(0, h, (n, 1, 1)) - size // 2
    left = torch.randint(0, w, (n, 1, 1)) - size // 2
    rows, columns = torch.arange(h).view(1, h, 1), torch.arange(w).view(1, 1, w)
    inside = (rows >= top) & (rows < top + size) & (columns >= left) & (columns < left + size)
    keep = inside.logical_not().unsqueeze(1).float()
    return x * keep if fill == 0 else x * keep + (1 - keep) * fill
