"""An artist's own images as a training set: any size, mode and orientation in, S x S grey or RGB out.

Each image is turned upright (EXIF orientation), laid on white where it is transparent (artwork with alpha is
usually drawn on a page, and black would invent a dark border), centre-cropped to a square on its shorter side and
resized with Lanczos to `size` (32 or 64). The images were checked first (worker/training_data.py); this module
only prepares pixels, and raises ValueError on anything it cannot read.
"""

from __future__ import annotations

import io
import warnings
from typing import Iterable

import numpy as np
from PIL import Image, ImageOps

from models.datasets.common import ImageSet

SIZES = (32, 64)  # the resolutions a user model trains at (the cdcgan's 8 x 2^k sizes that suit CPU training)
BACKGROUND = (255, 255, 255)  # what shows through transparent pixels


def square_crop(img: Image.Image) -> Image.Image:
    """The centred square of side min(W, H)."""
    w, h = img.size
    side = min(w, h)
    left, top = (w - side) // 2, (h - side) // 2
    return img.crop((left, top, left + side, top + side))


def prepare_image(data: bytes, size: int, channels: int) -> np.ndarray:
    """Encoded image -> (size, size) uint8 grey (channels 1) or (size, size, 3) uint8 RGB."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the caller applied its own pixel limit
        with Image.open(io.BytesIO(data)) as src:
            if src.format == "JPEG":
                src.draft(src.mode, (size * 2, size * 2))  # decode at a reduced DCT scale: much faster, same result
            img = ImageOps.exif_transpose(src)
            if img.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):  # 16-bit / float grey: to 8 bits
                arr = np.asarray(img, dtype=np.float64)
                top = 65535.0 if arr.max() > 255 else 255.0
                img = Image.fromarray(np.clip(arr / top * 255.0, 0, 255).round().astype(np.uint8))
            if img.mode in ("RGBA", "LA", "La", "RGBa", "PA") or (img.mode == "P" and "transparency" in img.info):
                rgba = img.convert("RGBA")
                page = Image.new("RGBA", rgba.size, (*BACKGROUND, 255))
                page.alpha_composite(rgba)
                img = page
            img = img.convert("L" if channels == 1 else "RGB")
    square = square_crop(img).resize((size, size), Image.Resampling.LANCZOS, reducing_gap=3.0)
    return np.asarray(square, dtype=np.uint8)


def build_user_set(items: Iterable[bytes], labels: Iterable[int], classes: tuple[str, ...], *, size: int,
                   channels: int, info: dict | None = None) -> ImageSet:
    """The training set the GAN trainer takes (models/training/gan.py); nothing is held out (the artist's few
    images are all for training, and no benchmark is run on a user model)."""
    if size not in SIZES:
        raise ValueError(f"image size must be one of {SIZES}; got {size}")
    images = np.stack([prepare_image(d, size, channels) for d in items])  # (N, S, S) or (N, S, S, 3)
    lab = np.asarray(list(labels), dtype=np.int64)
    if len(lab) != len(images):
        raise ValueError("one label per image is needed")
    return ImageSet(images, lab, tuple(classes), np.zeros(len(images), bool), dict(info or {}))
