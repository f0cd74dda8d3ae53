"""Loading a folder of images with PIL (Debian's python3-pil), as a Python user would, beside Semisup's loader
(Data/ImageFolder.cs, Semisup.Bench's decode-serve): list the folder, then per file open it, let JPEG decode at the
smallest scale that still covers the size (PIL's draft, as Semisup's decoder does with Skia), apply the EXIF
orientation, convert to RGB, resize the centre square of the shorter side to 32×32 (bilinear, in one call), and put the
pixels as C×H×W bytes into one uint8 array. With THREADS > 1, a multiprocessing pool of that many workers (the GIL keeps
threads from decoding in parallel), made once and kept, as a data loader keeps its workers.
Usage: decode_pil.py THREADS DIR (one load: images/s), or decode_pil.py THREADS serve for bench/paired.py: prints
"ready", then answers "decode DIR" (and "cached DIR", the same: PIL keeps no cache) with "SECONDS COUNT"."""
import multiprocessing
import os
import sys
import time
import numpy as np
from PIL import Image, ImageOps

SIZE = 32
EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp")


def listing(root):
    """Every image under root, in a stable order (labeled/<class>/, unlabeled/**, validation/<class>/, test/<class>/)."""
    files = []
    for folder, dirs, names in os.walk(root):
        dirs.sort()
        files.extend(os.path.join(folder, n) for n in sorted(names) if n.lower().endswith(EXTENSIONS))
    return files


def decode(path):
    with Image.open(path) as image:
        image.draft("RGB", (SIZE, SIZE))  # JPEG: DCT scaling, at least SIZE on each side; other formats: nothing
        image = ImageOps.exif_transpose(image).convert("RGB")
        w, h = image.size
        side = min(w, h)
        left, top = (w - side) / 2, (h - side) / 2
        image = image.resize((SIZE, SIZE), Image.BILINEAR, box=(left, top, left + side, top + side))
        return np.asarray(image).transpose(2, 0, 1).tobytes()


def load(root, pool, chunks):
    files = listing(root)
    out = np.empty((len(files), 3, SIZE, SIZE), dtype=np.uint8)
    flat = out.reshape(len(files), -1)
    decoded = pool.imap(decode, files, chunksize=max(1, len(files) // chunks)) if pool else map(decode, files)
    for i, pixels in enumerate(decoded):
        flat[i] = np.frombuffer(pixels, dtype=np.uint8)
    return out


def main():
    threads = int(sys.argv[1])
    pool = multiprocessing.Pool(threads) if threads > 1 else None
    chunks = 16 * threads  # enough chunks that a slow one does not leave a worker idle at the end
    if sys.argv[2] != "serve":
        start = time.perf_counter()
        n = len(load(sys.argv[2], pool, chunks))
        seconds = time.perf_counter() - start
        print(f"pil bench=decode threads={threads} images={n} seconds={seconds:.3f} images_per_s={n / seconds:.0f} pil={Image.__version__}")
        return
    print("ready", flush=True)
    for line in sys.stdin:
        what, root = line.rstrip("\n").split(" ", 1)
        if what not in ("decode", "cached"):
            sys.exit(f"unknown request '{line.strip()}': decode DIR or cached DIR")
        start = time.perf_counter()
        n = len(load(root, pool, chunks))
        print(f"{time.perf_counter() - start!r} {n}", flush=True)


if __name__ == "__main__":
    main()
