"""The augmentation of one Γ batch (50 labeled images) in PyTorch: bilinear and bicubic grid_sample over the same
affine grid as Semisup (bench/augmentation.py), and the lab's way, scipy.ndimage.rotate (cubic splines) and a
random crop of the padded image, one image at a time (needs python3-scipy; skipped without it)."""
import sys
import numpy as np
import torch
from augmentation import augment
from timing import per_call

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
steps = int(sys.argv[2]) if len(sys.argv) > 2 else 200
torch.set_num_threads(threads)
torch.manual_seed(0)


images = torch.rand(3000, 1, 28, 28)
batch = lambda: images[torch.randint(0, 3000, (50,))]
line = f"pytorch bench=augment threads={threads}"
for mode in ("bilinear", "bicubic"):
    line += f" {mode}_ms={1000 * per_call(lambda: augment(batch(), mode), steps, warmup=20):.3f}"
try:
    from scipy import ndimage
    rng = np.random.default_rng(0)

    def lab():
        out = []
        for img in batch().numpy()[:, 0]:
            r = ndimage.rotate(img, rng.uniform(-25, 25), reshape=False, order=3)
            p = np.pad(r, 3)
            i, j = rng.integers(0, 7, 2)
            out.append(p[i:i + 28, j:j + 28])
        return np.stack(out)
    line += f" scipy_lab_ms={1000 * per_call(lab, steps, warmup=20):.3f}"
except ImportError:
    pass
print(line)
