"""What every art data set shares: the in-memory set, its .npz cache, and fitting a glyph into a square.

A cached set is one compressed .npz under the data cache (gitignored), read back without pickle:

    images   (N, S, S) uint8 grey, or (N, S, S, 3) uint8 RGB
    labels   (N,) int64, index into classes (all 0 for an unconditional set)
    classes  (K,) str class names; empty for an unconditional set
    heldout  (N,) bool: True = the held-out reference (Fréchet distance, never trained on)
    info     JSON text: sources with their licences, the split rule, the recipe version, counts
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image


@dataclass(frozen=True)
class ImageSet:
    images: np.ndarray  # (N, S, S) or (N, S, S, 3) uint8
    labels: np.ndarray  # (N,) int64 class indices
    classes: tuple[str, ...]  # class names indexed by label; () = unconditional
    heldout: np.ndarray  # (N,) bool, True for the held-out reference split
    info: dict[str, Any] = field(default_factory=dict)  # sources, licences, split rule (JSON-able)

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def conditional(self) -> bool:
        return len(self.classes) > 0

    def select(self, mask: np.ndarray) -> ImageSet:
        return ImageSet(self.images[mask], self.labels[mask], self.classes, self.heldout[mask], self.info)

    def train(self) -> ImageSet:
        """The only images a generator is trained on."""
        return self.select(~self.heldout)

    def reference(self) -> ImageSet:
        """The held-out images: what generated images are compared with, never trained on."""
        return self.select(self.heldout)

    def counts(self) -> dict[str, Any]:
        per_class = {c: int((self.labels == i).sum()) for i, c in enumerate(self.classes)}
        return {"total": len(self), "train": int((~self.heldout).sum()), "heldout": int(self.heldout.sum()),
                "shape": list(self.images.shape[1:]), **({"per_class": per_class} if per_class else {})}


def save_set(path: Path, ds: ImageSet) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    info = {**ds.info, "counts": ds.counts()}
    np.savez_compressed(tmp, images=ds.images, labels=ds.labels, classes=np.array(ds.classes, dtype=str),
                        heldout=ds.heldout, info=np.array(json.dumps(info, ensure_ascii=False)))
    tmp.replace(path)  # atomic: a half-written cache is never read


def load_set(path: Path) -> ImageSet:
    with np.load(path, allow_pickle=False) as f:
        return ImageSet(f["images"], f["labels"].astype(np.int64), tuple(str(c) for c in f["classes"]),
                        f["heldout"].astype(bool), json.loads(str(f["info"])))


def heldout_by_key(keys: list[str], fraction: float, seed: int) -> set[str]:
    """A fixed `fraction` of the distinct keys (characters, emoji), drawn with `seed`: all images of a held-out
    key are held out, so the reference never shares a subject with the training images."""
    distinct = sorted(set(keys))
    rng = np.random.default_rng(seed)
    n = max(1, round(len(distinct) * fraction)) if len(distinct) > 1 else 0
    return {distinct[i] for i in rng.permutation(len(distinct))[:n]}


def fit_in_square(img: Image.Image, bbox: tuple[int, int, int, int], size: int, margin: int,
                  background: int | tuple[int, ...] = 0) -> Image.Image:
    """Crop `img` to `bbox`, scale it so its longer side is size - 2 * margin (aspect kept, Lanczos) and paste it
    with its box centred on a size x size canvas of `background` (same mode as img)."""
    crop = img.crop(bbox)
    w, h = crop.size
    inner = size - 2 * margin
    scale = inner / max(w, h)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    crop = crop.resize((nw, nh), Image.Resampling.LANCZOS)
    canvas = Image.new(img.mode, (size, size), background)
    canvas.paste(crop, ((size - nw) // 2, (size - nh) // 2))
    return canvas


def contact_sheet(images: np.ndarray, columns: int = 16, gap: int = 2, background: int = 128) -> Image.Image:
    """(N, S, S) or (N, S, S, 3) uint8 -> one image, `columns` per row, `gap` px apart."""
    n, s = len(images), images.shape[1]
    rgb = images.ndim == 4
    rows = -(-n // columns)
    shape = (rows * (s + gap) + gap, columns * (s + gap) + gap) + ((3,) if rgb else ())
    sheet = np.full(shape, background, np.uint8)
    for k, im in enumerate(images):
        r, c = divmod(k, columns)
        sheet[gap + r * (s + gap):gap + r * (s + gap) + s, gap + c * (s + gap):gap + c * (s + gap) + s] = im
    return Image.fromarray(sheet)
