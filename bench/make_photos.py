"""Writes a folder of photo-like JPEGs for bench/decode.sh, the same for a seed (with the same numpy, PIL and libjpeg):
COUNT images of 256×192 in the image-folder layout (labeled/class-0 … class-9, 20 each; the rest in unlabeled/), each
a random texture: smooth colour fields, a gradient, a few shapes and sensor-like noise, at JPEG quality 90. Every fourth
carries EXIF orientation 6 (turned 90° to view, as phones write it), so the decoders apply it.
Usage: make_photos.py OUT [count=2000] [seed=1]   (OUT must not exist)"""
import os
import sys
import numpy as np
from PIL import Image, ImageDraw

WIDTH, HEIGHT, CLASSES, PER_CLASS = 256, 192, 10, 20


def photo(rng):
    # Smooth colour fields: a few coarse random grids, upsampled bicubically, summed at falling weights.
    field = np.zeros((HEIGHT, WIDTH, 3))
    for cells, weight in ((3, 0.5), (8, 0.3), (24, 0.2)):
        coarse = rng.integers(0, 256, (cells * 3 // 4 + 1, cells + 1, 3), dtype=np.uint8)
        field += weight * np.asarray(Image.fromarray(coarse).resize((WIDTH, HEIGHT), Image.BICUBIC), dtype=float)
    angle = rng.uniform(0, 2 * np.pi)
    ys, xs = np.mgrid[0:HEIGHT, 0:WIDTH]
    field += (np.cos(angle) * xs / WIDTH + np.sin(angle) * ys / HEIGHT)[..., None] * rng.uniform(-60, 60, 3)
    image = Image.fromarray(np.clip(field, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for _ in range(rng.integers(2, 7)):
        x0, y0 = rng.integers(0, WIDTH), rng.integers(0, HEIGHT)
        box = [x0, y0, x0 + rng.integers(10, 120), y0 + rng.integers(10, 90)]
        fill = tuple(int(c) for c in rng.integers(0, 256, 3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=fill)
    noisy = np.asarray(image, dtype=float) + rng.normal(0, 6, (HEIGHT, WIDTH, 3))
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))


def main():
    out = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    if count < CLASSES * PER_CLASS:
        sys.exit(f"count {count}: give at least {CLASSES * PER_CLASS} (the labeled images)")
    os.makedirs(out)
    turned = Image.Exif()
    turned[0x0112] = 6  # Orientation: rotate 90° clockwise to view
    for i in range(count):
        folder = os.path.join(out, "labeled", f"class-{i // PER_CLASS}") if i < CLASSES * PER_CLASS else os.path.join(out, "unlabeled")
        os.makedirs(folder, exist_ok=True)
        extra = {"exif": turned.tobytes()} if i % 4 == 3 else {}
        photo(np.random.default_rng([seed, i])).save(os.path.join(folder, f"{i:05}.jpg"), quality=90, **extra)
    print(f"wrote {out}: {count:,} JPEGs of {WIDTH}×{HEIGHT} at seed {seed}")


if __name__ == "__main__":
    main()
