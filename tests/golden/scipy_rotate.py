"""Golden values for Augment's rotation: a synthetic digit rotated by scipy.ndimage.rotate, as the lab did
(cubic splines, order 3; size kept; zeros outside). Regenerate with /usr/bin/python3 tests/golden/scipy_rotate.py
(needs Debian's python3-scipy); writes tests/Semisup.Tests/Data/scipy-rotate.json."""
import json, os
import numpy as np
from scipy import ndimage

# A "0" with a tail, soft-edged like MNIST's anti-aliased strokes: ink = exp(-d²/2) for d the distance (pixels)
# from the stroke's centre line.
y, x = np.mgrid[0:28, 0:28].astype(np.float64)
ring = np.abs(np.hypot((x - 13.5) / 0.8, y - 12.0) - 6.0)
tail = np.hypot(np.clip(x, 12, 20) - x, y - 21.0)
image = np.exp(-np.minimum(ring, tail) ** 2 / 2.0)

angles = [17.0, -25.0]
rotated = [ndimage.rotate(image, a, reshape=False, order=3, mode="constant", cval=0.0) for a in angles]
out = os.path.join(os.path.dirname(__file__), "..", "Semisup.Tests", "Data", "scipy-rotate.json")
with open(out, "w") as f:
    json.dump({"source": "scipy.ndimage.rotate(image, angle, reshape=False, order=3, mode='constant') "
                         f"with scipy {__import__('scipy').__version__}",
               "image": np.round(image, 6).ravel().tolist(),
               "angles": angles,
               "rotated": [np.round(r, 6).ravel().tolist() for r in rotated]}, f)
print("wrote", os.path.normpath(out))
