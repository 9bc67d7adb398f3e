"""PNG encoding with provenance, and grids of same-sized images. Torch-free (numpy + PIL).

Job results (worker/generate.py, through worker/images.py) and model previews (models/preview.py) are both
written by these functions, so a preview is drawn exactly the way the job API draws a grid.
"""

from __future__ import annotations

import io
import json
import math
from typing import Any

import numpy as np
from PIL import Image, PngImagePlugin

import atelier

# PNG text chunk that carries the full parameters as JSON; the other keys are for people and file browsers.
PROVENANCE_KEY = "atelier"


def encode_png(pixels: np.ndarray, provenance: dict[str, Any]) -> bytes:
    """(H, W) or (H, W, 3) uint8 -> PNG bytes whose text chunks say how to make the same pixels again."""
    info = PngImagePlugin.PngInfo()
    info.add_text(PROVENANCE_KEY, json.dumps(provenance, sort_keys=True))
    info.add_text("Software", f"Atelier {atelier.__version__}")
    info.add_text("Description", ", ".join(f"{k}={v}" for k, v in sorted(provenance.items()) if k != "images"))
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="PNG", pnginfo=info, optimize=False)
    return buf.getvalue()


def read_provenance(png: bytes) -> dict[str, Any]:
    with Image.open(io.BytesIO(png)) as img:
        return json.loads(img.text[PROVENANCE_KEY])  # type: ignore[attr-defined]


def make_grid(images: list[np.ndarray], *, cols: int | None = None, padding: int = 2,
              background: int = 0) -> np.ndarray:
    """Tile same-sized images row-major in result order: `cols` per row, or a near-square grid when None."""
    if not images:
        raise ValueError("no images to tile")
    h, w = images[0].shape[:2]
    cols = cols or math.ceil(math.sqrt(len(images)))
    rows = math.ceil(len(images) / cols)
    shape = (rows * h + (rows + 1) * padding, cols * w + (cols + 1) * padding) + images[0].shape[2:]
    grid = np.full(shape, background, dtype=np.uint8)
    for i, img in enumerate(images):
        r, c = divmod(i, cols)
        y, x = padding + r * (h + padding), padding + c * (w + padding)
        grid[y : y + h, x : x + w] = img
    return grid
