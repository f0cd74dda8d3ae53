"""Semisup's photo views (Data/Augment.cs with crop and RandAugment, Data/PhotoOps.cs) in PyTorch, for the benchmarks:
the same operations in the same order, batched as Semisup batches them (RandAugment loops over its 14 operations, not
over images), on float images [N, C, H, W] in [0, 1]."""
import math
import torch
import torch.nn.functional as F
from augmentation import apply_cutout


def photo_view(x, crop=0.0, flip=False, rand_augment=0, cutout=0, fill=0.0):
    """Augment.Apply for a photo view: crop, flip, RandAugment, cutout (in that order, as Augment.cs)."""
    if crop > 0:
        x = random_crop(x, round_away(crop * x.shape[2]), round_away(crop * x.shape[3]))
    if flip:
        x = random_flip(x)
    if rand_augment > 0:
        x = randaugment(x, rand_augment)
    if cutout > 0:
        x = apply_cutout(x, cutout, fill)
    return x


def round_away(v):
    return int(math.floor(v + 0.5))


def random_crop(x, pad_h, pad_w):
    """Reflect-pad each side and crop back at a uniform random offset per image, in two gathers (PhotoOps.Crop)."""
    n, c, h, w = x.shape
    padded = F.pad(x, [pad_w, pad_w, pad_h, pad_h], mode="reflect")
    top = torch.randint(0, 2 * pad_h + 1, (n,))
    left = torch.randint(0, 2 * pad_w + 1, (n,))
    pw = padded.shape[3]
    rows = (top.view(n, 1) + torch.arange(h)).view(n, 1, h, 1).expand(n, c, h, pw)
    columns = (left.view(n, 1) + torch.arange(w)).view(n, 1, 1, w).expand(n, c, h, w)
    return padded.gather(2, rows).gather(3, columns)


def random_flip(x):
    mirror = torch.randint(0, 2, (x.shape[0],)).bool().view(-1, 1, 1, 1)
    return torch.where(mirror, x.flip(3), x)


def per_image(v):
    return v.view(-1, 1, 1, 1)


def gray(x):
    if x.shape[1] != 3:
        return x
    return (x * torch.tensor([0.299, 0.587, 0.114], dtype=x.dtype).view(1, 3, 1, 1)).sum(1, keepdim=True)


def as_bytes(x):
    return (x * 255).round().clamp(0, 255).long()


def auto_contrast(x, _):
    low, high = x.amin([2, 3], keepdim=True), x.amax([2, 3], keepdim=True)
    flat = high <= low
    scale = torch.where(flat, torch.ones_like(high), 1 / (high - low))
    offset = torch.where(flat, torch.zeros_like(low), low)
    return ((x - offset) * scale).clamp(0, 1)


def brightness(x, v):
    return (x * per_image(v)).clamp(0, 1)


def color(x, v):
    g = gray(x)
    return (g + per_image(v) * (x - g)).clamp(0, 1)


def contrast(x, v):
    mean = gray(x).mean([1, 2, 3], keepdim=True)
    return (mean + per_image(v) * (x - mean)).clamp(0, 1)


def equalize(x, _):
    m, c, h, w = x.shape
    levels = as_bytes(x).view(m * c, h * w)
    histogram = torch.zeros(m * c, 256, dtype=torch.long).scatter_add_(1, levels, torch.ones_like(levels))
    last = 255 - (histogram > 0).flip(1).int().argmax(1, keepdim=True)
    step = (histogram.sum(1, keepdim=True) - histogram.gather(1, last)).div(255, rounding_mode="floor")
    below = histogram.cumsum(1) - histogram
    lut = (below + step.div(2, rounding_mode="floor")).div(step.clamp_min(1), rounding_mode="floor").clamp_max(255)
    lut = torch.where(step.eq(0), torch.arange(256).view(1, 256), lut)
    return lut.gather(1, levels).view(m, c, h, w).to(x.dtype) / 255


def identity(x, _):
    return x


