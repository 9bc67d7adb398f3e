"""Synthetic "dead leaves" patches: a clean training image made of occluding discs and bars of every size.

Why: the repair networks train on a few dozen photographs, reduced (Lanczos) so that their own JPEG noise washes
out, and at the pixel level those are smooth. Held-out photos are not: a butterfly's wing is covered in specks one
or two pixels wide, a circuit board in thin tracks and lettering. `denoise` 0.5.0 erased such detail as if it were
noise (4.2 dB below CBM3D at sigma 15 on the butterfly, 2.2 dB on the board; about even elsewhere).

The dead-leaves model (Matheron; Lee, Mumford & Huang 2001) stacks random shapes whose sizes follow a power law
with exponent 3, the one that makes the picture look the same at every scale, as natural images do; it has been
used as a synthetic training set for denoisers (Achddou, Gousseau & Ladjal 2021). It has what the reduced photos
lack: sharp edges and isolated specks down to the pixel, on every background, so a network trained on it as a
*clean* image learns that such detail is content, not noise. The colours are drawn from a photo patch, so the
palette stays natural, and the patch is drawn at twice its size and reduced, for antialiased edges like a
camera's.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

ALPHA = 3.0  # radius density ~ r^-ALPHA: scale invariant
MIN_RADIUS = 0.75  # in output pixels: specks of about a pixel and a half across
SHAPES = 3000  # drawn back to front on a 2x canvas: enough that the first ones are covered


def radii(rng: np.random.Generator, n: int, r_min: float, r_max: float) -> np.ndarray:
    """n radii with density proportional to r^-ALPHA on [r_min, r_max] (inverse-CDF sampling)."""
    a, b = r_min ** (1 - ALPHA), r_max ** (1 - ALPHA)
    return (a - rng.random(n) * (a - b)) ** (1 / (1 - ALPHA))


def dead_leaves(rng: np.random.Generator, palette: np.ndarray, size: int) -> np.ndarray:
    """A (size, size, 3) float32 image in [0, 1]: discs (two thirds) and bars up to 8 times as long as wide (a third,
    for tracks and strokes), sizes from MIN_RADIUS to half the patch, colours drawn from `palette` (any array of RGB
    values in [0, 1], e.g. a photo patch) with a little jitter."""
    canvas = 2 * size
    colours = palette.reshape(-1, 3)
    pick = colours[rng.integers(0, len(colours), SHAPES + 1)]
    pick = np.clip(pick + rng.normal(0, 0.03, pick.shape), 0, 1)
    pick = (pick * 255 + 0.5).astype(np.uint8)
    img = Image.new("RGB", (canvas, canvas), tuple(int(c) for c in pick[-1]))
    draw = ImageDraw.Draw(img)
    r = radii(rng, SHAPES, 2 * MIN_RADIUS, canvas / 4)
    cx, cy = rng.uniform(-0.1, 1.1, (2, SHAPES)) * canvas
    bar = rng.random(SHAPES) < 1 / 3
    aspect = rng.uniform(1, 8, SHAPES)
    upright = rng.random(SHAPES) < 0.5
    for k in range(SHAPES):  # in random order, as the model has it: a late large leaf covers earlier specks
        fill = tuple(int(c) for c in pick[k])
        if bar[k]:
            half_long, half_short = r[k] * np.sqrt(aspect[k]), r[k] / np.sqrt(aspect[k])
            hw, hh = (half_short, half_long) if upright[k] else (half_long, half_short)
            draw.rectangle((cx[k] - hw, cy[k] - hh, cx[k] + hw, cy[k] + hh), fill=fill)
        else:
            draw.ellipse((cx[k] - r[k], cy[k] - r[k], cx[k] + r[k], cy[k] + r[k]), fill=fill)
    small = img.resize((size, size), Image.Resampling.LANCZOS)
    return np.asarray(small, np.float32) / np.float32(255.0)