def posterize(x, v):
    drop = (8 - v.floor().clamp(1, 8)).exp2().long().view(-1, 1, 1, 1)
    return (as_bytes(x).div(drop, rounding_mode="floor") * drop).to(x.dtype).div(255)


def solarize(x, v):
    return torch.where(x >= per_image(v), 1 - x, x)


def sharpness(x, v):
    m, c, h, w = x.shape
    if h < 3 or w < 3:
        return x
    kernel = (torch.tensor([1.0, 1, 1, 1, 5, 1, 1, 1, 1]) / 13).view(1, 1, 3, 3).expand(c, 1, 3, 3).to(x.dtype)
    smooth = x.clone()
    smooth[:, :, 1:h - 1, 1:w - 1] = F.conv2d(x, kernel, groups=c)
    return (smooth + per_image(v) * (x - smooth)).clamp(0, 1)


def affine(x, a, b, c, d, e, f):
    """PIL's affine transform with nearest sampling, per image (coefficients [m], float64), black outside."""
    m, channels, h, w = x.shape
    xs = (torch.arange(w, dtype=torch.float64) + 0.5).view(1, 1, w)
    ys = (torch.arange(h, dtype=torch.float64) + 0.5).view(1, h, 1)
    at = lambda p: p.view(-1, 1, 1)
    column = (at(a) * xs + at(b) * ys + at(c)).floor()
    row = (at(d) * xs + at(e) * ys + at(f)).floor()
    inside = (column >= 0) & (column < w) & (row >= 0) & (row < h)
    index = (row.clamp(0, h - 1) * w + column.clamp(0, w - 1)).long().view(m, 1, h * w).expand(m, channels, h * w)
    sampled = x.reshape(m, channels, h * w).gather(2, index).view(m, channels, h, w)
    return sampled * inside.unsqueeze(1).to(x.dtype)


def rotate(x, v):
    cx, cy = x.shape[3] / 2.0, x.shape[2] / 2.0
    radians = v.double() * (math.pi / 180)
    cos, sin = radians.cos(), radians.sin()
    return affine(x, cos, -sin, cx - cos * cx + sin * cy, sin, cos, cy - sin * cx - cos * cy)


def _unit(v):
    s = v.double()
    return torch.ones_like(s), torch.zeros_like(s), s


def shear_x(x, v):
    one, zero, s = _unit(v)
    return affine(x, one, s, zero, zero, one, zero)


def shear_y(x, v):
    one, zero, s = _unit(v)
    return affine(x, one, zero, zero, s, one, zero)


def translate_x(x, v):
    one, zero, s = _unit(v)
    return affine(x, one, zero, s * x.shape[3], zero, one, zero)


def translate_y(x, v):
    one, zero, s = _unit(v)
    return affine(x, one, zero, zero, zero, one, s * x.shape[2])


# PhotoOps.Operations: FixMatch's 14, with their magnitude ranges, in the same order.
OPERATIONS = [
    (auto_contrast, 0, 1), (brightness, 0.05, 0.95), (color, 0.05, 0.95), (contrast, 0.05, 0.95), (equalize, 0, 1),
    (identity, 0, 1), (posterize, 4, 8), (rotate, -30, 30), (sharpness, 0.05, 0.95), (shear_x, -0.3, 0.3),
    (shear_y, -0.3, 0.3), (solarize, 0, 1), (translate_x, -0.3, 0.3), (translate_y, -0.3, 0.3),
]


def randaugment(x, count):
    """PhotoOps.RandAugment: each round, every image gets an operation drawn uniformly at a uniform magnitude; the
    images of each operation are gathered, altered together and put back."""
    n = x.shape[0]
    for _ in range(count):
        chosen = torch.randint(0, len(OPERATIONS), (n,))
        unit = torch.rand(n)
        for k, (op, low, high) in enumerate(OPERATIONS):
            rows = chosen.eq(k).nonzero().view(-1)
            if rows.shape[0] == 0:
                continue
            magnitude = unit.index_select(0, rows) * (high - low) + low
            x = x.index_copy(0, rows, op(x.index_select(0, rows), magnitude))
    return x
